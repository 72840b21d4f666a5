//! Core errors and outcomes as PingPong's six-digit reply `code` and its `description`.
//!
//! The codes are PingPong's own (its success-code list); the descriptions of errors are
//! Tidegate's, because PingPong publishes a meaning per code but not the exact texts it sends.
//! Tills match on the code. These mappings are part of the wire contract: never change one.
//!
//! | code | description | used for |
//! |------|-------------|----------|
//! | 000000 | Transaction succeeded | [`SUCCESS`]: an approved payment, a succeeded refund or void |
//! | 001000 | Successful request | [`QUERY_OK`]: every answered query (read `bizContent.status`) |
//! | 002000 | Transaction processing | [`PROCESSING`]: a payment or refund not final yet |
//! | 102000 | Missing parameter / Parameter too long / Invalid parameter: {field} | `MissingField`, `FieldTooLong`, `InvalidFormat` of any field, `InvalidAmount` |
//! | 102000 | Unsupported payment method: {field} | `UnsupportedMethod` |
//! | 102000 | Invalid payment code: {field} | `UnrecognisedPaymentCode` |
//! | 102000 | Payment code does not match the payment method: {field} | `PaymentCodeWalletMismatch` |
//! | 102000 | Notification URL not allowed: {field} | `NoticeUrlNotAllowed` |
//! | 102000 | Unsupported operation: {field} | `UnsupportedOperation` |
//! | 102000 | Malformed parameter: {field} / Malformed request body | `MalformedRequest` |
//! | 102000 | Request body too large | `RequestTooLarge` |
//! | 102000 | Content-Type must be application/json | `UnsupportedMediaType` |
//! | 103000 | Invalid authentication | `UnknownTerminal` (also a `clientId` that does not match `accId`) |
//! | 104000 | Invalid signature | `BadSignature` |
//! | 105000 | Transaction expired | [`decline_code`] of `Expired` |
//! | 105000 | Transaction closed | [`CLOSED`]: a payment the merchant voided |
//! | 106000 | Invalid currency | `UnsupportedCurrency` |
//! | 107000 | Duplicated transaction | `DuplicateOrder` |
//! | 107001 | Transaction does not exist | `OrderNotFound`, `PaymentNotFound`, `RefundNotFound` |
//! | 107003 | Original transaction cannot be refunded | `PaymentNotRefundable` |
//! | 108000 | Refund amount exceeds the refundable amount | `RefundExceedsRefundable` |
//! | 108000 | Refund amount must be the whole transaction amount | `FullRefundAmountMismatch` |
//! | 109000 | Transaction has refunds and cannot be voided | `PaymentHasRefunds` |
//! | 300000 | Refund declined | [`REFUND_FAILED`]: a refund the acquirer refused |
//! | 301002 | Do not honor | [`decline_code`] of `Declined` |
//! | 301051 | Insufficient funds | [`decline_code`] of `InsufficientFunds` |
//! | 301059 | Suspected fraud | [`decline_code`] of `SuspectedFraud` |
//! | 301099 | Customer cancelled the payment | [`decline_code`] of `CustomerCancelled` |
//! | 500000 | Service temporarily unavailable, nothing was charged | `TemporarilyUnavailable` |
//! | 600000 | Upstream system unavailable, nothing changed; retry | `AcquirerUnavailable` |
//! | 600001 | Upstream timeout | [`decline_code`] of `AcquirerTimeout` |
//!
//! Choices where PingPong documents nothing: every malformed or unsupported request gets
//! 102000, PingPong's "invalid or missing parameter", including payment-code errors (PingPong
//! publishes no code for them). PingPong has no "refund not found" code: a refund is one of its
//! transactions, so 107001 answers that too. 105000 is PingPong's "invalid or expired
//! transaction" and serves both expiry and voided payments. A refund refused by the acquirer
//! gets 300000, the start of PingPong's issuer-decline range.
//!
//! `{field}` names the field as the request spelled it: the six envelope fields as they are
//! (`sign`, `bizContent`), anything else as a path inside `bizContent`
//! (`bizContent.paymentMethod.scanCodeId`). Errors without a wire name fall back to
//! [`field_wire_name`].

use crate::pingpong::envelope::ENVELOPE_FIELDS;
use crate::pingpong::rules::BIZ_CONTENT;
use tidegate_core::{DeclineReason, ErrorKind, Field, GatewayError, PaymentState, RefundState};

/// An approved payment, or a refund or void that succeeded.
pub const SUCCESS: (&str, &str) = ("000000", "Transaction succeeded");

/// Every answered query; the outcome is in `bizContent.status`.
pub const QUERY_OK: (&str, &str) = ("001000", "Successful request");

/// A payment or refund that is not final yet: query again or wait for the notification.
pub const PROCESSING: (&str, &str) = ("002000", "Transaction processing");

/// A payment closed by the merchant's void, when its unifiedPay request is repeated.
pub const CLOSED: (&str, &str) = ("105000", "Transaction closed");

/// A refund that the acquirer refused; its amount is refundable again.
pub const REFUND_FAILED: (&str, &str) = ("300000", "Refund declined");

const INVALID_PARAMETER: &str = "102000";

/// The reply code and description for a refusal.
pub fn error_code(error: &GatewayError) -> (&'static str, String) {
    let named = |text: &str, field: Field| {
        let name = display_name(error.wire_field.as_deref(), field);
        if name.is_empty() {
            text.to_owned()
        } else {
            format!("{text}: {name}")
        }
    };
    match error.kind {
        ErrorKind::MissingField(field) => (INVALID_PARAMETER, named("Missing parameter", field)),
        ErrorKind::FieldTooLong(field) => (INVALID_PARAMETER, named("Parameter too long", field)),
        ErrorKind::InvalidFormat(field) => (INVALID_PARAMETER, named("Invalid parameter", field)),
        ErrorKind::InvalidAmount => (INVALID_PARAMETER, named("Invalid parameter", Field::Amount)),
        ErrorKind::UnsupportedMethod => (
            INVALID_PARAMETER,
            named("Unsupported payment method", Field::Method),
        ),
        ErrorKind::UnrecognisedPaymentCode => (
            INVALID_PARAMETER,
            named("Invalid payment code", Field::PaymentCode),
        ),
        ErrorKind::PaymentCodeWalletMismatch => (
            INVALID_PARAMETER,
            named(
                "Payment code does not match the payment method",
                Field::PaymentCode,
            ),
        ),
        ErrorKind::NoticeUrlNotAllowed => (
            INVALID_PARAMETER,
            named("Notification URL not allowed", Field::NoticeUrl),
        ),
        ErrorKind::UnsupportedOperation => (
            INVALID_PARAMETER,
            named("Unsupported operation", Field::Operation),
        ),
        ErrorKind::MalformedRequest => match error.wire_field {
            Some(_) => (
                INVALID_PARAMETER,
                named("Malformed parameter", Field::Other),
            ),
            None => (INVALID_PARAMETER, "Malformed request body".to_owned()),
        },
        ErrorKind::RequestTooLarge => (INVALID_PARAMETER, "Request body too large".to_owned()),
        ErrorKind::UnsupportedMediaType => (
            INVALID_PARAMETER,
            "Content-Type must be application/json".to_owned(),
        ),
        ErrorKind::UnknownTerminal => ("103000", "Invalid authentication".to_owned()),
        ErrorKind::BadSignature => ("104000", "Invalid signature".to_owned()),
        ErrorKind::UnsupportedCurrency => ("106000", "Invalid currency".to_owned()),
        ErrorKind::DuplicateOrder => ("107000", "Duplicated transaction".to_owned()),
        ErrorKind::OrderNotFound | ErrorKind::PaymentNotFound | ErrorKind::RefundNotFound => {
            ("107001", "Transaction does not exist".to_owned())
        }
        ErrorKind::PaymentNotRefundable => (
            "107003",
            "Original transaction cannot be refunded".to_owned(),
        ),
        ErrorKind::RefundExceedsRefundable => (
            "108000",
            "Refund amount exceeds the refundable amount".to_owned(),
        ),
        ErrorKind::FullRefundAmountMismatch => (
            "108000",
            "Refund amount must be the whole transaction amount".to_owned(),
        ),
        ErrorKind::PaymentHasRefunds => (
            "109000",
            "Transaction has refunds and cannot be voided".to_owned(),
        ),
        ErrorKind::TemporarilyUnavailable => (
            "500000",
            "Service temporarily unavailable, nothing was charged".to_owned(),
        ),
        ErrorKind::AcquirerUnavailable => (
            "600000",
            "Upstream system unavailable, nothing changed; retry".to_owned(),
        ),
    }
}

/// The name shown in a description: envelope fields as they are, anything else as a
/// `bizContent` path; control characters removed, since names can come from the request.
fn display_name(wire_field: Option<&str>, field: Field) -> String {
    let name: String = wire_field
        .unwrap_or_else(|| field_wire_name(field))
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if name.is_empty() || ENVELOPE_FIELDS.contains(&name.as_str()) {
        name
    } else {
        format!("{BIZ_CONTENT}.{name}")
    }
}

/// The PingPong field (a `bizContent` path unless it is an envelope field) for a [`Field`],
/// used when an error carries no wire name; empty for fields PingPong has no counterpart for.
pub fn field_wire_name(field: Field) -> &'static str {
    match field {
        Field::Account => "clientId",
        Field::Terminal => "accId",
        Field::Signature => "sign",
        Field::OrderNumber => "merchantTransactionId",
        Field::Amount | Field::RefundAmount => "amount",
        Field::Currency => "currency",
        Field::OrderNotes | Field::RefundDescription => "remark",
        Field::Method => "paymentMethod.type",
        Field::PaymentCode => "paymentMethod.scanCodeId",
        Field::FirstName => "customer.firstName",
        Field::LastName => "customer.lastName",
        Field::Email => "customer.email",
        Field::Phone => "customer.phone",
        Field::Country => "billingAddress.country",
        Field::State => "billingAddress.state",
        Field::City => "billingAddress.city",
        Field::Address => "billingAddress.street",
        Field::Zip => "billingAddress.postcode",
        Field::CustomerIp => "shopperIP",
        Field::NoticeUrl => "notificationUrl",
        Field::PaymentId => "transactionId",
        Field::RefundNumber => "merchantRefundId",
        Field::RefundId => "refundId",
        Field::Operation => "captureDelayHours",
        Field::RefundType | Field::Other => "",
    }
}

/// The issuer result code and message of a decline; also the reply `code` of a declined
/// unifiedPay, as PingPong answers its own declines.
pub fn decline_code(reason: DeclineReason) -> (&'static str, &'static str) {
    match reason {
        DeclineReason::InsufficientFunds => ("301051", "Insufficient funds"),
        DeclineReason::Declined => ("301002", "Do not honor"),
        DeclineReason::SuspectedFraud => ("301059", "Suspected fraud"),
        DeclineReason::CustomerCancelled => ("301099", "Customer cancelled the payment"),
        DeclineReason::Expired => ("105000", "Transaction expired"),
        DeclineReason::AcquirerTimeout => ("600001", "Upstream timeout"),
    }
}

/// The reply code of a unifiedPay answer (first or repeated) for a payment in `state`;
/// `reason` is the stored decline reason of a declined, cancelled or expired payment.
///
/// Queries always answer [`QUERY_OK`] instead and let `bizContent.status` speak.
pub fn payment_result_code(
    state: PaymentState,
    reason: Option<DeclineReason>,
) -> (&'static str, &'static str) {
    match state {
        PaymentState::Processing | PaymentState::Pending => PROCESSING,
        PaymentState::Approved => SUCCESS,
        PaymentState::Declined => decline_code(reason.unwrap_or(DeclineReason::Declined)),
        PaymentState::Cancelled => decline_code(reason.unwrap_or(DeclineReason::CustomerCancelled)),
        PaymentState::Expired => decline_code(reason.unwrap_or(DeclineReason::Expired)),
        PaymentState::Voided => CLOSED,
    }
}

/// The reply code of a refund answer for a refund in `state`.
pub fn refund_result_code(state: RefundState) -> (&'static str, &'static str) {
    match state {
        RefundState::Processing => PROCESSING,
        RefundState::Succeeded => SUCCESS,
        RefundState::Failed => REFUND_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn every_kind() -> Vec<ErrorKind> {
        ErrorKind::every()
    }

    fn is_code(code: &str) -> bool {
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
    }

    fn code_of(kind: ErrorKind) -> (&'static str, String) {
        error_code(&GatewayError::new(kind))
    }

    #[test]
    fn every_error_has_a_six_digit_code_and_a_description() {
        for kind in every_kind() {
            for error in [GatewayError::new(kind), GatewayError::at(kind, "amount")] {
                let (code, description) = error_code(&error);
                assert!(is_code(code), "{kind:?} -> {code}");
                assert!(!description.is_empty(), "{kind:?}");
            }
        }
    }

    #[test]
    fn every_outcome_code_has_six_digits() {
        let mut codes = vec![
            SUCCESS.0,
            QUERY_OK.0,
            PROCESSING.0,
            CLOSED.0,
            REFUND_FAILED.0,
        ];
        codes.extend(
            DeclineReason::ALL
                .into_iter()
                .map(|reason| decline_code(reason).0),
        );
        for state in PaymentState::ALL {
            codes.push(payment_result_code(state, None).0);
        }
        for state in RefundState::ALL {
            codes.push(refund_result_code(state).0);
        }
        for code in codes {
            assert!(is_code(code), "{code}");
        }
    }

    #[test]
    fn field_errors_are_invalid_parameters() {
        for field in Field::ALL {
            for kind in [
                ErrorKind::MissingField(field),
                ErrorKind::FieldTooLong(field),
                ErrorKind::InvalidFormat(field),
            ] {
                assert_eq!(code_of(kind).0, "102000", "{kind:?}");
            }
        }
        for kind in [
            ErrorKind::InvalidAmount,
            ErrorKind::UnsupportedMethod,
            ErrorKind::UnrecognisedPaymentCode,
            ErrorKind::PaymentCodeWalletMismatch,
            ErrorKind::NoticeUrlNotAllowed,
            ErrorKind::MalformedRequest,
            ErrorKind::RequestTooLarge,
            ErrorKind::UnsupportedMediaType,
            ErrorKind::UnsupportedOperation,
        ] {
            assert_eq!(code_of(kind).0, "102000", "{kind:?}");
        }
    }

    #[test]
    fn refusals_use_pingpongs_codes() {
        let cases = [
            (
                ErrorKind::UnknownTerminal,
                "103000",
                "Invalid authentication",
            ),
            (ErrorKind::BadSignature, "104000", "Invalid signature"),
            (ErrorKind::UnsupportedCurrency, "106000", "Invalid currency"),
            (
                ErrorKind::DuplicateOrder,
                "107000",
                "Duplicated transaction",
            ),
            (
                ErrorKind::OrderNotFound,
                "107001",
                "Transaction does not exist",
            ),
            (
                ErrorKind::PaymentNotFound,
                "107001",
                "Transaction does not exist",
            ),
            (
                ErrorKind::RefundNotFound,
                "107001",
                "Transaction does not exist",
            ),
            (
                ErrorKind::PaymentNotRefundable,
                "107003",
                "Original transaction cannot be refunded",
            ),
            (
                ErrorKind::RefundExceedsRefundable,
                "108000",
                "Refund amount exceeds the refundable amount",
            ),
            (
                ErrorKind::FullRefundAmountMismatch,
                "108000",
                "Refund amount must be the whole transaction amount",
            ),
            (
                ErrorKind::PaymentHasRefunds,
                "109000",
                "Transaction has refunds and cannot be voided",
            ),
            (
                ErrorKind::TemporarilyUnavailable,
                "500000",
                "Service temporarily unavailable, nothing was charged",
            ),
            (
                ErrorKind::AcquirerUnavailable,
                "600000",
                "Upstream system unavailable, nothing changed; retry",
            ),
        ];
        for (kind, code, description) in cases {
            assert_eq!(code_of(kind), (code, description.to_owned()), "{kind:?}");
        }
    }

    #[test]
    fn descriptions_name_the_field_as_sent() {
        let cases = [
            (
                GatewayError::at(ErrorKind::InvalidAmount, "amount"),
                "Invalid parameter: bizContent.amount",
            ),
            (
                GatewayError::at(ErrorKind::InvalidFormat(Field::Amount), "amount"),
                "Invalid parameter: bizContent.amount",
            ),
            (
                GatewayError::at(
                    ErrorKind::MissingField(Field::OrderNumber),
                    "merchantTransactionId",
                ),
                "Missing parameter: bizContent.merchantTransactionId",
            ),
            (
                GatewayError::at(ErrorKind::FieldTooLong(Field::Terminal), "accId"),
                "Parameter too long: accId",
            ),
            (
                GatewayError::at(ErrorKind::MalformedRequest, "bizContent"),
                "Malformed parameter: bizContent",
            ),
            (
                GatewayError::new(ErrorKind::MalformedRequest),
                "Malformed request body",
            ),
            (
                GatewayError::at(
                    ErrorKind::UnrecognisedPaymentCode,
                    "paymentMethod.scanCodeId",
                ),
                "Invalid payment code: bizContent.paymentMethod.scanCodeId",
            ),
            (
                GatewayError::new(ErrorKind::UnsupportedMethod),
                "Unsupported payment method: bizContent.paymentMethod.type",
            ),
            (
                GatewayError::at(ErrorKind::UnsupportedOperation, "captureDelayHours"),
                "Unsupported operation: bizContent.captureDelayHours",
            ),
            (
                GatewayError::new(ErrorKind::MissingField(Field::Signature)),
                "Missing parameter: sign",
            ),
            (
                GatewayError::new(ErrorKind::MissingField(Field::Other)),
                "Missing parameter",
            ),
            (
                GatewayError::at(ErrorKind::InvalidFormat(Field::Other), "x\u{1}y"),
                "Invalid parameter: bizContent.xy",
            ),
        ];
        for (error, description) in cases {
            assert_eq!(error_code(&error).1, description, "{error:?}");
        }
    }

    #[test]
    fn declines_use_the_documented_codes() {
        let cases = [
            (
                DeclineReason::InsufficientFunds,
                ("301051", "Insufficient funds"),
            ),
            (DeclineReason::Declined, ("301002", "Do not honor")),
            (DeclineReason::SuspectedFraud, ("301059", "Suspected fraud")),
            (
                DeclineReason::CustomerCancelled,
                ("301099", "Customer cancelled the payment"),
            ),
            (DeclineReason::Expired, ("105000", "Transaction expired")),
            (
                DeclineReason::AcquirerTimeout,
                ("600001", "Upstream timeout"),
            ),
        ];
        for (reason, expected) in cases {
            assert_eq!(decline_code(reason), expected);
        }
    }

    #[test]
    fn outcome_codes_keep_one_description_each() {
        let mut outcomes = vec![SUCCESS, QUERY_OK, PROCESSING, REFUND_FAILED];
        outcomes.extend(
            DeclineReason::ALL
                .into_iter()
                .filter(|reason| *reason != DeclineReason::Expired)
                .map(decline_code),
        );
        let mut description_of: HashMap<&str, &str> = HashMap::new();
        for (code, description) in outcomes {
            let known = description_of.entry(code).or_insert(description);
            assert_eq!(*known, description, "{code}");
        }
        assert_eq!(description_of.len(), 9);
    }

    #[test]
    fn payment_codes_follow_the_state() {
        assert_eq!(
            payment_result_code(PaymentState::Processing, None),
            PROCESSING
        );
        assert_eq!(payment_result_code(PaymentState::Pending, None), PROCESSING);
        assert_eq!(payment_result_code(PaymentState::Approved, None), SUCCESS);
        assert_eq!(
            payment_result_code(PaymentState::Declined, None).0,
            "301002"
        );
        assert_eq!(
            payment_result_code(
                PaymentState::Declined,
                Some(DeclineReason::InsufficientFunds)
            )
            .0,
            "301051"
        );
        assert_eq!(
            payment_result_code(PaymentState::Cancelled, None).0,
            "301099"
        );
        assert_eq!(payment_result_code(PaymentState::Expired, None).0, "105000");
        assert_eq!(payment_result_code(PaymentState::Voided, None), CLOSED);
        assert_eq!(refund_result_code(RefundState::Processing), PROCESSING);
        assert_eq!(refund_result_code(RefundState::Succeeded), SUCCESS);
        assert_eq!(refund_result_code(RefundState::Failed), REFUND_FAILED);
    }
}
