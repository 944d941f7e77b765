//! A small DER writer for building key descriptions in tests, including the high-tag-number
//! form (X.690 §8.1.2.4) that authorization list fields above 30 need.

/// The DER length octets of `len`.
pub(super) fn length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![u8::try_from(len).unwrap()];
    }
    let bytes = len.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap();
    let mut out = vec![0x80 | u8::try_from(bytes.len() - first).unwrap()];
    out.extend_from_slice(&bytes[first..]);
    out
}

/// A TLV with the given tag octets.
pub(super) fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.extend(length(content.len()));
    out.extend_from_slice(content);
    out
}

/// The tag octets of a constructed context-specific tag `[number]`.
pub(super) fn context_tag(number: u32) -> Vec<u8> {
    if number < 31 {
        return vec![0xa0 | u8::try_from(number).unwrap()];
    }
    let mut digits = Vec::new();
    let mut n = number;
    while n > 0 {
        digits.push(u8::try_from(n & 0x7f).unwrap());
        n >>= 7;
    }
    digits.reverse();
    let last = digits.len() - 1;
    for d in &mut digits[..last] {
        *d |= 0x80;
    }
    let mut out = vec![0xbf];
    out.extend(digits);
    out
}

/// `[number] EXPLICIT inner`.
pub(super) fn explicit(number: u32, inner: &[u8]) -> Vec<u8> {
    tlv(&context_tag(number), inner)
}

pub(super) fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x30], &parts.concat())
}

pub(super) fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x31], &parts.concat())
}

/// The minimal two's-complement encoding of `value`.
fn integer_content(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (this, next) = (bytes[start], bytes[start + 1]);
        if (this == 0x00 && next & 0x80 == 0) || (this == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

pub(super) fn integer(value: i64) -> Vec<u8> {
    tlv(&[0x02], &integer_content(value))
}

pub(super) fn enumerated(value: i64) -> Vec<u8> {
    tlv(&[0x0a], &integer_content(value))
}

pub(super) fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(&[0x04], bytes)
}

pub(super) fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// `purpose [1] EXPLICIT SET OF INTEGER`.
pub(super) fn purpose(values: &[i64]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = values.iter().map(|v| integer(*v)).collect();
    explicit(1, &set(&items))
}

/// `origin [702] EXPLICIT INTEGER`.
pub(super) fn origin(value: i64) -> Vec<u8> {
    explicit(702, &integer(value))
}

/// `allApplications [600] EXPLICIT NULL`.
pub(super) fn all_applications() -> Vec<u8> {
    explicit(600, &null())
}

/// A `KeyDescription`, field by field.
#[derive(Debug, Clone)]
pub(super) struct Description {
    pub(super) version: i64,
    pub(super) attestation_level: i64,
    pub(super) keymaster_level: i64,
    pub(super) challenge: Vec<u8>,
    pub(super) software: Vec<Vec<u8>>,
    pub(super) tee: Vec<Vec<u8>>,
}

impl Description {
    /// What a KeyMint 3 TEE reports for a WebAuthn P-256 key (the shape of the Pixel 8a vector):
    /// creation time and application id in software, the key's properties in the TEE.
    pub(super) fn tee_key(challenge: &[u8]) -> Self {
        Self {
            version: 300,
            attestation_level: 1,
            keymaster_level: 1,
            challenge: challenge.to_vec(),
            software: vec![
                explicit(701, &integer(1_736_000_000_000)),
                explicit(709, &octets(b"application id")),
            ],
            tee: vec![
                purpose(&[2]),
                explicit(2, &integer(3)),
                explicit(3, &integer(256)),
                explicit(5, &set(&[integer(4)])),
                explicit(10, &integer(1)),
                explicit(504, &integer(3)),
                origin(0),
                explicit(
                    704,
                    &sequence(&[
                        octets(&[7; 32]),
                        tlv(&[0x01], &[0xff]),
                        enumerated(0),
                        octets(&[8; 32]),
                    ]),
                ),
                explicit(705, &integer(150_000)),
                explicit(706, &integer(202_501)),
            ],
        }
    }

    /// A software keystore: everything in the software-enforced list.
    pub(super) fn software_key(challenge: &[u8]) -> Self {
        let tee_key = Self::tee_key(challenge);
        Self {
            attestation_level: 0,
            keymaster_level: 0,
            software: [tee_key.software, tee_key.tee].concat(),
            tee: Vec::new(),
            ..tee_key
        }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        sequence(&[
            integer(self.version),
            enumerated(self.attestation_level),
            integer(self.version),
            enumerated(self.keymaster_level),
            octets(&self.challenge),
            octets(&[]),
            sequence(&self.software),
            sequence(&self.tee),
        ])
    }
}

#[test]
fn the_writer_produces_der() {
    assert_eq!(length(0x7f), [0x7f]);
    assert_eq!(length(0x80), [0x81, 0x80]);
    assert_eq!(length(0x1234), [0x82, 0x12, 0x34]);
    assert_eq!(context_tag(1), [0xa1]);
    assert_eq!(context_tag(31), [0xbf, 0x1f]);
    assert_eq!(context_tag(600), [0xbf, 0x84, 0x58]);
    assert_eq!(context_tag(702), [0xbf, 0x85, 0x3e]);
    assert_eq!(integer(0), [0x02, 0x01, 0x00]);
    assert_eq!(integer(128), [0x02, 0x02, 0x00, 0x80]);
    assert_eq!(integer(300), [0x02, 0x02, 0x01, 0x2c]);
    assert_eq!(integer(-1), [0x02, 0x01, 0xff]);
    assert_eq!(integer(-129), [0x02, 0x02, 0xff, 0x7f]);
}
