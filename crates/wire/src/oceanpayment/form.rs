//! The `application/x-www-form-urlencoded` bodies every Oceanpayment form endpoint takes.
//!
//! Decoding follows the WHATWG rules tills and PHP plugins produce: pairs split on `&`, the
//! name ends at the first `=`, `+` is a space, `%XX` is a byte, and a `%` not followed by two
//! hex digits stays literal. Empty segments (`a=1&&b=2`) are skipped. Unlike lossy decoders, a
//! body whose decoded bytes are not UTF-8 is refused: the signature covers the exact text, so a
//! silently replaced character would only surface later as a confusing signature mismatch.
//!
//! Refused with [`ErrorKind::MalformedRequest`]: invalid UTF-8 after decoding, a field name
//! sent twice (which of the two was signed would be ambiguous), more than [`MAX_FIELDS`] fields,
//! a name longer than [`MAX_NAME_BYTES`] bytes, or a name containing a control character.

use tidegate_core::{ErrorKind, GatewayError};

/// The most fields one request may carry; real pay requests have about forty.
pub const MAX_FIELDS: usize = 200;

/// The longest field name accepted, in bytes after decoding.
pub const MAX_NAME_BYTES: usize = 64;

/// A decoded form body, keeping the order in which the fields were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Decodes a form body; see the module documentation for what is refused.
    pub fn parse(body: &[u8]) -> Result<Form, GatewayError> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for segment in body
            .split(|&byte| byte == b'&')
            .filter(|segment| !segment.is_empty())
        {
            if fields.len() == MAX_FIELDS {
                return Err(GatewayError::new(ErrorKind::MalformedRequest));
            }
            let (raw_name, raw_value) = match segment.iter().position(|&byte| byte == b'=') {
                Some(at) => (&segment[..at], &segment[at + 1..]),
                None => (segment, &segment[segment.len()..]),
            };
            let name = String::from_utf8(decode_component(raw_name))
                .map_err(|_| GatewayError::new(ErrorKind::MalformedRequest))?;
            if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
                return Err(GatewayError::new(ErrorKind::MalformedRequest));
            }
            if fields.iter().any(|(existing, _)| *existing == name) {
                return Err(GatewayError::at(ErrorKind::MalformedRequest, &name));
            }
            let value = String::from_utf8(decode_component(raw_value))
                .map_err(|_| GatewayError::at(ErrorKind::MalformedRequest, &name))?;
            fields.push((name, value));
        }
        Ok(Form { fields })
    }

    /// The value of the field with exactly this (case-sensitive) name, if it was sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of the field, or `""` when absent: signatures treat absent fields as empty.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// The values of `names` in that order, absent ones empty, ready for signing.
    pub fn values(&self, names: &[&str]) -> Vec<&str> {
        names.iter().map(|name| self.value(name)).collect()
    }

    /// Every field as `(name, value)`, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// How many fields were sent.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the body carried no fields at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Turns `+` into a space and `%XX` into its byte; a malformed escape is kept as written.
fn decode_component(raw: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => {
                let escaped = raw
                    .get(index + 1..index + 3)
                    .and_then(|pair| Some((hex_digit(pair[0])? << 4) | hex_digit(pair[1])?));
                if let Some(escaped) = escaped {
                    decoded.push(escaped);
                    index += 3;
                    continue;
                }
                decoded.push(b'%');
            }
            other => decoded.push(other),
        }
        index += 1;
    }
    decoded
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(body: &str) -> Result<Form, GatewayError> {
        Form::parse(body.as_bytes())
    }

    #[test]
    fn keeps_fields_in_the_order_sent() {
        let form = parse("b=2&a=1&c=").expect("valid body");
        let fields: Vec<(&str, &str)> = form.iter().collect();
        assert_eq!(fields, [("b", "2"), ("a", "1"), ("c", "")]);
    }

    #[test]
    fn decodes_plus_and_percent_escapes() {
        let form = parse("order_notes=a+b%2Bc%20d&name=%E5%95%86%e5%93%81").expect("valid body");
        assert_eq!(form.get("order_notes"), Some("a b+c d"));
        assert_eq!(form.get("name"), Some("商品"));
    }

    #[test]
    fn keeps_malformed_escapes_literally() {
        let form = parse("a=100%&b=%zz&c=%4").expect("valid body");
        assert_eq!(form.get("a"), Some("100%"));
        assert_eq!(form.get("b"), Some("%zz"));
        assert_eq!(form.get("c"), Some("%4"));
    }

    #[test]
    fn names_are_exact_and_case_sensitive() {
        let form = parse("signValue=abc").expect("valid body");
        assert_eq!(form.get("signValue"), Some("abc"));
        assert_eq!(form.get("signvalue"), None);
        assert_eq!(form.value("signvalue"), "");
    }

    #[test]
    fn a_name_without_equals_has_an_empty_value() {
        let form = parse("flag&a=1").expect("valid body");
        assert_eq!(form.get("flag"), Some(""));
    }

    #[test]
    fn empty_body_and_empty_segments_are_fine() {
        assert!(parse("").expect("empty body").is_empty());
        let form = parse("&a=1&&b=2&").expect("valid body");
        assert_eq!(form.len(), 2);
    }

    #[test]
    fn values_follow_the_requested_order_with_absent_as_empty() {
        let form = parse("terminal=2&account=1").expect("valid body");
        assert_eq!(
            form.values(&["account", "missing", "terminal"]),
            ["1", "", "2"]
        );
    }

    #[test]
    fn refuses_a_field_sent_twice() {
        assert_eq!(
            parse("a=1&b=2&a=1"),
            Err(GatewayError::at(ErrorKind::MalformedRequest, "a"))
        );
    }

    #[test]
    fn a_duplicate_is_detected_after_decoding() {
        assert_eq!(
            parse("a=1&%61=2"),
            Err(GatewayError::at(ErrorKind::MalformedRequest, "a"))
        );
    }

    #[test]
    fn refuses_invalid_utf8_in_a_value() {
        assert_eq!(
            parse("order_notes=%FF"),
            Err(GatewayError::at(ErrorKind::MalformedRequest, "order_notes"))
        );
    }

    #[test]
    fn refuses_invalid_utf8_in_a_name() {
        assert_eq!(
            parse("%C3=1"),
            Err(GatewayError::new(ErrorKind::MalformedRequest))
        );
    }

    #[test]
    fn refuses_raw_invalid_utf8() {
        assert_eq!(
            Form::parse(b"a=\xff"),
            Err(GatewayError::at(ErrorKind::MalformedRequest, "a"))
        );
    }

    #[test]
    fn refuses_too_many_fields() {
        let body = |count: usize| {
            (0..count)
                .map(|i| format!("f{i}=x"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert_eq!(
            parse(&body(MAX_FIELDS)).map(|form| form.len()),
            Ok(MAX_FIELDS)
        );
        assert_eq!(
            parse(&body(MAX_FIELDS + 1)),
            Err(GatewayError::new(ErrorKind::MalformedRequest))
        );
    }

    #[test]
    fn refuses_a_name_longer_than_the_limit() {
        let name = "n".repeat(MAX_NAME_BYTES);
        assert!(parse(&format!("{name}=1")).is_ok());
        assert_eq!(
            parse(&format!("{name}n=1")),
            Err(GatewayError::new(ErrorKind::MalformedRequest))
        );
    }

    #[test]
    fn refuses_a_name_with_control_characters() {
        assert_eq!(
            parse("a%0Ab=1"),
            Err(GatewayError::new(ErrorKind::MalformedRequest))
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Form::parse(&body);
        }

        #[test]
        fn encoded_pairs_decode_to_themselves(
            pairs in proptest::collection::btree_map("[a-zA-Z_]{1,20}", "\\PC{0,40}", 0..20)
        ) {
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
            let form = Form::parse(body.as_bytes()).expect("encoded form");
            let decoded: Vec<(&str, &str)> = form.iter().collect();
            let expected: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            prop_assert_eq!(decoded, expected);
        }
    }
}
