# Account recovery: the user has lost their passkeys, so this is where takeovers happen.
# Anomalies step up (to the acr data names for recovery); failure bursts deny; the user is
# always told. Methods as for fallback, passkey first.
package risk.recovery

import rego.v1

import data.risk.detect
import data.risk.lib

s := input.signals

findings contains lib.finding("recovery.new_country", "new_country", v) if v := detect.new_country

findings contains lib.finding("recovery.anonymous_network", "anonymous_network", v) if v := detect.anonymous_network

findings contains lib.finding("recovery.user_failure_burst", "user_failure_burst", v) if v := detect.user_failure_burst

findings contains lib.finding("recovery.ip_failure_burst", "ip_failure_burst", v) if v := detect.ip_failure_burst

sms_allowed if {
	s.passkey_holder == false
	s.has_phone == true
}

sms_allowed if {
	s.passkey_holder == true
	s.has_phone == true
	data.config.sms.allow_recovery_by_sms == true
	s.recovery_by_sms_allowed == true
}

offered contains "recovery"

offered contains "passkey_other_device" if not s.passkey_holder == false

offered contains "sms" if sms_allowed

methods := lib.methods(offered) if action != "deny"

methods := [] if action == "deny"

# The action, once per evaluation (rules are memoised, functions are not).
action := lib.action(findings)

decision := lib.decide(findings, methods, {{"type": "notify_user"}})
