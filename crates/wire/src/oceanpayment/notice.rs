//! The asynchronous notices Tidegate POSTs to a merchant's `noticeUrl` (raw XML body,
//! `Content-Type: application/xml`), and how their answers are read.
//!
//! Transaction notices report a payment's result; their body is
//! [`PaymentReply::encode`](crate::oceanpayment::reply::PaymentReply::encode) with
//! `notice_type` `transaction`. Business notices report later events, such as refunds
//! ([`BusinessNotice`]). A notice counts as delivered only when [`acknowledged`].
//!
//! Oceanpayment publishes no signature formula for business notices: [`BusinessNotice`] is
//! signed over [`BUSINESS_NOTICE_FIELDS`], Tidegate's choice, covering what identifies the
//! event and its outcome.

use crate::oceanpayment::sign::BUSINESS_NOTICE_FIELDS;
use crate::oceanpayment::xml::{signed_document, SIGN_VALUE};

/// The answer by which a merchant acknowledges a notice.
const RECEIVE_OK: &str = "receive-ok";

/// True when a merchant's answer acknowledges a notice: a 2xx status and a body that is
/// exactly `receive-ok` (case-sensitive) once surrounding whitespace, line breaks and a UTF-8
/// byte order mark are removed. Anything else means "send it again".
pub fn acknowledged(http_status: u16, body: &str) -> bool {
    (200..300).contains(&http_status)
        && body.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}') == RECEIVE_OK
}

/// The `notice_type` of a refund's business notice: `refund` (full) or `partialRefund`.
pub fn refund_notice_type(full: bool) -> &'static str {
    if full {
        "refund"
    } else {
        "partialRefund"
    }
}

/// A business-event notice (a refund, for now), as the wire shows it (all text, empty when
/// unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessNotice {
    /// The merchant account.
    pub account: String,
    /// The terminal.
    pub terminal: String,
    /// When the original payment was made.
    pub payment_date_time: String,
    /// When this notice was pushed.
    pub push_date_time: String,
    /// The merchant's order number.
    pub order_number: String,
    /// The order currency.
    pub order_currency: String,
    /// The order amount exactly as the merchant sent it.
    pub order_amount: String,
    /// The merchant's notes.
    pub order_notes: String,
    /// The card brand or wallet.
    pub card_type: String,
    /// The card's issuing country; empty for wallets.
    pub card_country: String,
    /// The gateway's payment id.
    pub payment_id: String,
    /// The merchant's refund id.
    pub refund_number: String,
    /// The acquirer's reference for the refund.
    pub refund_reference: String,
    /// The refunded amount, as the merchant sent it.
    pub refund_amount: String,
    /// The event, e.g. [`refund_notice_type`].
    pub notice_type: String,
    /// `1` the event succeeded, `0` it failed.
    pub push_status: String,
    /// `code:message` describing the outcome.
    pub push_details: String,
    /// The event's id; for refunds the gateway's refund id.
    pub push_id: String,
}

impl BusinessNotice {
    /// The signed `<response>` document; with an empty `secure_code` `signValue` is empty.
    /// `payment_debitTime` is always empty: Tidegate does not know when the customer's account
    /// was debited.
    pub fn encode(&self, secure_code: &str) -> String {
        let elements = [
            ("account", self.account.as_str()),
            ("terminal", &self.terminal),
            (SIGN_VALUE, ""),
            ("payment_dateTime", &self.payment_date_time),
            ("payment_debitTime", ""),
            ("push_dateTime", &self.push_date_time),
            ("order_number", &self.order_number),
            ("order_currency", &self.order_currency),
            ("order_amount", &self.order_amount),
            ("order_notes", &self.order_notes),
            ("card_type", &self.card_type),
            ("card_country", &self.card_country),
            ("payment_id", &self.payment_id),
            ("refund_number", &self.refund_number),
            ("refund_reference", &self.refund_reference),
            ("refund_amount", &self.refund_amount),
            ("notice_type", &self.notice_type),
            ("push_status", &self.push_status),
            ("push_details", &self.push_details),
            ("push_id", &self.push_id),
        ];
        signed_document("response", &elements, BUSINESS_NOTICE_FIELDS, secure_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::xml::read;

    const SECURE_CODE: &str = "12345678";

    #[test]
    fn only_a_2xx_receive_ok_acknowledges() {
        let cases = [
            (200, "receive-ok", true),
            (200, " receive-ok\r\n", true),
            (200, "\u{FEFF}receive-ok\n", true),
            (204, "receive-ok", true),
            (200, "receive-no", false),
            (500, "receive-ok", false),
            (302, "receive-ok", false),
            (199, "receive-ok", false),
            (200, "", false),
            (200, "RECEIVE-OK", false),
            (200, "receive-ok receive-ok", false),
            (200, "<html>receive-ok</html>", false),
        ];
        for (status, body, expected) in cases {
            assert_eq!(acknowledged(status, body), expected, "{status} {body:?}");
        }
    }

    #[test]
    fn refund_notice_types() {
        assert_eq!(refund_notice_type(true), "refund");
        assert_eq!(refund_notice_type(false), "partialRefund");
    }

    fn partial_refund() -> BusinessNotice {
        BusinessNotice {
            account: "995149".into(),
            terminal: "99514901".into(),
            payment_date_time: "2026-01-01 09:30:00".into(),
            push_date_time: "2026-01-02 12:00:05".into(),
            order_number: "POS-20260101-0001".into(),
            order_currency: "CNY".into(),
            order_amount: "90.00".into(),
            order_notes: "table 4".into(),
            card_type: "WeChatPay".into(),
            card_country: String::new(),
            payment_id: "260101093000123000001".into(),
            refund_number: "RF-0001".into(),
            refund_reference: "4200001234202601020001".into(),
            refund_amount: "10.50".into(),
            notice_type: refund_notice_type(false).into(),
            push_status: "1".into(),
            push_details: "00:Success".into(),
            push_id: "260101120000000000007".into(),
        }
    }

    #[test]
    fn business_notice() {
        insta::assert_snapshot!(partial_refund().encode(SECURE_CODE));
    }

    #[test]
    fn a_merchant_can_verify_a_business_notice() {
        let root = read::parse(&partial_refund().encode(SECURE_CODE));
        assert_eq!(root.name, "response");
        assert_eq!(
            root.tags(),
            [
                "account",
                "terminal",
                "signValue",
                "payment_dateTime",
                "payment_debitTime",
                "push_dateTime",
                "order_number",
                "order_currency",
                "order_amount",
                "order_notes",
                "card_type",
                "card_country",
                "payment_id",
                "refund_number",
                "refund_reference",
                "refund_amount",
                "notice_type",
                "push_status",
                "push_details",
                "push_id",
            ]
        );
        assert!(root.signature_verifies(BUSINESS_NOTICE_FIELDS, SECURE_CODE));
        assert_eq!(root.text_of("payment_debitTime"), "");
        let tampered = partial_refund()
            .encode(SECURE_CODE)
            .replace("<push_status>1<", "<push_status>0<");
        assert!(!read::parse(&tampered).signature_verifies(BUSINESS_NOTICE_FIELDS, SECURE_CODE));
    }

    #[test]
    fn without_a_secure_code_the_signature_is_empty() {
        assert!(partial_refund()
            .encode("")
            .contains("<signValue></signValue>"));
    }
}
