# Adding a credential to an existing account: an attacker's way to stay. Anomalies step up
# (with a fresh authentication, max_age <= 300 s); a failure burst on the account or a
# compromised authenticator model denies. The user is always told.
package risk.register_credential

import rego.v1

import data.risk.detect
import data.risk.lib

findings contains lib.finding("register_credential.new_device", "new_device", v) if v := detect.new_device

findings contains lib.finding("register_credential.new_country", "new_country", v) if v := detect.new_country

findings contains lib.finding("register_credential.impossible_travel", "impossible_travel", v) if {
	v := detect.impossible_travel
}

findings contains lib.finding("register_credential.anonymous_network", "anonymous_network", v) if {
	v := detect.anonymous_network
}

findings contains lib.finding("register_credential.credential_recently_added", "credential_recently_added", v) if {
	v := detect.newest_credential_recently_added
}

findings contains lib.finding("register_credential.user_failure_burst", "user_failure_burst", v) if {
	v := detect.user_failure_burst
}

findings contains lib.finding("register_credential.authenticator_status", "authenticator_status", v) if {
	v := detect.authenticator_status
}

decision := lib.decide(findings, [], {{"type": "notify_user"}})
