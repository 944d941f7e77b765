# The SMS gate: a positive and a negative case for every rule, the gate's order, and the
# backoff and breaker obligations.
package risk.sms_send_test

import rego.v1

import data.risk.fixtures_test as fx
import data.risk.sms_send

decide_input(inp) := d if {
	d := sms_send.decision with input as inp
}

decide(patch) := decide_input(fx.with_signals("sms_send", patch))

test_benign_send_allows_with_backoff_and_nudge if {
	d := decide({})
	d.action == "allow"
	d.level == "LOW"
	fx.quiet(d)
	fx.has_obligation(d, {"type": "back_off", "seconds": 60})
	fx.has_obligation(d, {"type": "offer_passkey_enrollment"})
}

test_backoff_grows_to_32_minutes if {
	fx.has_obligation(decide({"sms_phone_24h": 1}), {"type": "back_off", "seconds": 120})
	fx.has_obligation(decide({"sms_phone_24h": 3}), {"type": "back_off", "seconds": 480})
	fx.has_obligation(decide({"sms_phone_24h": 5}), {"type": "back_off", "seconds": 1920})
	d := decide({"sms_phone_24h": 9}) with data.config.thresholds.sms_velocity.sms_phone_24h as 100
	d.action == "allow"
	fx.has_obligation(d, {"type": "back_off", "seconds": 1920})
}

test_passkey_holder_fires if {
	d := decide({"passkey_holder": true})
	fx.enforced(d, "sms_send.passkey_holder", "sms_passkey_holder")
	d.action == "deny"
	d.level == "HIGH"
}

test_passkey_holder_quiet if {
	not fx.fired(decide({"passkey_holder": false}), "sms_send.passkey_holder")

	# Policy and account both allow recovery by SMS.
	d := decide({"passkey_holder": true, "recovery_by_sms_allowed": true}) with data.config.sms.allow_recovery_by_sms as true
	not fx.fired(d, "sms_send.passkey_holder")

	# The account alone cannot.
	fx.fired(decide({"passkey_holder": true, "recovery_by_sms_allowed": true}), "sms_send.passkey_holder")
}

test_country_blocked_fires if {
	d := decide({"sms_country": "XK"})
	fx.enforced(d, "sms_send.country_blocked", "sms_country_blocked")
	d.action == "deny"
	fx.enforced(decide_input(fx.without_signals("sms_send", ["sms_country"])), "sms_send.country_blocked", "sms_country_blocked")
}

test_country_blocked_quiet if not fx.fired(decide({"sms_country": "US"}), "sms_send.country_blocked")

test_number_type_fires if {
	every t in ["premium", "toll_free", "fixed"] {
		d := decide({"sms_number_type": t})
		fx.enforced(d, "sms_send.number_type", "sms_number_type")
		d.action == "deny"
	}
}

test_number_type_quiet if {
	not fx.fired(decide({"sms_number_type": "mobile"}), "sms_send.number_type")
	not fx.fired(decide({"sms_number_type": "unknown"}), "sms_send.number_type")
}

test_velocity_sms_phone_1h_fires if {
	d := decide({"sms_phone_1h": 3})
	fx.enforced(d, "sms_send.velocity.sms_phone_1h", "sms_velocity")
	d.action == "deny"
}

test_velocity_sms_phone_1h_quiet if not fx.fired(decide({"sms_phone_1h": 2}), "sms_send.velocity.sms_phone_1h")

test_velocity_sms_phone_24h_fires if fx.enforced(decide({"sms_phone_24h": 10}), "sms_send.velocity.sms_phone_24h", "sms_velocity")

test_velocity_sms_phone_24h_quiet if not fx.fired(decide({"sms_phone_24h": 9}), "sms_send.velocity.sms_phone_24h")

test_velocity_sms_prefix_1h_fires if fx.enforced(decide({"sms_prefix_1h": 50}), "sms_send.velocity.sms_prefix_1h", "sms_velocity")

test_velocity_sms_prefix_1h_quiet if not fx.fired(decide({"sms_prefix_1h": 49}), "sms_send.velocity.sms_prefix_1h")

test_velocity_sms_ip_1h_fires if fx.enforced(decide({"sms_ip_1h": 10}), "sms_send.velocity.sms_ip_1h", "sms_velocity")

test_velocity_sms_ip_1h_quiet if not fx.fired(decide({"sms_ip_1h": 9}), "sms_send.velocity.sms_ip_1h")

test_velocity_sms_user_24h_fires if fx.enforced(decide({"sms_user_24h": 10}), "sms_send.velocity.sms_user_24h", "sms_velocity")

test_velocity_sms_user_24h_quiet if not fx.fired(decide({"sms_user_24h": 9}), "sms_send.velocity.sms_user_24h")

test_backoff_fires if {
	d := decide({"sms_backoff_remaining_s": 90})
	fx.enforced(d, "sms_send.backoff", "sms_backoff")
	d.action == "deny"
	fx.has_obligation(d, {"type": "back_off", "seconds": 90})
	not fx.has_obligation(d, {"type": "offer_passkey_enrollment"})
}

test_backoff_quiet if not fx.fired(decide({"sms_backoff_remaining_s": 0}), "sms_send.backoff")

test_prefix_blocked_fires if {
	d := decide({"sms_prefix_blocked_remaining_s": 3600})
	fx.enforced(d, "sms_send.prefix_blocked", "sms_prefix_blocked")
	d.action == "deny"
	not fx.fired(d, "sms_send.prefix_breaker")
}

test_prefix_blocked_quiet if not fx.fired(decide({}), "sms_send.prefix_blocked")

test_prefix_breaker_fires if {
	d := decide({"sms_prefix_sent_24h": 40, "sms_prefix_conversion": 0.05})
	fx.enforced(d, "sms_send.prefix_breaker", "sms_prefix_blocked")
	d.action == "deny"
	fx.has_obligation(d, {"type": "block_prefix", "prefix": "+8190123", "seconds": 43200})
}

test_prefix_breaker_quiet if {
	# Too few sends to judge, or a healthy conversion.
	not fx.fired(decide({"sms_prefix_sent_24h": 19, "sms_prefix_conversion": 0}), "sms_send.prefix_breaker")
	not fx.fired(decide({"sms_prefix_sent_24h": 400, "sms_prefix_conversion": 0.3}), "sms_send.prefix_breaker")
}

test_prefix_breaker_in_shadow_blocks_nothing if {
	d := decide({"sms_prefix_sent_24h": 40, "sms_prefix_conversion": 0.05}) with data.config.rules["sms_send.prefix_breaker"].mode as "shadow"
	d.action == "allow"
	fx.shadowed(d, "sms_send.prefix_breaker", "sms_prefix_blocked")
	not fx.has_obligation(d, {"type": "block_prefix", "prefix": "+8190123", "seconds": 43200})
}

test_signal_unavailable_fires if {
	# Counters down: the send goes ahead, capped by the server's local limiter.
	d := decide_input(fx.without_signals("sms_send", ["sms_phone_1h", "sms_ip_1h"]))
	fx.enforced(d, "sms_send.signal_unavailable", "signal_unavailable")
	d.action == "allow"
	d.level == "MEDIUM"
	fx.has_obligation(d, {"type": "limit_sends", "per_hour": 2})
	fx.enforced(decide({"sms_number_type": "unknown"}), "sms_send.signal_unavailable", "signal_unavailable")
}

test_signal_unavailable_quiet if not fx.fired(decide({}), "sms_send.signal_unavailable")

test_reasons_rank_in_the_gate_order if {
	# The engine sorts reasons by rank: the gate's order in DESIGN §5.
	d := decide({"passkey_holder": true, "sms_country": "XK", "sms_number_type": "premium", "sms_ip_1h": 99, "sms_backoff_remaining_s": 5, "sms_prefix_blocked_remaining_s": 5})
	count(d.reasons) == 6
	order := ["sms_passkey_holder", "sms_country_blocked", "sms_number_type", "sms_velocity", "sms_backoff", "sms_prefix_blocked"]
	ranks := [rank | some code in order; some r in d.reasons; r.code == code; rank := r.rank]
	count(ranks) == 6
	ranks == sort(ranks)
}
