# Recovery: a case each way for every rule, and the methods offered.
package risk.recovery_test

import rego.v1

import data.risk.fixtures_test as fx
import data.risk.recovery

decide(patch) := d if {
	d := recovery.decision with input as fx.with_signals("recovery", patch)
}

test_benign_recovery_allows_and_notifies if {
	d := decide({})
	d.action == "allow"
	fx.quiet(d)
	fx.has_obligation(d, {"type": "notify_user"})
	d.allowed_methods == ["passkey_other_device", "recovery"]
	without := decide({"passkey_holder": false})
	without.allowed_methods == ["sms", "recovery"]
}

test_new_country_fires if {
	d := decide({"new_country": true, "country": "BR"})
	fx.enforced(d, "recovery.new_country", "new_country")
	d.action == "step_up"
	d.required_acr == "urn:anshin:acr:mfa"
	d.max_age == 0
}

test_new_country_quiet if not fx.fired(decide({}), "recovery.new_country")

test_anonymous_network_fires if {
	d := decide({"anonymous": true})
	fx.enforced(d, "recovery.anonymous_network", "anonymous_network")
	d.action == "step_up"
}

test_anonymous_network_quiet if not fx.fired(decide({}), "recovery.anonymous_network")

test_user_failure_burst_fires if {
	d := decide({"user_failures_15m": 40})
	fx.enforced(d, "recovery.user_failure_burst", "user_failure_burst")
	d.action == "deny"
	d.allowed_methods == []
}

test_user_failure_burst_quiet if not fx.fired(decide({"user_failures_15m": 3}), "recovery.user_failure_burst")

test_ip_failure_burst_fires if {
	d := decide({"ip_failures_10m": 30})
	fx.enforced(d, "recovery.ip_failure_burst", "ip_failure_burst")
	d.action == "deny"
}

test_ip_failure_burst_quiet if not fx.fired(decide({"ip_failures_10m": 29}), "recovery.ip_failure_burst")
