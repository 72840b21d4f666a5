//! The error catalogue: every way Tidegate refuses a request, with stable machine codes.
//!
//! Dialects never invent errors of their own; they map each [`ErrorKind`] (and [`Field`]) to
//! their code space, and a test in each dialect proves the map is total.

use std::fmt;

/// A request field that validation can name, in dialect-neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Merchant account number.
    Account,
    /// Terminal number within the account.
    Terminal,
    /// The request signature.
    Signature,
    /// The merchant's order number.
    OrderNumber,
    /// The order amount as sent.
    Amount,
    /// The order currency.
    Currency,
    /// Free text the merchant attaches to the order, echoed back.
    OrderNotes,
    /// The requested payment method.
    Method,
    /// The customer's payment code scanned by the till.
    PaymentCode,
    /// Customer first name.
    FirstName,
    /// Customer last name.
    LastName,
    /// Customer e-mail address.
    Email,
    /// Customer phone number.
    Phone,
    /// Billing country.
    Country,
    /// Billing state or province.
    State,
    /// Billing city.
    City,
    /// Billing street address.
    Address,
    /// Billing postal code.
    Zip,
    /// The customer's IP address.
    CustomerIp,
    /// The URL that receives asynchronous notices.
    NoticeUrl,
    /// Tidegate's id of a payment, sent back by the merchant.
    PaymentId,
    /// The merchant's own id for a refund.
    RefundNumber,
    /// Full or partial refund.
    RefundType,
    /// The amount to refund.
    RefundAmount,
    /// The merchant's reason for a refund.
    RefundDescription,
    /// Tidegate's id of a refund.
    RefundId,
    /// Which after-payment operation is asked for (capture, void).
    Operation,
    /// Any other field the dialect accepts and passes through (device ids, product data).
    Other,
}

impl Field {
    /// Every field, for exhaustive tables and tests.
    pub const ALL: [Field; 28] = [
        Field::Account,
        Field::Terminal,
        Field::Signature,
        Field::OrderNumber,
        Field::Amount,
        Field::Currency,
        Field::OrderNotes,
        Field::Method,
        Field::PaymentCode,
        Field::FirstName,
        Field::LastName,
        Field::Email,
        Field::Phone,
        Field::Country,
        Field::State,
        Field::City,
        Field::Address,
        Field::Zip,
        Field::CustomerIp,
        Field::NoticeUrl,
        Field::PaymentId,
        Field::RefundNumber,
        Field::RefundType,
        Field::RefundAmount,
        Field::RefundDescription,
        Field::RefundId,
        Field::Operation,
        Field::Other,
    ];
}

/// Every way a request can be refused. `as_str` is the stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required field is absent or empty.
    MissingField(Field),
    /// A field is longer than its limit.
    FieldTooLong(Field),
    /// A field is present but malformed.
    InvalidFormat(Field),
    /// The amount parses but cannot be paid (zero, too large, too precise for the currency).
    InvalidAmount,
    /// The currency is not an ISO 4217 code the gateway supports.
    UnsupportedCurrency,
    /// The payment method is not one this endpoint offers.
    UnsupportedMethod,
    /// The scanned code is not a WeChat Pay or Alipay payment code.
    UnrecognisedPaymentCode,
    /// The scanned code belongs to another wallet than the requested method.
    PaymentCodeWalletMismatch,
    /// No such account/terminal pair, or it is not active.
    UnknownTerminal,
    /// The request signature does not verify.
    BadSignature,
    /// The order number already has a successful (or still open) payment for this method.
    DuplicateOrder,
    /// The body is not a well-formed request of this endpoint.
    MalformedRequest,
    /// The request body is larger than the gateway accepts.
    RequestTooLarge,
    /// The request's content type is not the one this endpoint takes.
    UnsupportedMediaType,
    /// The gateway could not record the request (storage unavailable); nothing was charged.
    TemporarilyUnavailable,
    /// No order with that number on this terminal.
    OrderNotFound,
    /// No payment with that id on this terminal.
    PaymentNotFound,
    /// Only approved payments can be refunded.
    PaymentNotRefundable,
    /// The refund would take the refunded total above the payment's amount.
    RefundExceedsRefundable,
    /// A full refund must be of the whole payment, with nothing refunded before.
    FullRefundAmountMismatch,
    /// No refund with that id on this terminal.
    RefundNotFound,
    /// A payment that has refunds cannot be voided.
    PaymentHasRefunds,
    /// The operation asked for is not offered (e.g. pre-authorisation capture).
    UnsupportedOperation,
    /// The notice URL points at an address the gateway may not call.
    NoticeUrlNotAllowed,
    /// The acquirer did not confirm the operation; nothing changed, try again.
    AcquirerUnavailable,
}

impl ErrorKind {
    /// Every kind, each field-bearing one with every [`Field`]: for tests that prove a
    /// dialect's code map is total.
    pub fn every() -> Vec<ErrorKind> {
        let mut kinds = vec![
            ErrorKind::InvalidAmount,
            ErrorKind::UnsupportedCurrency,
            ErrorKind::UnsupportedMethod,
            ErrorKind::UnrecognisedPaymentCode,
            ErrorKind::PaymentCodeWalletMismatch,
            ErrorKind::UnknownTerminal,
            ErrorKind::BadSignature,
            ErrorKind::DuplicateOrder,
            ErrorKind::MalformedRequest,
            ErrorKind::RequestTooLarge,
            ErrorKind::UnsupportedMediaType,
            ErrorKind::TemporarilyUnavailable,
            ErrorKind::OrderNotFound,
            ErrorKind::PaymentNotFound,
            ErrorKind::PaymentNotRefundable,
            ErrorKind::RefundExceedsRefundable,
            ErrorKind::FullRefundAmountMismatch,
            ErrorKind::RefundNotFound,
            ErrorKind::PaymentHasRefunds,
            ErrorKind::UnsupportedOperation,
            ErrorKind::NoticeUrlNotAllowed,
            ErrorKind::AcquirerUnavailable,
        ];
        for field in Field::ALL {
            kinds.extend([
                ErrorKind::MissingField(field),
                ErrorKind::FieldTooLong(field),
                ErrorKind::InvalidFormat(field),
            ]);
        }
        // The list above must grow with the enum: this match fails to compile when a kind is
        // added, pointing here.
        debug_assert!(kinds.iter().all(|kind| match kind {
            ErrorKind::MissingField(_)
            | ErrorKind::FieldTooLong(_)
            | ErrorKind::InvalidFormat(_)
            | ErrorKind::InvalidAmount
            | ErrorKind::UnsupportedCurrency
            | ErrorKind::UnsupportedMethod
            | ErrorKind::UnrecognisedPaymentCode
            | ErrorKind::PaymentCodeWalletMismatch
            | ErrorKind::UnknownTerminal
            | ErrorKind::BadSignature
            | ErrorKind::DuplicateOrder
            | ErrorKind::MalformedRequest
            | ErrorKind::RequestTooLarge
            | ErrorKind::UnsupportedMediaType
            | ErrorKind::TemporarilyUnavailable
            | ErrorKind::OrderNotFound
            | ErrorKind::PaymentNotFound
            | ErrorKind::PaymentNotRefundable
            | ErrorKind::RefundExceedsRefundable
            | ErrorKind::FullRefundAmountMismatch
            | ErrorKind::RefundNotFound
            | ErrorKind::PaymentHasRefunds
            | ErrorKind::UnsupportedOperation
            | ErrorKind::NoticeUrlNotAllowed
            | ErrorKind::AcquirerUnavailable => true,
        }));
        kinds
    }

    /// The stable machine code, e.g. `missing_field.order_number` or `duplicate_order`.
    pub fn code(&self) -> String {
        match self {
            ErrorKind::MissingField(field) => format!("missing_field.{}", field_name(*field)),
            ErrorKind::FieldTooLong(field) => format!("field_too_long.{}", field_name(*field)),
            ErrorKind::InvalidFormat(field) => format!("invalid_format.{}", field_name(*field)),
            ErrorKind::InvalidAmount => "invalid_amount".into(),
            ErrorKind::UnsupportedCurrency => "unsupported_currency".into(),
            ErrorKind::UnsupportedMethod => "unsupported_method".into(),
            ErrorKind::UnrecognisedPaymentCode => "unrecognised_payment_code".into(),
            ErrorKind::PaymentCodeWalletMismatch => "payment_code_wallet_mismatch".into(),
            ErrorKind::UnknownTerminal => "unknown_terminal".into(),
            ErrorKind::BadSignature => "bad_signature".into(),
            ErrorKind::DuplicateOrder => "duplicate_order".into(),
            ErrorKind::MalformedRequest => "malformed_request".into(),
            ErrorKind::RequestTooLarge => "request_too_large".into(),
            ErrorKind::UnsupportedMediaType => "unsupported_media_type".into(),
            ErrorKind::TemporarilyUnavailable => "temporarily_unavailable".into(),
            ErrorKind::OrderNotFound => "order_not_found".into(),
            ErrorKind::PaymentNotFound => "payment_not_found".into(),
            ErrorKind::PaymentNotRefundable => "payment_not_refundable".into(),
            ErrorKind::RefundExceedsRefundable => "refund_exceeds_refundable".into(),
            ErrorKind::FullRefundAmountMismatch => "full_refund_amount_mismatch".into(),
            ErrorKind::RefundNotFound => "refund_not_found".into(),
            ErrorKind::PaymentHasRefunds => "payment_has_refunds".into(),
            ErrorKind::UnsupportedOperation => "unsupported_operation".into(),
            ErrorKind::NoticeUrlNotAllowed => "notice_url_not_allowed".into(),
            ErrorKind::AcquirerUnavailable => "acquirer_unavailable".into(),
        }
    }
}

/// The snake-case name of a field inside machine codes.
pub fn field_name(field: Field) -> &'static str {
    match field {
        Field::Account => "account",
        Field::Terminal => "terminal",
        Field::Signature => "signature",
        Field::OrderNumber => "order_number",
        Field::Amount => "amount",
        Field::Currency => "currency",
        Field::OrderNotes => "order_notes",
        Field::Method => "method",
        Field::PaymentCode => "payment_code",
        Field::FirstName => "first_name",
        Field::LastName => "last_name",
        Field::Email => "email",
        Field::Phone => "phone",
        Field::Country => "country",
        Field::State => "state",
        Field::City => "city",
        Field::Address => "address",
        Field::Zip => "zip",
        Field::CustomerIp => "customer_ip",
        Field::NoticeUrl => "notice_url",
        Field::PaymentId => "payment_id",
        Field::RefundNumber => "refund_number",
        Field::RefundType => "refund_type",
        Field::RefundAmount => "refund_amount",
        Field::RefundDescription => "refund_description",
        Field::RefundId => "refund_id",
        Field::Operation => "operation",
        Field::Other => "other",
    }
}

/// A refusal: its kind plus, where useful, the wire name of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct GatewayError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The field as the caller spelled it (`order_amount`, `bizContent.amount`), for messages.
    pub wire_field: Option<String>,
}

impl GatewayError {
    /// An error with no field name attached.
    pub fn new(kind: ErrorKind) -> GatewayError {
        GatewayError {
            kind,
            wire_field: None,
        }
    }

    /// An error naming the field as it appears on the wire.
    pub fn at(kind: ErrorKind, wire_field: &str) -> GatewayError {
        GatewayError {
            kind,
            wire_field: Some(wire_field.to_owned()),
        }
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.wire_field {
            Some(field) => write!(f, "{} ({field})", self.kind.code()),
            None => f.write_str(&self.kind.code()),
        }
    }
}

/// Why an acquirer or customer turned a payment down. Dialects map these to their own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// The customer's balance does not cover the amount.
    InsufficientFunds,
    /// The wallet or bank declined without a more specific reason.
    Declined,
    /// The issuer's risk system refused the payment.
    SuspectedFraud,
    /// The customer cancelled (refused to enter the PIN, closed the QR page).
    CustomerCancelled,
    /// The customer never completed the payment before it expired.
    Expired,
    /// The acquirer did not answer and the payment was closed without a result.
    AcquirerTimeout,
}

impl DeclineReason {
    /// Every reason, for exhaustive tables and tests.
    pub const ALL: [DeclineReason; 6] = [
        DeclineReason::InsufficientFunds,
        DeclineReason::Declined,
        DeclineReason::SuspectedFraud,
        DeclineReason::CustomerCancelled,
        DeclineReason::Expired,
        DeclineReason::AcquirerTimeout,
    ];

    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::InsufficientFunds => "insufficient_funds",
            DeclineReason::Declined => "declined",
            DeclineReason::SuspectedFraud => "suspected_fraud",
            DeclineReason::CustomerCancelled => "customer_cancelled",
            DeclineReason::Expired => "expired",
            DeclineReason::AcquirerTimeout => "acquirer_timeout",
        }
    }

    /// The inverse of [`DeclineReason::as_str`].
    pub fn from_str_opt(name: &str) -> Option<DeclineReason> {
        DeclineReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn machine_codes_are_unique() {
        let kinds = ErrorKind::every();
        let codes: HashSet<String> = kinds.iter().map(ErrorKind::code).collect();
        assert_eq!(codes.len(), kinds.len());
    }

    #[test]
    fn decline_reasons_round_trip_through_storage_names() {
        for reason in DeclineReason::ALL {
            assert_eq!(DeclineReason::from_str_opt(reason.as_str()), Some(reason));
        }
    }
}
