//! RP IDs and origins, validated when the relying party is configured.
//!
//! Client data carries the origin as the browser serialized it (`https://example.org`,
//! `http://localhost:8080`, `android:apk-key-hash:<base64url SHA-256 of the signing cert>`).
//! Configured origins are normalized to that form once (lowercase scheme and host, default
//! port dropped, no path), and a response's origin must then match one of them exactly: no
//! wildcards, no subdomain matching (WebAuthn §13.4.9).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ApiMisuse, Error};

/// A relying party identifier (§5.1.2): a valid domain string, lowercase.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RpId(String);

impl RpId {
    /// Validates an RP ID: a domain (`example.org`, `login.example.org`, `localhost`), without
    /// scheme, port or path. Internationalized names must be given in their ASCII (punycode) form.
    ///
    /// # Errors
    /// When the text is not a domain.
    pub fn new(text: &str) -> Result<Self, Error> {
        let lower = text.to_ascii_lowercase();
        if !is_domain(&lower) {
            return Err(ApiMisuse::InvalidConfiguration(
                format!("RP ID {text:?} is not a domain (no scheme, port or path)").into(),
            )
            .into());
        }
        Ok(Self(lower))
    }

    /// The RP ID text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `host` is this RP ID or one of its subdomains.
    #[must_use]
    pub fn covers_host(&self, host: &str) -> bool {
        host == self.0
            || host
                .strip_suffix(self.0.as_str())
                .is_some_and(|prefix| prefix.ends_with('.'))
    }
}

impl TryFrom<String> for RpId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::new(&value)
    }
}

impl From<RpId> for String {
    fn from(value: RpId) -> Self {
        value.0
    }
}

impl fmt::Debug for RpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RpId({})", self.0)
    }
}

impl fmt::Display for RpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// An allowed origin, in the serialized form clients report.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin(String);

/// The prefix of Android app origins.
pub const ANDROID_APK_KEY_HASH_PREFIX: &str = "android:apk-key-hash:";

impl Origin {
    /// Parses and normalizes an origin: `https://host[:port]`, `http://localhost[:port]` (and
    /// other `http` hosts, which browsers only treat as secure on loopback), or
    /// `android:apk-key-hash:<base64url>` for an Android app.
    ///
    /// # Errors
    /// When the text is not an origin (has a path, a user, no host, another scheme...).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = |why: &str| -> Error {
            ApiMisuse::InvalidConfiguration(format!("origin {text:?} is not valid: {why}").into())
                .into()
        };
        if let Some(hash) = text.strip_prefix(ANDROID_APK_KEY_HASH_PREFIX) {
            let ok = !hash.is_empty()
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(invalid(
                    "expected android:apk-key-hash: and base64url without padding",
                ));
            }
            return Ok(Self(text.to_owned()));
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| invalid("expected scheme://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => "443",
            "http" => "80",
            _ => return Err(invalid("the scheme must be https or http")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(invalid("an origin has no path, query, fragment or user"));
        }
        let (host, port) = if rest.starts_with('[') {
            let end = rest
                .find(']')
                .ok_or_else(|| invalid("unterminated IPv6 address"))?;
            let (host, after) = rest.split_at(end + 1);
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(invalid("unexpected text after the IPv6 address")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        let host = host.to_ascii_lowercase();
        let is_ip6 = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            });
        if !is_ip6 && !is_domain(&host) {
            return Err(invalid("the host is not a domain or address"));
        }
        let port = match port {
            None => None,
            Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(invalid("the port is not a number"));
            }
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n.to_string() == default_port => None,
                Ok(n) => Some(n),
                Err(_) => return Err(invalid("the port is out of range")),
            },
        };
        Ok(Self(match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }))
    }

    /// The serialized origin.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an Android app origin.
    #[must_use]
    pub fn is_android_app(&self) -> bool {
        self.0.starts_with(ANDROID_APK_KEY_HASH_PREFIX)
    }

    /// The host of a web origin.
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        let rest = self.0.split_once("://")?.1;
        if rest.starts_with('[') {
            return rest.split_inclusive(']').next();
        }
        Some(rest.split(':').next().unwrap_or(rest))
    }
}

impl TryFrom<String> for Origin {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<Origin> for String {
    fn from(value: Origin) -> Self {
        value.0
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({})", self.0)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized() {
        for (input, expected) in [
            ("https://Example.ORG", "https://example.org"),
            ("https://example.org:443/", "https://example.org"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://localhost:80", "http://localhost"),
            (
                "HTTPS://login.example.org:8443",
                "https://login.example.org:8443",
            ),
            ("https://[::1]:8443", "https://[::1]:8443"),
            (
                "android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w",
                "android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w",
            ),
        ] {
            assert_eq!(Origin::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn non_origins_are_refused() {
        for input in [
            "example.org",
            "ftp://example.org",
            "https://example.org/path",
            "https://user@example.org",
            "https://example.org:99999",
            "https://example.org:",
            "https://exa mple.org",
            "https://",
            "android:apk-key-hash:",
            "android:apk-key-hash:a+b/",
        ] {
            assert!(Origin::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn rp_ids() {
        let rp = RpId::new("Example.org").unwrap();
        assert_eq!(rp.as_str(), "example.org");
        assert!(rp.covers_host("example.org"));
        assert!(rp.covers_host("login.example.org"));
        assert!(!rp.covers_host("badexample.org"));
        for bad in [
            "",
            "https://example.org",
            "example.org:443",
            "exa_mple.org",
            "-x.org",
            "a..b",
        ] {
            assert!(RpId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(
            Origin::parse("https://a.example.org:8443").unwrap().host(),
            Some("a.example.org")
        );
        assert_eq!(
            Origin::parse("https://[::1]:8443").unwrap().host(),
            Some("[::1]")
        );
    }
}
