//! The `none` attestation statement format (§8.7).
//!
//! ```text
//! $$attStmtType //= (
//!                       fmt: "none",
//!                       attStmt: emptyMap
//!                   )
//! emptyMap = {}
//! ```

use super::StatementInputs;
use crate::error::Error;
use crate::verified::{AttestationType, AttestationVerified};

/// Verification procedure: the statement is an empty map; attestation type None.
pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    inputs.fields(&[])?;
    Ok(AttestationVerified {
        attestation_type: AttestationType::None,
        trust_path: Vec::new(),
    })
}
