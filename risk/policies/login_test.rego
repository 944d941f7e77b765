# Sign-in: a positive (fires) and a negative (quiet) case for every rule, and the decision
# they lead to.
package risk.login_test

import rego.v1

import data.risk.fixtures_test as fx
import data.risk.login

decide(patch) := decide_input(fx.with_signals("login", patch))

decide_input(inp) := d if {
	d := login.decision with input as inp
}

test_benign_allows if {
	d := decide({})
	d.action == "allow"
	d.level == "LOW"
	d.score == 0
	fx.quiet(d)
	d.required_acr == null
	d.max_age == null
}

# Behaviour-only anomalies step up.

# Shadow by default: a passkey with user verification on a new device is the everyday case of
# synced passkeys. Enforced, it steps up.
test_new_device_fires if {
	d := decide({"known_device": false})
	fx.shadowed(d, "login.new_device", "new_device")
	d.action == "allow"
	e := login.decision with input as fx.with_signals("login", {"known_device": false})
		with data.config.rules["login.new_device"].mode as "enforce"
	fx.enforced(e, "login.new_device", "new_device")
	e.action == "step_up"
	e.level == "MEDIUM"
	e.required_acr == "phr"
	e.max_age == 0
}

test_new_device_quiet if not fx.fired(decide({"known_device": true}), "login.new_device")

test_new_country_fires if {
	d := decide({"new_country": true, "country": "FR"})
	fx.enforced(d, "login.new_country", "new_country")
	d.action == "step_up"
	fx.has_obligation(d, {"type": "notify_user"})
	some r in d.reasons
	r.values == {"from": "GB", "to": "FR"}
}

test_new_country_quiet if not fx.fired(decide({"new_country": false}), "login.new_country")

test_impossible_travel_fires if {
	# London to Milton, WA in an hour.
	d := decide({"speed_kmh": 7730.4, "distance_km": 7730.4, "elapsed_s": 3600, "country": "US", "new_country": true})
	fx.enforced(d, "login.impossible_travel", "impossible_travel")
	d.action == "step_up"
	some r in d.reasons
	r.code == "impossible_travel"
	r.values.speed_kmh == 7730
	r.values.threshold_kmh == 900
}

test_impossible_travel_quiet if {
	# Airliner speed, a short hop at high apparent speed, or an anonymiser's exit location.
	not fx.fired(decide({"speed_kmh": 850, "distance_km": 7730}), "login.impossible_travel")
	not fx.fired(decide({"speed_kmh": 5000, "distance_km": 84}), "login.impossible_travel")
	not fx.fired(decide({"speed_kmh": 7730, "distance_km": 7730, "anonymous": true}), "login.impossible_travel")
}

test_anonymous_network_fires if {
	d := decide({"anonymous": true, "tor": true})
	fx.enforced(d, "login.anonymous_network", "anonymous_network")
	d.action == "step_up"
}

test_anonymous_network_quiet if not fx.fired(decide({}), "login.anonymous_network")

test_hosting_network_fires if {
	# Shadow: recorded, the action does not change.
	d := decide({"hosting": true})
	fx.shadowed(d, "login.hosting_network", "hosting_network")
	d.action == "allow"
	d.level == "LOW"
	d.score == 0
}

test_hosting_network_quiet if not fx.fired(decide({"hosting": false}), "login.hosting_network")

test_credential_recently_added_fires if {
	d := decide({"credential_age_s": 600})
	fx.shadowed(d, "login.credential_recently_added", "credential_recently_added")
	d.action == "allow"
}

test_credential_recently_added_quiet if {
	# A new account's first passkey is not suspicious.
	not fx.fired(decide({"credential_age_s": 600, "account_age_s": 700}), "login.credential_recently_added")
	not fx.fired(decide({"credential_age_s": 86400}), "login.credential_recently_added")
}

test_backup_state_changed_fires if {
	d := decide({"backup_state_changed": true})
	fx.enforced(d, "login.backup_state_changed", "backup_state_changed")
	d.action == "step_up"
	d.level == "MEDIUM"
}

test_backup_state_changed_quiet if not fx.fired(decide({}), "login.backup_state_changed")

test_backup_eligibility_changed_fires if {
	# BE never legitimately changes: a high-risk step-up, to hardware-backed phr, now.
	d := decide({"backup_eligibility_changed": true})
	fx.enforced(d, "login.backup_eligibility_changed", "backup_state_changed")
	d.action == "step_up"
	d.level == "HIGH"
	d.required_acr == "phrh"
	d.max_age == 0
}

test_backup_eligibility_changed_quiet if not fx.fired(decide({}), "login.backup_eligibility_changed")

test_uv_absent_fires if {
	d := decide({"user_verified": false})
	fx.enforced(d, "login.uv_absent", "uv_absent")
	d.action == "step_up"
}

test_uv_absent_quiet if not fx.fired(decide({"user_verified": true}), "login.uv_absent")

test_signal_unavailable_fires if {
	d := login.decision with input as fx.without_signals("login", ["ip_failures_10m", "user_failures_15m"])
	fx.enforced(d, "login.signal_unavailable", "signal_unavailable")
	d.action == "step_up"
	some r in d.reasons
	r.values.missing == ["ip_failures_10m", "user_failures_15m"]
}

test_signal_unavailable_quiet if {
	# Optional signals (GeoIP is optional) may be missing.
	d := login.decision with input as fx.without_signals("login", ["country", "speed_kmh", "anonymous"])
	not fx.fired(d, "login.signal_unavailable")
	d.action == "allow"
}

# Velocity and confirmed compromise deny.

test_user_failure_burst_fires if {
	d := decide({"user_failures_15m": 10})
	fx.enforced(d, "login.user_failure_burst", "user_failure_burst")
	d.action == "deny"
	d.level == "HIGH"
	d.required_acr == null
}

test_user_failure_burst_quiet if not fx.fired(decide({"user_failures_15m": 9}), "login.user_failure_burst")

test_ip_failure_burst_fires if {
	d := decide({"ip_failures_10m": 30})
	fx.enforced(d, "login.ip_failure_burst", "ip_failure_burst")
	d.action == "deny"
}

test_ip_failure_burst_quiet if not fx.fired(decide({"ip_failures_10m": 29}), "login.ip_failure_burst")

test_network_failure_burst_fires if {
	d := decide({"network_failures_10m": 100})
	fx.enforced(d, "login.network_failure_burst", "ip_failure_burst")
	d.action == "deny"
}

test_network_failure_burst_quiet if not fx.fired(decide({"network_failures_10m": 99}), "login.network_failure_burst")

test_password_spray_fires if {
	d := decide({"ip_distinct_users_10m": 10})
	fx.enforced(d, "login.password_spray", "password_spray")
	d.action == "deny"
}

test_password_spray_quiet if not fx.fired(decide({"ip_distinct_users_10m": 9}), "login.password_spray")

test_counter_regression_fires if {
	d := decide({"counter_regressed": true})
	fx.enforced(d, "login.counter_regression", "counter_regression")
	d.action == "deny"
	fx.has_obligation(d, {"type": "notify_user"})
}

test_counter_regression_quiet if not fx.fired(decide({"counter_regressed": false}), "login.counter_regression")

test_authenticator_status_fires if {
	d := decide({"authenticator_status": "USER_KEY_REMOTE_COMPROMISE"})
	fx.enforced(d, "login.authenticator_status", "authenticator_status")
	d.action == "deny"
}

test_authenticator_status_quiet if {
	not fx.fired(decide({"authenticator_status": "UPDATE_AVAILABLE"}), "login.authenticator_status")
	not fx.fired(decide_input(fx.without_signals("login", ["authenticator_status"])), "login.authenticator_status")
}

# How findings combine.

test_three_anomalies_are_a_high_risk_step_up if {
	d := decide({"user_verified": false, "new_country": true, "country": "US", "anonymous": true})
	d.action == "step_up"
	d.level == "HIGH"
	d.required_acr == "phrh"
	count(d.reasons) == 3
}

test_deny_wins_over_step_up if {
	d := decide({"new_country": true, "country": "US", "ip_failures_10m": 500})
	d.action == "deny"
	count(d.reasons) == 2
}

test_score_is_capped_at_100 if {
	d := decide({"counter_regressed": true, "authenticator_status": "REVOKED", "ip_failures_10m": 500})
	d.score == 100
}

test_shadow_mode_never_changes_the_action if {
	d := login.decision with input as fx.with_signals("login", {"ip_failures_10m": 500})
		with data.config.rules["login.ip_failure_burst"].mode as "shadow"
	d.action == "allow"
	fx.shadowed(d, "login.ip_failure_burst", "ip_failure_burst")
}

test_an_account_without_passkey_steps_up_with_sms if {
	d := decide({"new_country": true, "country": "US", "passkey_holder": false})
	d.action == "step_up"
	d.required_acr == "urn:anshin:acr:sms"
}
