# Sensitive actions: a positive and a negative case for every rule.
package risk.sensitive_action_test

import rego.v1

import data.risk.fixtures_test as fx
import data.risk.sensitive_action as sa

decide_input(inp) := d if {
	d := sa.decision with input as inp
}

decide(patch) := decide_input(object.union(fx.with_signals("sensitive_action", patch), {"action_name": "change_email"}))

test_benign_allows_and_notifies_listed_actions if {
	d := decide({})
	d.action == "allow"
	fx.quiet(d)
	fx.has_obligation(d, {"type": "notify_user"})
	other := decide_input(object.union(fx.input_at("sensitive_action"), {"action_name": "export_data"}))
	count(other.obligations) == 0
}

test_new_device_fires if {
	d := decide({"known_device": false})
	fx.enforced(d, "sensitive_action.new_device", "new_device")
	d.action == "step_up"
	d.required_acr == "phr"
	d.max_age == 300
}

test_new_device_quiet if not fx.fired(decide({}), "sensitive_action.new_device")

test_new_country_fires if {
	d := decide({"new_country": true, "country": "US"})
	fx.enforced(d, "sensitive_action.new_country", "new_country")
}

test_new_country_quiet if not fx.fired(decide({}), "sensitive_action.new_country")

test_impossible_travel_fires if {
	d := decide({"speed_kmh": 7730, "distance_km": 7730})
	fx.enforced(d, "sensitive_action.impossible_travel", "impossible_travel")
}

test_impossible_travel_quiet if not fx.fired(decide({"speed_kmh": 100, "distance_km": 700}), "sensitive_action.impossible_travel")

test_anonymous_network_fires if {
	d := decide({"tor": true})
	fx.enforced(d, "sensitive_action.anonymous_network", "anonymous_network")
}

test_anonymous_network_quiet if not fx.fired(decide({}), "sensitive_action.anonymous_network")

test_credential_recently_added_fires if {
	d := decide({"newest_credential_age_s": 60})
	fx.enforced(d, "sensitive_action.credential_recently_added", "credential_recently_added")
	d.action == "step_up"
}

test_credential_recently_added_quiet if not fx.fired(decide({}), "sensitive_action.credential_recently_added")

test_uv_absent_fires if {
	d := decide({"user_verified": false})
	fx.enforced(d, "sensitive_action.uv_absent", "uv_absent")
	d.action == "step_up"
}

test_uv_absent_quiet if not fx.fired(decide({}), "sensitive_action.uv_absent")

test_user_failure_burst_fires if {
	d := decide({"user_failures_15m": 10})
	fx.enforced(d, "sensitive_action.user_failure_burst", "user_failure_burst")
	d.action == "deny"
}

test_user_failure_burst_quiet if not fx.fired(decide({"user_failures_15m": 2}), "sensitive_action.user_failure_burst")

test_signal_unavailable_fires if {
	d := decide_input(fx.without_signals("sensitive_action", ["known_device"]))
	fx.enforced(d, "sensitive_action.signal_unavailable", "signal_unavailable")
	d.action == "step_up"
}

test_signal_unavailable_quiet if not fx.fired(decide({}), "sensitive_action.signal_unavailable")
