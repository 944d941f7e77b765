# Detectors shared by the decision points. Each is defined (as the values to report) only when
# its signal fires; thresholds and lists come from data.config. Which detectors a point uses,
# under which rule id, is up to the point's package.
package risk.detect

import rego.v1

s := input.signals

t := data.config.thresholds

new_device := {} if s.known_device == false

new_country := {"from": s.previous_country, "to": s.country} if s.new_country == true

# A VPN exit's location says nothing about where the user is: anonymous_network covers it.
impossible_travel := {
	"speed_kmh": round(s.speed_kmh),
	"distance_km": round(s.distance_km),
	"elapsed_s": s.elapsed_s,
	"from": object.get(s, "previous_country", null),
	"to": object.get(s, "country", null),
	"threshold_kmh": t.travel_kmh,
} if {
	s.speed_kmh > t.travel_kmh
	s.distance_km >= t.travel_min_distance_km
	not s.anonymous == true
}

anonymous_network := {"vpn": object.get(s, "anonymous_vpn", null), "tor": object.get(s, "tor", null)} if {
	some flag in ["anonymous", "anonymous_vpn", "tor"]
	s[flag] == true
}

hosting_network := {"asn": object.get(s, "asn", null)} if s.hosting == true

user_failure_burst := {"failures_15m": n, "threshold": t.user_failures_15m} if {
	n := s.user_failures_15m
	n >= t.user_failures_15m
}

ip_failure_burst := {"scope": "ip", "failures_10m": n, "threshold": t.ip_failures_10m} if {
	n := s.ip_failures_10m
	n >= t.ip_failures_10m
}

network_failure_burst := {"scope": "network", "failures_10m": n, "threshold": t.network_failures_10m} if {
	n := s.network_failures_10m
	n >= t.network_failures_10m
}

password_spray := {"distinct_users_10m": n, "threshold": t.ip_distinct_users_10m} if {
	n := s.ip_distinct_users_10m
	n >= t.ip_distinct_users_10m
}

# Signing in with a credential that was added to an established account only recently (a new
# account's first passkey is not suspicious).
credential_used_recently_added := {"credential_age_s": a, "threshold_s": t.credential_recent_s} if {
	a := s.credential_age_s
	a < t.credential_recent_s
	s.account_age_s >= t.credential_recent_s
}

# The account's newest credential was added only recently.
newest_credential_recently_added := {"credential_age_s": a, "threshold_s": t.credential_recent_s} if {
	a := s.newest_credential_age_s
	a < t.credential_recent_s
	s.account_age_s >= t.credential_recent_s
}

counter_regression := {} if s.counter_regressed == true

backup_state_changed := {"flag": "BS"} if s.backup_state_changed == true

# BE is fixed when a credential is created: a change means the authenticator is not what it was.
backup_eligibility_changed := {"flag": "BE"} if s.backup_eligibility_changed == true

authenticator_status := {"status": st} if {
	st := s.authenticator_status
	st in data.config.compromised_statuses
}

uv_absent := {} if s.user_verified == false
