# The SMS gate, run before every code is sent, in DESIGN §5 order (each reason's rank):
#   1 sms_passkey_holder   no SMS for an account that holds a passkey, unless policy and the
#                          account allow recovery by SMS
#   2 sms_country_blocked  destination country not in the allowlist
#   3 sms_number_type      premium, toll-free, fixed lines…
#   4 sms_velocity         per phone, prefix, IP and user
#   5 sms_backoff          exponential backoff per number, 1 to 32 minutes
#   6 sms_prefix_blocked   a prefix blocked by the conversion breaker, or tripping it now
#   7 signal_unavailable   counters or number type unknown: send, capped by a local limit
package risk.sms_send

import rego.v1

import data.risk.lib

s := input.signals

t := data.config.thresholds

sms_recovery_permitted if {
	data.config.sms.allow_recovery_by_sms == true
	s.recovery_by_sms_allowed == true
}

findings contains lib.finding("sms_send.passkey_holder", "sms_passkey_holder", {}) if {
	s.passkey_holder == true
	not sms_recovery_permitted
}

findings contains lib.finding("sms_send.country_blocked", "sms_country_blocked", {"country": country}) if {
	country := object.get(s, "sms_country", null)
	not country in data.config.sms.allowed_countries
}

findings contains lib.finding("sms_send.number_type", "sms_number_type", {"number_type": s.sms_number_type}) if {
	s.sms_number_type != "unknown"
	not s.sms_number_type in data.config.sms.allowed_number_types
}

findings contains lib.finding(sprintf("sms_send.velocity.%s", [counter]), "sms_velocity", values) if {
	some counter, limit in t.sms_velocity
	n := s[counter]
	n >= limit
	values := {"counter": counter, "count": n, "limit": limit}
}

findings contains lib.finding("sms_send.backoff", "sms_backoff", {"remaining_s": r}) if {
	r := s.sms_backoff_remaining_s
	r > 0
}

findings contains lib.finding("sms_send.prefix_blocked", "sms_prefix_blocked", {"prefix": s.sms_prefix, "remaining_s": r}) if {
	r := s.sms_prefix_blocked_remaining_s
	r > 0
}

findings contains lib.finding("sms_send.prefix_breaker", "sms_prefix_blocked", values) if {
	not s.sms_prefix_blocked_remaining_s > 0
	sent := s.sms_prefix_sent_24h
	sent >= t.prefix_breaker_min_sends
	s.sms_prefix_conversion < t.prefix_breaker_min_conversion
	values := {
		"prefix": s.sms_prefix,
		"sent_24h": sent,
		"conversion": s.sms_prefix_conversion,
		"threshold": t.prefix_breaker_min_conversion,
	}
}

unknown_number_type contains "sms_number_type" if s.sms_number_type == "unknown"

findings contains lib.finding("sms_send.signal_unavailable", "signal_unavailable", {"missing": sort(missing)}) if {
	missing := lib.missing(data.config.required_signals.sms_send) | unknown_number_type
	count(missing) > 0
}

enforced_rules := {f.rule_id | some f in findings; f.mode == "enforce"}

# The next step of the exponential backoff, from the sends to this number in 24 hours.
next_backoff_s := data.config.sms.backoff_s[i] if {
	steps := count(data.config.sms.backoff_s)
	i := min([object.get(s, "sms_phone_24h", 0), steps - 1])
}

obligations contains {"type": "back_off", "seconds": s.sms_backoff_remaining_s} if "sms_send.backoff" in enforced_rules

obligations contains {"type": "back_off", "seconds": next_backoff_s} if action == "allow"

obligations contains {"type": "offer_passkey_enrollment"} if action == "allow"

obligations contains {"type": "block_prefix", "prefix": s.sms_prefix, "seconds": t.prefix_block_s} if {
	"sms_send.prefix_breaker" in enforced_rules
}

# The action, once per evaluation (rules are memoised, functions are not).
action := lib.action(findings)

decision := lib.decide(findings, [], obligations)
