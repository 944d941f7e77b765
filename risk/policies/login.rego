# Sign-in, after the ceremony. Behaviour-only anomalies step up, never deny; velocity and
# confirmed compromise deny; a missing signal steps up.
package risk.login

import rego.v1

import data.risk.detect
import data.risk.lib

findings contains lib.finding("login.new_device", "new_device", v) if v := detect.new_device

findings contains lib.finding("login.new_country", "new_country", v) if v := detect.new_country

findings contains lib.finding("login.impossible_travel", "impossible_travel", v) if v := detect.impossible_travel

findings contains lib.finding("login.anonymous_network", "anonymous_network", v) if v := detect.anonymous_network

findings contains lib.finding("login.hosting_network", "hosting_network", v) if v := detect.hosting_network

findings contains lib.finding("login.user_failure_burst", "user_failure_burst", v) if v := detect.user_failure_burst

findings contains lib.finding("login.ip_failure_burst", "ip_failure_burst", v) if v := detect.ip_failure_burst

findings contains lib.finding("login.network_failure_burst", "ip_failure_burst", v) if v := detect.network_failure_burst

findings contains lib.finding("login.password_spray", "password_spray", v) if v := detect.password_spray

findings contains lib.finding("login.credential_recently_added", "credential_recently_added", v) if {
	v := detect.credential_used_recently_added
}

findings contains lib.finding("login.counter_regression", "counter_regression", v) if v := detect.counter_regression

findings contains lib.finding("login.backup_state_changed", "backup_state_changed", v) if v := detect.backup_state_changed

findings contains lib.finding("login.backup_eligibility_changed", "backup_state_changed", v) if {
	v := detect.backup_eligibility_changed
}

findings contains lib.finding("login.authenticator_status", "authenticator_status", v) if v := detect.authenticator_status

findings contains lib.finding("login.uv_absent", "uv_absent", v) if v := detect.uv_absent

findings contains lib.finding("login.signal_unavailable", "signal_unavailable", {"missing": sort(missing)}) if {
	missing := lib.missing(data.config.required_signals.login)
	count(missing) > 0
}

decision := lib.decide(findings, [], set())
