# Adding a credential: a positive and a negative case for every rule.
package risk.register_credential_test

import rego.v1

import data.risk.fixtures_test as fx
import data.risk.register_credential as rc

decide(patch) := d if {
	d := rc.decision with input as fx.with_signals("register_credential", patch)
}

test_benign_allows_and_notifies if {
	d := decide({})
	d.action == "allow"
	fx.quiet(d)
	fx.has_obligation(d, {"type": "notify_user"})
}

test_new_device_fires if {
	d := decide({"known_device": false})
	fx.enforced(d, "register_credential.new_device", "new_device")
	d.action == "step_up"
	d.required_acr == "phr"
	d.max_age <= 300
}

test_new_device_quiet if not fx.fired(decide({}), "register_credential.new_device")

test_new_country_fires if {
	d := decide({"new_country": true, "country": "US"})
	fx.enforced(d, "register_credential.new_country", "new_country")
	d.action == "step_up"
}

test_new_country_quiet if not fx.fired(decide({}), "register_credential.new_country")

test_impossible_travel_fires if {
	d := decide({"speed_kmh": 7730, "distance_km": 7730})
	fx.enforced(d, "register_credential.impossible_travel", "impossible_travel")
	d.action == "step_up"
}

test_impossible_travel_quiet if not fx.fired(decide({"speed_kmh": 800, "distance_km": 7730}), "register_credential.impossible_travel")

test_anonymous_network_fires if {
	d := decide({"anonymous": true, "anonymous_vpn": true})
	fx.enforced(d, "register_credential.anonymous_network", "anonymous_network")
	d.action == "step_up"
}

test_anonymous_network_quiet if not fx.fired(decide({}), "register_credential.anonymous_network")

test_credential_recently_added_fires if {
	d := decide({"newest_credential_age_s": 3600})
	fx.enforced(d, "register_credential.credential_recently_added", "credential_recently_added")
	d.action == "step_up"
}

test_credential_recently_added_quiet if {
	not fx.fired(decide({"newest_credential_age_s": 90000}), "register_credential.credential_recently_added")
	not fx.fired(decide({"newest_credential_age_s": 3600, "account_age_s": 3600}), "register_credential.credential_recently_added")
}

test_user_failure_burst_fires if {
	d := decide({"user_failures_15m": 12})
	fx.enforced(d, "register_credential.user_failure_burst", "user_failure_burst")
	d.action == "deny"
}

test_user_failure_burst_quiet if not fx.fired(decide({"user_failures_15m": 1}), "register_credential.user_failure_burst")

test_authenticator_status_fires if {
	d := decide({"authenticator_status": "REVOKED"})
	fx.enforced(d, "register_credential.authenticator_status", "authenticator_status")
	d.action == "deny"
}

test_authenticator_status_quiet if not fx.fired(decide({"authenticator_status": "FIDO_CERTIFIED_L2"}), "register_credential.authenticator_status")

test_first_passkey_after_sms_steps_up_with_sms if {
	# A user enrolling their first passkey cannot prove phr yet.
	d := decide({"known_device": false, "passkey_holder": false})
	d.action == "step_up"
	d.required_acr == "urn:anshin:acr:sms"
	d.max_age <= 300
}
