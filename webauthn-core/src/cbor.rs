//! A bounded, zero-copy CBOR (RFC 8949) reader for the structures WebAuthn carries in CBOR:
//! attestation objects, attestation statements, COSE keys and extension outputs.
//!
//! * Depth and item counts are limited ([`MAX_DEPTH`], [`MAX_ITEMS`]); a length in a header is
//!   checked against the remaining input before anything is allocated, so a few bytes cannot
//!   ask for gigabytes.
//! * Indefinite lengths are rejected: CTAP2 canonical CBOR (which authenticators and clients
//!   emit) never uses them.
//! * Duplicate map keys are rejected: a map with two `alg` entries has no single meaning.
//! * [`decode_all`] rejects trailing bytes; [`decode_prefix`] reports how many bytes one item
//!   took, which is how the COSE key inside authenticator data is delimited.
//!
//! The reader never panics: every index is checked.

use std::fmt;

/// The deepest nesting accepted. WebAuthn structures nest three or four levels.
pub const MAX_DEPTH: usize = 16;
/// The most data items accepted in one decode.
pub const MAX_ITEMS: usize = 4096;

/// A decoded CBOR data item, borrowing byte and text strings from the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Unsigned(u64),
    /// The value `-1 - n`.
    Negative(u64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Self>),
    Map(Vec<(Self, Self)>),
    Tag(u64, Box<Self>),
    Bool(bool),
    Null,
    Undefined,
    Simple(u8),
    Float(f64),
}

impl<'a> Value<'a> {
    /// The integer value of an unsigned or negative integer.
    pub(crate) fn as_i128(&self) -> Option<i128> {
        match *self {
            Self::Unsigned(n) => Some(i128::from(n)),
            Self::Negative(n) => Some(-1 - i128::from(n)),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|n| i64::try_from(n).ok())
    }

    pub(crate) fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn as_text(&self) -> Option<&'a str> {
        match *self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(Self, Self)]> {
        match self {
            Self::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Self]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The value of a text key in a map.
    pub(crate) fn get_text_key(&self, key: &str) -> Option<&Self> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value of an integer key in a map.
    pub(crate) fn get_int_key(&self, key: i64) -> Option<&Self> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_i128() == Some(i128::from(key)))
            .map(|(_, v)| v)
    }

    /// A short name of the item's type, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Unsigned(_) | Self::Negative(_) => "integer",
            Self::Bytes(_) => "byte string",
            Self::Text(_) => "text string",
            Self::Array(_) => "array",
            Self::Map(_) => "map",
            Self::Tag(..) => "tagged item",
            Self::Bool(_) => "boolean",
            Self::Null => "null",
            Self::Undefined => "undefined",
            Self::Simple(_) => "simple value",
            Self::Float(_) => "float",
        }
    }
}

/// Why CBOR could not be decoded, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CborError {
    pub(crate) offset: usize,
    pub(crate) problem: &'static str,
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid CBOR at byte {}: {}", self.offset, self.problem)
    }
}

/// Decodes exactly one item that spans all of `input`.
pub(crate) fn decode_all(input: &[u8]) -> Result<Value<'_>, CborError> {
    let (value, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(CborError {
            offset: used,
            problem: "trailing bytes after the data item",
        });
    }
    Ok(value)
}

/// Decodes one item at the start of `input` and returns it with the number of bytes it took.
pub(crate) fn decode_prefix(input: &[u8]) -> Result<(Value<'_>, usize), CborError> {
    let mut reader = Reader {
        input,
        pos: 0,
        items: 0,
    };
    let value = reader.item(0)?;
    Ok((value, reader.pos))
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    items: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, problem: &'static str) -> CborError {
        CborError {
            offset: self.pos,
            problem,
        }
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], CborError> {
        let len = usize::try_from(len).map_err(|_| self.err("length too large"))?;
        if len > self.remaining() {
            return Err(self.err("length runs past the end of input"));
        }
        let start = self.pos;
        self.pos += len;
        self.input
            .get(start..self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))
    }

    fn uint_be(&mut self, len: u64) -> Result<u64, CborError> {
        let bytes = self.take(len)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Reads the argument of a header with additional information `info`.
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        match info {
            0..=23 => Ok(u64::from(info)),
            24 => Ok(u64::from(self.byte()?)),
            25 => self.uint_be(2),
            26 => self.uint_be(4),
            27 => self.uint_be(8),
            31 => Err(self.err("indefinite-length items are not accepted")),
            _ => Err(self.err("reserved additional information value")),
        }
    }

    /// A count of nested items, bounded by what the remaining input could hold.
    fn count(&mut self, info: u8, min_item_len: usize) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let n = usize::try_from(n).map_err(|_| self.err("count too large"))?;
        if n.saturating_mul(min_item_len) > self.remaining() {
            return Err(self.err("count runs past the end of input"));
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Value<'a>, CborError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(self.err("too many data items"));
        }
        let start = self.pos;
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let value = match major {
            0 => Value::Unsigned(self.argument(info)?),
            1 => Value::Negative(self.argument(info)?),
            2 => {
                let len = self.argument(info)?;
                Value::Bytes(self.take(len)?)
            }
            3 => {
                let len = self.argument(info)?;
                let bytes = self.take(len)?;
                Value::Text(std::str::from_utf8(bytes).map_err(|_| CborError {
                    offset: start,
                    problem: "text string is not valid UTF-8",
                })?)
            }
            4 => {
                let n = self.count(info, 1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Value::Array(items)
            }
            5 => {
                let n = self.count(info, 2)?;
                let mut entries: Vec<(Value<'a>, Value<'a>)> = Vec::with_capacity(n);
                let mut key_spans: Vec<(usize, usize)> = Vec::with_capacity(n);
                for _ in 0..n {
                    let key_start = self.pos;
                    let key = self.item(depth + 1)?;
                    let key_end = self.pos;
                    let key_bytes = self.input.get(key_start..key_end);
                    if key_spans
                        .iter()
                        .any(|&(s, e)| self.input.get(s..e) == key_bytes)
                    {
                        return Err(CborError {
                            offset: key_start,
                            problem: "duplicate map key",
                        });
                    }
                    key_spans.push((key_start, key_end));
                    let value = self.item(depth + 1)?;
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            6 => {
                let tag = self.argument(info)?;
                Value::Tag(tag, Box::new(self.item(depth + 1)?))
            }
            _ => self.simple_or_float(info)?,
        };
        Ok(value)
    }

    fn simple_or_float(&mut self, info: u8) -> Result<Value<'a>, CborError> {
        match info {
            20 => Ok(Value::Bool(false)),
            21 => Ok(Value::Bool(true)),
            22 => Ok(Value::Null),
            23 => Ok(Value::Undefined),
            0..=19 => Ok(Value::Simple(info)),
            24 => {
                let v = self.byte()?;
                if v < 32 {
                    return Err(self.err("simple value encoded in two bytes must be >= 32"));
                }
                Ok(Value::Simple(v))
            }
            25 => {
                let bits = self.uint_be(2)?;
                Ok(Value::Float(half_to_f64(u16::try_from(bits).unwrap_or(0))))
            }
            26 => {
                let bits = self.uint_be(4)?;
                Ok(Value::Float(f64::from(f32::from_bits(
                    u32::try_from(bits).unwrap_or(0),
                ))))
            }
            27 => Ok(Value::Float(f64::from_bits(self.uint_be(8)?))),
            31 => Err(self.err("unexpected break code")),
            _ => Err(self.err("reserved additional information value")),
        }
    }
}

/// IEEE 754 half precision to f64 (RFC 8949 Appendix D).
fn half_to_f64(half: u16) -> f64 {
    let exp = (half >> 10) & 0x1f;
    let mant = f64::from(half & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 => {
            if mant == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        _ => (mant + 1024.0) * 2f64.powi(i32::from(exp) - 25),
    };
    if half & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_rfc8949_examples() {
        assert_eq!(decode_all(&hex("00")).unwrap(), Value::Unsigned(0));
        assert_eq!(decode_all(&hex("1903e8")).unwrap(), Value::Unsigned(1000));
        assert_eq!(
            decode_all(&hex("1bffffffffffffffff")).unwrap(),
            Value::Unsigned(u64::MAX)
        );
        assert_eq!(decode_all(&hex("3863")).unwrap().as_i128(), Some(-100));
        assert_eq!(
            decode_all(&hex("3bffffffffffffffff")).unwrap().as_i128(),
            Some(-18_446_744_073_709_551_616)
        );
        assert_eq!(decode_all(&hex("f93c00")).unwrap(), Value::Float(1.0));
        assert_eq!(decode_all(&hex("f9c400")).unwrap(), Value::Float(-4.0));
        assert_eq!(
            decode_all(&hex("f90001")).unwrap(),
            Value::Float(5.960464477539063e-8)
        );
        assert_eq!(
            decode_all(&hex("fa47c35000")).unwrap(),
            Value::Float(100000.0)
        );
        assert_eq!(decode_all(&hex("f5")).unwrap(), Value::Bool(true));
        assert_eq!(decode_all(&hex("6449455446")).unwrap(), Value::Text("IETF"));
        assert_eq!(
            decode_all(&hex("a201020304")).unwrap(),
            Value::Map(vec![
                (Value::Unsigned(1), Value::Unsigned(2)),
                (Value::Unsigned(3), Value::Unsigned(4))
            ])
        );
        assert_eq!(
            decode_all(&hex("c11a514b67b0")).unwrap(),
            Value::Tag(1, Box::new(Value::Unsigned(1_363_896_240)))
        );
    }

    #[test]
    fn rejects_trailing_bytes_and_truncation() {
        assert_eq!(
            decode_all(&hex("0000")).unwrap_err().problem,
            "trailing bytes after the data item"
        );
        assert!(decode_all(&hex("19 03")).is_err());
        assert!(decode_all(&hex("62 61")).is_err());
        assert!(decode_all(&[]).is_err());
        let bytes = hex("01 02");
        let (v, used) = decode_prefix(&bytes).unwrap();
        assert_eq!((v, used), (Value::Unsigned(1), 1));
    }

    #[test]
    fn rejects_indefinite_lengths_duplicates_and_bad_utf8() {
        assert!(decode_all(&hex("9f 01 ff")).is_err());
        assert!(decode_all(&hex("5f 41 00 ff")).is_err());
        assert_eq!(
            decode_all(&hex("a2 01 02 01 03")).unwrap_err().problem,
            "duplicate map key"
        );
        assert!(decode_all(&hex("62 c3 28")).is_err());
        assert!(decode_all(&hex("ff")).is_err());
        assert!(decode_all(&hex("1c")).is_err());
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        // A byte string, an array and a map each claiming 2^64-1 elements.
        for prefix in ["5b", "9b", "bb"] {
            let input = hex(&format!("{prefix}ffffffffffffffff00"));
            assert!(decode_all(&input).is_err());
        }
    }

    #[test]
    fn depth_and_item_budgets_hold() {
        let deep = vec![0x81u8; MAX_DEPTH + 2];
        assert_eq!(decode_all(&deep).unwrap_err().problem, "nesting too deep");
        let mut ok = vec![0x81u8; MAX_DEPTH];
        ok.push(0x00);
        assert!(decode_all(&ok).is_ok());
        // An array of MAX_ITEMS zeros is one item too many.
        let mut many = vec![0x99];
        many.extend_from_slice(&u16::try_from(MAX_ITEMS).unwrap().to_be_bytes());
        many.extend(std::iter::repeat_n(0u8, MAX_ITEMS));
        assert_eq!(
            decode_all(&many).unwrap_err().problem,
            "too many data items"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = decode_all(&bytes);
            if let Ok((_, used)) = decode_prefix(&bytes) {
                proptest::prop_assert!(used <= bytes.len());
            }
        }
    }
}
