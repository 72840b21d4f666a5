//! The PingPong Checkout v4 dialect: JSON envelopes signed with the store's salt (SHA-256 or
//! MD5 over the sorted `key=value` pairs), business parameters in the `bizContent` JSON string,
//! six-digit reply codes.
//!
//! | call | method | request | result |
//! |------|--------|---------|--------|
//! | `POST /v4/payment/unifiedPay` | [`PingPongClient::unified_pay`] | [`UnifiedPayRequest`] | [`PaymentResult`] |
//! | `POST /v4/payment/query` | [`PingPongClient::query`] | [`PaymentQuery`] | [`PaymentResult`] |
//! | `POST /v4/payment/refund` | [`PingPongClient::refund`] | [`RefundRequest`] | [`RefundResult`] |
//! | `POST /v4/refund/query` | [`PingPongClient::refund_query`] | [`RefundQuery`] | [`RefundResult`] |
//! | `POST /v4/payment/void` | [`PingPongClient::void`] | [`VoidRequest`] | [`VoidResult`] |
//! | `POST /v4/void/query` | [`PingPongClient::void_query`] | [`VoidQuery`] | [`VoidResult`] |
//!
//! Envelopes are signed and verified with `tidegate-wire`'s [`sign`](tidegate_wire::pingpong::sign())
//! and [`verify`](tidegate_wire::pingpong::verify()), the functions the gateway uses. A reply
//! whose `sign` is empty is the gateway's refusal of a request it could not authenticate
//! ([`ClientError::Refused`]); one whose `sign` does not verify is
//! [`ClientError::BadSignature`]. Notices are read with [`verify_notice`].

mod notice;
mod pay;
mod refund;
mod till;
mod void;

pub use notice::{verify_notice, PingPongNotice, ACKNOWLEDGEMENT};
pub use pay::{PaymentQuery, PaymentResult, UnifiedPayRequest};
pub use refund::{RefundQuery, RefundRequest, RefundResult};
pub use tidegate_wire::pingpong::SignType;
pub use void::{VoidQuery, VoidRequest, VoidResult};

use crate::http::{Http, DEFAULT_TIMEOUT};
use crate::ClientError;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;
use tidegate_wire::pingpong::{
    self as wire, STATUS_CLOSED, STATUS_FAILED, STATUS_PROCESSING, STATUS_SUCCESS, VERSION,
};

/// A store's credentials: `accId`, `clientId` and the salt that signs for it.
#[derive(Clone)]
pub struct Credentials {
    acc_id: String,
    client_id: String,
    salt: SecretString,
    sign_type: SignType,
}

impl Credentials {
    /// Credentials of the store `acc_id` of merchant `client_id`, signing with SHA-256.
    pub fn new(
        acc_id: impl Into<String>,
        client_id: impl Into<String>,
        salt: impl Into<String>,
    ) -> Credentials {
        Credentials {
            acc_id: acc_id.into(),
            client_id: client_id.into(),
            salt: SecretString::from(salt.into()),
            sign_type: SignType::Sha256,
        }
    }

    /// PingPong's public sandbox store, which every sandbox `tidegate serve` also knows:
    /// accId `2018092714313010016291`, clientId `2018092714313010016`, salt
    /// `F78BC96A55548B2319EE68E0`.
    pub fn sandbox_demo() -> Credentials {
        Credentials::new(
            "2018092714313010016291",
            "2018092714313010016",
            "F78BC96A55548B2319EE68E0",
        )
    }

    /// With another signature algorithm (`MD5` or `SHA256`).
    #[must_use]
    pub fn with_sign_type(mut self, sign_type: SignType) -> Credentials {
        self.sign_type = sign_type;
        self
    }

    /// The store id.
    pub fn acc_id(&self) -> &str {
        &self.acc_id
    }

    /// The merchant id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The signature algorithm.
    pub fn sign_type(&self) -> SignType {
        self.sign_type
    }

    fn salt(&self) -> &str {
        self.salt.expose_secret()
    }

    /// The `sign` of an envelope carrying `biz_content`: what `tidegate sign pingpong` prints.
    pub fn sign_envelope(&self, biz_content: &str) -> String {
        wire::sign(
            &self.envelope_fields(biz_content),
            self.salt(),
            self.sign_type,
        )
    }

    /// A signed request envelope around `biz_content`, as a JSON text.
    pub fn envelope(&self, biz_content: &str) -> String {
        let sign = self.sign_envelope(biz_content);
        let mut object: Map<String, Value> = self
            .envelope_fields(biz_content)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
            .collect();
        object.insert("sign".to_owned(), Value::String(sign));
        Value::Object(object).to_string()
    }

    fn envelope_fields<'a>(&'a self, biz_content: &'a str) -> [(&'static str, &'a str); 5] {
        [
            ("accId", self.acc_id.as_str()),
            ("bizContent", biz_content),
            ("clientId", &self.client_id),
            ("signType", self.sign_type.as_str()),
            ("version", VERSION),
        ]
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("acc_id", &self.acc_id)
            .field("client_id", &self.client_id)
            .field("salt", &"[redacted]")
            .field("sign_type", &self.sign_type)
            .finish()
    }
}

/// A client for one store of a PingPong-speaking gateway.
///
/// ```no_run
/// # async fn example() -> Result<(), tidegate_client::ClientError> {
/// use tidegate_client::pingpong::{Credentials, PaymentQuery, PingPongClient};
///
/// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
/// let payment = client.query(&PaymentQuery::by_order("POS-0001")).await?;
/// println!("{} {:?}", payment.code(), payment.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct PingPongClient {
    http: Http,
    credentials: Credentials,
}

impl PingPongClient {
    /// A client for the gateway at `base_url` (`http://` or `https://`), signing as
    /// `credentials`; each call may take up to 40 seconds.
    pub fn new(base_url: &str, credentials: Credentials) -> Result<PingPongClient, ClientError> {
        PingPongClient::with_timeout(base_url, credentials, DEFAULT_TIMEOUT)
    }

    /// As [`PingPongClient::new`], with another limit on how long one call may take.
    pub fn with_timeout(
        base_url: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<PingPongClient, ClientError> {
        Ok(PingPongClient {
            http: Http::new(base_url, timeout)?,
            credentials,
        })
    }

    /// The credentials this client signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The gateway's base URL.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// Wraps `biz` in a signed envelope, POSTs it to `path` and verifies the reply.
    async fn call(&self, path: &str, biz: &Value) -> Result<Reply, ClientError> {
        let body = self.credentials.envelope(&biz.to_string());
        let answer = self.http.post(path, "application/json", body).await?;
        Reply::read(&answer.body, answer.status, &self.credentials)
    }
}

/// A verified reply envelope: its code and description, and `bizContent` as an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) code: String,
    pub(crate) description: String,
    pub(crate) biz: Map<String, Value>,
    pub(crate) http_status: u16,
}

impl Reply {
    /// Reads a reply envelope and verifies its `sign`; an empty `sign` is a refusal.
    fn read(body: &str, http_status: u16, credentials: &Credentials) -> Result<Reply, ClientError> {
        let object: Map<String, Value> = serde_json::from_str(body).map_err(|error| {
            ClientError::malformed(http_status, format!("not a JSON object: {error}"))
        })?;
        let mut fields = Vec::with_capacity(object.len());
        for (name, value) in &object {
            let Value::String(text) = value else {
                return Err(ClientError::malformed(
                    http_status,
                    format!("{name} is not a string"),
                ));
            };
            fields.push((name.as_str(), text.as_str()));
        }
        let text = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == name)
                .map_or("", |(_, value)| *value)
        };
        let (code, description) = (text("code").to_owned(), text("description").to_owned());
        let claimed = text(wire::SIGN_FIELD);
        if claimed.is_empty() {
            return Err(ClientError::Refused {
                code,
                message: description,
                http_status,
            });
        }
        // Verified with the caller's own algorithm: a reply cannot choose a weaker one.
        if !wire::verify(&fields, credentials.salt(), credentials.sign_type, claimed) {
            return Err(ClientError::BadSignature);
        }
        let biz = biz_object(text("bizContent"), http_status)?;
        Ok(Reply {
            code,
            description,
            biz,
            http_status,
        })
    }
}

/// `bizContent` read as a JSON object; empty when blank.
fn biz_object(biz_content: &str, http_status: u16) -> Result<Map<String, Value>, ClientError> {
    if biz_content.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(biz_content) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(ClientError::malformed(
            http_status,
            "bizContent is not a JSON object",
        )),
    }
}

/// A text field of a `bizContent` object: strings as they are, numbers in their JSON form.
fn biz_text<'a>(biz: &'a Map<String, Value>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    match biz.get(name)? {
        Value::String(text) => Some(std::borrow::Cow::Borrowed(text.as_str())),
        Value::Number(number) => Some(std::borrow::Cow::Owned(number.to_string())),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The `status` of a payment, refund or void.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `SUCCESS`: paid, refunded, voided.
    Success,
    /// `FAILED`: declined, cancelled by the customer, refused.
    Failed,
    /// `PROCESSING`: not final yet.
    Processing,
    /// `CLOSED`: a payment that expired unpaid or was voided.
    Closed,
}

impl Status {
    /// Reads the wire value.
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            STATUS_SUCCESS => Some(Status::Success),
            STATUS_FAILED => Some(Status::Failed),
            STATUS_PROCESSING => Some(Status::Processing),
            STATUS_CLOSED => Some(Status::Closed),
            _ => None,
        }
    }

    /// The status a reply's `bizContent` carries; `None` when it has none (a refusal).
    fn of(biz: &Map<String, Value>, http_status: u16) -> Result<Option<Status>, ClientError> {
        match biz_text(biz, "status") {
            None => Ok(None),
            Some(text) => Status::parse(&text)
                .map(Some)
                .ok_or_else(|| ClientError::malformed(http_status, format!("status {text:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply published in PingPong's v4 documentation (`uniformly.md`), signed with the
    /// public sandbox salt; see `tests/fixtures/pingpong/SOURCE.md`.
    const PUBLISHED_DECLINE: &str =
        include_str!("../../tests/fixtures/pingpong/published-decline-reply.json");

    #[test]
    fn a_published_reply_verifies() {
        let reply =
            Reply::read(PUBLISHED_DECLINE, 200, &Credentials::sandbox_demo()).expect("verified");
        assert_eq!(reply.code, "301002");
        assert_eq!(
            Status::of(&reply.biz, 200).expect("status"),
            Some(Status::Failed)
        );
        assert_eq!(
            biz_text(&reply.biz, "transactionId").as_deref(),
            Some("2023092050004595")
        );
    }

    #[test]
    fn one_character_changed_fails_verification() {
        let tampered = PUBLISHED_DECLINE.replacen("301002", "000000", 1);
        assert!(matches!(
            Reply::read(&tampered, 200, &Credentials::sandbox_demo()),
            Err(ClientError::BadSignature)
        ));
        let md5 = Credentials::sandbox_demo().with_sign_type(SignType::Md5);
        assert!(matches!(
            Reply::read(PUBLISHED_DECLINE, 200, &md5),
            Err(ClientError::BadSignature)
        ));
    }

    #[test]
    fn an_unsigned_reply_is_a_refusal_with_its_code() {
        let body = r#"{"accId":"1","clientId":"2","signType":"SHA256","sign":"","code":"104000","description":"Invalid signature","bizContent":"{}"}"#;
        match Reply::read(body, 200, &Credentials::sandbox_demo()) {
            Err(ClientError::Refused { code, message, .. }) => assert_eq!(
                (code.as_str(), message.as_str()),
                ("104000", "Invalid signature")
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            Reply::read("<html/>", 502, &Credentials::sandbox_demo()),
            Err(ClientError::Malformed { .. })
        ));
    }

    #[test]
    fn a_request_envelope_signs_the_way_the_gateway_verifies() {
        let credentials = Credentials::sandbox_demo();
        let body = credentials.envelope(r#"{"merchantTransactionId":"T-1"}"#);
        let envelope = wire::Envelope::parse(body.as_bytes()).expect("parses");
        assert!(envelope.verify("F78BC96A55548B2319EE68E0"));
        assert_eq!(
            envelope.sign,
            credentials.sign_envelope(r#"{"merchantTransactionId":"T-1"}"#)
        );
        let md5 = credentials.with_sign_type(SignType::Md5);
        let envelope = wire::Envelope::parse(md5.envelope("{}").as_bytes()).expect("parses");
        assert_eq!(envelope.sign.len(), 32);
        assert!(envelope.verify("F78BC96A55548B2319EE68E0"));
    }

    #[test]
    fn credentials_never_print_the_salt() {
        assert!(!format!("{:?}", Credentials::sandbox_demo()).contains("F78BC96A"));
    }
}
