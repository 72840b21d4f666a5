//! The business requests inside `bizContent`, one parser per call.
//!
//! Each parser takes the envelope's `bizContent` text after the signature verified. It must be
//! a JSON object with no repeated key at any depth (else `MalformedRequest` naming
//! `bizContent`). Fields are checked in the order listed for each call, and the first failure
//! is reported with the field's path as the wire name (`merchantTransactionId`,
//! `paymentMethod.type`).
//!
//! Rules shared by every call:
//!
//! - a field that is absent, `null` or a blank string counts as not sent;
//! - identifiers and texts must be JSON strings (a number is `InvalidFormat`: long numeric ids
//!   would arrive as rounded floats), at most their limit in characters, with no control
//!   character;
//! - amounts, `timeExpire` and `captureDelayHours` may be strings or numbers, since PingPong's
//!   own examples send both. Strings are read exactly as sent; numbers through their shortest
//!   decimal form (`0.02`, `100`; a float such as `100.0` keeps its `.0`). At most 12
//!   characters (PingPong's `string(12)`), a plain decimal, never negative or in exponent form;
//! - every other field (`shopperIP`, `goods`, `device` and the like) is ignored: it is covered
//!   by the signature but neither stored nor echoed.

use crate::pingpong::rules::{is_notification_url, is_plain_decimal, parse_biz, Object, MAX_ID};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use tidegate_core::{
    AmountError, AuthCode, AuthCodeError, Currency, ErrorKind, Field, GatewayError, Money,
    Presentment, Wallet,
};

const MERCHANT_TRANSACTION_ID: &str = "merchantTransactionId";
const TRANSACTION_ID: &str = "transactionId";
const REQUEST_ID: &str = "requestId";
const AMOUNT: &str = "amount";
const CURRENCY: &str = "currency";
const PAYMENT_METHOD: &str = "paymentMethod";
const TYPE: &str = "type";
const SCAN_CODE_ID: &str = "scanCodeId";
const CASHIER_DEVICE_ID: &str = "cashierDeviceId";
const NOTIFICATION_URL: &str = "notificationUrl";
const REMARK: &str = "remark";
const TIME_EXPIRE: &str = "timeExpire";
const CAPTURE_DELAY_HOURS: &str = "captureDelayHours";
const MERCHANT_REFUND_ID: &str = "merchantRefundId";
const REFUND_ID: &str = "refundId";
const MERCHANT_VOID_ID: &str = "merchantVoidId";

/// PingPong's `amount` is `string(12)`.
const MAX_AMOUNT_CHARS: usize = 12;
/// The longest `notificationUrl`.
const MAX_URL: usize = 512;
/// The longest `remark`.
const MAX_REMARK: usize = 256;
/// The longest `paymentMethod.type` read before it is compared with the known names.
const MAX_METHOD_TYPE: usize = 64;
/// `timeExpire` is epoch seconds: at most 11 digits (until the year 5138). Milliseconds, 13
/// digits, are refused rather than read as a date thousands of years away.
const MAX_EPOCH_DIGITS: usize = 11;
/// Longer than any `timeExpire` worth reading, so that its digits are judged, not its length.
const MAX_TIME_EXPIRE_CHARS: usize = 32;
/// Longer than any integer `captureDelayHours` that could make sense, short enough to bound.
const MAX_CAPTURE_DELAY_CHARS: usize = 16;

/// The in-person `paymentMethod.type` values Tidegate offers, with the wallet and the
/// currencies PingPong lists for each (`appendix/APMList.md`).
const OFFLINE_METHODS: [(&str, Wallet, &[&str]); 3] = [
    ("Wechat-Offline", Wallet::WeChatPay, &["CNY", "HKD"]),
    ("AlipayCN-Offline", Wallet::Alipay, &["CNY", "USD"]),
    ("AlipayHK-Offline", Wallet::Alipay, &["HKD", "USD"]),
];

/// A validated `POST /v4/payment/unifiedPay` for an in-person wallet payment.
///
/// Checks, in order:
///
/// 1. `merchantTransactionId`: required, at most 64 (`Field::OrderNumber`);
/// 2. `requestId`: required, at most 64 (`Field::Other`); PingPong's idempotency key;
/// 3. `currency`: required (`MissingField(Currency)`), an upper-case ISO 4217 code the gateway
///    knows (`UnsupportedCurrency`);
/// 4. `amount`: required (`MissingField(Amount)`), at most 12 characters, a plain decimal
///    (`InvalidFormat(Amount)`), no more fraction digits than the currency has (CNY 2, JPY 0;
///    trailing zeros count, so `"100.00"` JPY is refused), greater than zero and not too
///    large (`InvalidAmount`);
/// 5. `paymentMethod`: an object (`InvalidFormat(Method)`), whose `type` is required
///    (`MissingField(Method)`, also when `paymentMethod` is absent) and is `Wechat-Offline`,
///    `AlipayCN-Offline` or `AlipayHK-Offline`, exactly (`UnsupportedMethod`);
/// 6. the currency is one the method takes: CNY or HKD for `Wechat-Offline`, CNY or USD for
///    `AlipayCN-Offline`, HKD or USD for `AlipayHK-Offline` (`UnsupportedCurrency`);
/// 7. `paymentMethod.scanCodeId`: optional, at most 64 (`Field::PaymentCode`); when sent, a
///    code of the method's wallet (`UnrecognisedPaymentCode`, `PaymentCodeWalletMismatch`),
///    and the payment is customer-presented;
/// 8. `cashierDeviceId`: at most 64 (`Field::Other`); required when no `scanCodeId` was sent
///    (the till shows a QR code: merchant-presented);
/// 9. `notificationUrl`: optional, at most 512, `http(s)://` with a host, an optional numeric
///    port and no query or fragment (`Field::NoticeUrl`);
/// 10. `remark`: optional, at most 256 (`Field::OrderNotes`);
/// 11. `timeExpire`: optional, epoch seconds as at most 11 digits, string or number, greater
///     than zero (`InvalidFormat(Other)`); the server turns it into the payment's time to
///     live (PingPong allows one minute to three days);
/// 12. `captureDelayHours`: optional integer, string or number (`InvalidFormat(Operation)`);
///     only `0` (capture at once) is offered: `-1` (manual capture) or a delay is
///     `UnsupportedOperation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedPayRequest {
    /// The merchant's order id.
    pub merchant_transaction_id: String,
    /// The merchant's id of this payment attempt: one requestId is one payment.
    pub request_id: String,
    /// The amount to charge.
    pub amount: Money,
    /// `amount` as read: a string exactly as sent, a number in its shortest decimal form.
    pub amount_text: String,
    /// The currency, also `amount.currency()`.
    pub currency: Currency,
    /// `paymentMethod.type` as sent (`Wechat-Offline`, `AlipayCN-Offline`, `AlipayHK-Offline`),
    /// echoed in replies.
    pub method_type: String,
    /// Customer-presented with the scanned code, or merchant-presented with the wallet.
    pub presentment: Presentment,
    /// Where to send the result notification; `None` when not sent (no notification then).
    pub notification_url: Option<String>,
    /// Free text echoed in replies; empty when not sent.
    pub remark: String,
    /// When the merchant wants an unpaid payment closed, in epoch seconds.
    pub time_expire_seconds: Option<i64>,
    /// `Some(0)` when sent (the only value offered), `None` when not.
    pub capture_delay_hours: Option<i64>,
    /// The till's id; always present for merchant-presented payments.
    pub cashier_device_id: Option<String>,
}

impl UnifiedPayRequest {
    /// Validates the `bizContent` of a unifiedPay whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<UnifiedPayRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let merchant_transaction_id =
            biz.required_text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let request_id = biz.required_text(REQUEST_ID, Field::Other, MAX_ID)?;
        let currency = currency(&biz)?;
        let (amount, amount_text) = amount(&biz, currency)?;
        let (method_type, wallet, currencies, method) = payment_method(&biz)?;
        if !currencies.contains(&currency.code()) {
            return Err(biz.error(ErrorKind::UnsupportedCurrency, CURRENCY));
        }
        let scanned = method
            .text(SCAN_CODE_ID, Field::PaymentCode, MAX_ID)?
            .map(|code| {
                AuthCode::parse_for(code, wallet).map_err(|error| {
                    let kind = match error {
                        AuthCodeError::Unrecognised => ErrorKind::UnrecognisedPaymentCode,
                        AuthCodeError::WrongWallet { .. } => ErrorKind::PaymentCodeWalletMismatch,
                    };
                    method.error(kind, SCAN_CODE_ID)
                })
            })
            .transpose()?;
        let cashier_device_id = biz.text(CASHIER_DEVICE_ID, Field::Other, MAX_ID)?;
        let presentment = match (scanned, cashier_device_id) {
            (Some(code), _) => Presentment::CustomerPresented(code),
            (None, Some(_)) => Presentment::MerchantPresented(wallet),
            (None, None) => {
                return Err(biz.error(ErrorKind::MissingField(Field::Other), CASHIER_DEVICE_ID))
            }
        };
        let notification_url = notification_url(&biz)?;
        let remark = biz.text(REMARK, Field::OrderNotes, MAX_REMARK)?;
        let time_expire_seconds = time_expire(&biz)?;
        let capture_delay_hours = capture_delay_hours(&biz)?;
        Ok(UnifiedPayRequest {
            merchant_transaction_id: merchant_transaction_id.to_owned(),
            request_id: request_id.to_owned(),
            amount,
            amount_text,
            currency,
            method_type: method_type.to_owned(),
            presentment,
            notification_url: notification_url.map(str::to_owned),
            remark: remark.unwrap_or_default().to_owned(),
            time_expire_seconds,
            capture_delay_hours,
            cashier_device_id: cashier_device_id.map(str::to_owned),
        })
    }

    /// The replay key: lower-case hex SHA-256 of the `requestId`. PingPong defines one
    /// `requestId` as one payment attempt, so a request repeating it (on the same order) is
    /// answered with the first attempt, whatever else it carries.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(
            format!("pingpong-request-id:{}", self.request_id).as_bytes(),
        ))
    }
}

fn currency(biz: &Object<'_>) -> Result<Currency, GatewayError> {
    let text = biz.required_text(CURRENCY, Field::Currency, 3)?;
    Currency::parse(text).ok_or_else(|| biz.error(ErrorKind::UnsupportedCurrency, CURRENCY))
}

fn amount(biz: &Object<'_>, currency: Currency) -> Result<(Money, String), GatewayError> {
    let text = amount_text(biz, Field::Amount)?
        .ok_or_else(|| biz.error(ErrorKind::MissingField(Field::Amount), AMOUNT))?;
    let money = Money::parse_decimal(&text, currency, usize::from(currency.exponent()))
        .map_err(|error| biz.error(amount_error(error, Field::Amount), AMOUNT))?;
    Ok((money, text.into_owned()))
}

/// The amount text, string or number, when sent: at most 12 characters.
fn amount_text<'a>(biz: &Object<'a>, field: Field) -> Result<Option<Cow<'a, str>>, GatewayError> {
    biz.scalar(AMOUNT, field, MAX_AMOUNT_CHARS)
}

/// Text that is not a plain decimal breaks the format; a plain decimal that cannot be charged
/// (too precise for the currency, zero, too large) is an invalid amount.
fn amount_error(error: AmountError, field: Field) -> ErrorKind {
    match error {
        AmountError::Empty => ErrorKind::MissingField(field),
        AmountError::Format => ErrorKind::InvalidFormat(field),
        AmountError::TooManyDecimals | AmountError::Zero | AmountError::TooLarge => {
            ErrorKind::InvalidAmount
        }
    }
}

/// `paymentMethod.type` with its wallet and currencies, and the `paymentMethod` object.
fn payment_method<'a>(
    biz: &Object<'a>,
) -> Result<(&'static str, Wallet, &'static [&'static str], Object<'a>), GatewayError> {
    let missing = || biz.error(ErrorKind::MissingField(Field::Method), "paymentMethod.type");
    let method = biz
        .object(PAYMENT_METHOD, "paymentMethod.", Field::Method)?
        .ok_or_else(missing)?;
    let name = method
        .text(TYPE, Field::Method, MAX_METHOD_TYPE)?
        .ok_or_else(missing)?;
    let (name, wallet, currencies) = OFFLINE_METHODS
        .into_iter()
        .find(|(known, _, _)| *known == name)
        .ok_or_else(|| method.error(ErrorKind::UnsupportedMethod, TYPE))?;
    Ok((name, wallet, currencies, method))
}

fn notification_url<'a>(biz: &Object<'a>) -> Result<Option<&'a str>, GatewayError> {
    let url = biz.text(NOTIFICATION_URL, Field::NoticeUrl, MAX_URL)?;
    if url.is_some_and(|url| !is_notification_url(url)) {
        return Err(biz.error(ErrorKind::InvalidFormat(Field::NoticeUrl), NOTIFICATION_URL));
    }
    Ok(url)
}

fn time_expire(biz: &Object<'_>) -> Result<Option<i64>, GatewayError> {
    let invalid = || biz.error(ErrorKind::InvalidFormat(Field::Other), TIME_EXPIRE);
    let Some(text) = biz.scalar(TIME_EXPIRE, Field::Other, MAX_TIME_EXPIRE_CHARS)? else {
        return Ok(None);
    };
    if text.len() > MAX_EPOCH_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match text.parse::<i64>() {
        Ok(seconds) if seconds > 0 => Ok(Some(seconds)),
        Ok(_) | Err(_) => Err(invalid()),
    }
}

fn capture_delay_hours(biz: &Object<'_>) -> Result<Option<i64>, GatewayError> {
    let Some(text) = biz.scalar(
        CAPTURE_DELAY_HOURS,
        Field::Operation,
        MAX_CAPTURE_DELAY_CHARS,
    )?
    else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(0) => Ok(Some(0)),
        Ok(_) => Err(biz.error(ErrorKind::UnsupportedOperation, CAPTURE_DELAY_HOURS)),
        Err(_) => Err(biz.error(
            ErrorKind::InvalidFormat(Field::Operation),
            CAPTURE_DELAY_HOURS,
        )),
    }
}

/// A validated `POST /v4/payment/query`.
///
/// Checks, in order: `transactionId` (at most 64, `Field::PaymentId`), `merchantTransactionId`
/// (at most 64, `Field::OrderNumber`), `requestId` (at most 64, `Field::Other`), then that one
/// of the first two was sent (`MissingField(OrderNumber)` naming `merchantTransactionId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    /// Tidegate's id of the payment, when sent.
    pub transaction_id: Option<String>,
    /// The merchant's order id, when sent.
    pub merchant_transaction_id: Option<String>,
    /// The payment attempt asked about, when sent; without it the order's latest attempt.
    pub request_id: Option<String>,
}

impl QueryRequest {
    /// Validates the `bizContent` of a query whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<QueryRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let transaction_id = biz.text(TRANSACTION_ID, Field::PaymentId, MAX_ID)?;
        let merchant_transaction_id =
            biz.text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let request_id = biz.text(REQUEST_ID, Field::Other, MAX_ID)?;
        if transaction_id.is_none() && merchant_transaction_id.is_none() {
            return Err(biz.error(
                ErrorKind::MissingField(Field::OrderNumber),
                MERCHANT_TRANSACTION_ID,
            ));
        }
        Ok(QueryRequest {
            transaction_id: transaction_id.map(str::to_owned),
            merchant_transaction_id: merchant_transaction_id.map(str::to_owned),
            request_id: request_id.map(str::to_owned),
        })
    }
}

/// A validated `POST /v4/payment/refund`.
///
/// Checks, in order:
///
/// 1. `merchantTransactionId`: required, at most 64 (`Field::OrderNumber`);
/// 2. `merchantRefundId`: required, at most 64 (`Field::RefundNumber`);
/// 3. `currency`: required, a known ISO 4217 code (`UnsupportedCurrency`);
/// 4. `amount`: required (`MissingField(RefundAmount)`), at most 12 characters, a plain
///    decimal (`InvalidFormat(RefundAmount)`), greater than zero (`InvalidAmount`). Its
///    precision is checked against the payment by [`RefundRequest::refund_amount`];
/// 5. `notificationUrl`: as for unifiedPay;
/// 6. `remark`: optional, at most 256 (`Field::RefundDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The merchant's order id of the payment to refund.
    pub merchant_transaction_id: String,
    /// The merchant's id of this refund: one merchantRefundId is one refund.
    pub merchant_refund_id: String,
    /// `amount` as read: a positive plain decimal, to be read in the payment's currency.
    pub amount_text: String,
    /// The currency the merchant states; it must be the payment's.
    pub currency: Currency,
    /// Where to send the refund notification, when sent.
    pub notification_url: Option<String>,
    /// The merchant's reason, echoed; empty when not sent.
    pub remark: String,
}

impl RefundRequest {
    /// Validates the `bizContent` of a refund whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<RefundRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let merchant_transaction_id =
            biz.required_text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let merchant_refund_id =
            biz.required_text(MERCHANT_REFUND_ID, Field::RefundNumber, MAX_ID)?;
        let currency = currency(&biz)?;
        let amount_text = amount_text(&biz, Field::RefundAmount)?
            .ok_or_else(|| biz.error(ErrorKind::MissingField(Field::RefundAmount), AMOUNT))?;
        check_positive_decimal(&biz, &amount_text, Field::RefundAmount)?;
        let notification_url = notification_url(&biz)?;
        let remark = biz.text(REMARK, Field::RefundDescription, MAX_REMARK)?;
        Ok(RefundRequest {
            merchant_transaction_id: merchant_transaction_id.to_owned(),
            merchant_refund_id: merchant_refund_id.to_owned(),
            amount_text: amount_text.into_owned(),
            currency,
            notification_url: notification_url.map(str::to_owned),
            remark: remark.unwrap_or_default().to_owned(),
        })
    }

    /// The amount to refund, read in the payment's currency: `UnsupportedCurrency` when the
    /// request states another currency, `InvalidAmount` when the amount has more fraction
    /// digits than the currency (trailing zeros count) or is too large.
    pub fn refund_amount(&self, payment_currency: Currency) -> Result<Money, GatewayError> {
        if self.currency != payment_currency {
            return Err(GatewayError::at(ErrorKind::UnsupportedCurrency, CURRENCY));
        }
        let exponent = usize::from(payment_currency.exponent());
        Money::parse_decimal(&self.amount_text, payment_currency, exponent)
            .map_err(|error| GatewayError::at(amount_error(error, Field::RefundAmount), AMOUNT))
    }
}

/// A plain decimal (else `InvalidFormat(field)`) that is not zero (else `InvalidAmount`).
fn check_positive_decimal(biz: &Object<'_>, text: &str, field: Field) -> Result<(), GatewayError> {
    if !is_plain_decimal(text) {
        return Err(biz.error(ErrorKind::InvalidFormat(field), AMOUNT));
    }
    if !text.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        return Err(biz.error(ErrorKind::InvalidAmount, AMOUNT));
    }
    Ok(())
}

/// A validated `POST /v4/refund/query`.
///
/// Checks, in order: `merchantTransactionId` (required, at most 64, `Field::OrderNumber`),
/// `refundId` (at most 64, `Field::RefundId`), `merchantRefundId` (at most 64,
/// `Field::RefundNumber`), then that one of the last two was sent (`MissingField(RefundId)`
/// naming `refundId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQueryRequest {
    /// The merchant's order id of the refunded payment.
    pub merchant_transaction_id: String,
    /// Tidegate's id of the refund, when sent.
    pub refund_id: Option<String>,
    /// The merchant's id of the refund, when sent.
    pub merchant_refund_id: Option<String>,
}

impl RefundQueryRequest {
    /// Validates the `bizContent` of a refund query whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<RefundQueryRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let merchant_transaction_id =
            biz.required_text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let refund_id = biz.text(REFUND_ID, Field::RefundId, MAX_ID)?;
        let merchant_refund_id = biz.text(MERCHANT_REFUND_ID, Field::RefundNumber, MAX_ID)?;
        if refund_id.is_none() && merchant_refund_id.is_none() {
            return Err(biz.error(ErrorKind::MissingField(Field::RefundId), REFUND_ID));
        }
        Ok(RefundQueryRequest {
            merchant_transaction_id: merchant_transaction_id.to_owned(),
            refund_id: refund_id.map(str::to_owned),
            merchant_refund_id: merchant_refund_id.map(str::to_owned),
        })
    }
}

/// A validated `POST /v4/payment/void`: close an unfinished payment, or reverse an approved
/// one in full.
///
/// Checks, in order:
///
/// 1. `merchantTransactionId`: required, at most 64 (`Field::OrderNumber`);
/// 2. `merchantVoidId`: required, at most 64 (`Field::Other`);
/// 3. `currency`: optional, a known ISO 4217 code (`UnsupportedCurrency`);
/// 4. `amount`: optional, at most 12 characters, a positive plain decimal (as for refunds);
///    [`VoidRequest::check_amount`] compares it with the payment;
/// 5. `notificationUrl`: as for unifiedPay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidRequest {
    /// The merchant's order id of the payment to void.
    pub merchant_transaction_id: String,
    /// The merchant's id of this void: one merchantVoidId is one void.
    pub merchant_void_id: String,
    /// `amount` as read, when sent.
    pub amount_text: Option<String>,
    /// The currency the merchant states, when sent.
    pub currency: Option<Currency>,
    /// Where to send a notification, when sent.
    pub notification_url: Option<String>,
}

impl VoidRequest {
    /// Validates the `bizContent` of a void whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<VoidRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let merchant_transaction_id =
            biz.required_text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let merchant_void_id = biz.required_text(MERCHANT_VOID_ID, Field::Other, MAX_ID)?;
        let currency = match biz.text(CURRENCY, Field::Currency, 3)? {
            Some(text) => Some(
                Currency::parse(text)
                    .ok_or_else(|| biz.error(ErrorKind::UnsupportedCurrency, CURRENCY))?,
            ),
            None => None,
        };
        let amount_text = amount_text(&biz, Field::Amount)?;
        if let Some(text) = &amount_text {
            check_positive_decimal(&biz, text, Field::Amount)?;
        }
        let notification_url = notification_url(&biz)?;
        Ok(VoidRequest {
            merchant_transaction_id: merchant_transaction_id.to_owned(),
            merchant_void_id: merchant_void_id.to_owned(),
            amount_text: amount_text.map(Cow::into_owned),
            currency,
            notification_url: notification_url.map(str::to_owned),
        })
    }

    /// Tidegate voids whole payments only: a stated currency must be the payment's
    /// (`UnsupportedCurrency`) and a stated amount its full amount (`InvalidAmount`).
    pub fn check_amount(&self, payment_amount: Money) -> Result<(), GatewayError> {
        let currency = payment_amount.currency();
        if self.currency.is_some_and(|stated| stated != currency) {
            return Err(GatewayError::at(ErrorKind::UnsupportedCurrency, CURRENCY));
        }
        if let Some(text) = &self.amount_text {
            let exponent = usize::from(currency.exponent());
            let stated = Money::parse_decimal(text, currency, exponent)
                .map_err(|error| GatewayError::at(amount_error(error, Field::Amount), AMOUNT))?;
            if stated != payment_amount {
                return Err(GatewayError::at(ErrorKind::InvalidAmount, AMOUNT));
            }
        }
        Ok(())
    }
}

/// A validated `POST /v4/void/query`.
///
/// Checks, in order: `merchantTransactionId` (required, at most 64, `Field::OrderNumber`),
/// `merchantVoidId` (required, at most 64, `Field::Other`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidQueryRequest {
    /// The merchant's order id of the voided payment.
    pub merchant_transaction_id: String,
    /// The merchant's id of the void.
    pub merchant_void_id: String,
}

impl VoidQueryRequest {
    /// Validates the `bizContent` of a void query whose envelope has been verified.
    pub fn parse(biz_content: &str) -> Result<VoidQueryRequest, GatewayError> {
        let map = parse_biz(biz_content)?;
        let biz = Object::new(&map);
        let merchant_transaction_id =
            biz.required_text(MERCHANT_TRANSACTION_ID, Field::OrderNumber, MAX_ID)?;
        let merchant_void_id = biz.required_text(MERCHANT_VOID_ID, Field::Other, MAX_ID)?;
        Ok(VoidQueryRequest {
            merchant_transaction_id: merchant_transaction_id.to_owned(),
            merchant_void_id: merchant_void_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Map, Value};

    const WECHAT_CODE: &str = "134567890123451234";
    const ALIPAY_CODE: &str = "284567890123450000";

    fn pay_fields() -> Map<String, Value> {
        let Value::Object(map) = json!({
            "merchantTransactionId": "POS-20260101-0001",
            "requestId": "REQ-0001",
            "amount": "90.00",
            "currency": "CNY",
            "paymentMethod": {"type": "Wechat-Offline", "scanCodeId": WECHAT_CODE},
            "remark": "table 4",
        }) else {
            unreachable!("a JSON object literal")
        };
        map
    }

    /// `base` with `changes` applied (`Value::Null` stands for removing the field; dotted
    /// names reach into `paymentMethod`).
    fn edit(mut base: Map<String, Value>, changes: &[(&str, Value)]) -> String {
        for (name, value) in changes {
            let (target, key) = match name.split_once('.') {
                Some((outer, inner)) => {
                    let Some(Value::Object(inner_map)) = base.get_mut(outer) else {
                        panic!("{outer} is not an object");
                    };
                    (inner_map, inner)
                }
                None => (&mut base, *name),
            };
            if value.is_null() {
                target.remove(key);
            } else {
                target.insert(key.to_owned(), value.clone());
            }
        }
        serde_json::to_string(&base).expect("test JSON")
    }

    fn pay_with(changes: &[(&str, Value)]) -> String {
        edit(pay_fields(), changes)
    }

    fn pay(changes: &[(&str, Value)]) -> UnifiedPayRequest {
        UnifiedPayRequest::parse(&pay_with(changes)).expect("request should be accepted")
    }

    fn pay_refused(changes: &[(&str, Value)], kind: ErrorKind, wire: &str) {
        let error = UnifiedPayRequest::parse(&pay_with(changes)).expect_err("should be refused");
        assert_eq!(
            (error.kind, error.wire_field.as_deref()),
            (kind, Some(wire)),
            "{changes:?}"
        );
    }

    #[test]
    fn parses_a_customer_presented_wechat_payment() {
        let request = pay(&[
            ("notificationUrl", json!("https://shop.example/notify")),
            ("timeExpire", json!("1767259800")),
            ("captureDelayHours", json!(0)),
            ("cashierDeviceId", json!("till-7")),
        ]);
        assert_eq!(request.merchant_transaction_id, "POS-20260101-0001");
        assert_eq!(request.request_id, "REQ-0001");
        assert_eq!(request.amount.minor_units(), 9000);
        assert_eq!(request.amount_text, "90.00");
        assert_eq!(request.currency.code(), "CNY");
        assert_eq!(request.method_type, "Wechat-Offline");
        let Presentment::CustomerPresented(code) = &request.presentment else {
            panic!("expected a scanned code, got {:?}", request.presentment);
        };
        assert_eq!(
            (code.wallet(), code.expose()),
            (Wallet::WeChatPay, WECHAT_CODE)
        );
        assert_eq!(
            request.notification_url.as_deref(),
            Some("https://shop.example/notify")
        );
        assert_eq!(request.remark, "table 4");
        assert_eq!(request.time_expire_seconds, Some(1_767_259_800));
        assert_eq!(request.capture_delay_hours, Some(0));
        assert_eq!(request.cashier_device_id.as_deref(), Some("till-7"));
    }

    #[test]
    fn parses_a_merchant_presented_alipay_payment() {
        let request = pay(&[
            ("paymentMethod", json!({"type": "AlipayHK-Offline"})),
            ("currency", json!("HKD")),
            ("cashierDeviceId", json!("till-7")),
            ("remark", Value::Null),
        ]);
        assert_eq!(
            request.presentment,
            Presentment::MerchantPresented(Wallet::Alipay)
        );
        assert_eq!(request.method_type, "AlipayHK-Offline");
        assert_eq!(request.remark, "");
        assert_eq!(request.notification_url, None);
        assert_eq!(request.time_expire_seconds, None);
        assert_eq!(request.capture_delay_hours, None);
    }

    #[test]
    fn biz_content_is_a_json_object_without_repeated_keys() {
        for text in [
            "[]",
            "",
            "x",
            "\"{}\"",
            r#"{"requestId":"1","requestId":"2"}"#,
        ] {
            let error = UnifiedPayRequest::parse(text).expect_err("refused");
            assert_eq!(
                (error.kind, error.wire_field.as_deref()),
                (ErrorKind::MalformedRequest, Some("bizContent")),
                "{text}"
            );
        }
    }

    #[test]
    fn merchant_transaction_id_is_required_and_bounded() {
        let missing = ErrorKind::MissingField(Field::OrderNumber);
        pay_refused(
            &[("merchantTransactionId", Value::Null)],
            missing,
            "merchantTransactionId",
        );
        pay_refused(
            &[("merchantTransactionId", json!(" "))],
            missing,
            "merchantTransactionId",
        );
        pay(&[("merchantTransactionId", json!("商".repeat(64)))]);
        pay_refused(
            &[("merchantTransactionId", json!("1".repeat(65)))],
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "merchantTransactionId",
        );
        pay_refused(
            &[("merchantTransactionId", json!("A\t1"))],
            ErrorKind::InvalidFormat(Field::OrderNumber),
            "merchantTransactionId",
        );
        pay_refused(
            &[("merchantTransactionId", json!(2_023_092_050_004_595_i64))],
            ErrorKind::InvalidFormat(Field::OrderNumber),
            "merchantTransactionId",
        );
    }

    #[test]
    fn request_id_is_required_and_bounded() {
        pay_refused(
            &[("requestId", Value::Null)],
            ErrorKind::MissingField(Field::Other),
            "requestId",
        );
        pay_refused(
            &[("requestId", json!("r".repeat(65)))],
            ErrorKind::FieldTooLong(Field::Other),
            "requestId",
        );
        pay_refused(
            &[("requestId", json!("r\u{85}"))],
            ErrorKind::InvalidFormat(Field::Other),
            "requestId",
        );
    }

    #[test]
    fn currency_is_a_known_code() {
        pay_refused(
            &[("currency", Value::Null)],
            ErrorKind::MissingField(Field::Currency),
            "currency",
        );
        for code in ["cny", "XAU", "CN"] {
            pay_refused(
                &[("currency", json!(code))],
                ErrorKind::UnsupportedCurrency,
                "currency",
            );
        }
        pay_refused(
            &[("currency", json!("CNYY"))],
            ErrorKind::FieldTooLong(Field::Currency),
            "currency",
        );
    }

    #[test]
    fn amount_may_be_a_string_or_a_number() {
        assert_eq!(pay(&[("amount", json!(0.02))]).amount.minor_units(), 2);
        assert_eq!(pay(&[("amount", json!(0.02))]).amount_text, "0.02");
        assert_eq!(pay(&[("amount", json!(100))]).amount.minor_units(), 10_000);
        assert_eq!(pay(&[("amount", json!(100.0))]).amount_text, "100.0");
        assert_eq!(pay(&[("amount", json!("007.5"))]).amount_text, "007.5");
    }

    #[test]
    fn amount_is_required() {
        let missing = ErrorKind::MissingField(Field::Amount);
        pay_refused(&[("amount", Value::Null)], missing, "amount");
        pay_refused(&[("amount", json!(""))], missing, "amount");
    }

    #[test]
    fn amount_is_a_plain_decimal_of_at_most_12_characters() {
        pay(&[("amount", json!("999999999.99"))]);
        pay_refused(
            &[("amount", json!("9999999999.99"))],
            ErrorKind::FieldTooLong(Field::Amount),
            "amount",
        );
        for text in [
            json!("1,00"),
            json!("-1"),
            json!("1e3"),
            json!("abc"),
            json!("1."),
            json!(-1),
            json!(1e30),
        ] {
            pay_refused(
                &[("amount", text)],
                ErrorKind::InvalidFormat(Field::Amount),
                "amount",
            );
        }
        pay_refused(
            &[("amount", json!(true))],
            ErrorKind::InvalidFormat(Field::Amount),
            "amount",
        );
        pay_refused(
            &[("amount", json!({"value": 1}))],
            ErrorKind::InvalidFormat(Field::Amount),
            "amount",
        );
    }

    #[test]
    fn amount_follows_the_currency_exponent() {
        pay_refused(
            &[("amount", json!("1.234"))],
            ErrorKind::InvalidAmount,
            "amount",
        );
        // The currency's exponent is the limit, trailing zeros included.
        pay_refused(
            &[("amount", json!("1.230"))],
            ErrorKind::InvalidAmount,
            "amount",
        );
        // JPY has no minor unit; the amount is judged before the method's currencies.
        pay_refused(
            &[("currency", json!("JPY")), ("amount", json!("100.00"))],
            ErrorKind::InvalidAmount,
            "amount",
        );
        pay_refused(
            &[("currency", json!("JPY")), ("amount", json!(100))],
            ErrorKind::UnsupportedCurrency,
            "currency",
        );
        pay_refused(
            &[("amount", json!("0.00"))],
            ErrorKind::InvalidAmount,
            "amount",
        );
        pay_refused(&[("amount", json!(0))], ErrorKind::InvalidAmount, "amount");
    }

    #[test]
    fn method_is_one_of_the_offline_wallets() {
        let missing = ErrorKind::MissingField(Field::Method);
        pay_refused(
            &[("paymentMethod", Value::Null)],
            missing,
            "paymentMethod.type",
        );
        pay_refused(
            &[("paymentMethod.type", Value::Null)],
            missing,
            "paymentMethod.type",
        );
        pay_refused(
            &[("paymentMethod", json!("Wechat-Offline"))],
            ErrorKind::InvalidFormat(Field::Method),
            "paymentMethod",
        );
        for name in [
            "scheme",
            "WeChat Pay",
            "wechat-offline",
            "Alipay",
            "AlipayCN-Offline ",
        ] {
            pay_refused(
                &[("paymentMethod.type", json!(name))],
                ErrorKind::UnsupportedMethod,
                "paymentMethod.type",
            );
        }
        pay_refused(
            &[("paymentMethod.type", json!("m".repeat(65)))],
            ErrorKind::FieldTooLong(Field::Method),
            "paymentMethod.type",
        );
    }

    #[test]
    fn each_method_takes_its_currencies() {
        let cases = [
            (
                "Wechat-Offline",
                WECHAT_CODE,
                ["CNY", "HKD"],
                ["USD", "JPY"],
            ),
            (
                "AlipayCN-Offline",
                ALIPAY_CODE,
                ["CNY", "USD"],
                ["HKD", "EUR"],
            ),
            (
                "AlipayHK-Offline",
                ALIPAY_CODE,
                ["HKD", "USD"],
                ["CNY", "JPY"],
            ),
        ];
        for (method, code, accepted, refused) in cases {
            let method_value = json!({"type": method, "scanCodeId": code});
            for currency in accepted {
                let request = pay(&[
                    ("paymentMethod", method_value.clone()),
                    ("currency", json!(currency)),
                ]);
                assert_eq!(request.currency.code(), currency);
            }
            for currency in refused {
                pay_refused(
                    &[
                        ("paymentMethod", method_value.clone()),
                        ("currency", json!(currency)),
                        ("amount", json!("100")),
                    ],
                    ErrorKind::UnsupportedCurrency,
                    "currency",
                );
            }
        }
    }

    #[test]
    fn scan_code_must_belong_to_the_methods_wallet() {
        pay_refused(
            &[("paymentMethod.scanCodeId", json!("6212345678901234567"))],
            ErrorKind::UnrecognisedPaymentCode,
            "paymentMethod.scanCodeId",
        );
        pay_refused(
            &[("paymentMethod.scanCodeId", json!(ALIPAY_CODE))],
            ErrorKind::PaymentCodeWalletMismatch,
            "paymentMethod.scanCodeId",
        );
        pay_refused(
            &[("paymentMethod.scanCodeId", json!("1".repeat(65)))],
            ErrorKind::FieldTooLong(Field::PaymentCode),
            "paymentMethod.scanCodeId",
        );
        pay_refused(
            &[(
                "paymentMethod.scanCodeId",
                json!(134_567_890_123_451_234_u64),
            )],
            ErrorKind::InvalidFormat(Field::PaymentCode),
            "paymentMethod.scanCodeId",
        );
    }

    #[test]
    fn without_a_scan_code_the_cashier_device_is_required() {
        pay_refused(
            &[("paymentMethod.scanCodeId", Value::Null)],
            ErrorKind::MissingField(Field::Other),
            "cashierDeviceId",
        );
        pay_refused(
            &[
                ("paymentMethod.scanCodeId", json!("")),
                ("cashierDeviceId", json!(" ")),
            ],
            ErrorKind::MissingField(Field::Other),
            "cashierDeviceId",
        );
        pay_refused(
            &[("cashierDeviceId", json!("d".repeat(65)))],
            ErrorKind::FieldTooLong(Field::Other),
            "cashierDeviceId",
        );
    }

    #[test]
    fn notification_url_is_http_without_a_query() {
        let invalid = ErrorKind::InvalidFormat(Field::NoticeUrl);
        for url in [
            "ftp://shop.example/n",
            "shop.example",
            "https://shop.example/n?id=1",
        ] {
            pay_refused(
                &[("notificationUrl", json!(url))],
                invalid,
                "notificationUrl",
            );
        }
        let long = format!("https://shop.example/{}", "p".repeat(492));
        pay_refused(
            &[("notificationUrl", json!(long))],
            ErrorKind::FieldTooLong(Field::NoticeUrl),
            "notificationUrl",
        );
        assert_eq!(
            pay(&[("notificationUrl", json!(""))]).notification_url,
            None
        );
    }

    #[test]
    fn remark_is_bounded() {
        pay(&[("remark", json!("r".repeat(256)))]);
        pay_refused(
            &[("remark", json!("r".repeat(257)))],
            ErrorKind::FieldTooLong(Field::OrderNotes),
            "remark",
        );
        pay_refused(
            &[("remark", json!("a\r\nb"))],
            ErrorKind::InvalidFormat(Field::OrderNotes),
            "remark",
        );
    }

    #[test]
    fn time_expire_is_epoch_seconds() {
        assert_eq!(
            pay(&[("timeExpire", json!(1_767_259_800))]).time_expire_seconds,
            Some(1_767_259_800)
        );
        let invalid = ErrorKind::InvalidFormat(Field::Other);
        for value in [
            json!("0"),
            json!(-5),
            json!("17672598.5"),
            json!(1.5e9),
            json!("soon"),
            json!("1767259800000"),
        ] {
            pay_refused(&[("timeExpire", value)], invalid, "timeExpire");
        }
        pay_refused(
            &[("timeExpire", json!("1".repeat(33)))],
            ErrorKind::FieldTooLong(Field::Other),
            "timeExpire",
        );
    }

    #[test]
    fn only_immediate_capture_is_offered() {
        assert_eq!(
            pay(&[("captureDelayHours", json!("0"))]).capture_delay_hours,
            Some(0)
        );
        for value in [json!(-1), json!("-1"), json!(24)] {
            pay_refused(
                &[("captureDelayHours", value)],
                ErrorKind::UnsupportedOperation,
                "captureDelayHours",
            );
        }
        for value in [json!("soon"), json!(0.5), json!([0])] {
            pay_refused(
                &[("captureDelayHours", value)],
                ErrorKind::InvalidFormat(Field::Operation),
                "captureDelayHours",
            );
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        pay(&[
            ("shopperIP", json!("192.168.1.1")),
            ("goods", json!({"name": "tea", "number": "1"})),
            ("device", json!({"orderTerminal": "02"})),
        ]);
    }

    #[test]
    fn pay_checks_run_in_the_documented_order() {
        let mut changes: Vec<(&str, Value)> = vec![
            ("captureDelayHours", json!(-1)),
            ("timeExpire", json!("x")),
            ("remark", json!("\u{1}")),
            ("notificationUrl", json!("ftp://x")),
            ("cashierDeviceId", json!("d".repeat(65))),
            ("paymentMethod.scanCodeId", json!("12")),
            ("currency", json!("USD")),
            ("paymentMethod.type", json!("scheme")),
            ("amount", json!("x")),
            ("currency", json!("XXX")),
            ("requestId", Value::Null),
            ("merchantTransactionId", Value::Null),
        ];
        let expected = [
            (
                ErrorKind::MissingField(Field::OrderNumber),
                "merchantTransactionId",
            ),
            (ErrorKind::MissingField(Field::Other), "requestId"),
            (ErrorKind::UnsupportedCurrency, "currency"),
            (ErrorKind::InvalidFormat(Field::Amount), "amount"),
            (ErrorKind::UnsupportedMethod, "paymentMethod.type"),
            (ErrorKind::UnsupportedCurrency, "currency"),
            (
                ErrorKind::UnrecognisedPaymentCode,
                "paymentMethod.scanCodeId",
            ),
            (ErrorKind::FieldTooLong(Field::Other), "cashierDeviceId"),
            (
                ErrorKind::InvalidFormat(Field::NoticeUrl),
                "notificationUrl",
            ),
            (ErrorKind::InvalidFormat(Field::OrderNotes), "remark"),
            (ErrorKind::InvalidFormat(Field::Other), "timeExpire"),
            (ErrorKind::UnsupportedOperation, "captureDelayHours"),
        ];
        for (kind, wire) in expected {
            pay_refused(&changes, kind, wire);
            changes.pop();
        }
        pay(&changes);
    }

    #[test]
    fn the_request_id_alone_is_the_replay_key() {
        let original = pay(&[]).fingerprint();
        assert_eq!(original.len(), 64);
        assert_eq!(pay(&[("amount", json!("90.01"))]).fingerprint(), original);
        assert_eq!(pay(&[("remark", json!("table 5"))]).fingerprint(), original);
        assert_ne!(
            pay(&[("requestId", json!("REQ-0002"))]).fingerprint(),
            original
        );
    }

    // Query.

    fn query(text: &str) -> Result<QueryRequest, (ErrorKind, Option<String>)> {
        QueryRequest::parse(text).map_err(|error| (error.kind, error.wire_field))
    }

    #[test]
    fn query_takes_either_id() {
        let by_order =
            query(r#"{"merchantTransactionId":"POS-1","requestId":"R-1"}"#).expect("valid");
        assert_eq!(by_order.merchant_transaction_id.as_deref(), Some("POS-1"));
        assert_eq!(by_order.request_id.as_deref(), Some("R-1"));
        assert_eq!(by_order.transaction_id, None);
        let by_id = query(r#"{"transactionId":"260101093000123000001"}"#).expect("valid");
        assert_eq!(
            by_id.transaction_id.as_deref(),
            Some("260101093000123000001")
        );
        assert_eq!(
            query(r#"{"requestId":"R-1"}"#),
            Err((
                ErrorKind::MissingField(Field::OrderNumber),
                Some("merchantTransactionId".into())
            ))
        );
        assert_eq!(
            query(&format!(r#"{{"transactionId":"{}"}}"#, "1".repeat(65))),
            Err((
                ErrorKind::FieldTooLong(Field::PaymentId),
                Some("transactionId".into())
            ))
        );
        assert_eq!(
            query(r#"{"transactionId":"1","merchantTransactionId":7}"#),
            Err((
                ErrorKind::InvalidFormat(Field::OrderNumber),
                Some("merchantTransactionId".into())
            ))
        );
        assert_eq!(
            query("[]"),
            Err((ErrorKind::MalformedRequest, Some("bizContent".into())))
        );
    }

    // Refund.

    fn refund_fields() -> Map<String, Value> {
        let Value::Object(map) = json!({
            "merchantTransactionId": "POS-20260101-0001",
            "merchantRefundId": "RF-0001",
            "amount": "10.50",
            "currency": "CNY",
            "remark": "damaged",
        }) else {
            unreachable!("a JSON object literal")
        };
        map
    }

    fn refund(changes: &[(&str, Value)]) -> Result<RefundRequest, (ErrorKind, Option<String>)> {
        RefundRequest::parse(&edit(refund_fields(), changes))
            .map_err(|error| (error.kind, error.wire_field))
    }

    fn refund_refused(changes: &[(&str, Value)], kind: ErrorKind, wire: &str) {
        assert_eq!(
            refund(changes).map(|_| ()),
            Err((kind, Some(wire.to_owned()))),
            "{changes:?}"
        );
    }

    #[test]
    fn parses_a_refund() {
        let request =
            refund(&[("notificationUrl", json!("https://shop.example/refunds"))]).expect("valid");
        assert_eq!(request.merchant_transaction_id, "POS-20260101-0001");
        assert_eq!(request.merchant_refund_id, "RF-0001");
        assert_eq!(request.amount_text, "10.50");
        assert_eq!(request.currency.code(), "CNY");
        assert_eq!(request.remark, "damaged");
        assert_eq!(
            request.notification_url.as_deref(),
            Some("https://shop.example/refunds")
        );
        assert_eq!(
            refund(&[("amount", json!(10.5))])
                .expect("valid")
                .amount_text,
            "10.5"
        );
    }

    #[test]
    fn refund_checks_run_in_the_documented_order() {
        let mut changes: Vec<(&str, Value)> = vec![
            ("remark", json!("r".repeat(257))),
            ("notificationUrl", json!("mailto:x")),
            ("amount", json!("1e3")),
            ("currency", json!("ABC")),
            ("merchantRefundId", Value::Null),
            ("merchantTransactionId", Value::Null),
        ];
        let expected = [
            (
                ErrorKind::MissingField(Field::OrderNumber),
                "merchantTransactionId",
            ),
            (
                ErrorKind::MissingField(Field::RefundNumber),
                "merchantRefundId",
            ),
            (ErrorKind::UnsupportedCurrency, "currency"),
            (ErrorKind::InvalidFormat(Field::RefundAmount), "amount"),
            (
                ErrorKind::InvalidFormat(Field::NoticeUrl),
                "notificationUrl",
            ),
            (ErrorKind::FieldTooLong(Field::RefundDescription), "remark"),
        ];
        for (kind, wire) in expected {
            refund_refused(&changes, kind, wire);
            changes.pop();
        }
        assert!(refund(&changes).is_ok());
    }

    #[test]
    fn refund_amount_is_a_positive_plain_decimal() {
        refund_refused(
            &[("amount", Value::Null)],
            ErrorKind::MissingField(Field::RefundAmount),
            "amount",
        );
        refund_refused(
            &[("amount", json!("0.00"))],
            ErrorKind::InvalidAmount,
            "amount",
        );
        refund_refused(&[("amount", json!(0))], ErrorKind::InvalidAmount, "amount");
        refund_refused(
            &[("amount", json!("-1"))],
            ErrorKind::InvalidFormat(Field::RefundAmount),
            "amount",
        );
        refund_refused(
            &[("amount", json!("1234567890123"))],
            ErrorKind::FieldTooLong(Field::RefundAmount),
            "amount",
        );
        refund_refused(
            &[("merchantRefundId", json!("r".repeat(65)))],
            ErrorKind::FieldTooLong(Field::RefundNumber),
            "merchantRefundId",
        );
    }

    #[test]
    fn refund_amount_is_read_in_the_payments_currency() {
        let cny = Currency::parse("CNY").expect("CNY");
        let jpy = Currency::parse("JPY").expect("JPY");
        let request = refund(&[]).expect("valid");
        assert_eq!(
            request.refund_amount(cny).map(|m| m.minor_units()),
            Ok(1050)
        );
        assert_eq!(
            request.refund_amount(jpy),
            Err(GatewayError::at(ErrorKind::UnsupportedCurrency, "currency"))
        );
        let yen = refund(&[("currency", json!("JPY"))]).expect("valid");
        assert_eq!(
            yen.refund_amount(jpy),
            Err(GatewayError::at(ErrorKind::InvalidAmount, "amount"))
        );
        let whole_yen =
            refund(&[("currency", json!("JPY")), ("amount", json!("100"))]).expect("valid");
        assert_eq!(
            whole_yen.refund_amount(jpy).map(|m| m.minor_units()),
            Ok(100)
        );
        let zeros = refund(&[("currency", json!("JPY")), ("amount", json!("100.00"))])
            .expect("format is fine");
        assert_eq!(
            zeros.refund_amount(jpy),
            Err(GatewayError::at(ErrorKind::InvalidAmount, "amount"))
        );
        let precise = refund(&[("amount", json!("1.234"))]).expect("format is fine");
        assert_eq!(
            precise.refund_amount(cny),
            Err(GatewayError::at(ErrorKind::InvalidAmount, "amount"))
        );
    }

    // Refund query.

    #[test]
    fn refund_query_needs_one_refund_id() {
        let parse = |text: &str| {
            RefundQueryRequest::parse(text).map_err(|error| (error.kind, error.wire_field))
        };
        let request =
            parse(r#"{"merchantTransactionId":"POS-1","merchantRefundId":"RF-1"}"#).expect("valid");
        assert_eq!(request.merchant_refund_id.as_deref(), Some("RF-1"));
        assert_eq!(request.refund_id, None);
        let request =
            parse(r#"{"merchantTransactionId":"POS-1","refundId":"260101120000000000007"}"#)
                .expect("valid");
        assert_eq!(request.refund_id.as_deref(), Some("260101120000000000007"));
        assert_eq!(
            parse(r#"{"merchantTransactionId":"POS-1"}"#),
            Err((
                ErrorKind::MissingField(Field::RefundId),
                Some("refundId".into())
            ))
        );
        assert_eq!(
            parse(r#"{"refundId":"1"}"#),
            Err((
                ErrorKind::MissingField(Field::OrderNumber),
                Some("merchantTransactionId".into())
            ))
        );
        assert_eq!(
            parse(&format!(
                r#"{{"merchantTransactionId":"P","refundId":"{}"}}"#,
                "1".repeat(65)
            )),
            Err((
                ErrorKind::FieldTooLong(Field::RefundId),
                Some("refundId".into())
            ))
        );
    }

    // Void.

    #[test]
    fn parses_a_void() {
        let request = VoidRequest::parse(
            r#"{"merchantTransactionId":"POS-1","merchantVoidId":"V-1","amount":90,"currency":"CNY","notificationUrl":"https://shop.example/v"}"#,
        )
        .expect("valid");
        assert_eq!(request.merchant_void_id, "V-1");
        assert_eq!(request.amount_text.as_deref(), Some("90"));
        assert_eq!(
            request.currency.map(|c| c.code().to_owned()),
            Some("CNY".into())
        );
        let bare =
            VoidRequest::parse(r#"{"merchantTransactionId":"POS-1","merchantVoidId":"V-1"}"#)
                .expect("valid");
        assert_eq!(
            (bare.amount_text, bare.currency, bare.notification_url),
            (None, None, None)
        );
    }

    #[test]
    fn void_checks_run_in_the_documented_order() {
        let parse = |text: &str| {
            VoidRequest::parse(text)
                .map(|_| ())
                .map_err(|error| (error.kind, error.wire_field))
        };
        let cases = [
            (
                r#"{"merchantVoidId":"V","currency":"X"}"#,
                ErrorKind::MissingField(Field::OrderNumber),
                "merchantTransactionId",
            ),
            (
                r#"{"merchantTransactionId":"P","currency":"X"}"#,
                ErrorKind::MissingField(Field::Other),
                "merchantVoidId",
            ),
            (
                r#"{"merchantTransactionId":"P","merchantVoidId":"V","currency":"XXX","amount":"x"}"#,
                ErrorKind::UnsupportedCurrency,
                "currency",
            ),
            (
                r#"{"merchantTransactionId":"P","merchantVoidId":"V","amount":"x","notificationUrl":"x"}"#,
                ErrorKind::InvalidFormat(Field::Amount),
                "amount",
            ),
            (
                r#"{"merchantTransactionId":"P","merchantVoidId":"V","amount":"0"}"#,
                ErrorKind::InvalidAmount,
                "amount",
            ),
            (
                r#"{"merchantTransactionId":"P","merchantVoidId":"V","notificationUrl":"x"}"#,
                ErrorKind::InvalidFormat(Field::NoticeUrl),
                "notificationUrl",
            ),
        ];
        for (text, kind, wire) in cases {
            assert_eq!(parse(text), Err((kind, Some(wire.to_owned()))), "{text}");
        }
    }

    #[test]
    fn a_void_is_of_the_whole_payment() {
        let cny = Currency::parse("CNY").expect("CNY");
        let payment = Money::from_minor(9000, cny).expect("positive");
        let void = |text: &str| VoidRequest::parse(text).expect("valid");
        let base = r#""merchantTransactionId":"P","merchantVoidId":"V""#;
        assert_eq!(void(&format!("{{{base}}}")).check_amount(payment), Ok(()));
        assert_eq!(
            void(&format!(r#"{{{base},"amount":"90.00","currency":"CNY"}}"#)).check_amount(payment),
            Ok(())
        );
        assert_eq!(
            void(&format!(r#"{{{base},"amount":90}}"#)).check_amount(payment),
            Ok(())
        );
        assert_eq!(
            void(&format!(r#"{{{base},"amount":"10"}}"#)).check_amount(payment),
            Err(GatewayError::at(ErrorKind::InvalidAmount, "amount"))
        );
        assert_eq!(
            void(&format!(r#"{{{base},"amount":"90.001"}}"#)).check_amount(payment),
            Err(GatewayError::at(ErrorKind::InvalidAmount, "amount"))
        );
        assert_eq!(
            void(&format!(r#"{{{base},"currency":"HKD"}}"#)).check_amount(payment),
            Err(GatewayError::at(ErrorKind::UnsupportedCurrency, "currency"))
        );
    }

    #[test]
    fn void_query_needs_both_ids() {
        let parse = |text: &str| {
            VoidQueryRequest::parse(text).map_err(|error| (error.kind, error.wire_field))
        };
        let request =
            parse(r#"{"merchantTransactionId":"P","merchantVoidId":"V"}"#).expect("valid");
        assert_eq!(
            (
                request.merchant_transaction_id.as_str(),
                request.merchant_void_id.as_str()
            ),
            ("P", "V")
        );
        assert_eq!(
            parse(r#"{"merchantTransactionId":"P"}"#),
            Err((
                ErrorKind::MissingField(Field::Other),
                Some("merchantVoidId".into())
            ))
        );
        assert_eq!(
            parse(r#"{"merchantVoidId":"V"}"#),
            Err((
                ErrorKind::MissingField(Field::OrderNumber),
                Some("merchantTransactionId".into())
            ))
        );
    }

    fn biz_objects() -> impl Strategy<Value = String> {
        let names = prop_oneof![
            Just("merchantTransactionId".to_owned()),
            Just("transactionId".to_owned()),
            Just("requestId".to_owned()),
            Just("amount".to_owned()),
            Just("currency".to_owned()),
            Just("paymentMethod".to_owned()),
            Just("cashierDeviceId".to_owned()),
            Just("notificationUrl".to_owned()),
            Just("remark".to_owned()),
            Just("timeExpire".to_owned()),
            Just("captureDelayHours".to_owned()),
            Just("merchantRefundId".to_owned()),
            Just("refundId".to_owned()),
            Just("merchantVoidId".to_owned()),
            "[a-zA-Z]{1,10}",
        ];
        let leaves = prop_oneof![
            Just(json!("CNY")),
            Just(json!("HKD")),
            Just(json!("USD")),
            Just(json!(WECHAT_CODE)),
            Just(json!(ALIPAY_CODE)),
            "[0-9]{0,20}(\\.[0-9]{0,4})?".prop_map(Value::String),
            "(http|https|ftp)://[a-z\\[\\]:@./?]{0,20}".prop_map(Value::String),
            "\\PC{0,40}".prop_map(Value::String),
            ".{0,40}".prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
        ];
        let methods = prop_oneof![
            Just(json!("Wechat-Offline")),
            Just(json!("AlipayCN-Offline")),
            Just(json!("AlipayHK-Offline")),
            "\\PC{0,20}".prop_map(Value::String),
        ];
        let payment_method = (methods, leaves.clone())
            .prop_map(|(kind, code)| json!({"type": kind, "scanCodeId": code}));
        let values = prop_oneof![4 => leaves, 1 => payment_method];
        proptest::collection::btree_map(names, values, 0..14).prop_map(|map| {
            let object: Map<String, Value> = map.into_iter().collect();
            serde_json::to_string(&object).expect("test JSON")
        })
    }

    fn parse_everything(text: &str) {
        if let Ok(request) = UnifiedPayRequest::parse(text) {
            let _ = request.fingerprint();
        }
        let _ = QueryRequest::parse(text);
        if let Ok(request) = RefundRequest::parse(text) {
            for code in ["CNY", "JPY", "KWD"] {
                let _ = request.refund_amount(Currency::parse(code).expect("known"));
            }
        }
        let _ = RefundQueryRequest::parse(text);
        if let Ok(request) = VoidRequest::parse(text) {
            let cny = Currency::parse("CNY").expect("CNY");
            let _ = request.check_amount(Money::from_minor(1, cny).expect("positive"));
        }
        let _ = VoidQueryRequest::parse(text);
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,300}") {
            parse_everything(&text);
        }

        #[test]
        fn parsing_arbitrary_objects_never_panics(text in biz_objects()) {
            parse_everything(&text);
        }

        #[test]
        fn changing_any_pay_field_keeps_parsing_total(
            name in proptest::sample::select(vec![
                "merchantTransactionId", "requestId", "amount", "currency", "paymentMethod.type",
                "paymentMethod.scanCodeId", "cashierDeviceId", "notificationUrl", "remark",
                "timeExpire", "captureDelayHours",
            ]),
            value in prop_oneof![".{0,80}".prop_map(Value::String), any::<f64>().prop_map(Value::from), any::<i64>().prop_map(Value::from)],
        ) {
            parse_everything(&pay_with(&[(name, value)]));
        }
    }
}
