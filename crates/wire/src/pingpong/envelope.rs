//! The JSON envelope around every PingPong request, reply and notification.
//!
//! A request body is a JSON object of strings: `accId` (the store, which Tidegate treats as the
//! terminal), `clientId` (the merchant: `accId` without its last three digits), `signType`,
//! `sign`, `version` (`1.0`) and `bizContent`, a JSON document carried as a string. Replies have
//! `code` and `description` instead of `version`.
//!
//! [`Envelope::parse`] checks, and reports the first failure, in this order:
//!
//! 1. the body is one JSON object with no repeated key at any depth, and every top-level value
//!    is a JSON string (`MalformedRequest`; when the offending value is one of the six envelope
//!    fields the error names it, so `bizContent` sent as a nested object is refused naming
//!    `bizContent`: re-serialising it would not reproduce the text the merchant signed);
//! 2. `accId`: required, at most 64 characters, no control characters (`Field::Terminal`);
//! 3. `clientId`: the same (`Field::Account`);
//! 4. `signType`: required, exactly `SHA256` or `MD5` (`Field::Signature`);
//! 5. `sign`: required, at most 128 characters (`Field::Signature`); whether it is hex of the
//!    right length is left to [`Envelope::verify`], so a malformed `sign` is a bad signature;
//! 6. `version`: required (`MissingField(Other)`), exactly `1.0` (`InvalidFormat(Other)`);
//! 7. `bizContent`: required, at most 32768 characters (`Field::Other`).
//!
//! "Required" means present and not blank (see [the `sign` module](mod@crate::pingpong::sign)). Other
//! top-level fields are accepted as long as they are strings; they take part in the signature
//! (PingPong signs every top-level field but `sign`) and are otherwise ignored.
//!
//! After parsing, the server looks the store up by `accId`, checks [`client_id_matches`] and
//! [`Envelope::verify`]; any of the three failing is answered with `UnknownTerminal` (103000)
//! or `BadSignature` (104000) before `bizContent` is read.

use crate::pingpong::rules::{exceeds, parse_object, to_json, BIZ_CONTENT};
use crate::pingpong::sign::{is_blank, sign, verify, SIGN_FIELD};
use serde::Serialize;
use serde_json::Value;
use tidegate_core::{ErrorKind, Field, GatewayError};

/// The only `version` PingPong Checkout v4 defines.
pub const VERSION: &str = "1.0";

const ACC_ID: &str = "accId";
const CLIENT_ID: &str = "clientId";
const SIGN_TYPE: &str = "signType";
const VERSION_FIELD: &str = "version";
const CODE: &str = "code";
const DESCRIPTION: &str = "description";

/// The top-level fields of a request envelope; errors name them as they are, never as a
/// `bizContent` path.
pub(crate) const ENVELOPE_FIELDS: [&str; 6] = [
    ACC_ID,
    CLIENT_ID,
    SIGN_TYPE,
    SIGN_FIELD,
    VERSION_FIELD,
    BIZ_CONTENT,
];

/// The longest `accId` or `clientId`.
const MAX_ID: usize = 64;
/// The longest `sign`.
const MAX_SIGN: usize = 128;
/// The longest `bizContent`, in characters.
pub const MAX_BIZ_CONTENT: usize = 32_768;

/// The hash a merchant signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignType {
    /// `SHA256`: SHA-256, 64 hex digits.
    Sha256,
    /// `MD5`: MD5, 32 hex digits.
    Md5,
}

impl SignType {
    /// The wire name, `SHA256` or `MD5`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Sha256 => "SHA256",
            SignType::Md5 => "MD5",
        }
    }

    /// The inverse of [`SignType::as_str`]; exact, upper case.
    pub fn parse(text: &str) -> Option<SignType> {
        [SignType::Sha256, SignType::Md5]
            .into_iter()
            .find(|sign_type| sign_type.as_str() == text)
    }
}

/// A parsed request envelope; `bizContent` is still text, read by the call's parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The store id, which identifies the terminal.
    pub acc_id: String,
    /// The merchant id: `acc_id` without its last three digits.
    pub client_id: String,
    /// The hash the merchant signed with.
    pub sign_type: SignType,
    /// The claimed signature, as sent.
    pub sign: String,
    /// Always [`VERSION`].
    pub version: String,
    /// The business parameters: JSON text, exactly as signed.
    pub biz_content: String,
    /// Every top-level (name, value) pair, for the signature.
    fields: Vec<(String, String)>,
}

impl Envelope {
    /// Parses a request body; see the module docs for the order of the checks.
    pub fn parse(body: &[u8]) -> Result<Envelope, GatewayError> {
        let fields = top_level_strings(body)?;
        let value = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map_or("", |(_, value)| value.as_str())
        };
        let acc_id = identifier(value(ACC_ID), ACC_ID, Field::Terminal)?;
        let client_id = identifier(value(CLIENT_ID), CLIENT_ID, Field::Account)?;
        let sign_type = required(value(SIGN_TYPE), SIGN_TYPE, Field::Signature)?;
        let sign_type = SignType::parse(sign_type).ok_or_else(|| {
            GatewayError::at(ErrorKind::InvalidFormat(Field::Signature), SIGN_TYPE)
        })?;
        let claimed = required(value(SIGN_FIELD), SIGN_FIELD, Field::Signature)?;
        if exceeds(claimed, MAX_SIGN) {
            return Err(GatewayError::at(
                ErrorKind::FieldTooLong(Field::Signature),
                SIGN_FIELD,
            ));
        }
        if required(value(VERSION_FIELD), VERSION_FIELD, Field::Other)? != VERSION {
            return Err(GatewayError::at(
                ErrorKind::InvalidFormat(Field::Other),
                VERSION_FIELD,
            ));
        }
        let biz_content = required(value(BIZ_CONTENT), BIZ_CONTENT, Field::Other)?;
        if exceeds(biz_content, MAX_BIZ_CONTENT) {
            return Err(GatewayError::at(
                ErrorKind::FieldTooLong(Field::Other),
                BIZ_CONTENT,
            ));
        }
        Ok(Envelope {
            acc_id: acc_id.to_owned(),
            client_id: client_id.to_owned(),
            sign_type,
            sign: claimed.to_owned(),
            version: VERSION.to_owned(),
            biz_content: biz_content.to_owned(),
            fields,
        })
    }

    /// Every top-level (name, value) pair as sent, `sign` included.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// True when `sign` is the signature of the top-level fields under `salt`.
    pub fn verify(&self, salt: &str) -> bool {
        let fields: Vec<(&str, &str)> = self.fields().collect();
        verify(&fields, salt, self.sign_type, &self.sign)
    }
}

/// True when `client_id` is `acc_id` without its last three characters, as PingPong assigns
/// them; a mismatch is answered as an unknown terminal (103000).
pub fn client_id_matches(acc_id: &str, client_id: &str) -> bool {
    let Some(split) = acc_id.len().checked_sub(3) else {
        return false;
    };
    !client_id.is_empty()
        && acc_id
            .get(split..)
            .is_some_and(|tail| tail.bytes().all(|b| b.is_ascii_digit()))
        && acc_id.get(..split) == Some(client_id)
}

fn top_level_strings(body: &[u8]) -> Result<Vec<(String, String)>, GatewayError> {
    let object =
        parse_object(body).ok_or_else(|| GatewayError::new(ErrorKind::MalformedRequest))?;
    let mut fields = Vec::with_capacity(object.len());
    for (name, value) in object {
        match value {
            Value::String(text) => fields.push((name, text)),
            Value::Null
            | Value::Bool(_)
            | Value::Number(_)
            | Value::Array(_)
            | Value::Object(_) => {
                // Only the envelope's own names are echoed: any other key would read as a
                // `bizContent` path in the reply's description.
                return Err(if ENVELOPE_FIELDS.contains(&name.as_str()) {
                    GatewayError::at(ErrorKind::MalformedRequest, &name)
                } else {
                    GatewayError::new(ErrorKind::MalformedRequest)
                });
            }
        }
    }
    Ok(fields)
}

fn required<'a>(value: &'a str, name: &str, field: Field) -> Result<&'a str, GatewayError> {
    if is_blank(value) {
        return Err(GatewayError::at(ErrorKind::MissingField(field), name));
    }
    Ok(value)
}

fn identifier<'a>(value: &'a str, name: &str, field: Field) -> Result<&'a str, GatewayError> {
    let value = required(value, name, field)?;
    if exceeds(value, MAX_ID) {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    if value.chars().any(char::is_control) {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(value)
}

/// The reply to a request: the outcome `code` and `description`, and the business result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEnvelope {
    /// The store id, echoed.
    pub acc_id: String,
    /// The merchant id, echoed.
    pub client_id: String,
    /// The request's hash, used again for the reply.
    pub sign_type: SignType,
    /// Six digits, see [`codes`](crate::pingpong::codes).
    pub code: String,
    /// The code's text.
    pub description: String,
    /// The business result: JSON text from [`replies`](crate::pingpong::replies).
    pub biz_content: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplyWire<'a> {
    acc_id: &'a str,
    client_id: &'a str,
    sign_type: &'a str,
    sign: &'a str,
    code: &'a str,
    description: &'a str,
    biz_content: &'a str,
}

impl ReplyEnvelope {
    /// A reply to `request`, echoing its `accId`, `clientId` and `signType`.
    pub fn answering(
        request: &Envelope,
        code: &str,
        description: &str,
        biz_content: String,
    ) -> ReplyEnvelope {
        ReplyEnvelope {
            acc_id: request.acc_id.clone(),
            client_id: request.client_id.clone(),
            sign_type: request.sign_type,
            code: code.to_owned(),
            description: description.to_owned(),
            biz_content,
        }
    }

    /// The JSON body, signed with `salt`; with an empty `salt` (a caller that could not be
    /// authenticated) `sign` is empty.
    pub fn encode(&self, salt: &str) -> String {
        let sign_type = self.sign_type.as_str();
        let fields = [
            (ACC_ID, self.acc_id.as_str()),
            (BIZ_CONTENT, &self.biz_content),
            (CLIENT_ID, &self.client_id),
            (CODE, &self.code),
            (DESCRIPTION, &self.description),
            (SIGN_TYPE, sign_type),
        ];
        let signature = if salt.is_empty() {
            String::new()
        } else {
            sign(&fields, salt, self.sign_type)
        };
        to_json(&ReplyWire {
            acc_id: &self.acc_id,
            client_id: &self.client_id,
            sign_type,
            sign: &signature,
            code: &self.code,
            description: &self.description,
            biz_content: &self.biz_content,
        })
    }
}

/// An asynchronous notification to a merchant's `notificationUrl`, enveloped like a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationEnvelope {
    /// The store id of the payment.
    pub acc_id: String,
    /// The merchant id of the payment.
    pub client_id: String,
    /// The hash to sign with: the one the payment's request used.
    pub sign_type: SignType,
    /// The notification: JSON text from [`replies`](crate::pingpong::replies).
    pub biz_content: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationWire<'a> {
    acc_id: &'a str,
    client_id: &'a str,
    sign_type: &'a str,
    sign: &'a str,
    version: &'a str,
    biz_content: &'a str,
}

impl NotificationEnvelope {
    /// The JSON body with `version` `1.0`, signed with `salt` like a request.
    pub fn encode(&self, salt: &str) -> String {
        let sign_type = self.sign_type.as_str();
        let fields = [
            (ACC_ID, self.acc_id.as_str()),
            (BIZ_CONTENT, &self.biz_content),
            (CLIENT_ID, &self.client_id),
            (SIGN_TYPE, sign_type),
            (VERSION_FIELD, VERSION),
        ];
        let signature = sign(&fields, salt, self.sign_type);
        to_json(&NotificationWire {
            acc_id: &self.acc_id,
            client_id: &self.client_id,
            sign_type,
            sign: &signature,
            version: VERSION,
            biz_content: &self.biz_content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Map};

    const SALT: &str = "F78BC96A55548B2319EE68E0";
    const ACC: &str = "2018092714313010016291";
    const CLIENT: &str = "2018092714313010016";
    const BIZ: &str = r#"{"merchantTransactionId":"T-1","amount":"0.02"}"#;

    /// A correctly signed body with `changes` applied afterwards (`None` removes the field).
    fn body_with(sign_type: SignType, changes: &[(&str, Option<Value>)]) -> Vec<u8> {
        let mut fields = vec![
            (ACC_ID, ACC),
            (CLIENT_ID, CLIENT),
            (SIGN_TYPE, sign_type.as_str()),
            (VERSION_FIELD, VERSION),
            (BIZ_CONTENT, BIZ),
        ];
        let signature = sign(&fields, SALT, sign_type);
        fields.push((SIGN_FIELD, &signature));
        let mut object: Map<String, Value> = fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
            .collect();
        for (name, value) in changes {
            match value {
                Some(value) => object.insert((*name).to_owned(), value.clone()),
                None => object.remove(*name),
            };
        }
        serde_json::to_vec(&object).expect("test body")
    }

    fn valid() -> Vec<u8> {
        body_with(SignType::Sha256, &[])
    }

    fn with(name: &str, value: Value) -> Vec<u8> {
        body_with(SignType::Sha256, &[(name, Some(value))])
    }

    fn without(name: &str) -> Vec<u8> {
        body_with(SignType::Sha256, &[(name, None)])
    }

    fn refused(body: &[u8]) -> (ErrorKind, Option<String>) {
        let error = Envelope::parse(body).expect_err("body should be refused");
        (error.kind, error.wire_field)
    }

    fn expect(body: &[u8], kind: ErrorKind, wire: &str) {
        assert_eq!(refused(body), (kind, Some(wire.to_owned())));
    }

    #[test]
    fn parses_and_verifies_a_signed_request() {
        let envelope = Envelope::parse(&valid()).expect("valid");
        assert_eq!(envelope.acc_id, ACC);
        assert_eq!(envelope.client_id, CLIENT);
        assert_eq!(envelope.sign_type, SignType::Sha256);
        assert_eq!(envelope.version, VERSION);
        assert_eq!(envelope.biz_content, BIZ);
        assert!(envelope.verify(SALT));
        assert!(!envelope.verify("F78BC96A55548B2319EE68E1"));
        assert_eq!(envelope.fields().count(), 6);
    }

    #[test]
    fn md5_round_trips() {
        let envelope = Envelope::parse(&body_with(SignType::Md5, &[])).expect("valid");
        assert_eq!(envelope.sign_type, SignType::Md5);
        assert_eq!(envelope.sign.len(), 32);
        assert!(envelope.verify(SALT));
    }

    #[test]
    fn the_signature_covers_every_top_level_field() {
        let tampered = with(BIZ_CONTENT, json!(BIZ.replace("0.02", "0.03")));
        assert!(!Envelope::parse(&tampered).expect("parses").verify(SALT));
        let extra = with("merchantSource", json!("0"));
        assert!(!Envelope::parse(&extra).expect("parses").verify(SALT));
        // A blank extra field is left out of the signature, as PingPong's signer does.
        let blank = with("merchantSource", json!(" "));
        assert!(Envelope::parse(&blank).expect("parses").verify(SALT));
    }

    #[test]
    fn the_sign_may_be_lower_case() {
        let envelope = Envelope::parse(&valid()).expect("valid");
        let lower = with(SIGN_FIELD, json!(envelope.sign.to_lowercase()));
        assert!(Envelope::parse(&lower).expect("parses").verify(SALT));
    }

    #[test]
    fn the_body_is_a_json_object_of_strings() {
        for body in [
            &b"[]"[..],
            b"",
            b"accId=1",
            b"{",
            b"\"x\"",
            b"{\"accId\":\"1\"} x",
            b"\xff",
        ] {
            assert_eq!(
                refused(body),
                (ErrorKind::MalformedRequest, None),
                "{body:?}"
            );
        }
        let nested = with(BIZ_CONTENT, json!({"amount": "1"}));
        expect(&nested, ErrorKind::MalformedRequest, BIZ_CONTENT);
        expect(
            &with(ACC_ID, json!(2018)),
            ErrorKind::MalformedRequest,
            ACC_ID,
        );
        expect(
            &with(VERSION_FIELD, Value::Null),
            ErrorKind::MalformedRequest,
            VERSION_FIELD,
        );
        assert_eq!(
            refused(&with("extra", json!(1))),
            (ErrorKind::MalformedRequest, None)
        );
    }

    #[test]
    fn repeated_keys_are_refused() {
        let body = br#"{"accId":"1","accId":"2"}"#;
        assert_eq!(refused(body), (ErrorKind::MalformedRequest, None));
    }

    #[test]
    fn acc_id_is_required_and_bounded() {
        expect(
            &without(ACC_ID),
            ErrorKind::MissingField(Field::Terminal),
            ACC_ID,
        );
        expect(
            &with(ACC_ID, json!("  ")),
            ErrorKind::MissingField(Field::Terminal),
            ACC_ID,
        );
        expect(
            &with(ACC_ID, json!("1".repeat(65))),
            ErrorKind::FieldTooLong(Field::Terminal),
            ACC_ID,
        );
        expect(
            &with(ACC_ID, json!("1\n2")),
            ErrorKind::InvalidFormat(Field::Terminal),
            ACC_ID,
        );
        assert!(Envelope::parse(&with(ACC_ID, json!("1".repeat(64)))).is_ok());
    }

    #[test]
    fn client_id_is_required_and_bounded() {
        expect(
            &without(CLIENT_ID),
            ErrorKind::MissingField(Field::Account),
            CLIENT_ID,
        );
        expect(
            &with(CLIENT_ID, json!("1".repeat(65))),
            ErrorKind::FieldTooLong(Field::Account),
            CLIENT_ID,
        );
        expect(
            &with(CLIENT_ID, json!("\u{7f}")),
            ErrorKind::InvalidFormat(Field::Account),
            CLIENT_ID,
        );
    }

    #[test]
    fn sign_type_is_sha256_or_md5() {
        expect(
            &without(SIGN_TYPE),
            ErrorKind::MissingField(Field::Signature),
            SIGN_TYPE,
        );
        for other in ["sha256", "RSA", "SHA-256", "HMAC-SHA256"] {
            expect(
                &with(SIGN_TYPE, json!(other)),
                ErrorKind::InvalidFormat(Field::Signature),
                SIGN_TYPE,
            );
        }
    }

    #[test]
    fn sign_is_required_and_bounded() {
        expect(
            &without(SIGN_FIELD),
            ErrorKind::MissingField(Field::Signature),
            SIGN_FIELD,
        );
        expect(
            &with(SIGN_FIELD, json!("A".repeat(129))),
            ErrorKind::FieldTooLong(Field::Signature),
            SIGN_FIELD,
        );
        let odd = Envelope::parse(&with(SIGN_FIELD, json!("not hex"))).expect("parses");
        assert!(!odd.verify(SALT));
    }

    #[test]
    fn version_is_1_0() {
        expect(
            &without(VERSION_FIELD),
            ErrorKind::MissingField(Field::Other),
            VERSION_FIELD,
        );
        for other in ["1", "2.0", "1.0 "] {
            expect(
                &with(VERSION_FIELD, json!(other)),
                ErrorKind::InvalidFormat(Field::Other),
                VERSION_FIELD,
            );
        }
    }

    #[test]
    fn biz_content_is_required_and_bounded() {
        expect(
            &without(BIZ_CONTENT),
            ErrorKind::MissingField(Field::Other),
            BIZ_CONTENT,
        );
        expect(
            &with(BIZ_CONTENT, json!("")),
            ErrorKind::MissingField(Field::Other),
            BIZ_CONTENT,
        );
        let long = format!("{{\"remark\":\"{}\"}}", "r".repeat(MAX_BIZ_CONTENT));
        expect(
            &with(BIZ_CONTENT, json!(long)),
            ErrorKind::FieldTooLong(Field::Other),
            BIZ_CONTENT,
        );
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        let mut changes: Vec<(&str, Option<Value>)> = vec![
            (BIZ_CONTENT, None),
            (VERSION_FIELD, Some(json!("2.0"))),
            (SIGN_FIELD, None),
            (SIGN_TYPE, Some(json!("RSA"))),
            (CLIENT_ID, None),
            (ACC_ID, None),
        ];
        let expected = [
            (ErrorKind::MissingField(Field::Terminal), ACC_ID),
            (ErrorKind::MissingField(Field::Account), CLIENT_ID),
            (ErrorKind::InvalidFormat(Field::Signature), SIGN_TYPE),
            (ErrorKind::MissingField(Field::Signature), SIGN_FIELD),
            (ErrorKind::InvalidFormat(Field::Other), VERSION_FIELD),
            (ErrorKind::MissingField(Field::Other), BIZ_CONTENT),
        ];
        for (kind, wire) in expected {
            expect(&body_with(SignType::Sha256, &changes), kind, wire);
            changes.pop();
        }
        assert!(Envelope::parse(&body_with(SignType::Sha256, &changes)).is_ok());
    }

    #[test]
    fn client_id_is_acc_id_without_its_last_three_digits() {
        assert!(client_id_matches(ACC, CLIENT));
        assert!(client_id_matches("1234", "1"));
        assert!(!client_id_matches(ACC, ACC));
        assert!(!client_id_matches(ACC, "2018092714313010017"));
        assert!(!client_id_matches("123", ""));
        assert!(!client_id_matches("12", "1"));
        assert!(!client_id_matches("1abc", "1"));
        assert!(client_id_matches("商品291", "商品"));
        assert!(!client_id_matches("x商", "x"));
    }

    #[test]
    fn replies_sign_code_and_description_without_version() {
        let request = Envelope::parse(&valid()).expect("valid");
        let reply =
            ReplyEnvelope::answering(&request, "000000", "Transaction succeeded", "{}".into());
        let text = reply.encode(SALT);
        let order = [
            "\"accId\":",
            "\"clientId\":",
            "\"signType\":",
            "\"sign\":",
            "\"code\":",
            "\"description\":",
            "\"bizContent\":",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|key| text.find(key).expect("key present"))
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
        assert!(!text.contains("version"));
        let body: Map<String, Value> = serde_json::from_str(&text).expect("JSON");
        let fields: Vec<(&str, &str)> = body
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str().expect("string")))
            .collect();
        let claimed = body["sign"].as_str().expect("sign");
        assert!(verify(&fields, SALT, SignType::Sha256, claimed));
        assert!(reply.encode("").contains("\"sign\":\"\""));
    }

    #[test]
    fn notifications_parse_and_verify_like_requests() {
        let notification = NotificationEnvelope {
            acc_id: ACC.into(),
            client_id: CLIENT.into(),
            sign_type: SignType::Md5,
            biz_content: BIZ.into(),
        };
        let envelope = Envelope::parse(notification.encode(SALT).as_bytes()).expect("valid");
        assert_eq!(envelope.version, VERSION);
        assert_eq!(envelope.biz_content, BIZ);
        assert!(envelope.verify(SALT));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Envelope::parse(&body);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(body in ".{0,300}") {
            if let Ok(envelope) = Envelope::parse(body.as_bytes()) {
                let _ = envelope.verify(SALT);
            }
        }

        #[test]
        fn parsing_arbitrary_envelopes_never_panics(
            fields in proptest::collection::btree_map(
                prop_oneof![
                    Just(ACC_ID.to_owned()), Just(CLIENT_ID.to_owned()), Just(SIGN_TYPE.to_owned()),
                    Just(SIGN_FIELD.to_owned()), Just(VERSION_FIELD.to_owned()),
                    Just(BIZ_CONTENT.to_owned()), "[a-zA-Z]{1,8}",
                ],
                prop_oneof![
                    Just(json!("SHA256")), Just(json!("MD5")), Just(json!("1.0")),
                    "[0-9]{0,70}".prop_map(Value::String), "\\PC{0,40}".prop_map(Value::String),
                    ".{0,40}".prop_map(Value::String), any::<i64>().prop_map(Value::from),
                    Just(Value::Null), Just(json!({"a": "b"})),
                ],
                0..9,
            ),
        ) {
            let object: Map<String, Value> = fields.into_iter().collect();
            let body = serde_json::to_vec(&object).expect("test body");
            if let Ok(envelope) = Envelope::parse(&body) {
                let _ = envelope.verify(SALT);
                let _ = client_id_matches(&envelope.acc_id, &envelope.client_id);
            }
        }

        #[test]
        fn client_id_matching_never_panics(acc_id in "\\PC{0,12}", client_id in "\\PC{0,12}") {
            let _ = client_id_matches(&acc_id, &client_id);
        }
    }
}
