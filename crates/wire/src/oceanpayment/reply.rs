//! The `<response>` XML that answers `gateway/directservice/pay` and is the body of the later
//! transaction notices to `noticeUrl`.
//!
//! Elements appear in the order Oceanpayment documents for notices, every one of them present
//! (empty when there is nothing to say), because merchant plugins read them by name and some
//! by position. `signValue` covers the payment-result fields ([`PAYMENT_RESULT_FIELDS`]).

use crate::oceanpayment::sign::PAYMENT_RESULT_FIELDS;
use crate::oceanpayment::xml::{signed_document, SIGN_VALUE};

/// The fields of a payment result, as the wire shows them (all text, empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentReply {
    /// `transaction` for payment results.
    pub notice_type: String,
    /// When the notice was pushed; empty in synchronous replies.
    pub push_date_time: String,
    /// `1` for server-to-server replies and notices.
    pub response_type: String,
    /// The merchant account, echoed.
    pub account: String,
    /// The terminal, echoed.
    pub terminal: String,
    /// The payment method, e.g. `WeChatPay_Offline`.
    pub methods: String,
    /// The merchant's order number, echoed.
    pub order_number: String,
    /// The card's issuing country; empty for wallets.
    pub card_country: String,
    /// The order currency, echoed.
    pub order_currency: String,
    /// The order amount exactly as the merchant sent it.
    pub order_amount: String,
    /// The merchant's notes, echoed.
    pub order_notes: String,
    /// The masked card or wallet account.
    pub card_number: String,
    /// The card brand or wallet.
    pub card_type: String,
    /// The country of the paying customer's IP address.
    pub payment_country: String,
    /// The gateway's 21-digit payment id.
    pub payment_id: String,
    /// `0` for a sale.
    pub payment_auth_type: String,
    /// `1` paid, `0` failed, `-1` not final yet.
    pub payment_status: String,
    /// `code:message`.
    pub payment_details: String,
    /// A hint the till may show the customer.
    pub payment_solutions: String,
    /// Risk rule scores.
    pub payment_risk: String,
    /// What the customer actually paid.
    pub payment_amount: String,
    /// The exchange rate applied to the customer's payment.
    pub payment_exchange_rate: String,
    /// For merchant-presented payments, the QR code link the till shows the customer.
    pub pay_bar_code: String,
    /// Why a pre-authorisation was captured or voided.
    pub auth_reason: String,
    /// Who captured or voided the payment in the back office.
    pub order_operator: String,
    /// The acquirer's authorisation code.
    pub auth_code: String,
    /// The wallet's id of the paying customer.
    pub pay_user_id: String,
}

impl PaymentReply {
    /// The values the signature covers, in [`PAYMENT_RESULT_FIELDS`] order.
    pub fn signed_values(&self) -> [&str; 12] {
        [
            &self.account,
            &self.terminal,
            &self.order_number,
            &self.order_currency,
            &self.order_amount,
            &self.order_notes,
            &self.card_number,
            &self.payment_id,
            &self.payment_auth_type,
            &self.payment_status,
            &self.payment_details,
            &self.payment_risk,
        ]
    }

    /// The signed XML document; with an empty `secure_code` (unknown terminal) `signValue` is empty.
    ///
    /// Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) can only reach
    /// here through echoes of refused requests; they are replaced by U+FFFD before signing, so
    /// the document stays well-formed and its signature still verifies over what it shows.
    pub fn encode(&self, secure_code: &str) -> String {
        signed_document(
            "response",
            &self.elements(),
            PAYMENT_RESULT_FIELDS,
            secure_code,
        )
    }

    /// Every element as `(tag, text)`, in Oceanpayment's order; `signValue` is filled in later.
    fn elements(&self) -> [(&'static str, &str); 28] {
        [
            ("notice_type", &self.notice_type),
            ("push_dateTime", &self.push_date_time),
            ("response_type", &self.response_type),
            ("account", &self.account),
            ("terminal", &self.terminal),
            (SIGN_VALUE, ""),
            ("methods", &self.methods),
            ("order_number", &self.order_number),
            ("card_country", &self.card_country),
            ("order_currency", &self.order_currency),
            ("order_amount", &self.order_amount),
            ("order_notes", &self.order_notes),
            ("card_number", &self.card_number),
            ("card_type", &self.card_type),
            ("payment_country", &self.payment_country),
            ("payment_id", &self.payment_id),
            ("payment_authType", &self.payment_auth_type),
            ("payment_status", &self.payment_status),
            ("payment_details", &self.payment_details),
            ("payment_solutions", &self.payment_solutions),
            ("payment_risk", &self.payment_risk),
            ("payment_amount", &self.payment_amount),
            ("payment_exchangeRate", &self.payment_exchange_rate),
            ("pay_barCode", &self.pay_bar_code),
            ("auth_reason", &self.auth_reason),
            ("order_operator", &self.order_operator),
            ("auth_code", &self.auth_code),
            ("pay_userId", &self.pay_user_id),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::sign::{sign, verify};
    use quick_xml::events::Event;
    use quick_xml::Reader;
    use std::collections::HashMap;

    const SECURE_CODE: &str = "12345678";

    fn approved_customer_presented() -> PaymentReply {
        PaymentReply {
            notice_type: "transaction".into(),
            response_type: "1".into(),
            account: "995149".into(),
            terminal: "99514901".into(),
            methods: "WeChatPay_Offline".into(),
            order_number: "POS-20260101-0001".into(),
            order_currency: "CNY".into(),
            order_amount: "90.00".into(),
            order_notes: "table 4".into(),
            card_number: "1345**********1234".into(),
            card_type: "WeChatPay".into(),
            payment_id: "260101093000123000001".into(),
            payment_auth_type: "0".into(),
            payment_status: "1".into(),
            payment_details: "80000:Transaction Approved".into(),
            payment_amount: "90.00".into(),
            payment_exchange_rate: "1".into(),
            pay_user_id: "o-wx-4f1c".into(),
            ..PaymentReply::default()
        }
    }

    fn pending_merchant_presented() -> PaymentReply {
        PaymentReply {
            notice_type: "transaction".into(),
            response_type: "1".into(),
            account: "995149".into(),
            terminal: "99514901".into(),
            methods: "Alipay_Offline".into(),
            order_number: "POS-20260101-0002".into(),
            order_currency: "HKD".into(),
            order_amount: "12.5".into(),
            payment_id: "260101093100456000002".into(),
            payment_auth_type: "0".into(),
            payment_status: "-1".into(),
            payment_details: "29001:Waiting for the customer to complete the payment".into(),
            pay_bar_code: "https://qr.alipay.com/bax01234?a=1&b=2".into(),
            ..PaymentReply::default()
        }
    }

    /// Reads every element's text the way a merchant's XML library would.
    fn parse(xml: &str) -> HashMap<String, String> {
        let mut reader = Reader::from_str(xml);
        let mut fields = HashMap::new();
        let mut current: Option<String> = None;
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(start) => {
                    let name =
                        String::from_utf8(start.name().as_ref().to_vec()).expect("UTF-8 tag");
                    fields.insert(name.clone(), String::new());
                    current = Some(name);
                }
                Event::Text(text) => {
                    if let Some(name) = &current {
                        let text = text.unescape().expect("valid escapes");
                        fields.entry(name.clone()).or_default().push_str(&text);
                    }
                }
                Event::End(_) => current = None,
                Event::Eof => break,
                Event::Empty(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {}
            }
        }
        fields
    }

    /// Verifies the way merchant plugins do: upper-case both sides, recompute from the fields.
    fn merchant_accepts(fields: &HashMap<String, String>) -> bool {
        let values: Vec<&str> = PAYMENT_RESULT_FIELDS
            .iter()
            .map(|name| fields.get(*name).map_or("", String::as_str))
            .collect();
        let received = fields
            .get("signValue")
            .map(|value| value.to_uppercase())
            .unwrap_or_default();
        received == sign(&values, SECURE_CODE) && verify(&received, &values, SECURE_CODE)
    }

    #[test]
    fn approved_customer_presented_reply() {
        insta::assert_snapshot!(approved_customer_presented().encode(SECURE_CODE));
    }

    #[test]
    fn pending_merchant_presented_reply() {
        insta::assert_snapshot!(pending_merchant_presented().encode(SECURE_CODE));
    }

    #[test]
    fn a_merchant_can_verify_the_reply() {
        for reply in [approved_customer_presented(), pending_merchant_presented()] {
            let fields = parse(&reply.encode(SECURE_CODE));
            assert!(merchant_accepts(&fields));
            assert_eq!(fields["order_amount"], reply.order_amount);
        }
    }

    #[test]
    fn every_element_is_present_in_order() {
        let xml = PaymentReply::default().encode(SECURE_CODE);
        let tags: Vec<&str> = xml
            .split('<')
            .filter(|piece| !piece.starts_with('/') && !piece.starts_with('?'))
            .filter_map(|piece| piece.split('>').next())
            .filter(|tag| !tag.is_empty())
            .collect();
        assert_eq!(tags.first(), Some(&"response"));
        assert_eq!(tags.len(), 29);
        assert_eq!(tags.get(6), Some(&"signValue"));
        assert_eq!(tags.last(), Some(&"pay_userId"));
        assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><response><notice_type>"#));
    }

    #[test]
    fn markup_in_text_round_trips() {
        let reply = PaymentReply {
            order_notes: "<b>fish & chips</b> \"x\" 'y'\r\nline\ttwo".into(),
            order_number: "A&B<1>".into(),
            ..approved_customer_presented()
        };
        let xml = reply.encode(SECURE_CODE);
        assert!(!xml.contains("<b>"));
        assert!(!xml.contains('\r'));
        let fields = parse(&xml);
        assert_eq!(fields["order_notes"], reply.order_notes);
        assert_eq!(fields["order_number"], reply.order_number);
        assert!(merchant_accepts(&fields));
    }

    #[test]
    fn a_tampered_reply_fails_verification() {
        let mut fields = parse(&approved_customer_presented().encode(SECURE_CODE));
        fields.insert("payment_status".into(), "0".into());
        assert!(!merchant_accepts(&fields));
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced_before_signing() {
        let reply = PaymentReply {
            order_notes: "bell\u{7}".into(),
            order_number: "A\u{FFFF}".into(),
            ..approved_customer_presented()
        };
        let fields = parse(&reply.encode(SECURE_CODE));
        assert_eq!(fields["order_notes"], "bell\u{FFFD}");
        assert_eq!(fields["order_number"], "A\u{FFFD}");
        assert!(merchant_accepts(&fields));
    }

    #[test]
    fn without_a_secure_code_the_signature_is_empty() {
        let xml = approved_customer_presented().encode("");
        assert!(xml.contains("<signValue></signValue>"));
    }
}
