# Which methods to offer a user who cannot use a passkey here, passkey first. An account that
# holds a passkey gets a passkey on another device (hybrid) and recovery, not SMS (unless policy
# and the account allow recovery by SMS); an account without one gets SMS if it has a phone.
# A velocity burst from the IP denies.
package risk.fallback

import rego.v1

import data.risk.detect
import data.risk.lib

s := input.signals

findings contains lib.finding("fallback.ip_failure_burst", "ip_failure_burst", v) if v := detect.ip_failure_burst

findings contains lib.finding("fallback.password_spray", "password_spray", v) if v := detect.password_spray

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

# Passkeys are offered unless the account is known to hold none (an unknown account is offered
# the same as a passkey holder, so the answer does not tell whether it exists).
offered contains "passkey" if not s.passkey_holder == false

offered contains "passkey_other_device" if not s.passkey_holder == false

offered contains "sms" if sms_allowed

methods := lib.methods(offered) if action != "deny"

methods := [] if action == "deny"

obligations contains {"type": "offer_passkey_enrollment"} if {
	action != "deny"
	sms_allowed
}

# The action, once per evaluation (rules are memoised, functions are not).
action := lib.action(findings)

decision := lib.decide(findings, methods, obligations)
