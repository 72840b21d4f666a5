//! The order status query, `POST /service/check/normal`, and its XML reply.
//!
//! The request names up to 100 orders in `order_number`, comma separated, and is signed over
//! [`ORDER_QUERY_FIELDS`](crate::oceanpayment::sign::ORDER_QUERY_FIELDS) (the whole field as
//! sent). [`OrderQueryRequest::parse`] runs after the signature verified and reports the first
//! failure, always in this order:
//!
//! 1. `account`, `terminal`, `signValue` (the credentials, again);
//! 2. `order_number`: required; at most 5100 characters as a whole; split on `,`, each entry
//!    trimmed of spaces and empty entries skipped; at least one entry (else missing) and at most
//!    100 (else too long); then each entry in the order sent: at most 50 characters, no control
//!    characters. Entries named twice are kept once, where they first appear;
//! 3. every other field, in the order sent: at most 2000 characters of free text.
//!
//! The reply is `<response>` with the echoed `account` and `terminal`, then one `<paymentInfo>`
//! per payment found ([`encode_order_query`]). Its elements are those of Oceanpayment's
//! published example that Tidegate has values for. Oceanpayment publishes no signature formula
//! for it: each `paymentInfo` is signed over [`QUERY_RESULT_FIELDS`], Tidegate's choice.
//! A request refused before or at authentication, or by the rules above, is answered by
//! [`encode_query_refusal`]: no `paymentInfo`, only `query_details` (`code:message`), unsigned.

use crate::oceanpayment::form::Form;
use crate::oceanpayment::pay::Credentials;
use crate::oceanpayment::rules::{check_other_fields, check_printable, exceeds, required};
use crate::oceanpayment::sign::QUERY_RESULT_FIELDS;
use crate::oceanpayment::xml::{
    push_close, push_element, push_open, push_signed_elements, with_capacity_for, DECLARATION,
    SIGN_VALUE,
};
use tidegate_core::{ErrorKind, Field, GatewayError};

const ORDER_NUMBER: &str = "order_number";

/// The most orders one query may name.
pub const MAX_QUERY_ORDERS: usize = 100;

/// The longest `order_number` field, separators and spaces included.
const MAX_ORDER_NUMBER_FIELD: usize = 5100;

/// The longest single order number.
const MAX_ORDER_NUMBER: usize = 50;

/// A validated order status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQueryRequest {
    /// The merchant account number.
    pub account: String,
    /// The terminal number.
    pub terminal: String,
    /// The order numbers asked for: trimmed, non-empty, at most 100, each once, in request order.
    pub order_numbers: Vec<String>,
}

impl OrderQueryRequest {
    /// Validates every field of a query whose signature has been verified.
    pub fn parse(form: &Form) -> Result<OrderQueryRequest, GatewayError> {
        let credentials = Credentials::from_form(form)?;
        let order_numbers = order_numbers(form)?;
        check_other_fields(form, &[ORDER_NUMBER])?;
        Ok(OrderQueryRequest {
            account: credentials.account,
            terminal: credentials.terminal,
            order_numbers,
        })
    }
}

fn order_numbers(form: &Form) -> Result<Vec<String>, GatewayError> {
    let too_long = || GatewayError::at(ErrorKind::FieldTooLong(Field::OrderNumber), ORDER_NUMBER);
    let whole = required(form, ORDER_NUMBER, Field::OrderNumber)?;
    if exceeds(whole, MAX_ORDER_NUMBER_FIELD) {
        return Err(too_long());
    }
    let entries: Vec<&str> = whole
        .split(',')
        .map(|entry| entry.trim_matches(' '))
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(GatewayError::at(
            ErrorKind::MissingField(Field::OrderNumber),
            ORDER_NUMBER,
        ));
    }
    if entries.len() > MAX_QUERY_ORDERS {
        return Err(too_long());
    }
    let mut unique: Vec<String> = Vec::with_capacity(entries.len());
    for entry in entries {
        check_printable(ORDER_NUMBER, entry, Field::OrderNumber, MAX_ORDER_NUMBER)?;
        if !unique.iter().any(|known| known == entry) {
            unique.push(entry.to_owned());
        }
    }
    Ok(unique)
}

/// One payment of a queried order, as the wire shows it (all text, empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentInfo {
    /// The merchant's order number.
    pub order_number: String,
    /// The order currency.
    pub order_currency: String,
    /// The order amount exactly as the merchant sent it.
    pub order_amount: String,
    /// The merchant's notes.
    pub order_notes: String,
    /// The payment method, e.g. `WeChatPay_Offline`.
    pub methods: String,
    /// The gateway's payment id.
    pub payment_id: String,
    /// `1` paid, `0` failed, closed or voided, `-1` not final yet (see [`payment_status`]).
    ///
    /// [`payment_status`]: crate::oceanpayment::codes::payment_status
    pub payment_results: String,
    /// `code:message`.
    pub payment_details: String,
    /// When the payment was made.
    pub payment_date_time: String,
    /// `0` nothing, `1` all, `2` part refunded (see [`refund_status`]).
    ///
    /// [`refund_status`]: crate::oceanpayment::codes::refund_status
    pub refund_status: String,
    /// For merchant-presented payments, the QR code link the till showed the customer.
    pub pay_bar_code: String,
}

impl PaymentInfo {
    /// Every element as `(tag, text)`, in reply order; `signValue` is filled in when written.
    fn elements<'a>(
        &'a self,
        account: &'a str,
        terminal: &'a str,
    ) -> [(&'static str, &'a str); 14] {
        [
            ("account", account),
            ("terminal", terminal),
            (SIGN_VALUE, ""),
            ("order_number", &self.order_number),
            ("order_currency", &self.order_currency),
            ("order_amount", &self.order_amount),
            ("order_notes", &self.order_notes),
            ("methods", &self.methods),
            ("payment_id", &self.payment_id),
            ("payment_results", &self.payment_results),
            ("payment_details", &self.payment_details),
            ("payment_dateTime", &self.payment_date_time),
            ("refund_status", &self.refund_status),
            ("pay_barCode", &self.pay_bar_code),
        ]
    }
}

/// The query reply: the echoed `account` and `terminal`, then one signed `<paymentInfo>` per
/// entry of `infos`, in the order given.
pub fn encode_order_query(
    account: &str,
    terminal: &str,
    infos: &[PaymentInfo],
    secure_code: &str,
) -> String {
    let all_elements: Vec<[(&str, &str); 14]> = infos
        .iter()
        .map(|info| info.elements(account, terminal))
        .collect();
    let mut xml = with_capacity_for(all_elements.as_flattened());
    xml.push_str(DECLARATION);
    push_open(&mut xml, "response");
    push_element(&mut xml, "account", account);
    push_element(&mut xml, "terminal", terminal);
    for elements in &all_elements {
        push_open(&mut xml, "paymentInfo");
        push_signed_elements(&mut xml, elements, QUERY_RESULT_FIELDS, secure_code);
        push_close(&mut xml, "paymentInfo");
    }
    push_close(&mut xml, "response");
    xml
}

/// The reply to a refused query: the echoed `account` and `terminal` and `query_details`
/// (`code:message`, see [`format_details`]); never signed, since the refusal may come before
/// the terminal is known.
///
/// [`format_details`]: crate::oceanpayment::codes::format_details
pub fn encode_query_refusal(account: &str, terminal: &str, details: &str) -> String {
    let elements = [
        ("account", account),
        ("terminal", terminal),
        ("query_details", details),
    ];
    let mut xml = with_capacity_for(&elements);
    xml.push_str(DECLARATION);
    push_open(&mut xml, "response");
    for (tag, text) in elements {
        push_element(&mut xml, tag, text);
    }
    push_close(&mut xml, "response");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::sign::{sign, ORDER_QUERY_FIELDS};
    use crate::oceanpayment::xml::read;
    use proptest::prelude::*;

    const SECURE_CODE: &str = "12345678";

    fn form(fields: &[(&str, &str)]) -> Form {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Form::parse(body.as_bytes()).expect("test form")
    }

    /// A signed query for `order_number`, plus `extra` fields.
    fn query(order_number: &str, extra: &[(&str, &str)]) -> Form {
        let sign_value = sign(&["995149", "99514901", order_number], SECURE_CODE);
        let mut fields = vec![
            ("account", "995149"),
            ("terminal", "99514901"),
            ("signValue", sign_value.as_str()),
            ("order_number", order_number),
        ];
        fields.extend_from_slice(extra);
        form(&fields)
    }

    fn accepted(form: &Form) -> Vec<String> {
        let request = OrderQueryRequest::parse(form).expect("query should be accepted");
        assert_eq!(
            (request.account.as_str(), request.terminal.as_str()),
            ("995149", "99514901")
        );
        request.order_numbers
    }

    fn refused(form: &Form) -> (ErrorKind, String) {
        let error = OrderQueryRequest::parse(form).expect_err("query should be refused");
        (error.kind, error.wire_field.unwrap_or_default())
    }

    fn expect_refusal(form: &Form, kind: ErrorKind, wire_field: &str) {
        assert_eq!(refused(form), (kind, wire_field.to_owned()));
    }

    #[test]
    fn the_signature_covers_the_whole_field_as_sent() {
        let request = query("A1, A2", &[]);
        let signed = request.values(ORDER_QUERY_FIELDS);
        assert_eq!(signed, ["995149", "99514901", "A1, A2"]);
    }

    #[test]
    fn parses_one_order_number() {
        assert_eq!(accepted(&query("POS-1", &[])), ["POS-1"]);
    }

    #[test]
    fn splits_trims_skips_empty_entries_and_removes_duplicates() {
        assert_eq!(accepted(&query(" B ,A,,  ,B,C, A", &[])), ["B", "A", "C"]);
    }

    #[test]
    fn credentials_are_checked_again() {
        let mut request = form(&[("terminal", "99514901"), ("order_number", "A")]);
        expect_refusal(&request, ErrorKind::MissingField(Field::Account), "account");
        request = form(&[
            ("account", "995149"),
            ("terminal", "99514901"),
            ("order_number", "A"),
        ]);
        expect_refusal(
            &request,
            ErrorKind::MissingField(Field::Signature),
            "signValue",
        );
    }

    #[test]
    fn order_number_is_required() {
        let sign_value = sign(&["995149", "99514901"], SECURE_CODE);
        let request = form(&[
            ("account", "995149"),
            ("terminal", "99514901"),
            ("signValue", &sign_value),
        ]);
        expect_refusal(
            &request,
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
        expect_refusal(
            &query("", &[]),
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn only_separators_and_spaces_name_no_order() {
        expect_refusal(
            &query(" , ,,", &[]),
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn the_whole_field_has_at_most_5100_characters() {
        let at_limit = format!("A{}", " ".repeat(5099));
        assert_eq!(accepted(&query(&at_limit, &[])), ["A"]);
        let over = format!("A{}", " ".repeat(5100));
        expect_refusal(
            &query(&over, &[]),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn at_most_100_orders() {
        let numbers = |count: usize| {
            (0..count)
                .map(|i| format!("N{i}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(accepted(&query(&numbers(100), &[])).len(), 100);
        expect_refusal(
            &query(&numbers(101), &[]),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn duplicates_count_towards_the_limit() {
        let hundred_and_one = vec!["A"; 101].join(",");
        expect_refusal(
            &query(&hundred_and_one, &[]),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn each_order_number_has_at_most_50_characters() {
        let fifty = "商".repeat(50);
        assert_eq!(
            accepted(&query(&format!("A,{fifty}"), &[])),
            ["A", fifty.as_str()]
        );
        expect_refusal(
            &query(&format!("A,{}", "1".repeat(51)), &[]),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn order_numbers_have_no_control_characters() {
        for number in ["A\tB", "A\u{85}", "A\u{FFFF}"] {
            expect_refusal(
                &query(&format!("OK,{number}"), &[]),
                ErrorKind::InvalidFormat(Field::OrderNumber),
                "order_number",
            );
        }
    }

    #[test]
    fn other_fields_have_at_most_2000_characters_of_free_text() {
        accepted(&query("A", &[("extra", &"x".repeat(2000))]));
        expect_refusal(
            &query("A", &[("extra", &"x".repeat(2001))]),
            ErrorKind::FieldTooLong(Field::Other),
            "extra",
        );
        expect_refusal(
            &query("A", &[("extra", "\u{1b}")]),
            ErrorKind::InvalidFormat(Field::Other),
            "extra",
        );
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        let long_entry = format!("A,{}", "1".repeat(51));
        let too_many = vec!["A"; 101].join(",");
        let cases: [(&str, ErrorKind); 4] = [
            (
                too_many.as_str(),
                ErrorKind::FieldTooLong(Field::OrderNumber),
            ),
            (
                long_entry.as_str(),
                ErrorKind::FieldTooLong(Field::OrderNumber),
            ),
            ("A\u{1},B", ErrorKind::InvalidFormat(Field::OrderNumber)),
            ("", ErrorKind::MissingField(Field::OrderNumber)),
        ];
        for (order_number, kind) in cases {
            // The order number is checked before the other fields.
            expect_refusal(
                &query(order_number, &[("extra", "\u{1}")]),
                kind,
                "order_number",
            );
        }
        // Within the list, the first bad entry decides.
        expect_refusal(
            &query(&format!("A\u{1},{}", "1".repeat(51)), &[]),
            ErrorKind::InvalidFormat(Field::OrderNumber),
            "order_number",
        );
    }

    fn info(order_number: &str, payment_id: &str, results: &str, details: &str) -> PaymentInfo {
        PaymentInfo {
            order_number: order_number.into(),
            order_currency: "CNY".into(),
            order_amount: "90.00".into(),
            order_notes: "table 4".into(),
            methods: "WeChatPay_Offline".into(),
            payment_id: payment_id.into(),
            payment_results: results.into(),
            payment_details: details.into(),
            payment_date_time: "2026-01-01 09:30:00".into(),
            refund_status: "2".into(),
            ..PaymentInfo::default()
        }
    }

    fn two_payments() -> Vec<PaymentInfo> {
        vec![
            info(
                "POS-20260101-0001",
                "260101093000123000001",
                "1",
                "80000:Transaction Approved",
            ),
            PaymentInfo {
                order_currency: "HKD".into(),
                order_amount: "12.5".into(),
                order_notes: String::new(),
                methods: "Alipay_Offline".into(),
                refund_status: "0".into(),
                pay_bar_code: "https://qr.alipay.com/bax01234?a=1&b=2".into(),
                ..info(
                    "POS-20260101-0002",
                    "260101093100456000002",
                    "-1",
                    "29001:Waiting for the customer to complete the payment",
                )
            },
        ]
    }

    #[test]
    fn query_reply_with_two_payments() {
        insta::assert_snapshot!(encode_order_query(
            "995149",
            "99514901",
            &two_payments(),
            SECURE_CODE
        ));
    }

    #[test]
    fn query_refusal() {
        insta::assert_snapshot!(encode_query_refusal(
            "995149",
            "99514901",
            "20013:Incorrect sign value"
        ));
    }

    #[test]
    fn a_merchant_can_verify_each_payment() {
        let infos = two_payments();
        let root = read::parse(&encode_order_query(
            "995149",
            "99514901",
            &infos,
            SECURE_CODE,
        ));
        assert_eq!(root.name, "response");
        assert_eq!(
            root.tags(),
            ["account", "terminal", "paymentInfo", "paymentInfo"]
        );
        let blocks = root.all("paymentInfo");
        for (block, info) in blocks.iter().zip(&infos) {
            assert!(block.signature_verifies(QUERY_RESULT_FIELDS, SECURE_CODE));
            assert!(!block.signature_verifies(QUERY_RESULT_FIELDS, "87654321"));
            assert_eq!(block.text_of("order_number"), info.order_number);
            assert_eq!(block.text_of("pay_barCode"), info.pay_bar_code);
            assert_eq!(
                block.tags(),
                [
                    "account",
                    "terminal",
                    "signValue",
                    "order_number",
                    "order_currency",
                    "order_amount",
                    "order_notes",
                    "methods",
                    "payment_id",
                    "payment_results",
                    "payment_details",
                    "payment_dateTime",
                    "refund_status",
                    "pay_barCode",
                ]
            );
        }
    }

    #[test]
    fn a_tampered_payment_fails_verification() {
        let xml = encode_order_query("995149", "99514901", &two_payments(), SECURE_CODE);
        let tampered = xml.replacen("<payment_results>-1<", "<payment_results>1<", 1);
        assert_ne!(tampered, xml);
        let root = read::parse(&tampered);
        assert!(!root.all("paymentInfo")[1].signature_verifies(QUERY_RESULT_FIELDS, SECURE_CODE));
    }

    #[test]
    fn no_payments_found_is_an_empty_list() {
        let root = read::parse(&encode_order_query("995149", "99514901", &[], SECURE_CODE));
        assert_eq!(root.tags(), ["account", "terminal"]);
    }

    #[test]
    fn a_refusal_escapes_its_echoes() {
        let root = read::parse(&encode_query_refusal(
            "<1>&",
            "\u{1}",
            "20004:Account and terminal not match",
        ));
        assert_eq!(root.tags(), ["account", "terminal", "query_details"]);
        assert_eq!(root.text_of("account"), "<1>&");
        assert_eq!(root.text_of("terminal"), "\u{FFFD}");
        assert_eq!(
            root.text_of("query_details"),
            "20004:Account and terminal not match"
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(order_number in "[\\PC ,\t]{0,200}", extra in ".{0,40}") {
            let _ = OrderQueryRequest::parse(&query(&order_number, &[("extra", &extra)]));
        }

        #[test]
        fn accepted_numbers_are_unique_trimmed_and_bounded(order_number in "[a-c ,]{0,80}") {
            if let Ok(request) = OrderQueryRequest::parse(&query(&order_number, &[])) {
                prop_assert!(!request.order_numbers.is_empty());
                prop_assert!(request.order_numbers.len() <= MAX_QUERY_ORDERS);
                for (index, number) in request.order_numbers.iter().enumerate() {
                    prop_assert!(!number.is_empty());
                    prop_assert_eq!(number.trim_matches(' '), number.as_str());
                    prop_assert!(!request.order_numbers[..index].contains(number));
                }
            }
        }
    }
}
