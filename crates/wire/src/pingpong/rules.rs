//! Reading JSON for the PingPong dialect: duplicate-key detection, `bizContent` objects and the
//! field rules every business request shares.
//!
//! Lengths count Unicode characters, not bytes. Every string value is refused if it holds a
//! control character (C0, DEL or C1): PingPong advises against CR and LF in business values,
//! and these values end up in replies, notifications and log lines.
//!
//! A field that is absent, JSON `null`, or a blank string (see [`is_blank`]) counts as not
//! sent, the way PingPong's Java reference code reads them.

use crate::pingpong::sign::is_blank;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use tidegate_core::{ErrorKind, Field, GatewayError};

/// The wire name of the envelope field that carries the business parameters.
pub(crate) const BIZ_CONTENT: &str = "bizContent";

/// The length limit of every identifier PingPong documents as `string(64)`.
pub(crate) const MAX_ID: usize = 64;

/// A JSON document that has no object with a repeated key, at any depth.
///
/// `serde_json` keeps the last of two equal keys without a word. A signed body whose meaning
/// depends on which duplicate a reader keeps is ambiguous, so such bodies are refused.
pub(crate) struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UniqueKeys, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}

/// Parses a JSON object with no repeated key at any depth; `None` for anything else.
pub(crate) fn parse_object(text: &[u8]) -> Option<Map<String, Value>> {
    serde_json::from_slice::<UniqueKeys>(text).ok()?;
    serde_json::from_slice(text).ok()
}

/// Parses `bizContent`: a JSON object, else `MalformedRequest` naming `bizContent`.
pub(crate) fn parse_biz(biz_content: &str) -> Result<Map<String, Value>, GatewayError> {
    parse_object(biz_content.as_bytes())
        .ok_or_else(|| GatewayError::at(ErrorKind::MalformedRequest, BIZ_CONTENT))
}

/// A JSON object of business parameters, with the path that names its fields in errors.
#[derive(Clone, Copy)]
pub(crate) struct Object<'a> {
    map: &'a Map<String, Value>,
    /// Empty for `bizContent` itself, `paymentMethod.` for the nested payment method.
    prefix: &'static str,
}

impl<'a> Object<'a> {
    /// The top level of `bizContent`.
    pub(crate) fn new(map: &'a Map<String, Value>) -> Object<'a> {
        Object { map, prefix: "" }
    }

    /// An error naming `key` as the request spelled it, with this object's path.
    pub(crate) fn error(&self, kind: ErrorKind, key: &str) -> GatewayError {
        GatewayError::at(kind, &format!("{}{key}", self.prefix))
    }

    fn present(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    /// An optional JSON string: at most `limit` characters, no control characters.
    pub(crate) fn text(
        &self,
        key: &str,
        field: Field,
        limit: usize,
    ) -> Result<Option<&'a str>, GatewayError> {
        let Some(value) = self.present(key) else {
            return Ok(None);
        };
        // Identifiers must be strings: a long number would reach us as a rounded float.
        let Value::String(text) = value else {
            return Err(self.error(ErrorKind::InvalidFormat(field), key));
        };
        Ok(self
            .check(key, field, limit, text)?
            .then_some(text.as_str()))
    }

    /// A JSON string that must be present and not blank.
    pub(crate) fn required_text(
        &self,
        key: &str,
        field: Field,
        limit: usize,
    ) -> Result<&'a str, GatewayError> {
        self.text(key, field, limit)?
            .ok_or_else(|| self.error(ErrorKind::MissingField(field), key))
    }

    /// An optional JSON string or number, as text: strings exactly as sent, numbers in
    /// `serde_json`'s shortest decimal form (`100`, `0.02`, `100.0` for a float of 100).
    pub(crate) fn scalar(
        &self,
        key: &str,
        field: Field,
        limit: usize,
    ) -> Result<Option<Cow<'a, str>>, GatewayError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(self
                .check(key, field, limit, text)?
                .then_some(Cow::Borrowed(text.as_str()))),
            Some(Value::Number(number)) => {
                let text = number.to_string();
                let present = self.check(key, field, limit, &text)?;
                Ok(present.then_some(Cow::Owned(text)))
            }
            Some(Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
                Err(self.error(ErrorKind::InvalidFormat(field), key))
            }
        }
    }

    /// An optional nested object, whose fields are named `{prefix}{key}` in errors.
    pub(crate) fn object(
        &self,
        key: &str,
        prefix: &'static str,
        field: Field,
    ) -> Result<Option<Object<'a>>, GatewayError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Object { map, prefix })),
            Some(
                Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::String(_)
                | Value::Array(_),
            ) => Err(self.error(ErrorKind::InvalidFormat(field), key)),
        }
    }

    /// False for blank text (not sent); otherwise true once the length and character checks
    /// pass.
    fn check(
        &self,
        key: &str,
        field: Field,
        limit: usize,
        text: &str,
    ) -> Result<bool, GatewayError> {
        if is_blank(text) {
            return Ok(false);
        }
        if exceeds(text, limit) {
            return Err(self.error(ErrorKind::FieldTooLong(field), key));
        }
        if text.chars().any(char::is_control) {
            return Err(self.error(ErrorKind::InvalidFormat(field), key));
        }
        Ok(true)
    }
}

/// True when `value` has more than `limit` characters; the byte length answers most cases.
pub(crate) fn exceeds(value: &str, limit: usize) -> bool {
    value.len() > limit && value.chars().count() > limit
}

/// Digits, optionally a point and at least one more digit: the amounts PingPong documents.
pub(crate) fn is_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// An `http://` or `https://` URL with a host, an optional numeric port, and neither a query
/// nor a fragment: PingPong's notification URLs must not carry query parameters.
pub(crate) fn is_notification_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains(['?', '#']) {
        return false;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, after)| after);
    let (host, port) = match host_and_port.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        },
    };
    let port_ok = port.is_none_or(|port| {
        !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
    });
    !host.is_empty() && port_ok
}

/// JSON text of a reply structure.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising structures of strings and integers cannot fail; were it ever to, an empty
    // body is refused by every reader rather than misread.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(parse_object(br#"{"a":1,"b":{"c":[{"d":1,"e":2}]}}"#).is_some());
        assert!(parse_object(br#"{"a":1,"a":1}"#).is_none());
        assert!(parse_object(br#"{"a":{"b":1,"b":2}}"#).is_none());
        assert!(parse_object(br#"{"a":[{"b":1,"b":2}]}"#).is_none());
        assert!(parse_object(br#"{"a\u0062":1,"ab":2}"#).is_none());
    }

    #[test]
    fn only_objects_are_objects() {
        for text in ["[]", "\"x\"", "1", "null", "", "{", "{} {}", "{\"a\":1}x"] {
            assert!(parse_object(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn lengths_count_characters() {
        assert!(!exceeds("商品", 2));
        assert!(exceeds("商品x", 2));
    }

    #[test]
    fn plain_decimals() {
        for text in ["0", "1", "12.30", "007.5", "100.000000"] {
            assert!(is_plain_decimal(text), "{text}");
        }
        for text in [
            "", ".5", "1.", "1.2.3", "-1", "+1", "1e3", " 1", "1,00", "１",
        ] {
            assert!(!is_plain_decimal(text), "{text}");
        }
    }

    #[test]
    fn notification_urls() {
        for url in [
            "https://shop.example/notify",
            "HTTP://shop.example:8080/n",
            "http://[::1]:80/",
            "https://u:p@host/",
            "https://host",
        ] {
            assert!(is_notification_url(url), "{url}");
        }
        for url in [
            "ftp://shop.example",
            "shop.example",
            "http://",
            "https:///path",
            "http://:80",
            "http://host:/",
            "http://host:8o/",
            "http://host:123456/",
            "http://[::1]x/",
            "http://[]/",
            "https://a b/",
            "https://shop.example/notify?order=1",
            "https://shop.example/notify#x",
        ] {
            assert!(!is_notification_url(url), "{url}");
        }
    }
}
