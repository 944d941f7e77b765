//! Helpers shared by the attestation formats' unit tests.

use crate::error::Error;
use crate::verified::AttestationVerified;

/// Asserts that a statement was refused with `code`, by an error that mentions `needle`.
#[track_caller]
pub(crate) fn assert_rejected(
    result: Result<AttestationVerified, Error>,
    code: &str,
    needle: &str,
) {
    let error = result.expect_err("the statement must be refused");
    assert_eq!(error.code(), code, "{error}");
    assert!(
        error.to_string().contains(needle),
        "`{error}` does not mention `{needle}`"
    );
}
