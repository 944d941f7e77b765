//! Names of passkey providers by the AAGUID their passkeys carry, for passkey lists ("Google
//! Password Manager", "iCloud Keychain"). Synced passkey providers are mostly absent from the
//! FIDO Metadata Service, whose description anshin prefers when it has one.
//!
//! Source: the community list that passkey providers maintain,
//! <https://github.com/passkeydeveloper/passkey-authenticator-aaguids> (`aaguid.json`), read on
//! 2026-11-23; names only. The list publishes no licence file; what is kept here are the
//! identifiers and product names, and the list's own advice applies: a name is for display,
//! never a security decision (an AAGUID without attestation is whatever the client says).

/// `(AAGUID, provider name)`, AAGUIDs in lower case.
const PROVIDERS: &[(&str, &str)] = &[
    (
        "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
        "Google Password Manager",
    ),
    ("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
    (
        "dd4ec289-e01d-41c9-bb89-70fa845d4bf2",
        "iCloud Keychain (Managed)",
    ),
    ("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
    ("9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"),
    ("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
    ("b5397666-4885-aa6b-cebf-e52262a439a2", "Chromium Browser"),
    ("771b48fd-d3d4-4f74-9232-fc157ab0507a", "Edge on Mac"),
    ("53414d53-554e-4700-0000-000000000000", "Samsung Pass"),
    ("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
    ("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
    ("531126d6-e717-415c-9320-3d9aa6981239", "Dashlane"),
    ("de503f9c-21a4-4f76-b4b7-558eb55c6f89", "Devolutions"),
    ("f3809540-7f14-49c1-a8b3-8f813b225541", "Enpass"),
    ("fdb141b2-5d84-443e-8a35-4698c205a502", "KeePassXC"),
    ("0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6", "Keeper"),
    ("b78a0a55-6ef8-d246-a042-ba0f6d55050c", "LastPass"),
    ("b84e4048-15dc-4dd0-8640-f4f60813c8af", "NordPass"),
    ("50726f74-6f6e-5061-7373-50726f746f6e", "Proton Pass"),
    (
        "de1e552d-db1d-4423-a619-566b625cdc84",
        "Microsoft Authenticator for Android",
    ),
    (
        "90a3ccdf-635c-4729-a248-9b709135078f",
        "Microsoft Authenticator for iOS",
    ),
];

/// The provider's name for an AAGUID (`xxxxxxxx-xxxx-...`, any case), when it is known.
#[must_use]
pub fn provider_name(aaguid: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(aaguid))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_providers_are_named_and_others_are_not() {
        assert_eq!(
            provider_name("EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4"),
            Some("Google Password Manager")
        );
        assert_eq!(
            provider_name("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"),
            Some("iCloud Keychain")
        );
        assert_eq!(provider_name("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(provider_name("not an aaguid"), None);
    }

    #[test]
    fn the_table_is_well_formed() {
        for (i, (id, name)) in PROVIDERS.iter().enumerate() {
            assert_eq!(id.len(), 36, "{id}");
            assert!(
                id.chars()
                    .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{id} is a lower-case UUID"
            );
            assert!(!name.is_empty());
            assert!(
                PROVIDERS[..i].iter().all(|(other, _)| other != id),
                "{id} appears once"
            );
        }
    }
}
