//! PingPong's `sign`: a hash of the merchant's salt followed by the envelope's top-level fields.
//!
//! 1. Take every top-level field except `sign` whose value is not blank.
//! 2. Sort them by key in byte order (ASCII for every key PingPong defines).
//! 3. Join them as `key=value` with `&`, values raw: no URL-encoding, and `bizContent` as its
//!    JSON text exactly as carried in the envelope's string.
//! 4. Put the salt in front, with no separator.
//! 5. Hash with SHA-256 or MD5 (the envelope's `signType`) and write upper-case hex.
//!
//! Requests and notifications sign `accId`, `bizContent`, `clientId`, `signType` and `version`
//! (plus any other top-level field a request carries); replies sign `accId`, `bizContent`,
//! `clientId`, `code`, `description` and `signType`. Verification ignores the case of the hex.
//!
//! "Blank" is what Java's `StringUtils.isBlank` means, because PingPong's reference signer is
//! Java: empty, or only Java whitespace (which, unlike Rust's, leaves out the no-break spaces
//! and includes the four ASCII separators U+001C to U+001F).

use crate::pingpong::envelope::SignType;
use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The field that carries the signature and is never signed itself.
pub const SIGN_FIELD: &str = "sign";

/// Upper-case hex `sign` of `fields` (name, value) with `salt`; `sign` and blank values are left out.
pub fn sign(fields: &[(&str, &str)], salt: &str, sign_type: SignType) -> String {
    hex::encode_upper(digest(fields, salt, sign_type))
}

/// True when `claimed` (hex in either case) is the `sign` of `fields`; compared in constant time.
pub fn verify(fields: &[(&str, &str)], salt: &str, sign_type: SignType, claimed: &str) -> bool {
    let expected = digest(fields, salt, sign_type);
    if claimed.len() != expected.len() * 2 {
        return false;
    }
    let Ok(claimed) = hex::decode(claimed) else {
        return false;
    };
    claimed.ct_eq(&expected).into()
}

fn digest(fields: &[(&str, &str)], salt: &str, sign_type: SignType) -> Vec<u8> {
    match sign_type {
        SignType::Sha256 => hash::<Sha256>(fields, salt),
        SignType::Md5 => hash::<Md5>(fields, salt),
    }
}

fn hash<D: Digest>(fields: &[(&str, &str)], salt: &str) -> Vec<u8> {
    let mut signed: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(name, value)| *name != SIGN_FIELD && !is_blank(value))
        .collect();
    // A stable sort, so that even a list with a repeated name hashes the same every time.
    signed.sort_by_key(|(name, _)| *name);
    let mut hasher = D::new();
    hasher.update(salt.as_bytes());
    for (index, (name, value)) in signed.into_iter().enumerate() {
        if index > 0 {
            hasher.update(b"&");
        }
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
    }
    hasher.finalize().to_vec()
}

/// True for empty text or text of Java whitespace only (`StringUtils.isBlank`).
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(is_java_whitespace)
}

/// `Character.isWhitespace`: Unicode space, line and paragraph separators except the no-break
/// ones, plus tab, LF, VT, FF, CR and U+001C to U+001F.
fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SALT: &str = "F78BC96A55548B2319EE68E0";

    #[test]
    fn signs_the_salt_then_sorted_pairs() {
        let fields = [("b", "2"), ("a", "1"), ("sign", "ignored"), ("c", " ")];
        let expected = hex::encode_upper(Sha256::digest(format!("{SALT}a=1&b=2")));
        assert_eq!(sign(&fields, SALT, SignType::Sha256), expected);
        let expected = hex::encode_upper(Md5::digest(format!("{SALT}a=1&b=2")));
        assert_eq!(sign(&fields, SALT, SignType::Md5), expected);
    }

    #[test]
    fn sorting_is_by_byte_value() {
        let upper_first = sign(&[("a", "1"), ("B", "2")], SALT, SignType::Sha256);
        let expected = hex::encode_upper(Sha256::digest(format!("{SALT}B=2&a=1")));
        assert_eq!(upper_first, expected);
    }

    #[test]
    fn blank_follows_java() {
        for text in ["", " ", "\t\r\n", "\u{1C}", "\u{3000}", "\u{2028}"] {
            assert!(is_blank(text), "{text:?}");
        }
        for text in ["a", "\u{A0}", "\u{2007}", "\u{202F}", "\u{85}", " x "] {
            assert!(!is_blank(text), "{text:?}");
        }
    }

    #[test]
    fn verification_ignores_case_only() {
        let fields = [("accId", "1"), ("bizContent", "{}")];
        let value = sign(&fields, SALT, SignType::Sha256);
        assert!(verify(&fields, SALT, SignType::Sha256, &value));
        assert!(verify(
            &fields,
            SALT,
            SignType::Sha256,
            &value.to_lowercase()
        ));
        assert!(!verify(&fields, SALT, SignType::Md5, &value));
        assert!(!verify(&fields, SALT, SignType::Sha256, &value[..62]));
        assert!(!verify(
            &fields,
            SALT,
            SignType::Sha256,
            &format!("{}G", &value[..63])
        ));
        assert!(!verify(&fields, "other", SignType::Sha256, &value));
        assert!(!verify(&fields, SALT, SignType::Sha256, ""));
    }

    proptest! {
        #[test]
        fn signing_then_verifying_round_trips(
            fields in proptest::collection::vec(("[a-zA-Z]{1,8}", "\\PC{0,16}"), 0..8),
            salt in "\\PC{0,24}",
            md5 in any::<bool>(),
        ) {
            let sign_type = if md5 { SignType::Md5 } else { SignType::Sha256 };
            let fields: Vec<(&str, &str)> =
                fields.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
            let value = sign(&fields, &salt, sign_type);
            prop_assert!(verify(&fields, &salt, sign_type, &value));
            prop_assert!(verify(&fields, &salt, sign_type, &value.to_lowercase()));
            prop_assert_eq!(value.clone(), value.to_uppercase());
        }

        #[test]
        fn verifying_never_panics(claimed in "\\PC{0,80}", value in "\\PC{0,16}") {
            let _ = verify(&[("accId", &value)], SALT, SignType::Sha256, &claimed);
            let _ = verify(&[("accId", &value)], SALT, SignType::Md5, &claimed);
        }
    }
}
