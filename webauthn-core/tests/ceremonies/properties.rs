//! Properties of the small building blocks: base64url, the flags byte and origin matching.

use proptest::prelude::*;
use webauthn_core::authenticator_data::Flags;
use webauthn_core::base64url;
use webauthn_core::origin::{Origin, RpId};

/// A DNS label: lowercase letters and digits.
fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,12}"
}

proptest! {
    #[test]
    fn base64url_round_trips_without_padding(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = base64url::encode(&bytes);
        prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(base64url::decode(&text).unwrap(), bytes);
    }

    #[test]
    fn base64url_refuses_the_standard_alphabet_and_padding(
        bytes in proptest::collection::vec(any::<u8>(), 1..60),
        bad in prop::sample::select(vec!["=", "+", "/", "=="]),
    ) {
        let text = format!("{}{bad}", base64url::encode(&bytes));
        prop_assert!(base64url::decode(&text).is_err(), "{text}");
    }

    #[test]
    fn flags_read_their_bits(bits: u8) {
        let flags = Flags::from_bits(bits);
        prop_assert_eq!(flags.bits(), bits);
        prop_assert_eq!(flags.user_present(), bits & 0x01 != 0);
        prop_assert_eq!(flags.user_verified(), bits & 0x04 != 0);
        for (flag, bit) in [
            (Flags::UP, 0x01u8),
            (Flags::UV, 0x04),
            (Flags::BE, 0x08),
            (Flags::BS, 0x10),
            (Flags::AT, 0x40),
            (Flags::ED, 0x80),
        ] {
            prop_assert_eq!(flags.contains(flag), bits & bit != 0);
        }
    }

    #[test]
    fn an_rp_id_covers_itself_and_its_subdomains_only(
        rp in proptest::collection::vec(label(), 1..3),
        sub in label(),
    ) {
        let rp_text = format!("{}.example", rp.join("."));
        let rp_id = RpId::new(&rp_text).unwrap();
        prop_assert!(rp_id.covers_host(&rp_text));
        let subdomain = format!("{sub}.{rp_text}");
        prop_assert!(rp_id.covers_host(&subdomain));
        // A host that merely ends with the RP ID's text is another site.
        let lookalike = format!("{sub}{rp_text}");
        prop_assert!(!rp_id.covers_host(&lookalike));
        // The parent domain is not covered by a subdomain RP ID.
        prop_assert!(!RpId::new(&subdomain).unwrap().covers_host(&rp_text));
    }

    #[test]
    fn origins_normalize_case_default_ports_and_a_trailing_slash(
        host in proptest::collection::vec(label(), 1..3),
        port in 1024u16..65535,
    ) {
        let host = format!("{}.example", host.join("."));
        let canonical = Origin::parse(&format!("https://{host}")).unwrap();
        for variant in [
            format!("HTTPS://{}", host.to_ascii_uppercase()),
            format!("https://{host}:443"),
            format!("https://{host}/"),
        ] {
            let parsed = Origin::parse(&variant).unwrap();
            prop_assert_eq!(parsed.as_str(), canonical.as_str());
        }
        let other_port = Origin::parse(&format!("https://{host}:{port}")).unwrap();
        prop_assert_ne!(other_port.as_str(), canonical.as_str());
        let http = Origin::parse(&format!("http://{host}")).unwrap();
        prop_assert_ne!(http.as_str(), canonical.as_str());
        let with_path = format!("https://{host}/path");
        prop_assert!(Origin::parse(&with_path).is_err(), "{}", with_path);
    }
}
