# Inputs and helpers for the policy tests: a benign request at each decision point, with every
# signal present, that the tests then change one signal at a time.
package risk.fixtures_test

import rego.v1

now := 1767225600

year := 31536000

benign_signals := {
	"known_device": true,
	"country": "GB",
	"previous_country": "GB",
	"new_country": false,
	"distance_km": 5,
	"elapsed_s": 86400,
	"speed_kmh": 0.2,
	"anonymous": false,
	"anonymous_vpn": false,
	"tor": false,
	"hosting": false,
	"asn": 2856,
	"user_exists": true,
	"passkey_holder": true,
	"has_phone": true,
	"recovery_by_sms_allowed": false,
	"account_age_s": year,
	"credential_age_s": year,
	"newest_credential_age_s": year,
	"user_verified": true,
	"backup_state_changed": false,
	"backup_eligibility_changed": false,
	"counter_regressed": false,
	"attestation_trusted": true,
	"authenticator_status": "FIDO_CERTIFIED_L1",
	"user_failures_15m": 0,
	"ip_failures_10m": 0,
	"network_failures_10m": 0,
	"ip_distinct_users_10m": 1,
}

benign_sms_signals := object.union(benign_signals, {
	"passkey_holder": false,
	"country": "JP",
	"previous_country": "JP",
	"sms_country": "JP",
	"sms_number_type": "mobile",
	"sms_prefix": "+8190123",
	"sms_backoff_remaining_s": 0,
	"sms_prefix_blocked_remaining_s": 0,
	"sms_prefix_sent_24h": 100,
	"sms_prefix_conversion": 0.8,
	"sms_phone_1h": 0,
	"sms_phone_24h": 0,
	"sms_prefix_1h": 0,
	"sms_ip_1h": 0,
	"sms_user_24h": 0,
})

# The benign input at `point`.
input_at(point) := {"point": point, "now": now, "facts": {}, "signals": benign_signals} if point != "sms_send"

input_at("sms_send") := {"point": "sms_send", "now": now, "facts": {}, "signals": benign_sms_signals}

# The benign input at `point` with `patch` merged into its signals.
with_signals(point, patch) := object.union(input_at(point), {"signals": patch})

# The benign input at `point` without the signals named in `names`.
without_signals(point, names) := object.union(
	object.remove(input_at(point), ["signals"]),
	{"signals": object.remove(input_at(point).signals, names)},
)

all_reasons(d) := array.concat(d.reasons, d.shadow_reasons)

# Rule `id` fired (enforced or shadow).
fired(d, id) if {
	some r in all_reasons(d)
	r.rule_id == id
}

# Rule `id` fired as an enforced reason with `code`.
enforced(d, id, code) if {
	some r in d.reasons
	r.rule_id == id
	r.code == code
	r.mode == "enforce"
}

# Rule `id` fired in shadow mode with `code`.
shadowed(d, id, code) if {
	some r in d.shadow_reasons
	r.rule_id == id
	r.code == code
	r.mode == "shadow"
}

quiet(d) if {
	count(d.reasons) == 0
	count(d.shadow_reasons) == 0
}

has_obligation(d, o) if {
	some x in d.obligations
	x == o
}
