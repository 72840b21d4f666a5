//! Refunds: `POST /service/applyRefund` and the refund status query `POST /service/queryRefund`,
//! with their XML replies.
//!
//! Both requests are signed over the published lists
//! ([`REFUND_FIELDS`](crate::oceanpayment::sign::REFUND_FIELDS),
//! [`REFUND_QUERY_FIELDS`](crate::oceanpayment::sign::REFUND_QUERY_FIELDS)); the parsers run
//! after the signature verified and report the first failure, always in this order.
//!
//! For a refund, [`RefundRequest::parse`] checks:
//!
//! 1. `account`, `terminal`, `signValue` (the credentials, again);
//! 2. `payment_id`: required, 1 to 32 ASCII digits;
//! 3. `refund_number`: optional, at most 50 characters, no control characters;
//! 4. `refund_type`: required, `1` (full) or `2` (partial);
//! 5. `refund_amount`: required, at most 10 characters, a plain decimal (digits, optionally a
//!    point and one or two digits) greater than zero. Whether it fits the payment's currency is
//!    checked later, against the payment;
//! 6. `refund_description`: optional, at most 500 characters of free text (tab, CR and LF
//!    allowed);
//! 7. every other field, in the order sent: at most 2000 characters of free text.
//!
//! For a refund query, [`RefundQueryRequest::parse`] checks the credentials, then `refund_id`
//! (required, 1 to 32 ASCII digits), then every other field as above.
//!
//! Oceanpayment publishes neither the replies' signature formulas nor their error codes.
//! [`RefundReply`] is signed over [`REFUND_REPLY_FIELDS`] and [`RefundQueryReply`] over
//! [`REFUND_QUERY_REPLY_FIELDS`], both Tidegate's choice, and refusals carry Tidegate's codes
//! from [`codes`](crate::oceanpayment::codes) in `refund_description`.

use crate::oceanpayment::form::Form;
use crate::oceanpayment::pay::Credentials;
use crate::oceanpayment::rules::{
    check_free_text, check_other_fields, check_printable, digits, exceeds, required,
};
use crate::oceanpayment::sign::{REFUND_QUERY_REPLY_FIELDS, REFUND_REPLY_FIELDS};
use crate::oceanpayment::xml::{signed_document, SIGN_VALUE};
use tidegate_core::{ErrorKind, Field, GatewayError, RefundState};

const PAYMENT_ID: &str = "payment_id";
const REFUND_NUMBER: &str = "refund_number";
const REFUND_TYPE: &str = "refund_type";
const REFUND_AMOUNT: &str = "refund_amount";
const REFUND_DESCRIPTION: &str = "refund_description";
const REFUND_ID: &str = "refund_id";

/// The longest `payment_id` or `refund_id`, in digits.
const MAX_ID_DIGITS: usize = 32;
/// `refund_amount` is at most ten characters, decimal point included.
const MAX_AMOUNT_CHARS: usize = 10;
/// Oceanpayment allows two fraction digits whatever the currency.
const MAX_FRACTION_DIGITS: usize = 2;

/// `refund_results` of an accepted refund. The refund is recorded and counts against the
/// refundable amount; it may still be processing at the acquirer (see [`refund_check`]).
pub const REFUND_ACCEPTED: &str = "00";

/// `refund_results` of a refused refund; `refund_description` says why, as `code:message`.
pub const REFUND_REFUSED: &str = "01";

/// A validated refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The merchant account number.
    pub account: String,
    /// The terminal number.
    pub terminal: String,
    /// The payment to refund, as sent (1 to 32 digits).
    pub payment_id: String,
    /// The merchant's own id for the refund; `None` when absent or empty.
    pub refund_number: Option<String>,
    /// True for a full refund (`refund_type=1`), false for a partial one (`2`).
    pub full: bool,
    /// `refund_amount` exactly as sent: a positive decimal with at most two fraction digits,
    /// to be read in the payment's currency.
    pub amount_text: String,
    /// The merchant's reason; empty when absent.
    pub description: String,
}

impl RefundRequest {
    /// Validates every field of a refund request whose signature has been verified.
    pub fn parse(form: &Form) -> Result<RefundRequest, GatewayError> {
        let credentials = Credentials::from_form(form)?;
        let payment_id = digits(form, PAYMENT_ID, Field::PaymentId, MAX_ID_DIGITS)?;
        let refund_number = form.value(REFUND_NUMBER);
        check_printable(REFUND_NUMBER, refund_number, Field::RefundNumber, 50)?;
        let full = refund_type(form)?;
        let amount_text = refund_amount(form)?;
        let description = form.value(REFUND_DESCRIPTION);
        check_free_text(
            REFUND_DESCRIPTION,
            description,
            Field::RefundDescription,
            500,
        )?;
        check_other_fields(
            form,
            &[
                PAYMENT_ID,
                REFUND_NUMBER,
                REFUND_TYPE,
                REFUND_AMOUNT,
                REFUND_DESCRIPTION,
            ],
        )?;
        Ok(RefundRequest {
            account: credentials.account,
            terminal: credentials.terminal,
            payment_id: payment_id.to_owned(),
            refund_number: (!refund_number.is_empty()).then(|| refund_number.to_owned()),
            full,
            amount_text: amount_text.to_owned(),
            description: description.to_owned(),
        })
    }
}

fn refund_type(form: &Form) -> Result<bool, GatewayError> {
    match required(form, REFUND_TYPE, Field::RefundType)? {
        "1" => Ok(true),
        "2" => Ok(false),
        _ => Err(GatewayError::at(
            ErrorKind::InvalidFormat(Field::RefundType),
            REFUND_TYPE,
        )),
    }
}

fn refund_amount(form: &Form) -> Result<&str, GatewayError> {
    let text = required(form, REFUND_AMOUNT, Field::RefundAmount)?;
    if exceeds(text, MAX_AMOUNT_CHARS) || !is_positive_decimal(text) {
        return Err(GatewayError::at(
            ErrorKind::InvalidFormat(Field::RefundAmount),
            REFUND_AMOUNT,
        ));
    }
    Ok(text)
}

/// Digits, optionally a point and one or two more digits, not all zeros: the texts that
/// [`Money::parse_decimal`](tidegate_core::Money::parse_decimal) reads as a positive amount
/// with two fraction digits allowed.
fn is_positive_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    !whole.is_empty()
        && (1..=MAX_FRACTION_DIGITS).contains(&fraction.len())
        && all_digits(whole)
        && all_digits(fraction)
        && text.bytes().any(|b| matches!(b, b'1'..=b'9'))
}

/// The reply to a refund request, as the wire shows it (all text, empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundReply {
    /// The merchant account, echoed.
    pub account: String,
    /// The terminal, echoed.
    pub terminal: String,
    /// The refunded payment, echoed.
    pub payment_id: String,
    /// The merchant's refund id, echoed.
    pub refund_number: String,
    /// The gateway's id of the refund; empty when refused.
    pub refund_id: String,
    /// [`REFUND_ACCEPTED`] or [`REFUND_REFUSED`].
    pub refund_results: String,
    /// The amount, echoed as sent.
    pub refund_amount: String,
    /// Empty or the merchant's reason when accepted; `code:message` when refused.
    pub refund_description: String,
}

impl RefundReply {
    /// The signed `<response>` document; with an empty `secure_code` `signValue` is empty.
    pub fn encode(&self, secure_code: &str) -> String {
        let elements = [
            ("account", self.account.as_str()),
            ("terminal", &self.terminal),
            (SIGN_VALUE, ""),
            ("payment_id", &self.payment_id),
            ("refund_number", &self.refund_number),
            ("refund_id", &self.refund_id),
            ("refund_results", &self.refund_results),
            ("refund_amount", &self.refund_amount),
            ("refund_description", &self.refund_description),
        ];
        signed_document("response", &elements, REFUND_REPLY_FIELDS, secure_code)
    }
}

/// A validated refund status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQueryRequest {
    /// The merchant account number.
    pub account: String,
    /// The terminal number.
    pub terminal: String,
    /// The refund asked about, as sent (1 to 32 digits).
    pub refund_id: String,
}

impl RefundQueryRequest {
    /// Validates every field of a refund query whose signature has been verified.
    pub fn parse(form: &Form) -> Result<RefundQueryRequest, GatewayError> {
        let credentials = Credentials::from_form(form)?;
        let refund_id = digits(form, REFUND_ID, Field::RefundId, MAX_ID_DIGITS)?;
        check_other_fields(form, &[REFUND_ID])?;
        Ok(RefundQueryRequest {
            account: credentials.account,
            terminal: credentials.terminal,
            refund_id: refund_id.to_owned(),
        })
    }
}

/// The reply to a refund status query, as the wire shows it (all text, empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundQueryReply {
    /// The merchant account, echoed.
    pub account: String,
    /// The terminal, echoed.
    pub terminal: String,
    /// The refund asked about, echoed.
    pub refund_id: String,
    /// The refunded payment.
    pub payment_id: String,
    /// The merchant's refund id.
    pub refund_number: String,
    /// The refund's amount as the merchant sent it.
    pub refund_amount: String,
    /// See [`refund_check`]; empty when the query was refused.
    pub refund_check: String,
    /// See [`refund_check_description`]; `code:message` when the query was refused.
    pub refund_description: String,
}

impl RefundQueryReply {
    /// The signed `<response>` document; with an empty `secure_code` `signValue` is empty.
    pub fn encode(&self, secure_code: &str) -> String {
        let elements = [
            ("account", self.account.as_str()),
            ("terminal", &self.terminal),
            (SIGN_VALUE, ""),
            ("refund_id", &self.refund_id),
            ("payment_id", &self.payment_id),
            ("refund_number", &self.refund_number),
            ("refund_amount", &self.refund_amount),
            ("refund_check", &self.refund_check),
            ("refund_description", &self.refund_description),
        ];
        signed_document(
            "response",
            &elements,
            REFUND_QUERY_REPLY_FIELDS,
            secure_code,
        )
    }
}

/// The `refund_check` value: `00` refunded, `01` failed, `02` still processing.
pub fn refund_check(state: RefundState) -> &'static str {
    match state {
        RefundState::Succeeded => "00",
        RefundState::Failed => "01",
        RefundState::Processing => "02",
    }
}

/// The `refund_description` of a refund query: `Success`, `Failed` or `Pending`.
pub fn refund_check_description(state: RefundState) -> &'static str {
    match state {
        RefundState::Succeeded => "Success",
        RefundState::Failed => "Failed",
        RefundState::Processing => "Pending",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::sign::{sign, REFUND_FIELDS, REFUND_QUERY_FIELDS};
    use crate::oceanpayment::xml::read;
    use proptest::prelude::*;
    use tidegate_core::{Currency, Money};

    const SECURE_CODE: &str = "12345678";

    fn valid_refund() -> Vec<(String, String)> {
        [
            ("account", "995149"),
            ("terminal", "99514901"),
            ("payment_id", "260101093000123000001"),
            ("refund_number", "RF-0001"),
            ("refund_type", "2"),
            ("refund_amount", "10.50"),
            ("refund_description", "cold coffee"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    /// The fields with a valid signature over `signed` added.
    fn signed_form(mut fields: Vec<(String, String)>, signed: &[&str]) -> Form {
        let value_of = |name: &str| {
            fields
                .iter()
                .find(|(existing, _)| existing == name)
                .map_or("", |(_, value)| value.as_str())
        };
        let parts: Vec<&str> = signed.iter().map(|name| value_of(name)).collect();
        let sign_value = sign(&parts, SECURE_CODE);
        fields.push(("signValue".into(), sign_value));
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        Form::parse(body.as_bytes()).expect("test form")
    }

    fn changed(
        mut fields: Vec<(String, String)>,
        changes: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        for (name, value) in changes {
            match fields.iter_mut().find(|(existing, _)| existing == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        fields
    }

    fn refund_with(changes: &[(&str, &str)]) -> Form {
        signed_form(changed(valid_refund(), changes), REFUND_FIELDS)
    }

    fn refund_without(name: &str) -> Form {
        let fields = valid_refund()
            .into_iter()
            .filter(|(n, _)| n != name)
            .collect();
        signed_form(fields, REFUND_FIELDS)
    }

    fn accepted(form: &Form) -> RefundRequest {
        RefundRequest::parse(form).expect("refund should be accepted")
    }

    fn expect_refusal(form: &Form, kind: ErrorKind, wire_field: &str) {
        let error = RefundRequest::parse(form).expect_err("refund should be refused");
        assert_eq!(
            (error.kind, error.wire_field.unwrap_or_default()),
            (kind, wire_field.to_owned())
        );
    }

    #[test]
    fn parses_a_partial_refund() {
        let request = accepted(&refund_with(&[]));
        assert_eq!(
            request,
            RefundRequest {
                account: "995149".into(),
                terminal: "99514901".into(),
                payment_id: "260101093000123000001".into(),
                refund_number: Some("RF-0001".into()),
                full: false,
                amount_text: "10.50".into(),
                description: "cold coffee".into(),
            }
        );
    }

    #[test]
    fn parses_a_full_refund_without_the_optional_fields() {
        let form = refund_with(&[
            ("refund_type", "1"),
            ("refund_number", ""),
            ("refund_description", ""),
        ]);
        let request = accepted(&form);
        assert!(request.full);
        assert_eq!(request.refund_number, None);
        assert_eq!(request.description, "");
        let form = signed_form(
            changed(valid_refund(), &[("refund_type", "1")])
                .into_iter()
                .filter(|(name, _)| name != "refund_number" && name != "refund_description")
                .collect(),
            REFUND_FIELDS,
        );
        assert_eq!(accepted(&form).refund_number, None);
    }

    #[test]
    fn credentials_are_checked_again() {
        expect_refusal(
            &refund_with(&[("account", "")]),
            ErrorKind::MissingField(Field::Account),
            "account",
        );
        expect_refusal(
            &refund_with(&[("terminal", "x")]),
            ErrorKind::InvalidFormat(Field::Terminal),
            "terminal",
        );
    }

    #[test]
    fn payment_id_is_required() {
        expect_refusal(
            &refund_without("payment_id"),
            ErrorKind::MissingField(Field::PaymentId),
            "payment_id",
        );
        expect_refusal(
            &refund_with(&[("payment_id", "")]),
            ErrorKind::MissingField(Field::PaymentId),
            "payment_id",
        );
    }

    #[test]
    fn payment_id_has_1_to_32_digits() {
        accepted(&refund_with(&[("payment_id", "1")]));
        accepted(&refund_with(&[("payment_id", &"9".repeat(32))]));
        expect_refusal(
            &refund_with(&[("payment_id", &"9".repeat(33))]),
            ErrorKind::FieldTooLong(Field::PaymentId),
            "payment_id",
        );
        for id in ["12a", " 123", "１２", "-1", "1.0"] {
            expect_refusal(
                &refund_with(&[("payment_id", id)]),
                ErrorKind::InvalidFormat(Field::PaymentId),
                "payment_id",
            );
        }
    }

    #[test]
    fn refund_number_has_at_most_50_printable_characters() {
        accepted(&refund_with(&[("refund_number", &"商".repeat(50))]));
        expect_refusal(
            &refund_with(&[("refund_number", &"r".repeat(51))]),
            ErrorKind::FieldTooLong(Field::RefundNumber),
            "refund_number",
        );
        for number in ["R\t1", "R\n", "R\u{FFFE}"] {
            expect_refusal(
                &refund_with(&[("refund_number", number)]),
                ErrorKind::InvalidFormat(Field::RefundNumber),
                "refund_number",
            );
        }
    }

    #[test]
    fn refund_type_is_required() {
        expect_refusal(
            &refund_without("refund_type"),
            ErrorKind::MissingField(Field::RefundType),
            "refund_type",
        );
        expect_refusal(
            &refund_with(&[("refund_type", "")]),
            ErrorKind::MissingField(Field::RefundType),
            "refund_type",
        );
    }

    #[test]
    fn refund_type_is_1_or_2() {
        for value in ["0", "3", "01", " 1", "full", "11"] {
            expect_refusal(
                &refund_with(&[("refund_type", value)]),
                ErrorKind::InvalidFormat(Field::RefundType),
                "refund_type",
            );
        }
    }

    #[test]
    fn refund_amount_is_required() {
        expect_refusal(
            &refund_without("refund_amount"),
            ErrorKind::MissingField(Field::RefundAmount),
            "refund_amount",
        );
        expect_refusal(
            &refund_with(&[("refund_amount", "")]),
            ErrorKind::MissingField(Field::RefundAmount),
            "refund_amount",
        );
    }

    #[test]
    fn refund_amount_has_at_most_10_characters() {
        accepted(&refund_with(&[("refund_amount", "9999999.99")]));
        expect_refusal(
            &refund_with(&[("refund_amount", "99999999.99")]),
            ErrorKind::InvalidFormat(Field::RefundAmount),
            "refund_amount",
        );
    }

    #[test]
    fn refund_amount_is_a_plain_positive_decimal_with_two_fraction_digits_at_most() {
        for text in ["0.1", "1", "007.50", "0.01", "12.3"] {
            assert_eq!(
                accepted(&refund_with(&[("refund_amount", text)])).amount_text,
                text
            );
        }
        for text in [
            "1,00", "-1", "+1", "1e3", "abc", "1.", ".5", "1.234", " 1", "1.0.0", "0", "0.00",
            "000",
        ] {
            expect_refusal(
                &refund_with(&[("refund_amount", text)]),
                ErrorKind::InvalidFormat(Field::RefundAmount),
                "refund_amount",
            );
        }
    }

    #[test]
    fn refund_description_has_at_most_500_characters_of_free_text() {
        assert_eq!(
            accepted(&refund_with(&[("refund_description", "a\tb\r\nc")])).description,
            "a\tb\r\nc"
        );
        accepted(&refund_with(&[("refund_description", &"d".repeat(500))]));
        expect_refusal(
            &refund_with(&[("refund_description", &"d".repeat(501))]),
            ErrorKind::FieldTooLong(Field::RefundDescription),
            "refund_description",
        );
        expect_refusal(
            &refund_with(&[("refund_description", "a\u{7}")]),
            ErrorKind::InvalidFormat(Field::RefundDescription),
            "refund_description",
        );
    }

    #[test]
    fn other_fields_have_at_most_2000_characters() {
        accepted(&refund_with(&[("order_number", &"o".repeat(2000))]));
        expect_refusal(
            &refund_with(&[("order_number", &"o".repeat(2001))]),
            ErrorKind::FieldTooLong(Field::Other),
            "order_number",
        );
        expect_refusal(
            &refund_with(&[("note", "\u{1}")]),
            ErrorKind::InvalidFormat(Field::Other),
            "note",
        );
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        let mut fields = changed(
            valid_refund(),
            &[
                ("extra", "\u{1}"),
                ("refund_description", "\u{1}"),
                ("refund_amount", "x"),
                ("refund_type", "9"),
                ("refund_number", "\u{1}"),
                ("payment_id", "x"),
            ],
        );
        let expected = [
            (
                ErrorKind::InvalidFormat(Field::PaymentId),
                "payment_id",
                "1",
            ),
            (
                ErrorKind::InvalidFormat(Field::RefundNumber),
                "refund_number",
                "",
            ),
            (
                ErrorKind::InvalidFormat(Field::RefundType),
                "refund_type",
                "1",
            ),
            (
                ErrorKind::InvalidFormat(Field::RefundAmount),
                "refund_amount",
                "1",
            ),
            (
                ErrorKind::InvalidFormat(Field::RefundDescription),
                "refund_description",
                "",
            ),
            (ErrorKind::InvalidFormat(Field::Other), "extra", ""),
        ];
        for (kind, name, fix) in expected {
            expect_refusal(&signed_form(fields.clone(), REFUND_FIELDS), kind, name);
            fields = changed(fields, &[(name, fix)]);
        }
        accepted(&signed_form(fields, REFUND_FIELDS));
    }

    fn query_with(refund_id: Option<&str>, extra: &[(&str, &str)]) -> Form {
        let mut fields = vec![
            ("account".to_owned(), "995149".to_owned()),
            ("terminal".to_owned(), "99514901".to_owned()),
        ];
        if let Some(refund_id) = refund_id {
            fields.push(("refund_id".into(), refund_id.into()));
        }
        signed_form(changed(fields, extra), REFUND_QUERY_FIELDS)
    }

    fn expect_query_refusal(form: &Form, kind: ErrorKind, wire_field: &str) {
        let error = RefundQueryRequest::parse(form).expect_err("query should be refused");
        assert_eq!(
            (error.kind, error.wire_field.unwrap_or_default()),
            (kind, wire_field.to_owned())
        );
    }

    #[test]
    fn parses_a_refund_query() {
        let request = RefundQueryRequest::parse(&query_with(Some("260101100000000000001"), &[]))
            .expect("valid query");
        assert_eq!(
            request,
            RefundQueryRequest {
                account: "995149".into(),
                terminal: "99514901".into(),
                refund_id: "260101100000000000001".into(),
            }
        );
    }

    #[test]
    fn refund_id_is_required_with_1_to_32_digits() {
        expect_query_refusal(
            &query_with(None, &[]),
            ErrorKind::MissingField(Field::RefundId),
            "refund_id",
        );
        expect_query_refusal(
            &query_with(Some(""), &[]),
            ErrorKind::MissingField(Field::RefundId),
            "refund_id",
        );
        assert!(RefundQueryRequest::parse(&query_with(Some(&"1".repeat(32)), &[])).is_ok());
        expect_query_refusal(
            &query_with(Some(&"1".repeat(33)), &[]),
            ErrorKind::FieldTooLong(Field::RefundId),
            "refund_id",
        );
        expect_query_refusal(
            &query_with(Some("R1"), &[]),
            ErrorKind::InvalidFormat(Field::RefundId),
            "refund_id",
        );
    }

    #[test]
    fn refund_query_checks_credentials_then_refund_id_then_other_fields() {
        expect_query_refusal(
            &query_with(Some("x"), &[("account", ""), ("extra", "\u{1}")]),
            ErrorKind::MissingField(Field::Account),
            "account",
        );
        expect_query_refusal(
            &query_with(Some("x"), &[("extra", "\u{1}")]),
            ErrorKind::InvalidFormat(Field::RefundId),
            "refund_id",
        );
        expect_query_refusal(
            &query_with(Some("1"), &[("extra", &"e".repeat(2001))]),
            ErrorKind::FieldTooLong(Field::Other),
            "extra",
        );
    }

    #[test]
    fn accepted_amounts_read_as_money_in_a_two_digit_currency() {
        let cny = Currency::parse("CNY").expect("CNY");
        for text in ["0.1", "1", "007.50", "9999999.99"] {
            assert!(is_positive_decimal(text));
            assert!(
                Money::parse_decimal(text, cny, MAX_FRACTION_DIGITS).is_ok(),
                "{text}"
            );
        }
    }

    fn accepted_reply() -> RefundReply {
        RefundReply {
            account: "995149".into(),
            terminal: "99514901".into(),
            payment_id: "260101093000123000001".into(),
            refund_number: "RF-0001".into(),
            refund_id: "260101120000000000007".into(),
            refund_results: REFUND_ACCEPTED.into(),
            refund_amount: "10.50".into(),
            refund_description: "cold coffee".into(),
        }
    }

    fn query_reply() -> RefundQueryReply {
        RefundQueryReply {
            account: "995149".into(),
            terminal: "99514901".into(),
            refund_id: "260101120000000000007".into(),
            payment_id: "260101093000123000001".into(),
            refund_number: "RF-0001".into(),
            refund_amount: "10.50".into(),
            refund_check: refund_check(RefundState::Processing).into(),
            refund_description: refund_check_description(RefundState::Processing).into(),
        }
    }

    #[test]
    fn refund_reply() {
        insta::assert_snapshot!(accepted_reply().encode(SECURE_CODE));
    }

    #[test]
    fn refund_query_reply() {
        insta::assert_snapshot!(query_reply().encode(SECURE_CODE));
    }

    #[test]
    fn a_merchant_can_verify_a_refund_reply() {
        let refused = RefundReply {
            refund_id: String::new(),
            refund_results: REFUND_REFUSED.into(),
            refund_description: "29204:Refund amount exceeds the refundable amount".into(),
            ..accepted_reply()
        };
        for reply in [accepted_reply(), refused] {
            let root = read::parse(&reply.encode(SECURE_CODE));
            assert_eq!(root.name, "response");
            assert_eq!(
                root.tags(),
                [
                    "account",
                    "terminal",
                    "signValue",
                    "payment_id",
                    "refund_number",
                    "refund_id",
                    "refund_results",
                    "refund_amount",
                    "refund_description",
                ]
            );
            assert!(root.signature_verifies(REFUND_REPLY_FIELDS, SECURE_CODE));
            assert_eq!(root.text_of("refund_results"), reply.refund_results);
            assert_eq!(root.text_of("refund_description"), reply.refund_description);
        }
    }

    #[test]
    fn a_merchant_can_verify_a_refund_query_reply() {
        let root = read::parse(&query_reply().encode(SECURE_CODE));
        assert_eq!(
            root.tags(),
            [
                "account",
                "terminal",
                "signValue",
                "refund_id",
                "payment_id",
                "refund_number",
                "refund_amount",
                "refund_check",
                "refund_description",
            ]
        );
        assert!(root.signature_verifies(REFUND_QUERY_REPLY_FIELDS, SECURE_CODE));
        let tampered = query_reply()
            .encode(SECURE_CODE)
            .replace("<refund_check>02<", "<refund_check>00<");
        assert!(!read::parse(&tampered).signature_verifies(REFUND_QUERY_REPLY_FIELDS, SECURE_CODE));
    }

    #[test]
    fn without_a_secure_code_the_signatures_are_empty() {
        assert!(accepted_reply()
            .encode("")
            .contains("<signValue></signValue>"));
        assert!(query_reply().encode("").contains("<signValue></signValue>"));
    }

    #[test]
    fn refund_checks_are_distinct() {
        let checks: Vec<(&str, &str)> = RefundState::ALL
            .into_iter()
            .map(|state| (refund_check(state), refund_check_description(state)))
            .collect();
        assert_eq!(
            checks,
            [("02", "Pending"), ("00", "Success"), ("01", "Failed")]
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(
            name in proptest::sample::select(vec!["payment_id", "refund_number", "refund_type", "refund_amount", "refund_description", "other"]),
            value in ".{0,80}",
        ) {
            let _ = RefundRequest::parse(&refund_with(&[(name, &value)]));
            let _ = RefundQueryRequest::parse(&query_with(Some(&value), &[]));
        }

        #[test]
        fn accepted_amounts_are_positive_money(text in "[0-9.]{1,10}") {
            if is_positive_decimal(&text) {
                let cny = Currency::parse("CNY").expect("CNY");
                let money = Money::parse_decimal(&text, cny, MAX_FRACTION_DIGITS);
                prop_assert!(money.is_ok_and(|money| money.minor_units() > 0));
            }
        }
    }
}
