# A sensitive action (change e-mail or phone, delete the account, …), named in
# input.action_name. Anomalies step up with a fresh authentication (max_age <= 300 s); a
# failure burst on the account denies; a missing signal steps up.
package risk.sensitive_action

import rego.v1

import data.risk.detect
import data.risk.lib

findings contains lib.finding("sensitive_action.new_device", "new_device", v) if v := detect.new_device

findings contains lib.finding("sensitive_action.new_country", "new_country", v) if v := detect.new_country

findings contains lib.finding("sensitive_action.impossible_travel", "impossible_travel", v) if {
	v := detect.impossible_travel
}

findings contains lib.finding("sensitive_action.anonymous_network", "anonymous_network", v) if {
	v := detect.anonymous_network
}

findings contains lib.finding("sensitive_action.credential_recently_added", "credential_recently_added", v) if {
	v := detect.newest_credential_recently_added
}

findings contains lib.finding("sensitive_action.uv_absent", "uv_absent", v) if v := detect.uv_absent

findings contains lib.finding("sensitive_action.user_failure_burst", "user_failure_burst", v) if {
	v := detect.user_failure_burst
}

findings contains lib.finding("sensitive_action.signal_unavailable", "signal_unavailable", {"missing": sort(missing)}) if {
	missing := lib.missing(data.config.required_signals.sensitive_action)
	count(missing) > 0
}

notify contains {"type": "notify_user"} if input.action_name in data.config.notify_actions

decision := lib.decide(findings, [], notify)
