//! PingPong's published envelopes, checked against `Envelope`, `sign` and `ReplyEnvelope`.

use serde::Deserialize;
use serde_json::{Map, Value};
use tidegate_core::{ErrorKind, Field};
use tidegate_wire::pingpong::{
    client_id_matches, sign, verify, Envelope, ReplyEnvelope, SignType, UnifiedPayRequest,
};

#[derive(Deserialize)]
struct Fixture {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    source: String,
    kind: String,
    salt: String,
    body: Map<String, Value>,
}

impl Vector {
    fn text(&self, name: &str) -> &str {
        self.body[name].as_str().expect("string field")
    }

    fn fields(&self) -> Vec<(&str, &str)> {
        self.body
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str().expect("string field")))
            .collect()
    }

    fn raw_body(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("vector body")
    }

    /// The body with one character of `bizContent` changed.
    fn tampered(&self) -> Map<String, Value> {
        let mut body = self.body.clone();
        let biz = self
            .text("bizContent")
            .replacen("\"amount\"", "\"amounT\"", 1);
        assert_ne!(biz, self.text("bizContent"), "{}", self.source);
        body.insert("bizContent".into(), Value::String(biz));
        body
    }
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pingpong/published-envelopes.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn vectors(kind: &str) -> Vec<Vector> {
    let vectors: Vec<Vector> = fixture()
        .vectors
        .into_iter()
        .filter(|vector| vector.kind == kind)
        .collect();
    assert_eq!(vectors.len(), 2, "{kind} vectors");
    vectors
}

#[test]
fn published_requests_parse_and_verify() {
    for vector in vectors("request") {
        let envelope = Envelope::parse(&vector.raw_body()).expect("published request");
        assert_eq!(envelope.acc_id, vector.text("accId"), "{}", vector.source);
        assert_eq!(envelope.client_id, vector.text("clientId"));
        assert!(client_id_matches(&envelope.acc_id, &envelope.client_id));
        assert_eq!(envelope.sign_type, SignType::Sha256);
        assert_eq!(envelope.biz_content, vector.text("bizContent"));
        let mut names: Vec<&str> = envelope.fields().map(|(name, _)| name).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "accId",
                "bizContent",
                "clientId",
                "sign",
                "signType",
                "version"
            ]
        );
        assert!(envelope.verify(&vector.salt), "{}", vector.source);
        assert!(
            !envelope.verify("BCE27A281029F5EAF3CC0E82"),
            "another store's salt"
        );
        assert_eq!(
            sign(&vector.fields(), &vector.salt, SignType::Sha256),
            vector.text("sign")
        );
    }
}

#[test]
fn published_requests_fail_once_tampered() {
    for vector in vectors("request") {
        let body = serde_json::to_vec(&vector.tampered()).expect("body");
        let envelope = Envelope::parse(&body).expect("still well-formed");
        assert!(!envelope.verify(&vector.salt), "{}", vector.source);
        let mut lower = vector.body.clone();
        let sign_value = vector.text("sign").to_lowercase();
        lower.insert("sign".into(), Value::String(sign_value));
        let envelope = Envelope::parse(&serde_json::to_vec(&lower).expect("body")).expect("valid");
        assert!(envelope.verify(&vector.salt), "lower-case hex verifies too");
    }
}

#[test]
fn published_responses_verify_and_are_reproduced() {
    for vector in vectors("response") {
        let fields = vector.fields();
        assert!(
            verify(&fields, &vector.salt, SignType::Sha256, vector.text("sign")),
            "{}",
            vector.source
        );
        let reply = ReplyEnvelope {
            acc_id: vector.text("accId").into(),
            client_id: vector.text("clientId").into(),
            sign_type: SignType::Sha256,
            code: vector.text("code").into(),
            description: vector.text("description").into(),
            biz_content: vector.text("bizContent").into(),
        };
        let encoded: Map<String, Value> =
            serde_json::from_str(&reply.encode(&vector.salt)).expect("reply JSON");
        assert_eq!(encoded, vector.body, "{}", vector.source);
    }
}

#[test]
fn published_responses_fail_once_tampered() {
    for vector in vectors("response") {
        let tampered = vector.tampered();
        let fields: Vec<(&str, &str)> = tampered
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str().expect("string field")))
            .collect();
        assert!(!verify(
            &fields,
            &vector.salt,
            SignType::Sha256,
            vector.text("sign")
        ));
        let mut recoded: Vec<(&str, &str)> = vector.fields();
        for field in &mut recoded {
            if field.0 == "code" {
                field.1 = "000001";
            }
        }
        assert!(!verify(
            &recoded,
            &vector.salt,
            SignType::Sha256,
            vector.text("sign")
        ));
    }
}

#[test]
fn published_business_contents_reach_the_documented_refusals() {
    let requests = vectors("request");
    // The unifiedPay example pays by card (`scheme`): everything before the method passes.
    let card = UnifiedPayRequest::parse(requests[0].body["bizContent"].as_str().expect("text"))
        .expect_err("cards are not offered");
    assert_eq!(
        (card.kind, card.wire_field.as_deref()),
        (ErrorKind::UnsupportedMethod, Some("paymentMethod.type"))
    );
    // The prePay example has no requestId.
    let pre_pay = UnifiedPayRequest::parse(requests[1].body["bizContent"].as_str().expect("text"))
        .expect_err("no requestId");
    assert_eq!(
        (pre_pay.kind, pre_pay.wire_field.as_deref()),
        (ErrorKind::MissingField(Field::Other), Some("requestId"))
    );
}
