//! Options that weaken a check. Each is off by default, named for what it gives up, and set
//! only through a `danger_*` method on the ceremony options.
//!
//! | method | risk |
//! |---|---|
//! | `RegistrationOptions::danger_with_challenge`, `AuthenticationOptions::danger_with_challenge` | a challenge that is not fresh lets a recorded response be replayed; only for replaying recorded ceremonies (test vectors) |
//! | `AuthenticationOptions::danger_allow_missing_user_presence` | accepts assertions made without the user present (WebAuthn §7.2 step 16 forbids it); only for the FIDO2 conformance profile, whose tool sends such assertions |

use crate::ceremony::state::UserPresence;
use crate::identifiers::Challenge;

/// The dangerous overrides of a registration; empty by default.
#[derive(Debug, Clone, Default)]
pub struct RegistrationOverrides {
    pub(crate) challenge: Option<Challenge>,
}

/// The dangerous overrides of an authentication; empty by default.
#[derive(Debug, Clone, Default)]
pub struct AuthenticationOverrides {
    pub(crate) challenge: Option<Challenge>,
    pub(crate) user_presence: UserPresence,
}
