# Fallback: the methods offered, passkey first, and a case each way for every rule.
package risk.fallback_test

import rego.v1

import data.risk.fallback
import data.risk.fixtures_test as fx

decide_input(inp) := d if {
	d := fallback.decision with input as inp
}

decide(patch) := decide_input(fx.with_signals("fallback", patch))

test_passkey_holder_is_offered_another_device_not_sms if {
	d := decide({"passkey_holder": true, "has_phone": true})
	d.action == "allow"
	d.allowed_methods == ["passkey", "passkey_other_device", "recovery"]
	count(d.obligations) == 0
}

test_passkey_holder_may_get_sms_when_policy_and_account_allow if {
	d := decide({"passkey_holder": true, "has_phone": true, "recovery_by_sms_allowed": true}) with data.config.sms.allow_recovery_by_sms as true
	d.allowed_methods == ["passkey", "passkey_other_device", "sms", "recovery"]
}

test_account_without_passkey_gets_sms_and_a_nudge if {
	d := decide({"passkey_holder": false, "has_phone": true})
	d.allowed_methods == ["sms", "recovery"]
	fx.has_obligation(d, {"type": "offer_passkey_enrollment"})
	no_phone := decide({"passkey_holder": false, "has_phone": false})
	no_phone.allowed_methods == ["recovery"]
}

test_unknown_account_looks_like_a_passkey_holder if {
	d := decide_input(fx.without_signals("fallback", ["passkey_holder", "has_phone", "user_exists"]))
	d.allowed_methods == ["passkey", "passkey_other_device", "recovery"]
}

test_ip_failure_burst_fires if {
	d := decide({"ip_failures_10m": 31})
	fx.enforced(d, "fallback.ip_failure_burst", "ip_failure_burst")
	d.action == "deny"
	d.allowed_methods == []
}

test_ip_failure_burst_quiet if not fx.fired(decide({"ip_failures_10m": 1}), "fallback.ip_failure_burst")

test_password_spray_fires if {
	d := decide({"ip_distinct_users_10m": 25})
	fx.enforced(d, "fallback.password_spray", "password_spray")
	d.action == "deny"
}

test_password_spray_quiet if not fx.fired(decide({"ip_distinct_users_10m": 2}), "fallback.password_spray")
