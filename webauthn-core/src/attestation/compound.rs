//! The `compound` attestation statement format (§8.9): several self-contained statements for
//! one credential.
//!
//! ```text
//! $$attStmtType //= (
//!                       fmt: "compound",
//!                       attStmt: [2* nonCompoundAttStmt]
//!                   )
//! nonCompoundAttStmt = { $$attStmtType } .within { fmt: text .ne "compound", * any => any }
//! ```
//!
//! The specification leaves to relying-party policy how many sub-statements must verify; anshin
//! requires every one of them to.

use super::{AttestationFormat, StatementInputs, verify_statement};
use crate::cbor::Value;
use crate::error::{Error, Unsupported};
use crate::verified::{AttestationType, AttestationVerified};

/// The most sub-statements accepted.
const MAX_STATEMENTS: usize = 8;

/// Verification procedure: every sub-statement verifies; the result is the strongest one's
/// (see [`lead`]).
pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    let components = verify_components(inputs)?;
    Ok(lead(&components))
}

/// Verifies each sub-statement with its format's procedure and the same authenticator data and
/// client data hash.
pub(crate) fn verify_components(
    inputs: &StatementInputs<'_, '_>,
) -> Result<Vec<(AttestationFormat, AttestationVerified)>, Error> {
    let items = inputs.att_stmt.as_array().ok_or_else(|| {
        inputs.malformed("", format!("is a {}, not an array", inputs.att_stmt.kind()))
    })?;
    if items.len() < 2 {
        return Err(inputs.malformed("", "holds fewer than two statements"));
    }
    if items.len() > MAX_STATEMENTS {
        return Err(inputs.malformed("", format!("holds more than {MAX_STATEMENTS} statements")));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let fmt = match item.get_text_key("fmt") {
                Some(Value::Text(t)) => *t,
                Some(other) => {
                    return Err(inputs.malformed(
                        &format!("[{i}].fmt"),
                        format!("is a {}, not a text string", other.kind()),
                    ));
                }
                None => return Err(inputs.malformed(&format!("[{i}].fmt"), "is missing")),
            };
            let format = AttestationFormat::from_identifier(fmt).ok_or_else(|| {
                Error::Unsupported(Unsupported::AttestationFormat(
                    fmt.chars().take(64).collect(),
                ))
            })?;
            if format == AttestationFormat::Compound {
                return Err(
                    inputs.malformed(&format!("[{i}].fmt"), "is \"compound\", which cannot nest")
                );
            }
            let att_stmt = match item.get_text_key("attStmt") {
                Some(v @ Value::Map(_)) => v,
                Some(other) => {
                    return Err(inputs.malformed(
                        &format!("[{i}].attStmt"),
                        format!("is a {}, not a map", other.kind()),
                    ));
                }
                None => return Err(inputs.malformed(&format!("[{i}].attStmt"), "is missing")),
            };
            let sub = StatementInputs {
                format,
                att_stmt,
                ..*inputs
            };
            Ok((format, verify_statement(&sub)?))
        })
        .collect()
}

/// The component that stands for the whole: the first with a certificate path, else the first.
pub(crate) fn lead(components: &[(AttestationFormat, AttestationVerified)]) -> AttestationVerified {
    let rank = |t: AttestationType| match t {
        AttestationType::None => 0,
        AttestationType::SelfAttestation => 1,
        _ => 2,
    };
    components
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, v))| (rank(v.attestation_type), std::cmp::Reverse(*i)))
        .map(|(_, c)| c)
        .map_or(
            AttestationVerified {
                attestation_type: AttestationType::None,
                trust_path: Vec::new(),
            },
            |(_, v)| AttestationVerified {
                attestation_type: v.attestation_type,
                trust_path: v.trust_path.clone(),
            },
        )
}
