//! The contract of [`Store`], written once and run against both implementations: SQLite (a
//! fresh file per test) and PostgreSQL (a fresh database per test, on `DATABASE_URL`).
//!
//! A test named `sqlite_x` and a test named `postgres_x` run the same case `x`.

use std::sync::Arc;
use std::time::Duration;

use anshin_server::store::postgres::PostgresStore;
use anshin_server::store::sqlite::SqliteStore;
use anshin_server::store::{
    ApiKeyRecord, AuthenticationWrite, BlockedStats, DecisionRecord, EventQuery, LoginRecord,
    NewEvent, PrefixStats, RegistrationWrite, SecurityEvent, SigningKey, SmsRecord, SmsSignIn,
    Store, StoreError, StoredCredential, User, UserPatch,
};
use uuid::Uuid;
use webauthn_core::CredentialId;

use crate::support::{
    TestSqlite, fresh_postgres_url, postgres_store, sqlite_store, test_credential, test_event,
    test_session, test_user,
};

/// Generates one `#[tokio::test]` per case and backend:
/// `case => sqlite_test_name, postgres_test_name;`.
macro_rules! contract {
    ($($case:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                let (store, _file) = sqlite_store().await;
                $case(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $postgres() {
                let (store, _db) = postgres_store().await;
                $case(store).await;
            }
        )*
    };
}

contract! {
    ping_answers => sqlite_ping_answers, postgres_ping_answers;
    migrate_twice_is_idempotent
        => sqlite_migrate_twice_is_idempotent, postgres_migrate_twice_is_idempotent;
    user_create_and_lookups => sqlite_user_create_and_lookups, postgres_user_create_and_lookups;
    duplicate_user_conflicts => sqlite_duplicate_user_conflicts, postgres_duplicate_user_conflicts;
    update_user_patch_semantics
        => sqlite_update_user_patch_semantics, postgres_update_user_patch_semantics;
    register_with_new_user_session_and_events
        => sqlite_register_with_new_user_session_and_events,
           postgres_register_with_new_user_session_and_events;
    register_duplicate_credential_writes_nothing
        => sqlite_register_duplicate_credential_writes_nothing,
           postgres_register_duplicate_credential_writes_nothing;
    register_for_missing_user_writes_nothing
        => sqlite_register_for_missing_user_writes_nothing,
           postgres_register_for_missing_user_writes_nothing;
    credential_round_trips
        => sqlite_credential_round_trips, postgres_credential_round_trips;
    credentials_of_oldest_first
        => sqlite_credentials_of_oldest_first, postgres_credentials_of_oldest_first;
    authenticated_updates_counter_flags_and_last_use
        => sqlite_authenticated_updates_counter_flags_and_last_use,
           postgres_authenticated_updates_counter_flags_and_last_use;
    authenticated_is_atomic
        => sqlite_authenticated_is_atomic, postgres_authenticated_is_atomic;
    authenticated_with_deleted_credential_fails
        => sqlite_authenticated_with_deleted_credential_fails,
           postgres_authenticated_with_deleted_credential_fails;
    rename_credential_scoped_to_owner
        => sqlite_rename_credential_scoped_to_owner, postgres_rename_credential_scoped_to_owner;
    delete_credential_scoped_to_owner
        => sqlite_delete_credential_scoped_to_owner, postgres_delete_credential_scoped_to_owner;
    delete_user_cascades_but_keeps_events
        => sqlite_delete_user_cascades_but_keeps_events,
           postgres_delete_user_cascades_but_keeps_events;
    revoke_session_once => sqlite_revoke_session_once, postgres_revoke_session_once;
    events_query_filters => sqlite_events_query_filters, postgres_events_query_filters;
    events_limit_defaults_and_cap
        => sqlite_events_limit_defaults_and_cap, postgres_events_limit_defaults_and_cap;
    signing_key_rotation_retires_previous
        => sqlite_signing_key_rotation_retires_previous,
           postgres_signing_key_rotation_retires_previous;
    api_keys_insert_and_list => sqlite_api_keys_insert_and_list, postgres_api_keys_insert_and_list;
    concurrent_writes_all_succeed
        => sqlite_concurrent_writes_all_succeed, postgres_concurrent_writes_all_succeed;
    session_levels_round_trip_and_update
        => sqlite_session_levels_round_trip_and_update,
           postgres_session_levels_round_trip_and_update;
    logins_give_the_last_location_and_known_devices
        => sqlite_logins_give_the_last_location_and_known_devices,
           postgres_logins_give_the_last_location_and_known_devices;
    decisions_take_feedback_only_when_they_exist
        => sqlite_decisions_take_feedback_only_when_they_exist,
           postgres_decisions_take_feedback_only_when_they_exist;
    sms_sign_in_is_single_use_and_counts
        => sqlite_sms_sign_in_is_single_use_and_counts,
           postgres_sms_sign_in_is_single_use_and_counts;
    all_sessions_of_a_user_can_be_revoked
        => sqlite_all_sessions_of_a_user_can_be_revoked,
           postgres_all_sessions_of_a_user_can_be_revoked;
    series_counts_per_bucket
        => sqlite_series_counts_per_bucket, postgres_series_counts_per_bucket;
    credentials_of_name_by_user_name
        => sqlite_credentials_of_name_by_user_name, postgres_credentials_of_name_by_user_name;
    sign_in_subject_reads_credential_owner_and_history
        => sqlite_sign_in_subject_reads_credential_owner_and_history,
           postgres_sign_in_subject_reads_credential_owner_and_history;
    authenticated_stores_the_decision_with_the_sign_in
        => sqlite_authenticated_stores_the_decision_with_the_sign_in,
           postgres_authenticated_stores_the_decision_with_the_sign_in;
}

async fn all_sessions_of_a_user_can_be_revoked(store: Arc<dyn Store>) {
    let user = test_user("compromised", 1);
    let other = test_user("bystander", 1);
    store.create_user(&user, &[]).await.unwrap();
    store.create_user(&other, &[]).await.unwrap();
    for (id, owner, byte) in [("c-1", &user, 1u8), ("c-2", &user, 2), ("c-3", &other, 3)] {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential: test_credential(owner, &[byte; 16], 2),
                session: Some(test_session(id, owner, None)),
                events: vec![],
            })
            .await
            .unwrap();
    }
    store
        .record_decision(&DecisionRecord {
            id: "d-user".to_owned(),
            point: "login".to_owned(),
            user_id: Some(user.id),
            action: "allow".to_owned(),
            level: "LOW".to_owned(),
            decision: serde_json::json!({}),
            facts: serde_json::json!({}),
            policy_version: "test".to_owned(),
            created_at: 5,
        })
        .await
        .unwrap();
    assert_eq!(store.decision_user("d-user").await.unwrap(), Some(user.id));
    assert_eq!(store.decision_user("d-none").await.unwrap(), None);
    let events = [test_event("session.revoked", Some(user.id), 6)];
    assert_eq!(
        store.revoke_sessions_of(user.id, 6, &events).await.unwrap(),
        2
    );
    assert_eq!(store.revoke_sessions_of(user.id, 7, &[]).await.unwrap(), 0);
    for id in ["c-1", "c-2"] {
        assert_eq!(
            store.session(id).await.unwrap().unwrap().revoked_at,
            Some(6)
        );
    }
    assert_eq!(
        store.session("c-3").await.unwrap().unwrap().revoked_at,
        None
    );
    assert_eq!(
        kinds(&all_events(store.as_ref()).await),
        ["session.revoked"]
    );
}

fn login(user: &User, at: i64, device: Option<&str>, city: Option<&str>) -> LoginRecord {
    LoginRecord {
        user_id: user.id,
        at,
        method: "passkey".to_owned(),
        ip: "192.0.2.1".to_owned(),
        country: city.map(|_| "GB".to_owned()),
        city: city.map(str::to_owned),
        latitude: city.map(|_| 51.5142),
        longitude: city.map(|_| -0.0931),
        device_id: device.map(str::to_owned),
    }
}

async fn session_levels_round_trip_and_update(store: Arc<dyn Store>) {
    let user = test_user("levels", 1);
    store.create_user(&user, &[]).await.unwrap();
    let mut session = test_session("s-levels", &user, None);
    store
        .register(&RegistrationWrite {
            nudge_session: None,
            login: None,
            new_user: None,
            credential: test_credential(&user, &[7; 16], 2),
            session: Some(session.clone()),
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.session("s-levels").await.unwrap().unwrap(), session);
    session.acr = "phrh".to_owned();
    session.auth_time = 1_700_000_500;
    session.levels.insert("phrh".to_owned(), 1_700_000_500);
    let events = [test_event("session.stepped_up", Some(user.id), 3)];
    assert!(store.update_session(&session, &events).await.unwrap());
    assert_eq!(store.session("s-levels").await.unwrap().unwrap(), session);
    assert_eq!(
        kinds(&all_events(store.as_ref()).await),
        ["session.stepped_up"]
    );
    // A revoked session is not raised, and no event is written.
    store.revoke_session("s-levels", 4, &[]).await.unwrap();
    assert!(!store.update_session(&session, &events).await.unwrap());
    assert_eq!(all_events(store.as_ref()).await.len(), 1);
}

async fn logins_give_the_last_location_and_known_devices(store: Arc<dyn Store>) {
    let user = test_user("traveller", 1);
    store.create_user(&user, &[]).await.unwrap();
    store
        .register(&RegistrationWrite {
            nudge_session: None,
            login: None,
            new_user: None,
            credential: test_credential(&user, &[8; 16], 2),
            session: None,
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.last_login(user.id).await.unwrap(), None);
    let mut credential = store
        .credential(&CredentialId::new(vec![8; 16]))
        .await
        .unwrap()
        .unwrap();
    for (at, device, city) in [(100, Some("laptop"), Some("London")), (200, None, None)] {
        credential.last_used_at = Some(at);
        store
            .authenticated(&AuthenticationWrite {
                decision: None,
                login: Some(login(&user, at, device, city)),
                credential: credential.clone(),
                session: None,
                events: vec![],
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.last_login(user.id).await.unwrap(),
        Some(login(&user, 200, None, None))
    );
    assert!(store.device_known(user.id, "laptop").await.unwrap());
    assert!(!store.device_known(user.id, "phone").await.unwrap());
    let counts = store.activity(0).await.unwrap();
    assert_eq!((counts.logins_passkey, counts.logins_sms), (2, 0));
    assert_eq!(
        (counts.active_users, counts.active_users_with_passkey),
        (1, 1)
    );
    assert_eq!(store.activity(150).await.unwrap().logins_passkey, 1);
}

async fn decisions_take_feedback_only_when_they_exist(store: Arc<dyn Store>) {
    let record = DecisionRecord {
        id: "d-1".to_owned(),
        point: "login".to_owned(),
        user_id: None,
        action: "step_up".to_owned(),
        level: "MEDIUM".to_owned(),
        decision: serde_json::json!({"reasons": [{"code": "new_country"}]}),
        facts: serde_json::json!({"geo": {"country": "US"}}),
        policy_version: "test".to_owned(),
        created_at: 10,
    };
    store.record_decision(&record).await.unwrap();
    let events = [test_event("risk.feedback", None, 11)];
    assert!(
        store
            .record_feedback("d-1", "wrong", 11, &events)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_feedback("d-2", "wrong", 11, &events)
            .await
            .unwrap()
    );
    assert_eq!(kinds(&all_events(store.as_ref()).await), ["risk.feedback"]);
    let err = store.record_decision(&record).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn sms_sign_in_is_single_use_and_counts(store: Arc<dyn Store>) {
    let user = test_user("texter", 1);
    store.create_user(&user, &[]).await.unwrap();
    let sms = |id: &str, prefix: &str, status: &str, reason: Option<&str>| SmsRecord {
        id: id.to_owned(),
        user_id: Some(user.id),
        phone_hash: [3; 32],
        country: Some("GB".to_owned()),
        prefix: prefix.to_owned(),
        status: status.to_owned(),
        reason: reason.map(str::to_owned),
        price_micros: 40_000,
        created_at: 100,
    };
    store
        .record_sms(&sms("m-1", "+44770090", "sent", None), &[])
        .await
        .unwrap();
    store
        .record_sms(&sms("m-2", "+44770090", "sent", None), &[])
        .await
        .unwrap();
    store
        .record_sms(
            &sms("m-3", "+88216000", "blocked", Some("sms_prefix_blocked")),
            &[],
        )
        .await
        .unwrap();
    let mut session = test_session("s-sms", &user, None);
    session.acr = "urn:anshin:acr:sms".to_owned();
    let write = SmsSignIn {
        sms_id: "m-1".to_owned(),
        session,
        login: LoginRecord {
            method: "sms".to_owned(),
            ..login(&user, 120, None, None)
        },
        nudge: true,
        events: vec![test_event("signin.succeeded", Some(user.id), 120)],
    };
    assert!(store.sms_signed_in(&write).await.unwrap());
    let again = SmsSignIn {
        session: test_session("s-sms-2", &user, None),
        ..write.clone()
    };
    assert!(
        !store.sms_signed_in(&again).await.unwrap(),
        "a code signs in once"
    );
    assert!(
        store.session("s-sms-2").await.unwrap().is_none(),
        "nothing written"
    );
    // Blocked sends never sign in.
    let blocked = SmsSignIn {
        sms_id: "m-3".to_owned(),
        session: test_session("s-sms-3", &user, None),
        ..write.clone()
    };
    assert!(!store.sms_signed_in(&blocked).await.unwrap());

    // The passkey added in the SMS session converts its nudge.
    store
        .register(&RegistrationWrite {
            nudge_session: Some("s-sms".to_owned()),
            login: None,
            new_user: None,
            credential: test_credential(&user, &[9; 16], 130),
            session: None,
            events: vec![],
        })
        .await
        .unwrap();
    let counts = store.activity(0).await.unwrap();
    assert_eq!(
        (counts.sms_sent, counts.sms_verified, counts.sms_cost_micros),
        (2, 1, 80_000)
    );
    assert_eq!(
        (
            counts.logins_sms,
            counts.nudges_shown,
            counts.nudges_converted
        ),
        (1, 1, 1)
    );
    assert_eq!(
        counts.blocked,
        [BlockedStats {
            reason: "sms_prefix_blocked".to_owned(),
            count: 1,
            cost_micros: 40_000
        }]
    );
    assert_eq!(
        counts.prefixes,
        [
            PrefixStats {
                prefix: "+44770090".to_owned(),
                sent: 2,
                verified: 1
            },
            PrefixStats {
                prefix: "+88216000".to_owned(),
                sent: 0,
                verified: 0
            },
        ]
    );
    store
        .push_dev_sms("+447700900123", "code 123456", 100)
        .await
        .unwrap();
    assert_eq!(
        store.dev_sms("+447700900123").await.unwrap(),
        ["code 123456"]
    );
    assert!(store.dev_sms("+447700900999").await.unwrap().is_empty());
}

/// Every event in the store (the tests write fewer than 1000).
async fn all_events(store: &dyn Store) -> Vec<SecurityEvent> {
    store
        .events(&EventQuery {
            limit: 1000,
            latest: false,
            ..EventQuery::default()
        })
        .await
        .unwrap()
}

fn kinds(events: &[SecurityEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.kind.as_str()).collect()
}

fn cred_id(byte: u8) -> CredentialId {
    CredentialId::new(vec![byte; 16])
}

/// A registration of a new user with one credential, no session and no events.
fn registration(name: &str, credential_byte: u8, created_at: i64) -> RegistrationWrite {
    let user = test_user(name, created_at);
    let credential = test_credential(&user, &[credential_byte; 16], created_at);
    RegistrationWrite {
        nudge_session: None,
        login: None,
        new_user: Some(user),
        credential,
        session: None,
        events: Vec::new(),
    }
}

// --- cases ---------------------------------------------------------------------------------

async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

async fn migrate_twice_is_idempotent(store: Arc<dyn Store>) {
    // The fixture migrated once already.
    let user = test_user("alice", 1);
    store.create_user(&user, &[]).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.user(user.id).await.unwrap(), Some(user));
}

async fn user_create_and_lookups(store: Arc<dyn Store>) {
    let mut alice = test_user("alice", 1_700_000_000);
    alice.phone = Some("+15555550100".to_owned());
    let bob = test_user("bob", 1_700_000_001);
    let created = test_event("user.created", Some(alice.id), 1_700_000_000);
    store
        .create_user(&alice, std::slice::from_ref(&created))
        .await
        .unwrap();
    store.create_user(&bob, &[]).await.unwrap();

    assert_eq!(store.user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        store.user_by_name("alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.user_by_handle(&alice.handle).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user(bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(store.user_by_handle(&bob.handle).await.unwrap(), Some(bob));

    assert_eq!(store.user(Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(store.user_by_name("carol").await.unwrap(), None);
    assert_eq!(
        store.user_by_name("ALICE").await.unwrap(),
        None,
        "names are exact"
    );
    let stranger = test_user("x", 0).handle;
    assert_eq!(store.user_by_handle(&stranger).await.unwrap(), None);

    let events = all_events(&*store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, created);
}

async fn duplicate_user_conflicts(store: Arc<dyn Store>) {
    let alice = test_user("alice", 1);
    store.create_user(&alice, &[]).await.unwrap();

    // Same name, different id and handle.
    let impostor = test_user("alice", 2);
    let event = test_event("user.created", Some(impostor.id), 2);
    let err = store
        .create_user(&impostor, std::slice::from_ref(&event))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("user")), "{err:?}");
    assert_eq!(store.user(impostor.id).await.unwrap(), None);
    assert_eq!(
        store.user_by_name("alice").await.unwrap(),
        Some(alice.clone())
    );

    // Same handle, different name.
    let mut twin = test_user("twin", 3);
    twin.handle = alice.handle.clone();
    let err = store.create_user(&twin, &[]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("user")), "{err:?}");
    assert_eq!(store.user_by_name("twin").await.unwrap(), None);

    // Same id.
    let mut clone = test_user("clone", 4);
    clone.id = alice.id;
    let err = store.create_user(&clone, &[]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("user")), "{err:?}");

    assert!(
        all_events(&*store).await.is_empty(),
        "no event of a failed create"
    );
}

async fn update_user_patch_semantics(store: Arc<dyn Store>) {
    let mut alice = test_user("alice", 1);
    alice.phone = Some("+15555550100".to_owned());
    store.create_user(&alice, &[]).await.unwrap();

    // An empty patch changes nothing.
    let same = store
        .update_user(alice.id, &UserPatch::default())
        .await
        .unwrap();
    assert_eq!(same, Some(alice.clone()));

    // The display name only: the phone stays.
    let patch = UserPatch {
        display_name: Some("Alice A.".to_owned()),
        phone: None,
    };
    let updated = store.update_user(alice.id, &patch).await.unwrap().unwrap();
    let mut expected = alice.clone();
    expected.display_name = "Alice A.".to_owned();
    assert_eq!(updated, expected);
    assert_eq!(store.user(alice.id).await.unwrap(), Some(expected.clone()));

    // A new phone.
    let patch = UserPatch {
        display_name: None,
        phone: Some(Some("+15555550199".to_owned())),
    };
    let updated = store.update_user(alice.id, &patch).await.unwrap().unwrap();
    expected.phone = Some("+15555550199".to_owned());
    assert_eq!(updated, expected);

    // Removing the phone.
    let patch = UserPatch {
        display_name: None,
        phone: Some(None),
    };
    let updated = store.update_user(alice.id, &patch).await.unwrap().unwrap();
    expected.phone = None;
    assert_eq!(updated, expected);
    assert_eq!(store.user(alice.id).await.unwrap(), Some(expected));

    // Nobody.
    let patch = UserPatch {
        display_name: Some("ghost".to_owned()),
        phone: Some(None),
    };
    assert_eq!(
        store.update_user(Uuid::new_v4(), &patch).await.unwrap(),
        None
    );
}

async fn register_with_new_user_session_and_events(store: Arc<dyn Store>) {
    let mut write = registration("alice", 1, 1_700_000_000);
    let user = write.new_user.clone().unwrap();
    let session = test_session("sid-1", &user, Some(&write.credential.record.id));
    write.session = Some(session.clone());
    let mut registered = test_event("credential.registered", Some(user.id), 1_700_000_000);
    registered.credential_id = Some(write.credential.record.id.clone());
    let signed_in = test_event("session.created", Some(user.id), 1_700_000_000);
    write.events = vec![registered.clone(), signed_in.clone()];

    store.register(&write).await.unwrap();

    assert_eq!(store.user(user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(
        store.credential(&write.credential.record.id).await.unwrap(),
        Some(write.credential.clone())
    );
    assert_eq!(store.session("sid-1").await.unwrap(), Some(session));
    let events = all_events(&*store).await;
    assert_eq!(
        events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        vec![registered, signed_in]
    );
    assert!(events[0].id < events[1].id);

    // A second credential for the existing user.
    let second = test_credential(&user, &[2; 16], 1_700_000_100);
    store
        .register(&RegistrationWrite {
            nudge_session: None,
            login: None,
            new_user: None,
            credential: second.clone(),
            session: None,
            events: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.credentials_of(user.id).await.unwrap(),
        vec![write.credential, second]
    );
}

async fn register_duplicate_credential_writes_nothing(store: Arc<dyn Store>) {
    let first = registration("alice", 1, 1_000);
    store.register(&first).await.unwrap();
    let events_before = all_events(&*store).await;

    // Bob registers a credential whose id Alice already has.
    let mut second = registration("bob", 1, 2_000);
    let bob = second.new_user.clone().unwrap();
    second.session = Some(test_session(
        "sid-bob",
        &bob,
        Some(&second.credential.record.id),
    ));
    second.events = vec![test_event("credential.registered", Some(bob.id), 2_000)];
    let err = store.register(&second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("credential")), "{err:?}");

    // Nothing of Bob's registration was written.
    assert_eq!(store.user(bob.id).await.unwrap(), None);
    assert_eq!(store.user_by_name("bob").await.unwrap(), None);
    assert_eq!(store.user_by_handle(&bob.handle).await.unwrap(), None);
    assert_eq!(store.session("sid-bob").await.unwrap(), None);
    assert_eq!(all_events(&*store).await, events_before);
    // Alice's credential is untouched.
    assert_eq!(
        store.credential(&first.credential.record.id).await.unwrap(),
        Some(first.credential)
    );

    // Bob can register afterwards with another credential id: nothing was left behind.
    let mut retry = second.clone();
    retry.credential = test_credential(&bob, &[3; 16], 2_000);
    retry.session = Some(test_session(
        "sid-bob",
        &bob,
        Some(&retry.credential.record.id),
    ));
    store.register(&retry).await.unwrap();
    assert_eq!(store.user(bob.id).await.unwrap(), Some(bob));
}

async fn register_for_missing_user_writes_nothing(store: Arc<dyn Store>) {
    let ghost = test_user("ghost", 1);
    let write = RegistrationWrite {
        nudge_session: None,
        login: None,
        new_user: None,
        credential: test_credential(&ghost, &[9; 16], 1),
        session: None,
        events: vec![test_event("credential.registered", Some(ghost.id), 1)],
    };
    let err = store.register(&write).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");
    assert_eq!(
        store.credential(&write.credential.record.id).await.unwrap(),
        None
    );
    assert!(all_events(&*store).await.is_empty());
}

async fn credential_round_trips(store: Arc<dyn Store>) {
    let user = test_user("alice", 1);
    store.create_user(&user, &[]).await.unwrap();

    // Every field set, at the edges of its range.
    let mut full = test_credential(&user, &[0xff; 64], 10);
    full.record.sign_count = u32::MAX;
    full.record.transports = [
        "usb",
        "nfc",
        "ble",
        "smart-card",
        "hybrid",
        "internal",
        "x-new",
    ]
    .into_iter()
    .map(|t| webauthn_core::json::AuthenticatorTransport(t.to_owned()))
    .collect();
    full.record.backup_state = true;
    full.record.discoverable = Some(false);
    full.nickname = Some("clé USB — 鍵 🔑".to_owned());
    full.last_used_at = Some(1_700_000_123);

    // The minimal one: nothing optional, zero AAGUID, discoverable unknown.
    let mut minimal = test_credential(&user, &[0x00], 20);
    minimal.record.sign_count = 0;
    minimal.record.uv_initialized = false;
    minimal.record.transports = Vec::new();
    minimal.record.backup_eligible = false;
    minimal.record.backup_state = false;
    minimal.record.aaguid = webauthn_core::Aaguid::ZERO;
    minimal.record.attestation_format = "none".to_owned();
    minimal.record.discoverable = None;
    minimal.nickname = None;
    minimal.authenticator_name = None;
    minimal.attestation = anshin_server::store::AttestationSummary {
        format: "none".to_owned(),
        kind: "none".to_owned(),
        trusted: false,
    };

    for credential in [&full, &minimal] {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential: credential.clone(),
                session: None,
                events: Vec::new(),
            })
            .await
            .unwrap();
        let read = store
            .credential(&credential.record.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&read, credential);
        assert_eq!(
            read.record.public_key.as_cose(),
            credential.record.public_key.as_cose()
        );
    }
    assert_eq!(store.credential(&cred_id(0x42)).await.unwrap(), None);
}

async fn credentials_of_oldest_first(store: Arc<dyn Store>) {
    let alice = test_user("alice", 1);
    let bob = test_user("bob", 1);
    store.create_user(&alice, &[]).await.unwrap();
    store.create_user(&bob, &[]).await.unwrap();
    // Written out of order.
    let c30 = test_credential(&alice, &[30; 16], 30);
    let c10 = test_credential(&alice, &[10; 16], 10);
    let c20 = test_credential(&alice, &[20; 16], 20);
    let theirs = test_credential(&bob, &[15; 16], 15);
    for credential in [&c30, &c10, &theirs, &c20] {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential: credential.clone(),
                session: None,
                events: Vec::new(),
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.credentials_of(alice.id).await.unwrap(),
        vec![c10, c20, c30]
    );
    assert_eq!(store.credentials_of(bob.id).await.unwrap(), vec![theirs]);
    assert!(
        store
            .credentials_of(Uuid::new_v4())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn register_all(store: &dyn Store, credentials: &[&StoredCredential]) {
    for credential in credentials {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential: (*credential).clone(),
                session: None,
                events: Vec::new(),
            })
            .await
            .unwrap();
    }
}

async fn credentials_of_name_by_user_name(store: Arc<dyn Store>) {
    let alice = test_user("alice", 1);
    let bob = test_user("bob", 1);
    let carol = test_user("carol", 1);
    for user in [&alice, &bob, &carol] {
        store.create_user(user, &[]).await.unwrap();
    }
    let c30 = test_credential(&alice, &[30; 16], 30);
    let c10 = test_credential(&alice, &[10; 16], 10);
    let theirs = test_credential(&bob, &[15; 16], 15);
    register_all(store.as_ref(), &[&c30, &theirs, &c10]).await;
    assert_eq!(
        store.credentials_of_name("alice").await.unwrap(),
        vec![c10, c30]
    );
    assert_eq!(
        store.credentials_of_name("bob").await.unwrap(),
        vec![theirs]
    );
    // A user without credentials, and no user at all, look the same.
    assert!(store.credentials_of_name("carol").await.unwrap().is_empty());
    assert!(store.credentials_of_name("dave").await.unwrap().is_empty());
    // Names are matched exactly.
    assert!(store.credentials_of_name("Alice").await.unwrap().is_empty());
}

async fn sign_in_subject_reads_credential_owner_and_history(store: Arc<dyn Store>) {
    let mut alice = test_user("alice", 5);
    alice.phone = Some("+15555550100".to_owned());
    let bob = test_user("bob", 6);
    store.create_user(&alice, &[]).await.unwrap();
    store.create_user(&bob, &[]).await.unwrap();
    let old = test_credential(&alice, &[1; 16], 10);
    let new = test_credential(&alice, &[2; 16], 40);
    let theirs = test_credential(&bob, &[3; 16], 50);
    register_all(store.as_ref(), &[&new, &old, &theirs]).await;
    assert_eq!(
        store
            .sign_in_subject(&CredentialId::new(vec![9; 16]))
            .await
            .unwrap(),
        None
    );
    let subject = store
        .sign_in_subject(&old.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subject.credential, old);
    assert_eq!(subject.user, alice);
    assert_eq!(
        (subject.passkey_count, subject.newest_credential_at),
        (2, 40)
    );
    assert_eq!(subject.last_login, None);
    // The latest sign-in is the one `last_login` gives (latest time, then latest written).
    for (at, city) in [(300, "Paris"), (100, "London"), (300, "Berlin")] {
        store
            .authenticated(&AuthenticationWrite {
                decision: None,
                login: Some(login(&alice, at, None, Some(city))),
                credential: old.clone(),
                session: None,
                events: vec![],
            })
            .await
            .unwrap();
    }
    let subject = store
        .sign_in_subject(&new.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subject.credential, new);
    assert_eq!(
        subject.last_login,
        Some(login(&alice, 300, None, Some("Berlin")))
    );
    assert_eq!(
        subject.last_login,
        store.last_login(alice.id).await.unwrap()
    );
    let subject = store
        .sign_in_subject(&theirs.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subject.user, bob);
    assert_eq!(
        (subject.passkey_count, subject.newest_credential_at),
        (1, 50)
    );
    assert_eq!(subject.last_login, None);
}

async fn authenticated_stores_the_decision_with_the_sign_in(store: Arc<dyn Store>) {
    let write = registration("alice", 1, 1_000);
    let user = write.new_user.clone().unwrap();
    store.register(&write).await.unwrap();
    let decision = |id: &str| DecisionRecord {
        id: id.to_owned(),
        point: "login".to_owned(),
        user_id: Some(user.id),
        action: "allow".to_owned(),
        level: "LOW".to_owned(),
        decision: serde_json::json!({"reasons": []}),
        facts: serde_json::json!({"point": "login"}),
        policy_version: "test".to_owned(),
        created_at: 1_001,
    };
    store
        .authenticated(&AuthenticationWrite {
            decision: Some(decision("d-1")),
            login: Some(login(&user, 1_001, None, None)),
            credential: write.credential.clone(),
            session: None,
            events: vec![],
        })
        .await
        .unwrap();
    // Stored: feedback finds it, names its user, and the id cannot be stored again.
    assert_eq!(store.decision_user("d-1").await.unwrap(), Some(user.id));
    assert!(
        store
            .record_feedback("d-1", "right", 1_002, &[])
            .await
            .unwrap()
    );
    let err = store.record_decision(&decision("d-1")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // A decision whose id is taken fails the whole sign-in: no login, no session, no event.
    let err = store
        .authenticated(&AuthenticationWrite {
            decision: Some(decision("d-1")),
            login: Some(login(&user, 2_000, None, None)),
            credential: write.credential.clone(),
            session: Some(test_session("s-decided", &user, None)),
            events: vec![test_event("signin.succeeded", Some(user.id), 2_000)],
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.last_login(user.id).await.unwrap().unwrap().at, 1_001);
    assert_eq!(store.session("s-decided").await.unwrap(), None);
    assert!(!kinds(&all_events(store.as_ref()).await).contains(&"signin.succeeded"));
}

async fn authenticated_updates_counter_flags_and_last_use(store: Arc<dyn Store>) {
    let write = registration("alice", 1, 1_000);
    let user = write.new_user.clone().unwrap();
    let original = write.credential.clone();
    store.register(&write).await.unwrap();

    // What the service hands over after a sign-in: the new counter, flags and last use...
    let mut after = original.clone();
    after.record.sign_count = 8;
    after.record.uv_initialized = false;
    after.record.backup_eligible = false;
    after.record.backup_state = true;
    after.last_used_at = Some(2_000);
    // ... and fields a sign-in must not change, changed here to prove they are not written.
    let mut tampered = after.clone();
    tampered.record.public_key = crate::support::es256_public_key();
    tampered.record.transports = Vec::new();
    tampered.record.aaguid = webauthn_core::Aaguid::ZERO;
    tampered.record.attestation_format = "fido-u2f".to_owned();
    tampered.record.discoverable = None;
    tampered.nickname = Some("renamed".to_owned());
    tampered.authenticator_name = None;
    tampered.attestation.kind = "self".to_owned();
    tampered.attestation.format = "fido-u2f".to_owned();
    tampered.attestation.trusted = false;
    tampered.created_at = 5;

    let session = test_session("sid-1", &user, Some(&original.record.id));
    let event = test_event("signin.succeeded", Some(user.id), 2_000);
    store
        .authenticated(&AuthenticationWrite {
            decision: None,
            login: None,
            credential: tampered,
            session: Some(session.clone()),
            events: vec![event.clone()],
        })
        .await
        .unwrap();

    assert_eq!(
        store.credential(&original.record.id).await.unwrap(),
        Some(after)
    );
    assert_eq!(store.session("sid-1").await.unwrap(), Some(session));
    assert_eq!(kinds(&all_events(&*store).await), vec!["signin.succeeded"]);

    // Without a session.
    let mut again = original.clone();
    again.record.sign_count = 9;
    again.last_used_at = Some(3_000);
    store
        .authenticated(&AuthenticationWrite {
            decision: None,
            login: None,
            credential: again,
            session: None,
            events: Vec::new(),
        })
        .await
        .unwrap();
    let read = store
        .credential(&original.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.record.sign_count, 9);
    assert_eq!(read.last_used_at, Some(3_000));
}

async fn authenticated_is_atomic(store: Arc<dyn Store>) {
    let write = registration("alice", 1, 1_000);
    let user = write.new_user.clone().unwrap();
    store.register(&write).await.unwrap();
    let first = test_session("sid-1", &user, Some(&write.credential.record.id));
    store
        .authenticated(&AuthenticationWrite {
            decision: None,
            login: None,
            credential: write.credential.clone(),
            session: Some(first.clone()),
            events: Vec::new(),
        })
        .await
        .unwrap();
    let before = store.credential(&write.credential.record.id).await.unwrap();

    // The session id is taken: the counter update and the event must not be stored either.
    let mut bumped = write.credential.clone();
    bumped.record.sign_count = 100;
    bumped.last_used_at = Some(9_999);
    let mut clashing = test_session("sid-1", &user, None);
    clashing.acr = "other".to_owned();
    let err = store
        .authenticated(&AuthenticationWrite {
            decision: None,
            login: None,
            credential: bumped,
            session: Some(clashing),
            events: vec![test_event("signin.succeeded", Some(user.id), 9_999)],
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("session")), "{err:?}");
    assert_eq!(
        store.credential(&write.credential.record.id).await.unwrap(),
        before
    );
    assert_eq!(store.session("sid-1").await.unwrap(), Some(first));
    assert!(all_events(&*store).await.is_empty());
}

async fn authenticated_with_deleted_credential_fails(store: Arc<dyn Store>) {
    let write = registration("alice", 1, 1_000);
    let user = write.new_user.clone().unwrap();
    store.register(&write).await.unwrap();
    assert!(
        store
            .delete_credential(user.id, &write.credential.record.id, &[])
            .await
            .unwrap()
    );

    let err = store
        .authenticated(&AuthenticationWrite {
            decision: None,
            login: None,
            credential: write.credential.clone(),
            session: Some(test_session(
                "sid-1",
                &user,
                Some(&write.credential.record.id),
            )),
            events: vec![test_event("signin.succeeded", Some(user.id), 2_000)],
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("credential")), "{err:?}");
    assert_eq!(
        store.credential(&write.credential.record.id).await.unwrap(),
        None
    );
    assert_eq!(store.session("sid-1").await.unwrap(), None);
    assert!(all_events(&*store).await.is_empty());
}

async fn rename_credential_scoped_to_owner(store: Arc<dyn Store>) {
    let alice_write = registration("alice", 1, 1_000);
    let bob_write = registration("bob", 2, 1_000);
    store.register(&alice_write).await.unwrap();
    store.register(&bob_write).await.unwrap();
    let alice = alice_write.new_user.unwrap();
    let bob = bob_write.new_user.unwrap();
    let alices = alice_write.credential;

    // Bob cannot rename Alice's credential.
    assert!(
        !store
            .rename_credential(bob.id, &alices.record.id, Some("pwned"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.credential(&alices.record.id).await.unwrap(),
        Some(alices.clone())
    );

    // Alice can, and can clear the name.
    assert!(
        store
            .rename_credential(alice.id, &alices.record.id, Some("work key"))
            .await
            .unwrap()
    );
    let mut expected = alices.clone();
    expected.nickname = Some("work key".to_owned());
    assert_eq!(
        store.credential(&alices.record.id).await.unwrap(),
        Some(expected.clone())
    );
    assert!(
        store
            .rename_credential(alice.id, &alices.record.id, None)
            .await
            .unwrap()
    );
    expected.nickname = None;
    assert_eq!(
        store.credential(&alices.record.id).await.unwrap(),
        Some(expected)
    );

    // No such credential.
    assert!(
        !store
            .rename_credential(alice.id, &cred_id(0x77), Some("x"))
            .await
            .unwrap()
    );
    // Bob's own credential is unchanged throughout.
    assert_eq!(
        store
            .credential(&bob_write.credential.record.id)
            .await
            .unwrap(),
        Some(bob_write.credential)
    );
}

async fn delete_credential_scoped_to_owner(store: Arc<dyn Store>) {
    let alice_write = registration("alice", 1, 1_000);
    let bob_write = registration("bob", 2, 1_000);
    store.register(&alice_write).await.unwrap();
    store.register(&bob_write).await.unwrap();
    let alice = alice_write.new_user.unwrap();
    let bob = bob_write.new_user.unwrap();
    let alices = alice_write.credential;
    let removed = NewEvent {
        credential_id: Some(alices.record.id.clone()),
        ..test_event("credential.removed", Some(alice.id), 2_000)
    };

    // Bob cannot delete Alice's credential, and no event is written.
    assert!(
        !store
            .delete_credential(bob.id, &alices.record.id, std::slice::from_ref(&removed))
            .await
            .unwrap()
    );
    assert_eq!(
        store.credential(&alices.record.id).await.unwrap(),
        Some(alices.clone())
    );
    assert!(all_events(&*store).await.is_empty());

    // Alice can.
    assert!(
        store
            .delete_credential(alice.id, &alices.record.id, std::slice::from_ref(&removed))
            .await
            .unwrap()
    );
    assert_eq!(store.credential(&alices.record.id).await.unwrap(), None);
    assert!(store.credentials_of(alice.id).await.unwrap().is_empty());
    let events = all_events(&*store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, removed);

    // Once.
    assert!(
        !store
            .delete_credential(alice.id, &alices.record.id, std::slice::from_ref(&removed))
            .await
            .unwrap()
    );
    assert_eq!(all_events(&*store).await.len(), 1);
    // The user and Bob's credential stay.
    assert_eq!(store.user(alice.id).await.unwrap(), Some(alice));
    assert_eq!(
        store.credentials_of(bob.id).await.unwrap(),
        vec![bob_write.credential]
    );
}

async fn delete_user_cascades_but_keeps_events(store: Arc<dyn Store>) {
    let mut write = registration("alice", 1, 1_000);
    let alice = write.new_user.clone().unwrap();
    write.session = Some(test_session(
        "sid-1",
        &alice,
        Some(&write.credential.record.id),
    ));
    write.events = vec![test_event("credential.registered", Some(alice.id), 1_000)];
    store.register(&write).await.unwrap();
    let second = test_credential(&alice, &[2; 16], 1_001);
    store
        .register(&RegistrationWrite {
            nudge_session: None,
            login: None,
            new_user: None,
            credential: second.clone(),
            session: Some(test_session("sid-2", &alice, None)),
            events: Vec::new(),
        })
        .await
        .unwrap();
    let bob_write = registration("bob", 3, 1_000);
    store.register(&bob_write).await.unwrap();

    let deleted = test_event("user.deleted", Some(alice.id), 3_000);
    assert!(
        store
            .delete_user(alice.id, std::slice::from_ref(&deleted))
            .await
            .unwrap()
    );

    assert_eq!(store.user(alice.id).await.unwrap(), None);
    assert_eq!(store.user_by_name("alice").await.unwrap(), None);
    assert_eq!(
        store.credential(&write.credential.record.id).await.unwrap(),
        None
    );
    assert_eq!(store.credential(&second.record.id).await.unwrap(), None);
    assert!(store.credentials_of(alice.id).await.unwrap().is_empty());
    assert_eq!(store.session("sid-1").await.unwrap(), None);
    assert_eq!(store.session("sid-2").await.unwrap(), None);
    // Her events outlive her.
    let hers = store
        .events(&EventQuery {
            user_id: Some(alice.id),
            limit: 10,
            latest: false,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(kinds(&hers), vec!["credential.registered", "user.deleted"]);
    // Bob is untouched.
    assert_eq!(
        store
            .credentials_of(bob_write.new_user.clone().unwrap().id)
            .await
            .unwrap(),
        vec![bob_write.credential]
    );

    // Once.
    assert!(
        !store
            .delete_user(alice.id, std::slice::from_ref(&deleted))
            .await
            .unwrap()
    );
    assert_eq!(all_events(&*store).await.len(), 2);
}

async fn revoke_session_once(store: Arc<dyn Store>) {
    let mut write = registration("alice", 1, 1_000);
    let alice = write.new_user.clone().unwrap();
    let session = test_session("sid-1", &alice, Some(&write.credential.record.id));
    write.session = Some(session.clone());
    store.register(&write).await.unwrap();
    let revoked = test_event("session.revoked", Some(alice.id), 5_000);

    assert!(
        store
            .revoke_session("sid-1", 5_000, std::slice::from_ref(&revoked))
            .await
            .unwrap()
    );
    let mut expected = session;
    expected.revoked_at = Some(5_000);
    assert_eq!(
        store.session("sid-1").await.unwrap(),
        Some(expected.clone())
    );

    // Already revoked: false, the time stays, no second event.
    assert!(
        !store
            .revoke_session("sid-1", 6_000, std::slice::from_ref(&revoked))
            .await
            .unwrap()
    );
    assert_eq!(store.session("sid-1").await.unwrap(), Some(expected));
    assert!(
        !store
            .revoke_session("no-such-session", 6_000, std::slice::from_ref(&revoked))
            .await
            .unwrap()
    );
    let events = all_events(&*store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, revoked);
}

async fn events_query_filters(store: Arc<dyn Store>) {
    let alice = Uuid::new_v4();
    let bob = Uuid::new_v4();
    let mut written = vec![
        test_event("a1", Some(alice), 1),
        test_event("b1", Some(bob), 2),
        test_event("anon", None, 3),
        test_event("a2", Some(alice), 4),
        test_event("b2", Some(bob), 5),
    ];
    written[3].credential_id = Some(cred_id(7));
    written[3].data = serde_json::json!({ "ip": "192.0.2.1", "list": [1, 2.5, null, "x"] });
    store.append_events(&written[..3]).await.unwrap();
    store.append_events(&written[3..]).await.unwrap();
    store.append_events(&[]).await.unwrap();

    let all = all_events(&*store).await;
    assert_eq!(
        all.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        written
    );
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "ids increase");

    let query = |after: Option<i64>, user_id: Option<Uuid>, limit: u32| EventQuery {
        after,
        user_id,
        limit,
        latest: false,
    };
    let after_second = store
        .events(&query(Some(all[1].id), None, 10))
        .await
        .unwrap();
    assert_eq!(kinds(&after_second), vec!["anon", "a2", "b2"]);
    let alices = store.events(&query(None, Some(alice), 10)).await.unwrap();
    assert_eq!(kinds(&alices), vec!["a1", "a2"]);
    let alices_after = store
        .events(&query(Some(all[0].id), Some(alice), 10))
        .await
        .unwrap();
    assert_eq!(kinds(&alices_after), vec!["a2"]);
    let limited = store.events(&query(None, None, 2)).await.unwrap();
    assert_eq!(kinds(&limited), vec!["a1", "b1"]);
    let latest = |after: Option<i64>, user_id: Option<Uuid>, limit: u32| EventQuery {
        after,
        user_id,
        limit,
        latest: true,
    };
    let newest = store.events(&latest(None, None, 2)).await.unwrap();
    assert_eq!(kinds(&newest), vec!["a2", "b2"], "the newest, oldest first");
    let newest_alice = store.events(&latest(None, Some(alice), 1)).await.unwrap();
    assert_eq!(kinds(&newest_alice), vec!["a2"]);
    let newest_after = store
        .events(&latest(Some(all[3].id), None, 10))
        .await
        .unwrap();
    assert_eq!(kinds(&newest_after), vec!["b2"]);
    let page = store
        .events(&query(Some(limited[1].id), None, 2))
        .await
        .unwrap();
    assert_eq!(kinds(&page), vec!["anon", "a2"]);
    let last = all.last().unwrap().id;
    assert!(
        store
            .events(&query(Some(last), None, 10))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .events(&query(None, Some(Uuid::new_v4()), 10))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn events_limit_defaults_and_cap(store: Arc<dyn Store>) {
    let events: Vec<NewEvent> = (0..1005).map(|i| test_event("bulk", None, i)).collect();
    store.append_events(&events).await.unwrap();
    let count = |limit: u32| {
        let store = Arc::clone(&store);
        async move {
            store
                .events(&EventQuery {
                    limit,
                    latest: false,
                    ..EventQuery::default()
                })
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(0).await, 100, "0 means the default");
    assert_eq!(count(7).await, 7);
    assert_eq!(count(1000).await, 1000);
    assert_eq!(count(5000).await, 1000, "capped");
    assert_eq!(count(u32::MAX).await, 1000, "capped");
}

async fn signing_key_rotation_retires_previous(store: Arc<dyn Store>) {
    assert!(store.signing_keys().await.unwrap().is_empty());
    let key = |kid: &str, created_at: i64| SigningKey {
        kid: kid.to_owned(),
        pkcs8: format!("not really PKCS#8 for {kid}").into_bytes(),
        created_at,
        retired_at: None,
    };
    let k1 = key("k1", 100);
    let k2 = key("k2", 200);
    let k3 = key("k3", 300);

    store.rotate_signing_key(&k1, 100).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![k1.clone()]);

    store.rotate_signing_key(&k2, 200).await.unwrap();
    let retired_k1 = SigningKey {
        retired_at: Some(200),
        ..k1
    };
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![k2.clone(), retired_k1.clone()]
    );

    store.rotate_signing_key(&k3, 300).await.unwrap();
    let retired_k2 = SigningKey {
        retired_at: Some(300),
        ..k2
    };
    // k1 keeps its own retirement time.
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![k3.clone(), retired_k2, retired_k1]
    );

    // A kid that exists is a conflict, and nothing is retired.
    let err = store
        .rotate_signing_key(&key("k3", 400), 400)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("signing_key")),
        "{err:?}"
    );
    assert_eq!(store.signing_keys().await.unwrap()[0], k3);
}

async fn api_keys_insert_and_list(store: Arc<dyn Store>) {
    assert!(store.api_keys().await.unwrap().is_empty());
    let first = ApiKeyRecord {
        id: "ak_1".to_owned(),
        hash: [1; 32],
        name: "backend".to_owned(),
        created_at: 10,
    };
    let second = ApiKeyRecord {
        id: "ak_2".to_owned(),
        hash: [2; 32],
        name: "admin".to_owned(),
        created_at: 20,
    };
    store.insert_api_key(&second).await.unwrap();
    store.insert_api_key(&first).await.unwrap();
    assert_eq!(
        store.api_keys().await.unwrap(),
        vec![first.clone(), second.clone()]
    );

    let same_id = ApiKeyRecord {
        hash: [3; 32],
        ..first.clone()
    };
    let err = store.insert_api_key(&same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("api_key")), "{err:?}");
    let same_hash = ApiKeyRecord {
        id: "ak_3".to_owned(),
        ..second.clone()
    };
    let err = store.insert_api_key(&same_hash).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("api_key")), "{err:?}");
    assert_eq!(store.api_keys().await.unwrap(), vec![first, second]);
}

async fn concurrent_writes_all_succeed(store: Arc<dyn Store>) {
    // Many writers at once: SQLite must wait for its write lock rather than fail.
    let tasks: Vec<_> = (0..32u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut write = registration(&format!("user{i}"), i, i64::from(i));
                let user = write.new_user.clone().unwrap();
                write.session = Some(test_session(&format!("sid-{i}"), &user, None));
                write.events = vec![test_event("credential.registered", Some(user.id), 1)];
                store.register(&write).await.unwrap();
                store
                    .authenticated(&AuthenticationWrite {
                        decision: None,
                        login: None,
                        credential: write.credential,
                        session: None,
                        events: vec![test_event("signin.succeeded", Some(user.id), 2)],
                    })
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(all_events(&*store).await.len(), 64);
    for i in 0..32u8 {
        assert!(
            store
                .user_by_name(&format!("user{i}"))
                .await
                .unwrap()
                .is_some()
        );
    }
}

// --- backend-specific ----------------------------------------------------------------------

#[tokio::test]
async fn sqlite_creates_the_file_and_does_not_migrate_on_connect() {
    let file = TestSqlite::new();
    assert!(!file.path().exists());
    let store = SqliteStore::connect(file.url()).await.unwrap();
    assert!(file.path().exists(), "connect creates the database file");
    // Not migrated yet: there is no users table.
    assert!(store.user(Uuid::new_v4()).await.is_err());
    store.migrate().await.unwrap();
    assert_eq!(store.user(Uuid::new_v4()).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_memory_database_is_shared_across_calls() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let user = test_user("alice", 1);
    store.create_user(&user, &[]).await.unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let id = user.id;
            tokio::spawn(async move { store.user(id).await.unwrap() })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.await.unwrap(), Some(user.clone()));
    }
}

#[tokio::test]
async fn sqlite_data_survives_reopening() {
    let file = TestSqlite::new();
    let user = test_user("alice", 1);
    {
        let store = SqliteStore::connect(file.url()).await.unwrap();
        store.migrate().await.unwrap();
        store.create_user(&user, &[]).await.unwrap();
    }
    let store = SqliteStore::connect(file.url()).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.user(user.id).await.unwrap(), Some(user));
}

#[tokio::test]
async fn postgres_does_not_migrate_on_connect() {
    let (url, _db) = fresh_postgres_url().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    store.ping().await.unwrap();
    assert!(
        store.user(Uuid::new_v4()).await.is_err(),
        "no users table yet"
    );
    store.migrate().await.unwrap();
    assert_eq!(store.user(Uuid::new_v4()).await.unwrap(), None);
}

#[tokio::test]
async fn postgres_unreachable_fails_fast() {
    // Nothing listens on port 1. The pool gives up after its acquire timeout (3 s).
    let connect = PostgresStore::connect("postgres://postgres:secret-password@127.0.0.1:1/anshin");
    let err = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .expect("connect must not hang")
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("secret-password"), "{err}");
}

#[tokio::test]
async fn postgres_invalid_url_is_unavailable_without_the_password() {
    let err = PostgresStore::connect("postgres://u:secret-password@[::1/x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("secret-password"), "{err}");
}

async fn series_counts_per_bucket(store: Arc<dyn Store>) {
    // Buckets of 100 s from 1,000: [1000, 1100), [1100, 1200), [1200, 1300).
    let old = test_user("old", 500);
    let early = test_user("early", 1_010);
    let late = test_user("late", 1_250);
    for user in [&old, &early, &late] {
        store.create_user(user, &[]).await.unwrap();
    }
    // `old` got a passkey before the window, `early` two in the first bucket, `late` none.
    for (user, id, at) in [(&old, 1_u8, 600), (&early, 2, 1_020), (&early, 3, 1_030)] {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential: test_credential(user, &[id; 16], at),
                session: None,
                events: vec![],
            })
            .await
            .unwrap();
    }
    let mut credential = store
        .credential(&CredentialId::new(vec![2; 16]))
        .await
        .unwrap()
        .unwrap();
    for at in [1_040, 1_150, 1_160] {
        credential.last_used_at = Some(at);
        store
            .authenticated(&AuthenticationWrite {
                decision: None,
                login: Some(login(&early, at, None, None)),
                credential: credential.clone(),
                session: None,
                events: vec![],
            })
            .await
            .unwrap();
    }
    for (id, action, level, codes, at) in [
        ("d1", "allow", "LOW", vec![], 1_040),
        (
            "d2",
            "step_up",
            "MEDIUM",
            vec!["new_country", "new_device"],
            1_150,
        ),
        (
            "d3",
            "deny",
            "HIGH",
            vec!["new_country", "new_country"],
            1_260,
        ),
        ("d0", "deny", "HIGH", vec!["ip_failure_burst"], 900),
    ] {
        let reasons: Vec<_> = codes
            .iter()
            .map(|c| serde_json::json!({ "code": c }))
            .collect();
        store
            .record_decision(&DecisionRecord {
                id: id.to_owned(),
                point: "login".to_owned(),
                user_id: Some(early.id),
                action: action.to_owned(),
                level: level.to_owned(),
                decision: serde_json::json!({ "reasons": reasons }),
                facts: serde_json::json!({}),
                policy_version: "test".to_owned(),
                created_at: at,
            })
            .await
            .unwrap();
    }
    let sms = |id: &str, status: &str, at: i64| SmsRecord {
        id: id.to_owned(),
        user_id: Some(late.id),
        phone_hash: [4; 32],
        country: Some("GB".to_owned()),
        prefix: "+44770090".to_owned(),
        status: status.to_owned(),
        reason: (status == "blocked").then(|| "sms_velocity".to_owned()),
        price_micros: 40_000,
        created_at: at,
    };
    for record in [
        sms("s1", "sent", 1_255),
        sms("s2", "blocked", 1_256),
        sms("s3", "blocked", 1_299),
    ] {
        store.record_sms(&record, &[]).await.unwrap();
    }

    let series = store.series(1_000, 100).await.unwrap();
    let mut counts: Vec<(i64, &str, &str, i64)> = series
        .counts
        .iter()
        .map(|c| (c.start, c.metric, c.key.as_str(), c.count))
        .collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        vec![
            (1_000, "decision", "allow", 1),
            (1_000, "first_passkey", "", 1),
            (1_000, "login", "passkey", 1),
            (1_000, "new_user", "", 1),
            (1_000, "registration", "", 2),
            (1_100, "decision", "step_up", 1),
            (1_100, "login", "passkey", 2),
            (1_200, "decision", "deny", 1),
            (1_200, "new_user", "", 1),
            (1_200, "sms", "blocked", 2),
            (1_200, "sms", "sent", 1),
        ]
    );
    assert_eq!((series.users_before, series.passkey_users_before), (1, 1));
    assert_eq!(
        series.levels,
        vec![
            ("HIGH".to_owned(), 1),
            ("LOW".to_owned(), 1),
            ("MEDIUM".to_owned(), 1)
        ]
    );
    // each decision counts a reason once
    assert_eq!(
        series.reasons,
        vec![("new_country".to_owned(), 2), ("new_device".to_owned(), 1)]
    );
}
