//! The in-person pay request of `POST /gateway/directservice/pay`.
//!
//! A till either scans the customer's wallet code (`pay_accountNumber`, customer-presented) or
//! asks for a QR code to show the customer (`methods` names the wallet and no code is sent,
//! merchant-presented).
//!
//! Validation happens in two steps so that an unauthenticated caller learns nothing about field
//! rules: [`Credentials::from_form`] checks only what is needed to find the terminal and verify
//! the signature; [`PayRequest::parse`] runs after the signature verified. Each check reports the
//! first failure, always in this order:
//!
//! 1. `account`, `terminal`, `signValue` (the credentials, again);
//! 2. `order_number`: required, at most 50 characters, no control characters;
//! 3. `order_currency`: required, an upper-case ISO 4217 code the gateway supports;
//! 4. `order_amount`: required, at most 10 characters, a plain decimal with at most two
//!    fraction digits, no more precision than the currency has, greater than zero;
//! 5. `order_notes`: at most 500 characters;
//! 6. `methods` (at most 50 characters; empty, `WeChatPay_Offline` or `Alipay_Offline`), then
//!    `pay_accountNumber` (at most 64 characters; which wallet issued it, and whether that is
//!    the wallet `methods` names);
//! 7. the optional billing fields, in Oceanpayment's table order: `billing_firstName`,
//!    `billing_lastName`, `billing_email` (which must also look like an address),
//!    `billing_phone`, `billing_country`, `billing_state`, `billing_city`, `billing_address`,
//!    `billing_zip`, `billing_ip`;
//! 8. `noticeUrl`: at most 500 characters, an `http://` or `https://` URL with a host;
//! 9. `deviceId`: at most 64 characters;
//! 10. every other field, in the order sent: at most 2000 characters.
//!
//! Lengths count Unicode characters, not bytes. Free-text values (notes, billing fields,
//! `deviceId`, unknown fields) may hold tab, CR and LF but no other ASCII control character, nor
//! U+FFFE or U+FFFF: some of them are echoed in XML replies, and XML cannot carry most of those.

use crate::oceanpayment::codes::methods_name;
use crate::oceanpayment::form::Form;
use sha2::{Digest, Sha256};
use tidegate_core::{
    AmountError, AuthCode, AuthCodeError, Currency, ErrorKind, Field, GatewayError, Money,
    Presentment, Wallet,
};

const ACCOUNT: &str = "account";
const TERMINAL: &str = "terminal";
const SIGN_VALUE: &str = "signValue";
const ORDER_NUMBER: &str = "order_number";
const ORDER_CURRENCY: &str = "order_currency";
const ORDER_AMOUNT: &str = "order_amount";
const ORDER_NOTES: &str = "order_notes";
const METHODS: &str = "methods";
const PAY_ACCOUNT_NUMBER: &str = "pay_accountNumber";
const NOTICE_URL: &str = "noticeUrl";
const DEVICE_ID: &str = "deviceId";

/// The longest `account` or `terminal`, in digits.
const MAX_MERCHANT_NUMBER: usize = 12;
/// Oceanpayment allows two fraction digits whatever the currency.
const MAX_FRACTION_DIGITS: usize = 2;
/// `order_amount` is at most ten characters, decimal point included.
const MAX_AMOUNT_CHARS: usize = 10;
/// The length limit of any field this endpoint does not interpret.
const MAX_OTHER_FIELD: usize = 2000;

/// Optional billing fields with their limits, in Oceanpayment's field-table order.
const BILLING_FIELDS: [(&str, Field, usize); 10] = [
    ("billing_firstName", Field::FirstName, 50),
    ("billing_lastName", Field::LastName, 50),
    ("billing_email", Field::Email, 50),
    ("billing_phone", Field::Phone, 50),
    ("billing_country", Field::Country, 100),
    ("billing_state", Field::State, 100),
    ("billing_city", Field::City, 500),
    ("billing_address", Field::Address, 500),
    ("billing_zip", Field::Zip, 50),
    ("billing_ip", Field::CustomerIp, 50),
];

/// Fields with a rule of their own; everything else falls under the generic limit.
const INTERPRETED_FIELDS: [&str; 11] = [
    ACCOUNT,
    TERMINAL,
    SIGN_VALUE,
    ORDER_NUMBER,
    ORDER_CURRENCY,
    ORDER_AMOUNT,
    ORDER_NOTES,
    METHODS,
    PAY_ACCOUNT_NUMBER,
    NOTICE_URL,
    DEVICE_ID,
];

/// Who is asking and their signature: all that is checked before the signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The merchant account number, 1 to 12 digits.
    pub account: String,
    /// The terminal number, 1 to 12 digits.
    pub terminal: String,
    /// The claimed signature: 64 hex digits in either case.
    pub sign_value: String,
}

impl Credentials {
    /// Checks `account`, `terminal` and the shape of `signValue`.
    pub fn from_form(form: &Form) -> Result<Credentials, GatewayError> {
        let account = merchant_number(form, ACCOUNT, Field::Account)?;
        let terminal = merchant_number(form, TERMINAL, Field::Terminal)?;
        let sign_value = form.value(SIGN_VALUE);
        if sign_value.is_empty() {
            return Err(GatewayError::at(
                ErrorKind::MissingField(Field::Signature),
                SIGN_VALUE,
            ));
        }
        if sign_value.len() != 64 || !sign_value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GatewayError::at(
                ErrorKind::InvalidFormat(Field::Signature),
                SIGN_VALUE,
            ));
        }
        Ok(Credentials {
            account: account.to_owned(),
            terminal: terminal.to_owned(),
            sign_value: sign_value.to_owned(),
        })
    }
}

/// A validated in-person pay request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    /// The merchant account number.
    pub account: String,
    /// The terminal number.
    pub terminal: String,
    /// The merchant's order number, 1 to 50 characters.
    pub order_number: String,
    /// The amount to charge.
    pub amount: Money,
    /// `order_amount` exactly as sent: replies echo it and their signature covers it.
    pub amount_text: String,
    /// Free text echoed in replies and notices; empty when absent.
    pub order_notes: String,
    /// Customer- or merchant-presented, with the wallet.
    pub presentment: Presentment,
    /// Where to send notices; `None` when absent or empty (then no notices are sent).
    pub notice_url: Option<String>,
    /// `billing_firstName` as sent; empty when absent.
    pub billing_first_name: String,
    /// `billing_lastName` as sent; empty when absent.
    pub billing_last_name: String,
    /// `billing_email` as sent; empty when absent.
    pub billing_email: String,
    /// The till's device id, when sent.
    pub device_id: Option<String>,
}

impl PayRequest {
    /// Validates every field of a request whose signature has been verified.
    pub fn parse(form: &Form) -> Result<PayRequest, GatewayError> {
        let credentials = Credentials::from_form(form)?;
        let order_number = order_number(form)?;
        let (amount, amount_text) = amount(form)?;
        let order_notes = free_text(form, ORDER_NOTES, Field::OrderNotes, 500)?;
        let presentment = presentment(form)?;
        check_billing(form)?;
        let notice_url = notice_url(form)?;
        let device_id = free_text(form, DEVICE_ID, Field::Other, 64)?;
        check_other_fields(form)?;
        Ok(PayRequest {
            account: credentials.account,
            terminal: credentials.terminal,
            order_number: order_number.to_owned(),
            amount,
            amount_text: amount_text.to_owned(),
            order_notes: order_notes.to_owned(),
            presentment,
            notice_url: notice_url.map(str::to_owned),
            billing_first_name: form.value("billing_firstName").to_owned(),
            billing_last_name: form.value("billing_lastName").to_owned(),
            billing_email: form.value("billing_email").to_owned(),
            device_id: (!device_id.is_empty()).then(|| device_id.to_owned()),
        })
    }
}

/// Lower-case hex SHA-256 identifying a request by its fields, ignoring their order and
/// `signValue`, so a till's retry of the same request is recognised as such.
///
/// Fields are hashed sorted by name, each as `name=value\n` with the byte length of the name
/// and of the value (8 bytes, big-endian) written before each, so that no two different sets of
/// fields hash the same input (a value may itself contain `=` or a newline).
pub fn request_fingerprint(form: &Form) -> String {
    let mut fields: Vec<(&str, &str)> = form
        .iter()
        .filter(|(name, _)| *name != SIGN_VALUE)
        .collect();
    fields.sort_unstable_by_key(|(name, _)| *name);
    let mut hasher = Sha256::new();
    for (name, value) in fields {
        hasher.update(byte_length(name));
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        hasher.update(byte_length(value));
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

fn byte_length(text: &str) -> [u8; 8] {
    u64::try_from(text.len()).unwrap_or(u64::MAX).to_be_bytes()
}

fn merchant_number<'a>(form: &'a Form, name: &str, field: Field) -> Result<&'a str, GatewayError> {
    let value = form.value(name);
    if value.is_empty() {
        return Err(GatewayError::at(ErrorKind::MissingField(field), name));
    }
    if value.chars().count() > MAX_MERCHANT_NUMBER {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(value)
}

fn order_number(form: &Form) -> Result<&str, GatewayError> {
    let value = form.value(ORDER_NUMBER);
    if value.is_empty() {
        return Err(GatewayError::at(
            ErrorKind::MissingField(Field::OrderNumber),
            ORDER_NUMBER,
        ));
    }
    if exceeds(value, 50) {
        return Err(GatewayError::at(
            ErrorKind::FieldTooLong(Field::OrderNumber),
            ORDER_NUMBER,
        ));
    }
    // Stricter than free text: order numbers end up in file names, reports and log lines.
    if value.chars().any(|c| c.is_control() || !xml_can_carry(c)) {
        return Err(GatewayError::at(
            ErrorKind::InvalidFormat(Field::OrderNumber),
            ORDER_NUMBER,
        ));
    }
    Ok(value)
}

fn amount(form: &Form) -> Result<(Money, &str), GatewayError> {
    let currency_text = form.value(ORDER_CURRENCY);
    if currency_text.is_empty() {
        return Err(GatewayError::at(
            ErrorKind::MissingField(Field::Currency),
            ORDER_CURRENCY,
        ));
    }
    // Only the exact upper-case code is accepted, so replies can echo `amount.currency()`.
    let currency = Currency::parse(currency_text)
        .ok_or_else(|| GatewayError::at(ErrorKind::UnsupportedCurrency, ORDER_CURRENCY))?;
    let Some(text) = form.get(ORDER_AMOUNT) else {
        return Err(GatewayError::at(
            ErrorKind::MissingField(Field::Amount),
            ORDER_AMOUNT,
        ));
    };
    if exceeds(text, MAX_AMOUNT_CHARS) {
        return Err(GatewayError::at(
            ErrorKind::InvalidFormat(Field::Amount),
            ORDER_AMOUNT,
        ));
    }
    let money = Money::parse_decimal(text, currency, MAX_FRACTION_DIGITS).map_err(|error| {
        let kind = match error {
            AmountError::Empty => ErrorKind::MissingField(Field::Amount),
            AmountError::Format => ErrorKind::InvalidFormat(Field::Amount),
            // Beyond two digits the text breaks Oceanpayment's format; within two it only
            // breaks the currency (cents of yen), which is an amount the gateway cannot charge.
            AmountError::TooManyDecimals if fraction_digits(text) > MAX_FRACTION_DIGITS => {
                ErrorKind::InvalidFormat(Field::Amount)
            }
            AmountError::TooManyDecimals | AmountError::Zero | AmountError::TooLarge => {
                ErrorKind::InvalidAmount
            }
        };
        GatewayError::at(kind, ORDER_AMOUNT)
    })?;
    Ok((money, text))
}

fn fraction_digits(amount: &str) -> usize {
    amount
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

fn presentment(form: &Form) -> Result<Presentment, GatewayError> {
    let methods = form.value(METHODS);
    if exceeds(methods, 50) {
        return Err(GatewayError::at(
            ErrorKind::FieldTooLong(Field::Method),
            METHODS,
        ));
    }
    let requested = if methods.is_empty() {
        None
    } else {
        let wallet = Wallet::ALL
            .into_iter()
            .find(|wallet| methods_name(*wallet) == methods);
        Some(wallet.ok_or_else(|| GatewayError::at(ErrorKind::UnsupportedMethod, METHODS))?)
    };
    let code = form.value(PAY_ACCOUNT_NUMBER);
    if exceeds(code, 64) {
        return Err(GatewayError::at(
            ErrorKind::FieldTooLong(Field::PaymentCode),
            PAY_ACCOUNT_NUMBER,
        ));
    }
    let parsed = match (requested, code.is_empty()) {
        (Some(wallet), true) => return Ok(Presentment::MerchantPresented(wallet)),
        (None, true) => {
            return Err(GatewayError::at(
                ErrorKind::MissingField(Field::PaymentCode),
                PAY_ACCOUNT_NUMBER,
            ));
        }
        (None, false) => AuthCode::parse(code),
        (Some(wallet), false) => AuthCode::parse_for(code, wallet),
    };
    parsed.map(Presentment::CustomerPresented).map_err(|error| {
        let kind = match error {
            AuthCodeError::Unrecognised => ErrorKind::UnrecognisedPaymentCode,
            AuthCodeError::WrongWallet { .. } => ErrorKind::PaymentCodeWalletMismatch,
        };
        GatewayError::at(kind, PAY_ACCOUNT_NUMBER)
    })
}

fn check_billing(form: &Form) -> Result<(), GatewayError> {
    for (name, field, limit) in BILLING_FIELDS {
        let value = free_text(form, name, field, limit)?;
        if field == Field::Email && !value.is_empty() && !looks_like_email(value) {
            return Err(GatewayError::at(
                ErrorKind::InvalidFormat(Field::Email),
                name,
            ));
        }
    }
    Ok(())
}

/// One `@`, something before it, and a dotted domain after it; no whitespace anywhere.
fn looks_like_email(value: &str) -> bool {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

fn notice_url(form: &Form) -> Result<Option<&str>, GatewayError> {
    let url = form.value(NOTICE_URL);
    if url.is_empty() {
        return Ok(None);
    }
    if exceeds(url, 500) {
        return Err(GatewayError::at(
            ErrorKind::FieldTooLong(Field::NoticeUrl),
            NOTICE_URL,
        ));
    }
    if !is_http_url(url) {
        return Err(GatewayError::at(
            ErrorKind::InvalidFormat(Field::NoticeUrl),
            NOTICE_URL,
        ));
    }
    Ok(Some(url))
}

/// An `http://` or `https://` URL with a non-empty host and no whitespace or control characters.
fn is_http_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some(rest) = strip_scheme(url, "https://").or_else(|| strip_scheme(url, "http://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_and_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_and_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(address, _)| address),
        None => host_and_port.split(':').next().unwrap_or(""),
    };
    !host.is_empty()
}

/// Schemes are case-insensitive, so `HTTPS://` is as good as `https://`.
fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    let prefix = url.get(..scheme.len())?;
    prefix
        .eq_ignore_ascii_case(scheme)
        .then(|| &url[scheme.len()..])
}

fn check_other_fields(form: &Form) -> Result<(), GatewayError> {
    let others = form.iter().filter(|(name, _)| {
        !INTERPRETED_FIELDS.contains(name)
            && !BILLING_FIELDS.iter().any(|(billing, _, _)| billing == name)
    });
    for (name, value) in others {
        check_text(name, value, Field::Other, MAX_OTHER_FIELD)?;
    }
    Ok(())
}

/// The field's value (empty when absent) after the length and character checks of free text.
fn free_text<'a>(
    form: &'a Form,
    name: &str,
    field: Field,
    limit: usize,
) -> Result<&'a str, GatewayError> {
    let value = form.value(name);
    check_text(name, value, field, limit)?;
    Ok(value)
}

fn check_text(name: &str, value: &str, field: Field, limit: usize) -> Result<(), GatewayError> {
    if exceeds(value, limit) {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    if value
        .chars()
        .any(|c| is_forbidden_control(c) || !xml_can_carry(c))
    {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(())
}

fn is_forbidden_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// XML 1.0 has no way to write U+FFFE or U+FFFF, even as a character reference.
fn xml_can_carry(c: char) -> bool {
    !matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// True when `value` has more than `limit` characters; the byte length answers most cases.
fn exceeds(value: &str, limit: usize) -> bool {
    value.len() > limit && value.chars().count() > limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WECHAT_CODE: &str = "134567890123451234";
    const ALIPAY_CODE: &str = "284567890123450000";
    const SIGNATURE: &str = "2E27426CA627E4734CA9C43BD18E593C4AF1848688486A3C167D39F7F75CF7B2";

    fn valid_fields() -> Vec<(String, String)> {
        [
            ("account", "995149"),
            ("terminal", "99514901"),
            ("signValue", SIGNATURE),
            ("order_number", "POS-20260101-0001"),
            ("order_currency", "CNY"),
            ("order_amount", "90.00"),
            ("order_notes", "table 4"),
            ("methods", ""),
            ("pay_accountNumber", WECHAT_CODE),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    fn encode(fields: &[(String, String)]) -> Form {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Form::parse(body.as_bytes()).expect("test form")
    }

    /// The valid request with `name` set to `value` (added when absent).
    fn with(name: &str, value: &str) -> Form {
        with_all(&[(name, value)])
    }

    fn with_all(changes: &[(&str, &str)]) -> Form {
        let mut fields = valid_fields();
        for (name, value) in changes {
            match fields.iter_mut().find(|(existing, _)| existing == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        encode(&fields)
    }

    fn without(name: &str) -> Form {
        let fields: Vec<(String, String)> = valid_fields()
            .into_iter()
            .filter(|(n, _)| n != name)
            .collect();
        encode(&fields)
    }

    fn refused(form: &Form) -> (ErrorKind, String) {
        let error = PayRequest::parse(form).expect_err("request should be refused");
        (error.kind, error.wire_field.unwrap_or_default())
    }

    fn expect_refusal(form: &Form, kind: ErrorKind, wire_field: &str) {
        assert_eq!(refused(form), (kind, wire_field.to_owned()));
    }

    fn accepted(form: &Form) -> PayRequest {
        PayRequest::parse(form).expect("request should be accepted")
    }

    #[test]
    fn parses_a_customer_presented_wechat_request() {
        let request = accepted(&with_all(&[
            ("noticeUrl", "https://shop.example/notice"),
            ("deviceId", "till-7"),
        ]));
        assert_eq!(request.account, "995149");
        assert_eq!(request.terminal, "99514901");
        assert_eq!(request.order_number, "POS-20260101-0001");
        assert_eq!(request.amount.minor_units(), 9000);
        assert_eq!(request.amount.currency().code(), "CNY");
        assert_eq!(request.amount_text, "90.00");
        assert_eq!(request.order_notes, "table 4");
        let Presentment::CustomerPresented(code) = &request.presentment else {
            panic!("expected a scanned code, got {:?}", request.presentment);
        };
        assert_eq!(
            (code.wallet(), code.expose()),
            (Wallet::WeChatPay, WECHAT_CODE)
        );
        assert_eq!(
            request.notice_url.as_deref(),
            Some("https://shop.example/notice")
        );
        assert_eq!(request.device_id.as_deref(), Some("till-7"));
        assert_eq!(request.billing_email, "");
    }

    #[test]
    fn recognises_the_wallet_from_the_code_alone() {
        let request = accepted(&with("pay_accountNumber", ALIPAY_CODE));
        assert!(
            matches!(request.presentment, Presentment::CustomerPresented(ref code) if code.wallet() == Wallet::Alipay)
        );
    }

    #[test]
    fn accepts_a_code_matching_the_named_wallet() {
        let request = accepted(&with_all(&[
            ("methods", "Alipay_Offline"),
            ("pay_accountNumber", ALIPAY_CODE),
        ]));
        assert!(
            matches!(request.presentment, Presentment::CustomerPresented(ref code) if code.wallet() == Wallet::Alipay)
        );
    }

    #[test]
    fn a_named_wallet_without_a_code_is_merchant_presented() {
        let request = accepted(&with_all(&[
            ("methods", "WeChatPay_Offline"),
            ("pay_accountNumber", ""),
        ]));
        assert_eq!(
            request.presentment,
            Presentment::MerchantPresented(Wallet::WeChatPay)
        );
        let mut fields = valid_fields();
        fields.retain(|(name, _)| name != "pay_accountNumber");
        fields.retain(|(name, _)| name != "methods");
        fields.push(("methods".into(), "Alipay_Offline".into()));
        assert_eq!(
            accepted(&encode(&fields)).presentment,
            Presentment::MerchantPresented(Wallet::Alipay)
        );
    }

    #[test]
    fn absent_optional_fields_are_empty() {
        let request = accepted(&without("order_notes"));
        assert_eq!(request.order_notes, "");
        assert_eq!(request.notice_url, None);
        assert_eq!(request.device_id, None);
        assert_eq!(accepted(&with("noticeUrl", "")).notice_url, None);
    }

    // Credentials.

    #[test]
    fn credentials_keep_the_signature_as_sent() {
        let lower = SIGNATURE.to_lowercase();
        let credentials =
            Credentials::from_form(&with("signValue", &lower)).expect("valid credentials");
        assert_eq!(credentials.sign_value, lower);
        assert_eq!(credentials.account, "995149");
    }

    #[test]
    fn account_is_required() {
        expect_refusal(
            &without("account"),
            ErrorKind::MissingField(Field::Account),
            "account",
        );
        expect_refusal(
            &with("account", ""),
            ErrorKind::MissingField(Field::Account),
            "account",
        );
    }

    #[test]
    fn account_has_at_most_12_characters() {
        expect_refusal(
            &with("account", "1234567890123"),
            ErrorKind::FieldTooLong(Field::Account),
            "account",
        );
    }

    #[test]
    fn account_is_digits() {
        expect_refusal(
            &with("account", "99514a"),
            ErrorKind::InvalidFormat(Field::Account),
            "account",
        );
    }

    #[test]
    fn terminal_is_required() {
        expect_refusal(
            &without("terminal"),
            ErrorKind::MissingField(Field::Terminal),
            "terminal",
        );
    }

    #[test]
    fn terminal_has_at_most_12_characters() {
        expect_refusal(
            &with("terminal", "9951490100001"),
            ErrorKind::FieldTooLong(Field::Terminal),
            "terminal",
        );
    }

    #[test]
    fn terminal_is_digits() {
        expect_refusal(
            &with("terminal", " 99514901"),
            ErrorKind::InvalidFormat(Field::Terminal),
            "terminal",
        );
    }

    #[test]
    fn signature_is_required() {
        expect_refusal(
            &without("signValue"),
            ErrorKind::MissingField(Field::Signature),
            "signValue",
        );
    }

    #[test]
    fn signature_is_64_hex_digits() {
        let signature = ErrorKind::InvalidFormat(Field::Signature);
        expect_refusal(&with("signValue", &SIGNATURE[..63]), signature, "signValue");
        expect_refusal(
            &with("signValue", &format!("{}G", &SIGNATURE[..63])),
            signature,
            "signValue",
        );
    }

    #[test]
    fn credentials_are_checked_before_anything_else() {
        let error = Credentials::from_form(&with_all(&[("terminal", ""), ("order_amount", "x")]));
        assert_eq!(
            error,
            Err(GatewayError::at(
                ErrorKind::MissingField(Field::Terminal),
                "terminal"
            ))
        );
    }

    // Order number.

    #[test]
    fn order_number_is_required() {
        expect_refusal(
            &without("order_number"),
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn order_number_has_at_most_50_characters() {
        accepted(&with("order_number", &"商".repeat(50)));
        expect_refusal(
            &with("order_number", &"1".repeat(51)),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn order_number_has_no_control_characters() {
        expect_refusal(
            &with("order_number", "A\t1"),
            ErrorKind::InvalidFormat(Field::OrderNumber),
            "order_number",
        );
    }

    // Currency.

    #[test]
    fn currency_is_required() {
        expect_refusal(
            &without("order_currency"),
            ErrorKind::MissingField(Field::Currency),
            "order_currency",
        );
    }

    #[test]
    fn currency_is_a_supported_upper_case_code() {
        for code in ["cny", "XAU", "CN", "CNYY"] {
            expect_refusal(
                &with("order_currency", code),
                ErrorKind::UnsupportedCurrency,
                "order_currency",
            );
        }
    }

    // Amount.

    #[test]
    fn amount_is_required() {
        expect_refusal(
            &without("order_amount"),
            ErrorKind::MissingField(Field::Amount),
            "order_amount",
        );
    }

    #[test]
    fn an_empty_amount_is_missing() {
        expect_refusal(
            &with("order_amount", ""),
            ErrorKind::MissingField(Field::Amount),
            "order_amount",
        );
    }

    #[test]
    fn amount_has_at_most_10_characters() {
        accepted(&with("order_amount", "9999999.99"));
        expect_refusal(
            &with("order_amount", "99999999.99"),
            ErrorKind::InvalidFormat(Field::Amount),
            "order_amount",
        );
    }

    #[test]
    fn amount_is_a_plain_decimal() {
        for text in ["1,00", "-1", "1e3", "abc", "1."] {
            expect_refusal(
                &with("order_amount", text),
                ErrorKind::InvalidFormat(Field::Amount),
                "order_amount",
            );
        }
    }

    #[test]
    fn amount_has_at_most_two_fraction_digits() {
        expect_refusal(
            &with("order_amount", "1.234"),
            ErrorKind::InvalidFormat(Field::Amount),
            "order_amount",
        );
    }

    #[test]
    fn amount_fits_the_currency_exponent() {
        let yen = |amount: &str| with_all(&[("order_currency", "JPY"), ("order_amount", amount)]);
        assert_eq!(accepted(&yen("100.00")).amount.minor_units(), 100);
        expect_refusal(&yen("100.50"), ErrorKind::InvalidAmount, "order_amount");
    }

    #[test]
    fn amount_is_greater_than_zero() {
        expect_refusal(
            &with("order_amount", "0.00"),
            ErrorKind::InvalidAmount,
            "order_amount",
        );
    }

    #[test]
    fn amount_text_is_kept_exactly() {
        assert_eq!(
            accepted(&with("order_amount", "090.5")).amount_text,
            "090.5"
        );
    }

    // Notes.

    #[test]
    fn order_notes_have_at_most_500_characters() {
        accepted(&with("order_notes", &"n".repeat(500)));
        expect_refusal(
            &with("order_notes", &"n".repeat(501)),
            ErrorKind::FieldTooLong(Field::OrderNotes),
            "order_notes",
        );
    }

    #[test]
    fn order_notes_may_hold_tabs_and_line_breaks_only() {
        assert_eq!(
            accepted(&with("order_notes", "a\tb\r\nc")).order_notes,
            "a\tb\r\nc"
        );
        expect_refusal(
            &with("order_notes", "a\u{7}"),
            ErrorKind::InvalidFormat(Field::OrderNotes),
            "order_notes",
        );
    }

    // Method and payment code.

    #[test]
    fn methods_has_at_most_50_characters() {
        expect_refusal(
            &with("methods", &"m".repeat(51)),
            ErrorKind::FieldTooLong(Field::Method),
            "methods",
        );
    }

    #[test]
    fn methods_names_an_offline_wallet() {
        for methods in [
            "Credit Card",
            "WeChatPay_Web",
            "wechatpay_offline",
            "Alipay",
        ] {
            expect_refusal(
                &with("methods", methods),
                ErrorKind::UnsupportedMethod,
                "methods",
            );
        }
    }

    #[test]
    fn without_methods_a_code_is_required() {
        expect_refusal(
            &without("pay_accountNumber"),
            ErrorKind::MissingField(Field::PaymentCode),
            "pay_accountNumber",
        );
        expect_refusal(
            &with("pay_accountNumber", ""),
            ErrorKind::MissingField(Field::PaymentCode),
            "pay_accountNumber",
        );
    }

    #[test]
    fn payment_code_has_at_most_64_characters() {
        expect_refusal(
            &with("pay_accountNumber", &"1".repeat(65)),
            ErrorKind::FieldTooLong(Field::PaymentCode),
            "pay_accountNumber",
        );
    }

    #[test]
    fn payment_code_must_be_a_wallet_code() {
        expect_refusal(
            &with("pay_accountNumber", "6212345678901234567"),
            ErrorKind::UnrecognisedPaymentCode,
            "pay_accountNumber",
        );
    }

    #[test]
    fn payment_code_must_be_a_wallet_code_even_with_methods() {
        let form = with_all(&[
            ("methods", "WeChatPay_Offline"),
            ("pay_accountNumber", "12345"),
        ]);
        expect_refusal(
            &form,
            ErrorKind::UnrecognisedPaymentCode,
            "pay_accountNumber",
        );
    }

    #[test]
    fn payment_code_must_match_methods() {
        let form = with_all(&[
            ("methods", "WeChatPay_Offline"),
            ("pay_accountNumber", ALIPAY_CODE),
        ]);
        expect_refusal(
            &form,
            ErrorKind::PaymentCodeWalletMismatch,
            "pay_accountNumber",
        );
    }

    // Billing.

    #[test]
    fn billing_fields_are_optional_with_their_limits() {
        for (name, field, limit) in BILLING_FIELDS {
            let at_limit = if field == Field::Email {
                format!("{}@b.cn", "a".repeat(limit - 5))
            } else {
                "x".repeat(limit)
            };
            accepted(&with(name, &at_limit));
            expect_refusal(
                &with(name, &"x".repeat(limit + 1)),
                ErrorKind::FieldTooLong(field),
                name,
            );
        }
    }

    #[test]
    fn billing_fields_have_no_control_characters() {
        expect_refusal(
            &with("billing_city", "Hong\u{0}Kong"),
            ErrorKind::InvalidFormat(Field::City),
            "billing_city",
        );
    }

    #[test]
    fn billing_email_looks_like_an_address() {
        accepted(&with("billing_email", "test@test.com"));
        for email in [
            "test",
            "@test.com",
            "a@b",
            "a@b@c.com",
            "a b@c.com",
            "a@.com",
            "a@b.",
            "a@b..cn",
        ] {
            expect_refusal(
                &with("billing_email", email),
                ErrorKind::InvalidFormat(Field::Email),
                "billing_email",
            );
        }
    }

    // Notice URL.

    #[test]
    fn notice_url_has_at_most_500_characters() {
        let url = format!("https://shop.example/{}", "p".repeat(480));
        expect_refusal(
            &with("noticeUrl", &url),
            ErrorKind::FieldTooLong(Field::NoticeUrl),
            "noticeUrl",
        );
    }

    #[test]
    fn notice_url_is_http_with_a_host() {
        for url in [
            "http://shop.example",
            "HTTPS://shop.example:8443/n?x=1",
            "http://[::1]:80/",
            "https://u:p@h/",
        ] {
            assert_eq!(
                accepted(&with("noticeUrl", url)).notice_url.as_deref(),
                Some(url)
            );
        }
        for url in [
            "ftp://shop.example",
            "shop.example",
            "http://",
            "https:///path",
            "http://:80",
            "http://u@/",
            "http://[]/",
            "https://a b/",
        ] {
            expect_refusal(
                &with("noticeUrl", url),
                ErrorKind::InvalidFormat(Field::NoticeUrl),
                "noticeUrl",
            );
        }
    }

    // Device id and other fields.

    #[test]
    fn device_id_has_at_most_64_characters() {
        expect_refusal(
            &with("deviceId", &"d".repeat(65)),
            ErrorKind::FieldTooLong(Field::Other),
            "deviceId",
        );
    }

    #[test]
    fn other_fields_have_at_most_2000_characters() {
        accepted(&with("productName", &"p".repeat(2000)));
        expect_refusal(
            &with("productName", &"p".repeat(2001)),
            ErrorKind::FieldTooLong(Field::Other),
            "productName",
        );
    }

    #[test]
    fn other_fields_have_no_control_characters() {
        accepted(&with("cart_info", "a\tb"));
        expect_refusal(
            &with("cart_info", "a\u{1b}b"),
            ErrorKind::InvalidFormat(Field::Other),
            "cart_info",
        );
    }

    #[test]
    fn noncharacters_xml_cannot_carry_are_refused() {
        expect_refusal(
            &with("order_notes", "a\u{FFFF}"),
            ErrorKind::InvalidFormat(Field::OrderNotes),
            "order_notes",
        );
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        let form = with_all(&[
            ("cart_info", "\u{1}"),
            ("noticeUrl", "ftp://x"),
            ("billing_email", "nope"),
            ("methods", "Card"),
            ("order_notes", "\u{1}"),
            ("order_amount", "x"),
            ("order_currency", "XXX"),
            ("order_number", ""),
        ]);
        let expected = [
            (
                ErrorKind::MissingField(Field::OrderNumber),
                "order_number",
                "1",
            ),
            (ErrorKind::UnsupportedCurrency, "order_currency", "CNY"),
            (ErrorKind::InvalidFormat(Field::Amount), "order_amount", "1"),
            (
                ErrorKind::InvalidFormat(Field::OrderNotes),
                "order_notes",
                "",
            ),
            (ErrorKind::UnsupportedMethod, "methods", ""),
            (ErrorKind::InvalidFormat(Field::Email), "billing_email", ""),
            (ErrorKind::InvalidFormat(Field::NoticeUrl), "noticeUrl", ""),
            (ErrorKind::InvalidFormat(Field::Other), "cart_info", ""),
        ];
        let mut fields: Vec<(String, String)> = form
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        for (kind, name, fix) in expected {
            expect_refusal(&encode(&fields), kind, name);
            if let Some(field) = fields.iter_mut().find(|(existing, _)| existing == name) {
                field.1 = fix.to_owned();
            }
        }
        accepted(&encode(&fields));
    }

    // Fingerprint.

    #[test]
    fn fingerprint_ignores_field_order_and_signature() {
        let mut fields = valid_fields();
        let original = request_fingerprint(&encode(&fields));
        fields.reverse();
        assert_eq!(request_fingerprint(&encode(&fields)), original);
        assert_eq!(
            request_fingerprint(&with("signValue", &SIGNATURE.to_lowercase())),
            original
        );
        assert_eq!(original.len(), 64);
        assert_eq!(original, original.to_lowercase());
    }

    #[test]
    fn fingerprint_changes_with_any_field() {
        let original = request_fingerprint(&encode(&valid_fields()));
        assert_ne!(request_fingerprint(&with("order_amount", "90")), original);
        assert_ne!(request_fingerprint(&with("extra", "")), original);
    }

    #[test]
    fn fingerprint_cannot_be_forged_by_embedding_separators() {
        let one = Form::parse(b"a=1%0Ab%3D2").expect("form");
        let two = Form::parse(b"a=1&b=2").expect("form");
        assert_ne!(request_fingerprint(&one), request_fingerprint(&two));
    }

    fn request_fields() -> impl Strategy<Value = Vec<(String, String)>> {
        let names = prop_oneof![
            Just("account".to_owned()),
            Just("terminal".to_owned()),
            Just("signValue".to_owned()),
            Just("order_number".to_owned()),
            Just("order_currency".to_owned()),
            Just("order_amount".to_owned()),
            Just("order_notes".to_owned()),
            Just("methods".to_owned()),
            Just("pay_accountNumber".to_owned()),
            Just("billing_email".to_owned()),
            Just("noticeUrl".to_owned()),
            Just("deviceId".to_owned()),
            "[a-zA-Z_]{1,12}",
        ];
        let values = prop_oneof![
            "[0-9]{0,20}",
            "[0-9]{1,8}\\.[0-9]{0,3}",
            "[0-9a-fA-F]{64}",
            Just("WeChatPay_Offline".to_owned()),
            Just("Alipay_Offline".to_owned()),
            "(http|https|ftp)://[a-z\\[\\]:@./]{0,20}",
            "\\PC{0,60}",
            ".{0,60}",
        ];
        proptest::collection::btree_map(names, values, 0..16)
            .prop_map(|map| map.into_iter().collect())
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bodies_never_panics(body in ".{0,400}") {
            if let Ok(form) = Form::parse(body.as_bytes()) {
                let _ = Credentials::from_form(&form);
                let _ = PayRequest::parse(&form);
                let _ = request_fingerprint(&form);
            }
        }

        #[test]
        fn parsing_arbitrary_fields_never_panics(fields in request_fields()) {
            let form = encode(&fields);
            let _ = PayRequest::parse(&form);
        }

        #[test]
        fn changing_any_valid_field_keeps_parsing_total(
            name in proptest::sample::select(vec!["account", "terminal", "order_number", "order_currency", "order_amount", "order_notes", "methods", "pay_accountNumber", "noticeUrl", "billing_email"]),
            value in ".{0,80}",
        ) {
            let _ = PayRequest::parse(&with(name, &value));
        }
    }
}
