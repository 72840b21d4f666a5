//! The Oceanpayment in-person API: `POST /gateway/directservice/pay`, a form signed with
//! SHA-256 over [`PAY_REQUEST_FIELDS`], answered by a `<response>` signed over
//! [`PAYMENT_RESULT_FIELDS`] (see docs/oceanpayment.md).

use super::xml::Elements;
use super::{decimal, Dialect, PaymentParams, Verdict};
use anyhow::bail;
use bytes::{BufMut as _, BytesMut};
use sha2::{Digest as _, Sha256};
use std::borrow::Cow;
#[cfg(test)]
use tidegate_wire::oceanpayment::sign::PAY_REQUEST_FIELDS;
use tidegate_wire::oceanpayment::sign::{self, PAYMENT_RESULT_FIELDS};

/// Room for the signed fields of a reply; [`PAYMENT_RESULT_FIELDS`] has 12.
const MAX_SIGNED_FIELDS: usize = 16;
const _: () = assert!(PAYMENT_RESULT_FIELDS.len() <= MAX_SIGNED_FIELDS);

/// Customer-presented payments of one terminal, order numbers `prefix` + sequence number.
pub(super) struct Oceanpayment {
    /// The form up to the order number's digits: every fixed field, encoded once.
    form_head: Vec<u8>,
    /// SHA-256 state after `account terminal order_prefix`, the part of the signed text
    /// every payment shares; each request hashes only its own digits and the tail.
    signed_head: Sha256,
    /// `order_currency order_amount` (billing names and e-mail are not sent, so they sign as
    /// empty) and the secureCode.
    signed_tail: Vec<u8>,
    /// The order numbers' shared start.
    order_prefix: String,
    /// The terminal's secret, to verify replies.
    secure_code: String,
}

impl Oceanpayment {
    /// Payments as `params` describe.
    pub(super) fn new(params: &PaymentParams) -> anyhow::Result<Oceanpayment> {
        if !params
            .order_prefix
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            bail!("order number prefixes are letters, digits and dashes");
        }
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("account", &params.account)
            .append_pair("terminal", &params.terminal)
            .append_pair("order_currency", &params.currency)
            .append_pair("order_amount", &params.amount)
            .append_pair("pay_accountNumber", &params.payment_code)
            .append_pair("order_number", &params.order_prefix);
        let mut signed_head = Sha256::new();
        signed_head.update(&params.account);
        signed_head.update(&params.terminal);
        signed_head.update(&params.order_prefix);
        let signed_tail = [
            params.currency.as_str(),
            params.amount.as_str(),
            &params.secure_code,
        ]
        .concat();
        Ok(Oceanpayment {
            form_head: form.finish().into_bytes(),
            signed_head,
            signed_tail: signed_tail.into_bytes(),
            order_prefix: params.order_prefix.clone(),
            secure_code: params.secure_code.clone(),
        })
    }

    /// True when `order_number` is this run's order number `seq`.
    fn is_order(&self, order_number: &str, seq: u64) -> bool {
        let mut digits = [0_u8; 20];
        order_number
            .strip_prefix(self.order_prefix.as_str())
            .is_some_and(|rest| rest.as_bytes() == decimal(seq, &mut digits))
    }

    /// True when the reply's `signValue` is the result signature over what the reply shows.
    fn signature_valid(&self, elements: &Elements<'_>) -> bool {
        let mut texts: [Cow<'_, str>; MAX_SIGNED_FIELDS] = Default::default();
        for (text, name) in texts.iter_mut().zip(PAYMENT_RESULT_FIELDS) {
            *text = elements.text(name);
        }
        let mut parts = [""; MAX_SIGNED_FIELDS];
        for (part, text) in parts.iter_mut().zip(&texts) {
            *part = text;
        }
        let sign_value = elements.text("signValue");
        sign::verify(
            &sign_value,
            &parts[..PAYMENT_RESULT_FIELDS.len()],
            &self.secure_code,
        )
    }
}

impl Dialect for Oceanpayment {
    fn name(&self) -> &'static str {
        "oceanpayment"
    }

    fn path(&self) -> &'static str {
        "/gateway/directservice/pay"
    }

    fn content_type(&self) -> &'static str {
        "application/x-www-form-urlencoded"
    }

    fn write_request(&self, seq: u64, body: &mut BytesMut) {
        let mut digits = [0_u8; 20];
        let digits = decimal(seq, &mut digits);
        let mut hasher = self.signed_head.clone();
        hasher.update(digits);
        hasher.update(&self.signed_tail);
        let mut sign_value = [0_u8; 64];
        // 32 bytes always fit 64 hex digits; the error case cannot happen.
        if hex::encode_to_slice(hasher.finalize(), &mut sign_value).is_err() {
            sign_value.fill(b'0');
        }
        body.reserve(self.form_head.len() + digits.len() + 11 + sign_value.len());
        body.put_slice(&self.form_head);
        body.put_slice(digits);
        body.put_slice(b"&signValue=");
        body.put_slice(&sign_value);
    }

    fn read_reply<'a>(&self, seq: u64, body: &'a [u8]) -> Verdict<'a> {
        let Ok(xml) = std::str::from_utf8(body) else {
            return Verdict::Unusable("the reply is not UTF-8");
        };
        let Some(elements) = Elements::parse(xml, "response") else {
            return Verdict::Unusable("the reply is not a flat <response> document");
        };
        if !self.is_order(&elements.text("order_number"), seq) {
            return Verdict::Unusable("the reply is about another order");
        }
        let signature_valid = self.signature_valid(&elements);
        match elements.raw("payment_status") {
            Some("1") => Verdict::Approved {
                payment_id: elements.raw("payment_id").unwrap_or(""),
                signature_valid,
            },
            Some("-1") => Verdict::Pending { signature_valid },
            Some("0") => {
                let details = elements.raw("payment_details").unwrap_or("");
                let code = details.split_once(':').map_or(details, |(code, _)| code);
                Verdict::Refused {
                    code,
                    signature_valid,
                }
            }
            _ => Verdict::Unusable("the reply has no payment_status of 1, 0 or -1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidegate_wire::oceanpayment::PaymentReply;

    fn params() -> PaymentParams {
        PaymentParams {
            account: "995149".into(),
            terminal: "99514901".into(),
            secure_code: "12345678".into(),
            payment_code: "134567890123450000".into(),
            currency: "CNY".into(),
            amount: "12.30".into(),
            order_prefix: "TB0123-".into(),
        }
    }

    fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
        form.iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    #[test]
    fn requests_are_signed_as_the_wire_crate_signs_them() {
        let dialect = Oceanpayment::new(&params()).expect("valid params");
        for seq in [0, 9, 1_234_567] {
            let mut body = BytesMut::new();
            dialect.write_request(seq, &mut body);
            let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            assert_eq!(field(&form, "order_number"), format!("TB0123-{seq}"));
            assert_eq!(field(&form, "pay_accountNumber"), "134567890123450000");
            let parts: Vec<&str> = PAY_REQUEST_FIELDS
                .iter()
                .map(|name| field(&form, name))
                .collect();
            assert_eq!(
                field(&form, "signValue"),
                sign::sign(&parts, "12345678").to_ascii_lowercase()
            );
        }
    }

    fn reply(seq: u64, status: &str) -> PaymentReply {
        PaymentReply {
            notice_type: "transaction".into(),
            response_type: "1".into(),
            account: "995149".into(),
            terminal: "99514901".into(),
            methods: "WeChatPay_Offline".into(),
            order_number: format!("TB0123-{seq}"),
            order_currency: "CNY".into(),
            order_amount: "12.30".into(),
            order_notes: "a & b <c>".into(),
            payment_id: "260101093000123000001".into(),
            payment_auth_type: "0".into(),
            payment_status: status.into(),
            payment_details: if status == "1" {
                "80000:Transaction Approved"
            } else {
                "20061:Duplicate order"
            }
            .into(),
            ..PaymentReply::default()
        }
    }

    #[test]
    fn reads_approved_and_refused_replies_and_verifies_their_signatures() {
        let dialect = Oceanpayment::new(&params()).expect("valid params");
        let approved = reply(42, "1").encode("12345678");
        assert_eq!(
            dialect.read_reply(42, approved.as_bytes()),
            Verdict::Approved {
                payment_id: "260101093000123000001",
                signature_valid: true
            }
        );
        let refused = reply(42, "0").encode("12345678");
        assert_eq!(
            dialect.read_reply(42, refused.as_bytes()),
            Verdict::Refused {
                code: "20061",
                signature_valid: true
            }
        );
        let pending = reply(42, "-1").encode("12345678");
        assert_eq!(
            dialect.read_reply(42, pending.as_bytes()),
            Verdict::Pending {
                signature_valid: true
            }
        );
    }

    #[test]
    fn catches_forged_signatures_and_replies_about_other_orders() {
        let dialect = Oceanpayment::new(&params()).expect("valid params");
        let forged = reply(42, "1").encode("87654321");
        assert!(matches!(
            dialect.read_reply(42, forged.as_bytes()),
            Verdict::Approved {
                signature_valid: false,
                ..
            }
        ));
        let tampered = reply(42, "1")
            .encode("12345678")
            .replace("12.30</order_amount>", "1.30</order_amount>");
        assert!(matches!(
            dialect.read_reply(42, tampered.as_bytes()),
            Verdict::Approved {
                signature_valid: false,
                ..
            }
        ));
        let unsigned = reply(42, "0").encode("");
        assert!(matches!(
            dialect.read_reply(42, unsigned.as_bytes()),
            Verdict::Refused {
                signature_valid: false,
                ..
            }
        ));
        let other = reply(43, "1").encode("12345678");
        assert!(matches!(
            dialect.read_reply(42, other.as_bytes()),
            Verdict::Unusable(_)
        ));
        assert!(matches!(
            dialect.read_reply(4, other.as_bytes()),
            Verdict::Unusable(_)
        ));
        assert!(matches!(
            dialect.read_reply(42, b"<html>busy</html>"),
            Verdict::Unusable(_)
        ));
    }
}
