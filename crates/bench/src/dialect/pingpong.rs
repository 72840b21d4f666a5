//! The PingPong Checkout v4 API: `POST /v4/payment/unifiedPay`, a JSON envelope whose `sign`
//! is SHA-256 over the salt and the sorted `key=value` pairs of `accId bizContent clientId
//! signType version`, answered by an envelope signed over `accId bizContent clientId code
//! description signType` (see docs/pingpong.md).
//!
//! Each payment is order `prefix` + sequence number, paid in one attempt whose `requestId` is
//! the order number followed by `-R1`; sending the identical envelope again replays it.

use super::{decimal, Dialect, PaymentParams, Verdict};
use anyhow::bail;
use bytes::{BufMut as _, BytesMut};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::borrow::Cow;
use tidegate_wire::pingpong::{self, client_id_matches, SignType};

/// The sandbox store's `clientId` (a Tidegate account).
pub(super) const DEMO_CLIENT_ID: &str = "2018092714313010016";
/// The sandbox store's `accId` (a Tidegate terminal).
pub(super) const DEMO_ACC_ID: &str = "2018092714313010016291";
/// The sandbox store's salt.
pub(super) const DEMO_SALT: &str = "F78BC96A55548B2319EE68E0";

/// The code of an approved payment.
const APPROVED: &str = "000000";
/// The code of a payment not final yet.
const PROCESSING: &str = "002000";

/// Customer-presented payments of one PingPong store, order numbers `prefix` + sequence number.
///
/// The envelope and its signed text are cut into fixed parts around the two places where the
/// sequence number goes (`merchantTransactionId` and `requestId`), so that a request costs
/// copying those parts and one SHA-256 over the part of the signed text that differs.
pub(super) struct Pingpong {
    /// The body up to the first digits: `{"accId":…,"bizContent":"{\"merchantTransactionId\":\"PREFIX`.
    body_head: Vec<u8>,
    /// The body between the two digits: `\",\"requestId\":\"PREFIX`.
    body_middle: Vec<u8>,
    /// The body from the second digits to the signature: `-R1\",…}","sign":"`.
    body_tail: Vec<u8>,
    /// SHA-256 state after `SALTaccId=…&bizContent={"merchantTransactionId":"PREFIX`.
    signed_head: Sha256,
    /// The signed text between the two digits: `","requestId":"PREFIX`.
    signed_middle: Vec<u8>,
    /// The signed text after the second digits: `-R1",…}&clientId=…&signType=SHA256&version=1.0`.
    signed_tail: Vec<u8>,
    /// The order numbers' shared start.
    order_prefix: String,
    /// The store's salt, to verify replies.
    salt: String,
}

/// The `requestId` of a payment's only attempt is its order number followed by this.
const ATTEMPT: &str = "-R1";

impl Pingpong {
    /// Payments as `params` describe: `account` is the `clientId`, `terminal` the `accId`,
    /// `secure_code` the salt.
    pub(super) fn new(params: &PaymentParams) -> anyhow::Result<Pingpong> {
        if !params
            .order_prefix
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            bail!("order number prefixes are letters, digits and dashes");
        }
        let (acc_id, client_id, salt) = (
            params.terminal.trim(),
            params.account.trim(),
            params.secure_code.as_str(),
        );
        if !client_id_matches(acc_id, client_id) {
            bail!(
                "--dialect pingpong: --account is the store's clientId and --terminal its accId, which is the \
                 clientId followed by three digits ({client_id:?} and {acc_id:?} are not)"
            );
        }
        if salt.trim().is_empty() {
            bail!("--dialect pingpong: --secure-code is the store's salt and cannot be blank");
        }
        for (name, value) in [
            ("--amount", &params.amount),
            ("--currency", &params.currency),
            ("--payment-code", &params.payment_code),
        ] {
            if value.trim().is_empty() {
                bail!("{name} cannot be blank");
            }
        }
        let prefix = params.order_prefix.as_str();
        // bizContent, cut where the sequence number goes; the prefix needs no escaping.
        let biz_head = format!("{{\"merchantTransactionId\":\"{prefix}");
        let biz_middle = format!("\",\"requestId\":\"{prefix}");
        let biz_tail = format!(
            "{ATTEMPT}\",\"amount\":{},\"currency\":{},\"captureDelayHours\":0,\
             \"paymentMethod\":{{\"type\":{},\"scanCodeId\":{}}}}}",
            json_string(&params.amount),
            json_string(&params.currency),
            json_string(method_type(&params.payment_code, &params.currency)),
            json_string(&params.payment_code),
        );
        let sign_type = SignType::Sha256.as_str();
        let version = pingpong::VERSION;

        let mut signed_head = Sha256::new();
        signed_head.update(salt);
        signed_head.update(format!("accId={acc_id}&bizContent={biz_head}"));
        let signed_tail =
            format!("{biz_tail}&clientId={client_id}&signType={sign_type}&version={version}");

        let body_head = format!(
            "{{\"accId\":{},\"clientId\":{},\"signType\":\"{sign_type}\",\"version\":\"{version}\",\"bizContent\":\"{}",
            json_string(acc_id),
            json_string(client_id),
            json_string_content(&biz_head),
        );
        let body_tail = format!("{}\",\"sign\":\"", json_string_content(&biz_tail));
        Ok(Pingpong {
            body_head: body_head.into_bytes(),
            body_middle: json_string_content(&biz_middle).into_bytes(),
            body_tail: body_tail.into_bytes(),
            signed_head,
            signed_middle: biz_middle.into_bytes(),
            signed_tail: signed_tail.into_bytes(),
            order_prefix: prefix.to_owned(),
            salt: salt.to_owned(),
        })
    }

    /// True when `merchant_transaction_id` and `request_id` are those of this run's payment `seq`.
    fn is_payment(&self, merchant_transaction_id: &str, request_id: &str, seq: u64) -> bool {
        let mut digits = [0_u8; 20];
        let digits = decimal(seq, &mut digits);
        let is_order = |text: &str| {
            text.strip_prefix(self.order_prefix.as_str())
                .is_some_and(|rest| rest.as_bytes() == digits)
        };
        is_order(merchant_transaction_id) && request_id.strip_suffix(ATTEMPT).is_some_and(is_order)
    }

    /// True when the reply's `sign` is the reply signature over what the reply shows.
    fn signature_valid(&self, reply: &ReplyWire<'_>) -> bool {
        let Some(sign_type) = SignType::parse(&reply.sign_type) else {
            return false;
        };
        let fields: [(&str, &str); 6] = [
            ("accId", &reply.acc_id),
            ("bizContent", &reply.biz_content),
            ("clientId", &reply.client_id),
            ("code", &reply.code),
            ("description", &reply.description),
            ("signType", &reply.sign_type),
        ];
        !reply.sign.is_empty() && pingpong::verify(&fields, &self.salt, sign_type, &reply.sign)
    }
}

/// The reply envelope; absent fields read as empty, as a till reads them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyWire<'a> {
    #[serde(borrow, default)]
    acc_id: Cow<'a, str>,
    #[serde(borrow, default)]
    client_id: Cow<'a, str>,
    #[serde(borrow, default)]
    sign_type: Cow<'a, str>,
    #[serde(borrow, default)]
    sign: Cow<'a, str>,
    #[serde(borrow, default)]
    code: Cow<'a, str>,
    #[serde(borrow, default)]
    description: Cow<'a, str>,
    #[serde(borrow, default)]
    biz_content: Cow<'a, str>,
}

/// The parts of a payment reply's `bizContent` the benchmark reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentBiz<'a> {
    #[serde(borrow, default)]
    transaction_id: Cow<'a, str>,
    #[serde(borrow, default)]
    merchant_transaction_id: Cow<'a, str>,
    #[serde(borrow, default)]
    request_id: Cow<'a, str>,
    #[serde(borrow, default)]
    status: Cow<'a, str>,
}

impl Dialect for Pingpong {
    fn name(&self) -> &'static str {
        "pingpong"
    }

    fn path(&self) -> &'static str {
        pingpong::UNIFIED_PAY_PATH
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn write_request(&self, seq: u64, body: &mut BytesMut) {
        let mut digits = [0_u8; 20];
        let digits = decimal(seq, &mut digits);
        let mut hasher = self.signed_head.clone();
        hasher.update(digits);
        hasher.update(&self.signed_middle);
        hasher.update(digits);
        hasher.update(&self.signed_tail);
        let mut sign = [0_u8; 64];
        // 32 bytes always fit 64 hex digits; the error case cannot happen.
        if hex::encode_to_slice(hasher.finalize(), &mut sign).is_err() {
            sign.fill(b'0');
        }
        sign.make_ascii_uppercase();
        body.reserve(
            self.body_head.len()
                + self.body_middle.len()
                + self.body_tail.len()
                + 2 * digits.len()
                + sign.len()
                + 2,
        );
        body.put_slice(&self.body_head);
        body.put_slice(digits);
        body.put_slice(&self.body_middle);
        body.put_slice(digits);
        body.put_slice(&self.body_tail);
        body.put_slice(&sign);
        body.put_slice(b"\"}");
    }

    fn read_reply<'a>(&self, seq: u64, body: &'a [u8]) -> Verdict<'a> {
        let Ok(reply) = serde_json::from_slice::<ReplyWire<'_>>(body) else {
            return Verdict::Unusable("the reply is not a JSON envelope");
        };
        let Ok(biz) = serde_json::from_str::<PaymentBiz<'_>>(&reply.biz_content) else {
            return Verdict::Unusable("the reply's bizContent is not a JSON object");
        };
        let about_payment = self.is_payment(&biz.merchant_transaction_id, &biz.request_id, seq);
        // Refusals of a request (e.g. a duplicate) answer `{}`: only a reply that names an
        // order can be about another one.
        let names_none = biz.merchant_transaction_id.is_empty() && biz.request_id.is_empty();
        if !about_payment && !names_none {
            return Verdict::Unusable("the reply is about another payment");
        }
        let signature_valid = self.signature_valid(&reply);
        match &*reply.code {
            APPROVED if about_payment && biz.status == pingpong::STATUS_SUCCESS => {
                match in_body(body, &biz.transaction_id) {
                    Some(payment_id) if !payment_id.is_empty() => Verdict::Approved {
                        payment_id,
                        signature_valid,
                    },
                    _ => Verdict::Unusable("the approved reply has no plain transactionId"),
                }
            }
            APPROVED => Verdict::Unusable(
                "the reply has code 000000 without status SUCCESS for this payment",
            ),
            PROCESSING if about_payment => Verdict::Pending { signature_valid },
            PROCESSING => Verdict::Unusable("the processing reply names no payment"),
            "" => Verdict::Unusable("the reply has no code"),
            code => match in_body(body, code) {
                Some(code) => Verdict::Refused {
                    code,
                    signature_valid,
                },
                None => Verdict::Unusable("the reply's code is not plain text"),
            },
        }
    }
}

/// `text` as a slice of `body`, where it appears verbatim when it needs no JSON escaping
/// (codes and transaction ids are digits); `None` when it does not appear.
fn in_body<'a>(body: &'a [u8], text: &str) -> Option<&'a str> {
    let needle = text.as_bytes();
    if needle.is_empty() {
        return Some("");
    }
    let start = body
        .windows(needle.len())
        .position(|window| window == needle)?;
    std::str::from_utf8(&body[start..start + needle.len()]).ok()
}

/// `text` as a JSON string, quotes included.
fn json_string(text: &str) -> String {
    // Serializing a string cannot fail; the fallback is never used.
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// `text` escaped for the inside of a JSON string, without the quotes.
fn json_string_content(text: &str) -> String {
    let quoted = json_string(text);
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

/// `paymentMethod.type` for a customer's `code`: WeChat codes start 10–15, Alipay codes 25–30
/// (AlipayHK for HKD, AlipayCN otherwise); anything else is sent as WeChat and left to the
/// gateway to judge.
fn method_type(code: &str, currency: &str) -> &'static str {
    match code.get(..2).and_then(|start| start.parse::<u8>().ok()) {
        Some(25..=30) if currency.eq_ignore_ascii_case("HKD") => "AlipayHK-Offline",
        Some(25..=30) => "AlipayCN-Offline",
        _ => "Wechat-Offline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidegate_wire::pingpong::{Envelope, ReplyEnvelope, UnifiedPayRequest};

    fn params() -> PaymentParams {
        PaymentParams {
            account: DEMO_CLIENT_ID.into(),
            terminal: DEMO_ACC_ID.into(),
            secure_code: DEMO_SALT.into(),
            payment_code: "134567890123450000".into(),
            currency: "CNY".into(),
            amount: "12.30".into(),
            order_prefix: "TB0123-".into(),
        }
    }

    fn request(dialect: &Pingpong, seq: u64) -> Envelope {
        let mut body = BytesMut::new();
        dialect.write_request(seq, &mut body);
        Envelope::parse(&body).expect("a request envelope")
    }

    #[test]
    fn requests_are_envelopes_the_gateway_accepts() {
        let dialect = Pingpong::new(&params()).expect("valid params");
        for seq in [0, 9, 1_234_567, u64::MAX] {
            let envelope = request(&dialect, seq);
            assert_eq!(envelope.acc_id, DEMO_ACC_ID);
            assert_eq!(envelope.client_id, DEMO_CLIENT_ID);
            assert_eq!(envelope.sign_type, SignType::Sha256);
            assert!(envelope.verify(DEMO_SALT), "seq {seq}: {envelope:?}");
            assert_eq!(envelope.sign, envelope.sign.to_ascii_uppercase());
            let biz: serde_json::Value =
                serde_json::from_str(&envelope.biz_content).expect("bizContent JSON");
            assert_eq!(biz["merchantTransactionId"], format!("TB0123-{seq}"));
            assert_eq!(biz["requestId"], format!("TB0123-{seq}-R1"));
            assert_eq!(biz["amount"], "12.30");
            assert_eq!(biz["currency"], "CNY");
            assert_eq!(biz["paymentMethod"]["type"], "Wechat-Offline");
            assert_eq!(biz["paymentMethod"]["scanCodeId"], "134567890123450000");
            UnifiedPayRequest::parse(&envelope.biz_content).expect("a valid unifiedPay");
        }
        assert_eq!(
            request(&dialect, 5),
            request(&dialect, 5),
            "replays are identical"
        );
        assert_ne!(request(&dialect, 5).sign, request(&dialect, 6).sign);
    }

    #[test]
    fn mismatched_or_blank_credentials_are_refused_before_the_run() {
        let mut wrong = params();
        wrong.account = "995149".into();
        assert!(Pingpong::new(&wrong).is_err());
        let mut blank = params();
        blank.secure_code = " ".into();
        assert!(Pingpong::new(&blank).is_err());
    }

    fn biz(seq: u64, status: &str) -> String {
        serde_json::json!({
            "transactionId": "260101093000123000001",
            "merchantTransactionId": format!("TB0123-{seq}"),
            "requestId": format!("TB0123-{seq}-R1"),
            "amount": "12.30",
            "currency": "CNY",
            "status": status,
            "remark": "a \"quoted\" remark",
            "transactionTime": "1767260000000",
            "paymentMethod": { "type": "Wechat-Offline" },
        })
        .to_string()
    }

    fn reply(code: &str, biz_content: String, salt: &str) -> String {
        ReplyEnvelope {
            acc_id: DEMO_ACC_ID.into(),
            client_id: DEMO_CLIENT_ID.into(),
            sign_type: SignType::Sha256,
            code: code.into(),
            description: "described".into(),
            biz_content,
        }
        .encode(salt)
    }

    #[test]
    fn reads_approved_pending_and_refused_replies_and_verifies_their_signatures() {
        let dialect = Pingpong::new(&params()).expect("valid params");
        let approved = reply("000000", biz(42, "SUCCESS"), DEMO_SALT);
        assert_eq!(
            dialect.read_reply(42, approved.as_bytes()),
            Verdict::Approved {
                payment_id: "260101093000123000001",
                signature_valid: true
            }
        );
        let pending = reply("002000", biz(42, "PROCESSING"), DEMO_SALT);
        assert_eq!(
            dialect.read_reply(42, pending.as_bytes()),
            Verdict::Pending {
                signature_valid: true
            }
        );
        let declined = reply("301051", biz(42, "FAILED"), DEMO_SALT);
        assert_eq!(
            dialect.read_reply(42, declined.as_bytes()),
            Verdict::Refused {
                code: "301051",
                signature_valid: true
            }
        );
        let duplicate = reply("107000", "{}".into(), DEMO_SALT);
        assert_eq!(
            dialect.read_reply(42, duplicate.as_bytes()),
            Verdict::Refused {
                code: "107000",
                signature_valid: true
            }
        );
    }

    #[test]
    fn catches_forged_signatures_and_replies_about_other_payments() {
        let dialect = Pingpong::new(&params()).expect("valid params");
        let forged = reply("000000", biz(42, "SUCCESS"), "another salt");
        assert!(matches!(
            dialect.read_reply(42, forged.as_bytes()),
            Verdict::Approved {
                signature_valid: false,
                ..
            }
        ));
        let tampered = reply("000000", biz(42, "SUCCESS"), DEMO_SALT).replace("12.30", "1.30");
        assert!(matches!(
            dialect.read_reply(42, tampered.as_bytes()),
            Verdict::Approved {
                signature_valid: false,
                ..
            }
        ));
        let unsigned = reply("104000", "{}".into(), "");
        assert!(matches!(
            dialect.read_reply(42, unsigned.as_bytes()),
            Verdict::Refused {
                signature_valid: false,
                ..
            }
        ));
        let other = reply("000000", biz(43, "SUCCESS"), DEMO_SALT);
        assert!(matches!(
            dialect.read_reply(42, other.as_bytes()),
            Verdict::Unusable(_)
        ));
        assert!(matches!(
            dialect.read_reply(4, other.as_bytes()),
            Verdict::Unusable(_)
        ));
        let not_paid = reply("000000", biz(42, "PROCESSING"), DEMO_SALT);
        assert!(matches!(
            dialect.read_reply(42, not_paid.as_bytes()),
            Verdict::Unusable(_)
        ));
        assert!(matches!(
            dialect.read_reply(42, b"<html>busy</html>"),
            Verdict::Unusable(_)
        ));
    }

    #[test]
    fn the_method_follows_the_code() {
        assert_eq!(method_type("134567890123450000", "CNY"), "Wechat-Offline");
        assert_eq!(method_type("284567890123450000", "CNY"), "AlipayCN-Offline");
        assert_eq!(method_type("284567890123450000", "HKD"), "AlipayHK-Offline");
    }
}
