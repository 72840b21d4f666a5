//! Core errors and outcomes as Oceanpayment `payment_details` (`code:message`) and status values.
//!
//! Where Oceanpayment publishes a code for a meaning, that code and its exact message text are
//! used, because merchant plugins match on them. Everything else gets a Tidegate code in the
//! 29xxx range, which Oceanpayment does not use. These codes are part of the wire contract:
//! never renumber one, only add.
//!
//! | code  | message | used for |
//! |-------|---------|----------|
//! | 29001 | Waiting for the customer to complete the payment | [`AWAITING_CUSTOMER`] |
//! | 29101 | Payment code cannot be empty | `MissingField(PaymentCode)` |
//! | 29102 | Invalid payment code | `UnrecognisedPaymentCode` |
//! | 29103 | Payment code does not match methods | `PaymentCodeWalletMismatch` |
//! | 29104 | Unsupported methods value | `UnsupportedMethod` |
//! | 29105 | Field too long: {field} | `FieldTooLong` of a field without a published code |
//! | 29106 | Invalid field format: {field} | `InvalidFormat` of a field without a published code |
//! | 29107 | Missing field: {field} | `MissingField` of a field without a published code |
//! | 29108 | Malformed request | `MalformedRequest` |
//! | 29109 | Request too large | `RequestTooLarge` |
//! | 29110 | Unsupported content type | `UnsupportedMediaType` |
//! | 29111 | Service temporarily unavailable, nothing was charged | `TemporarilyUnavailable` |
//! | 29201 | Order not found | `OrderNotFound` |
//! | 29202 | Payment not found | `PaymentNotFound` |
//! | 29203 | Payment is not refundable | `PaymentNotRefundable` |
//! | 29204 | Refund amount exceeds the refundable amount | `RefundExceedsRefundable` |
//! | 29205 | A full refund must be of the whole payment amount | `FullRefundAmountMismatch` |
//! | 29206 | Refund not found | `RefundNotFound` |
//! | 29207 | Payment has refunds and cannot be voided | `PaymentHasRefunds` |
//! | 29208 | Unsupported payment_authType | `UnsupportedOperation` |
//! | 29209 | Notice URL not allowed | `NoticeUrlNotAllowed` |
//! | 29210 | Acquirer did not confirm, nothing changed; retry | `AcquirerUnavailable` |
//!
//! The 291xx codes answer malformed or unsupported requests, the 292xx codes refusals of
//! order-management calls (query, refund, void) and of notice addresses. Oceanpayment documents
//! no error codes for its order-management calls, so those are all Tidegate's own.
//!
//! `{field}` is the field as the request spelled it when the error names one, otherwise the
//! Oceanpayment name of the [`Field`] (see [`field_wire_name`]).

use tidegate_core::{DeclineReason, ErrorKind, Field, GatewayError, PaymentState, Wallet};

/// The details of an approved payment.
pub const APPROVED: (u32, &str) = (80000, "Transaction Approved");

/// The details while the customer still has to act (enter a PIN, scan the merchant's QR code).
pub const AWAITING_CUSTOMER: (u32, &str) =
    (29001, "Waiting for the customer to complete the payment");

/// The details of a payment the merchant voided (closed unpaid, or reversed in full).
pub const VOIDED: (u32, &str) = (80053, "Authorisation Void");

/// The details while the acquirer's result is not known yet.
pub const RESULT_UNKNOWN: (u32, &str) = (
    80700,
    "Transaction was not finished (interrupted, status unknown)",
);

/// The Oceanpayment code and message for a refusal.
pub fn error_details(error: &GatewayError) -> (u32, String) {
    let field_text = |field: Field| {
        let name = error
            .wire_field
            .as_deref()
            .unwrap_or_else(|| field_wire_name(field));
        // Field names come from the request; keep them from breaking the XML or log lines.
        name.chars().filter(|c| !c.is_control()).collect::<String>()
    };
    let (code, message) = match error.kind {
        ErrorKind::MissingField(field) => match missing_field(field) {
            Some(published) => published,
            None => return (29107, format!("Missing field: {}", field_text(field))),
        },
        ErrorKind::FieldTooLong(field) => match field_too_long(field) {
            Some(published) => published,
            None => return (29105, format!("Field too long: {}", field_text(field))),
        },
        ErrorKind::InvalidFormat(field) => match invalid_format(field) {
            Some(published) => published,
            None => {
                return (
                    29106,
                    format!("Invalid field format: {}", field_text(field)),
                )
            }
        },
        ErrorKind::InvalidAmount => (20021, "Transaction amount is invalid"),
        ErrorKind::UnsupportedCurrency => (20023, "Incorrect order currency"),
        ErrorKind::UnsupportedMethod => (29104, "Unsupported methods value"),
        ErrorKind::UnrecognisedPaymentCode => (29102, "Invalid payment code"),
        ErrorKind::PaymentCodeWalletMismatch => (29103, "Payment code does not match methods"),
        ErrorKind::UnknownTerminal => (20004, "Account and terminal not match"),
        ErrorKind::BadSignature => (20013, "Incorrect sign value"),
        ErrorKind::DuplicateOrder => (20061, "Duplicate order"),
        ErrorKind::MalformedRequest => (29108, "Malformed request"),
        ErrorKind::RequestTooLarge => (29109, "Request too large"),
        ErrorKind::UnsupportedMediaType => (29110, "Unsupported content type"),
        ErrorKind::TemporarilyUnavailable => (
            29111,
            "Service temporarily unavailable, nothing was charged",
        ),
        ErrorKind::OrderNotFound => (29201, "Order not found"),
        ErrorKind::PaymentNotFound => (29202, "Payment not found"),
        ErrorKind::PaymentNotRefundable => (29203, "Payment is not refundable"),
        ErrorKind::RefundExceedsRefundable => {
            (29204, "Refund amount exceeds the refundable amount")
        }
        ErrorKind::FullRefundAmountMismatch => {
            (29205, "A full refund must be of the whole payment amount")
        }
        ErrorKind::RefundNotFound => (29206, "Refund not found"),
        ErrorKind::PaymentHasRefunds => (29207, "Payment has refunds and cannot be voided"),
        ErrorKind::UnsupportedOperation => (29208, "Unsupported payment_authType"),
        ErrorKind::NoticeUrlNotAllowed => (29209, "Notice URL not allowed"),
        ErrorKind::AcquirerUnavailable => {
            (29210, "Acquirer did not confirm, nothing changed; retry")
        }
    };
    (code, message.to_owned())
}

fn missing_field(field: Field) -> Option<(u32, &'static str)> {
    match field {
        Field::Account => Some((20001, "Account cannot be empty")),
        Field::Terminal => Some((20002, "Terminal cannot be empty")),
        Field::Signature => Some((20003, "signValue cannot be empty")),
        Field::OrderNumber => Some((20017, "Order number can not be empty")),
        Field::Amount => Some((20019, "Order amount cannot be empty")),
        Field::Currency => Some((20022, "Order currency can not be empty")),
        Field::FirstName => Some((20044, "First name cannot be empty")),
        Field::LastName => Some((20046, "Last name cannot be empty")),
        Field::Email => Some((20048, "Billing email cannot be empty")),
        Field::Phone => Some((20051, "Contact number cannot be empty")),
        Field::Country => Some((20053, "Billing country cannot be empty")),
        Field::PaymentCode => Some((29101, "Payment code cannot be empty")),
        Field::OrderNotes
        | Field::Method
        | Field::State
        | Field::City
        | Field::Address
        | Field::Zip
        | Field::CustomerIp
        | Field::NoticeUrl
        | Field::PaymentId
        | Field::RefundNumber
        | Field::RefundType
        | Field::RefundAmount
        | Field::RefundDescription
        | Field::RefundId
        | Field::Operation
        | Field::Other => None,
    }
}

fn field_too_long(field: Field) -> Option<(u32, &'static str)> {
    match field {
        Field::OrderNumber => Some((20018, "Order number cannot exceed 50 digits")),
        Field::NoticeUrl => Some((20025, "Response URL can not exceed 500 digits")),
        Field::FirstName => Some((20045, "First name exceeds length limit")),
        Field::LastName => Some((20047, "Last name cannot exceed 50 characters")),
        Field::Email => Some((20049, "Billing email cannot exceed 50 characters")),
        Field::Phone => Some((20052, "Contact number cannot exceed 50 characters")),
        Field::Country => Some((20054, "Billing country cannot exceed 100 characters")),
        Field::Account
        | Field::Terminal
        | Field::Signature
        | Field::Amount
        | Field::Currency
        | Field::OrderNotes
        | Field::Method
        | Field::PaymentCode
        | Field::State
        | Field::City
        | Field::Address
        | Field::Zip
        | Field::CustomerIp
        | Field::PaymentId
        | Field::RefundNumber
        | Field::RefundType
        | Field::RefundAmount
        | Field::RefundDescription
        | Field::RefundId
        | Field::Operation
        | Field::Other => None,
    }
}

fn invalid_format(field: Field) -> Option<(u32, &'static str)> {
    match field {
        Field::Signature => Some((20013, "Incorrect sign value")),
        Field::Amount => Some((20020, "Incorrect order amount format")),
        Field::Currency => Some((20023, "Incorrect order currency")),
        Field::Email => Some((20050, "Incorrect email address format")),
        Field::Account
        | Field::Terminal
        | Field::OrderNumber
        | Field::OrderNotes
        | Field::Method
        | Field::PaymentCode
        | Field::FirstName
        | Field::LastName
        | Field::Phone
        | Field::Country
        | Field::State
        | Field::City
        | Field::Address
        | Field::Zip
        | Field::CustomerIp
        | Field::NoticeUrl
        | Field::PaymentId
        | Field::RefundNumber
        | Field::RefundType
        | Field::RefundAmount
        | Field::RefundDescription
        | Field::RefundId
        | Field::Operation
        | Field::Other => None,
    }
}

/// The Oceanpayment request field for a [`Field`], used when an error carries no wire name.
pub fn field_wire_name(field: Field) -> &'static str {
    match field {
        Field::Account => "account",
        Field::Terminal => "terminal",
        Field::Signature => "signValue",
        Field::OrderNumber => "order_number",
        Field::Amount => "order_amount",
        Field::Currency => "order_currency",
        Field::OrderNotes => "order_notes",
        Field::Method => "methods",
        Field::PaymentCode => "pay_accountNumber",
        Field::FirstName => "billing_firstName",
        Field::LastName => "billing_lastName",
        Field::Email => "billing_email",
        Field::Phone => "billing_phone",
        Field::Country => "billing_country",
        Field::State => "billing_state",
        Field::City => "billing_city",
        Field::Address => "billing_address",
        Field::Zip => "billing_zip",
        Field::CustomerIp => "billing_ip",
        Field::NoticeUrl => "noticeUrl",
        Field::PaymentId => "payment_id",
        Field::RefundNumber => "refund_number",
        Field::RefundType => "refund_type",
        Field::RefundAmount => "refund_amount",
        Field::RefundDescription => "refund_description",
        Field::RefundId => "refund_id",
        Field::Operation => "payment_authType",
        Field::Other => "unnamed field",
    }
}

/// The Oceanpayment bank-result code and message for a decline.
pub fn decline_details(reason: DeclineReason) -> (u32, &'static str) {
    match reason {
        DeclineReason::InsufficientFunds => (80022, "Not Sufficient Funds"),
        DeclineReason::Declined => (80012, "Payment Declined"),
        DeclineReason::SuspectedFraud => (80041, "Suspected Fraud/Retain Card"),
        DeclineReason::CustomerCancelled => (80101, "Customer canceled transaction"),
        DeclineReason::Expired => (80100, "Transaction was not finished"),
        DeclineReason::AcquirerTimeout => (80031, "Time Out"),
    }
}

/// The `payment_details` text, `code:message`, that plugins split on the first colon.
pub fn format_details(code: u32, message: &str) -> String {
    format!("{code}:{message}")
}

/// The `payment_status` (order query: `payment_results`) value: `1` paid, `0` failed, closed
/// or voided, `-1` not final yet.
pub fn payment_status(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Processing | PaymentState::Pending => "-1",
        PaymentState::Approved => "1",
        PaymentState::Declined
        | PaymentState::Cancelled
        | PaymentState::Expired
        | PaymentState::Voided => "0",
    }
}

/// The order query's `refund_status`: `0` nothing refunded, `1` fully refunded, `2` partly
/// refunded. Both amounts are in minor units; `refunded_minor` counts the refunds that hold
/// their amount (processing or succeeded).
pub fn refund_status(refunded_minor: i64, amount_minor: i64) -> &'static str {
    if refunded_minor <= 0 {
        "0"
    } else if refunded_minor >= amount_minor {
        "1"
    } else {
        "2"
    }
}

/// The in-person `methods` value of a wallet.
pub fn methods_name(wallet: Wallet) -> &'static str {
    match wallet {
        Wallet::WeChatPay => "WeChatPay_Offline",
        Wallet::Alipay => "Alipay_Offline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn every_kind() -> Vec<ErrorKind> {
        ErrorKind::every()
    }

    fn details(kind: ErrorKind) -> (u32, String) {
        error_details(&GatewayError::new(kind))
    }

    fn is_tidegate_code(code: u32) -> bool {
        (29101..=29111).contains(&code) || (29201..=29210).contains(&code)
    }

    #[test]
    fn every_error_has_a_code_and_a_message() {
        for kind in every_kind() {
            let (code, message) = details(kind);
            assert!(!message.is_empty(), "{kind:?}");
            assert!(
                (20001..=20061).contains(&code) || is_tidegate_code(code),
                "{kind:?} -> {code}"
            );
        }
    }

    #[test]
    fn published_codes_keep_one_meaning_each() {
        let mut message_of: HashMap<u32, String> = HashMap::new();
        let mut code_of: HashMap<String, u32> = HashMap::new();
        for kind in every_kind() {
            let (code, message) = details(kind);
            if is_tidegate_code(code) && message.contains(": ") {
                continue;
            }
            let known = message_of.entry(code).or_insert_with(|| message.clone());
            assert_eq!(*known, message, "code {code} has two messages");
            let known = code_of.entry(message.clone()).or_insert(code);
            assert_eq!(*known, code, "{message:?} has two codes");
        }
    }

    #[test]
    fn field_codes_are_distinct_for_each_kind() {
        for family in [
            ErrorKind::MissingField,
            ErrorKind::FieldTooLong,
            ErrorKind::InvalidFormat,
        ] {
            let published: Vec<u32> = Field::ALL
                .into_iter()
                .map(|field| details(family(field)).0)
                .filter(|code| !is_tidegate_code(*code) || *code == 29101)
                .collect();
            let unique: HashSet<&u32> = published.iter().collect();
            assert_eq!(unique.len(), published.len());
        }
    }

    /// Every published code with its exact text, as in Oceanpayment's documentation.
    const PUBLISHED: [(ErrorKind, u32, &str); 27] = [
        (
            ErrorKind::MissingField(Field::Account),
            20001,
            "Account cannot be empty",
        ),
        (
            ErrorKind::MissingField(Field::Terminal),
            20002,
            "Terminal cannot be empty",
        ),
        (
            ErrorKind::MissingField(Field::Signature),
            20003,
            "signValue cannot be empty",
        ),
        (
            ErrorKind::UnknownTerminal,
            20004,
            "Account and terminal not match",
        ),
        (ErrorKind::BadSignature, 20013, "Incorrect sign value"),
        (
            ErrorKind::InvalidFormat(Field::Signature),
            20013,
            "Incorrect sign value",
        ),
        (
            ErrorKind::MissingField(Field::OrderNumber),
            20017,
            "Order number can not be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::OrderNumber),
            20018,
            "Order number cannot exceed 50 digits",
        ),
        (
            ErrorKind::MissingField(Field::Amount),
            20019,
            "Order amount cannot be empty",
        ),
        (
            ErrorKind::InvalidFormat(Field::Amount),
            20020,
            "Incorrect order amount format",
        ),
        (
            ErrorKind::InvalidAmount,
            20021,
            "Transaction amount is invalid",
        ),
        (
            ErrorKind::MissingField(Field::Currency),
            20022,
            "Order currency can not be empty",
        ),
        (
            ErrorKind::InvalidFormat(Field::Currency),
            20023,
            "Incorrect order currency",
        ),
        (
            ErrorKind::UnsupportedCurrency,
            20023,
            "Incorrect order currency",
        ),
        (
            ErrorKind::FieldTooLong(Field::NoticeUrl),
            20025,
            "Response URL can not exceed 500 digits",
        ),
        (
            ErrorKind::MissingField(Field::FirstName),
            20044,
            "First name cannot be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::FirstName),
            20045,
            "First name exceeds length limit",
        ),
        (
            ErrorKind::MissingField(Field::LastName),
            20046,
            "Last name cannot be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::LastName),
            20047,
            "Last name cannot exceed 50 characters",
        ),
        (
            ErrorKind::MissingField(Field::Email),
            20048,
            "Billing email cannot be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::Email),
            20049,
            "Billing email cannot exceed 50 characters",
        ),
        (
            ErrorKind::InvalidFormat(Field::Email),
            20050,
            "Incorrect email address format",
        ),
        (
            ErrorKind::MissingField(Field::Phone),
            20051,
            "Contact number cannot be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::Phone),
            20052,
            "Contact number cannot exceed 50 characters",
        ),
        (
            ErrorKind::MissingField(Field::Country),
            20053,
            "Billing country cannot be empty",
        ),
        (
            ErrorKind::FieldTooLong(Field::Country),
            20054,
            "Billing country cannot exceed 100 characters",
        ),
        (ErrorKind::DuplicateOrder, 20061, "Duplicate order"),
    ];

    #[test]
    fn uses_the_published_codes_and_texts() {
        let cases = PUBLISHED;
        for (kind, code, message) in cases {
            assert_eq!(details(kind), (code, message.to_owned()), "{kind:?}");
        }
    }

    #[test]
    fn tidegate_codes_are_stable() {
        let cases = [
            (
                ErrorKind::MissingField(Field::PaymentCode),
                29101,
                "Payment code cannot be empty",
            ),
            (
                ErrorKind::UnrecognisedPaymentCode,
                29102,
                "Invalid payment code",
            ),
            (
                ErrorKind::PaymentCodeWalletMismatch,
                29103,
                "Payment code does not match methods",
            ),
            (
                ErrorKind::UnsupportedMethod,
                29104,
                "Unsupported methods value",
            ),
            (
                ErrorKind::FieldTooLong(Field::OrderNotes),
                29105,
                "Field too long: order_notes",
            ),
            (
                ErrorKind::InvalidFormat(Field::NoticeUrl),
                29106,
                "Invalid field format: noticeUrl",
            ),
            (
                ErrorKind::MissingField(Field::Method),
                29107,
                "Missing field: methods",
            ),
            (ErrorKind::MalformedRequest, 29108, "Malformed request"),
            (ErrorKind::RequestTooLarge, 29109, "Request too large"),
            (
                ErrorKind::UnsupportedMediaType,
                29110,
                "Unsupported content type",
            ),
            (
                ErrorKind::TemporarilyUnavailable,
                29111,
                "Service temporarily unavailable, nothing was charged",
            ),
            (ErrorKind::OrderNotFound, 29201, "Order not found"),
            (ErrorKind::PaymentNotFound, 29202, "Payment not found"),
            (
                ErrorKind::PaymentNotRefundable,
                29203,
                "Payment is not refundable",
            ),
            (
                ErrorKind::RefundExceedsRefundable,
                29204,
                "Refund amount exceeds the refundable amount",
            ),
            (
                ErrorKind::FullRefundAmountMismatch,
                29205,
                "A full refund must be of the whole payment amount",
            ),
            (ErrorKind::RefundNotFound, 29206, "Refund not found"),
            (
                ErrorKind::PaymentHasRefunds,
                29207,
                "Payment has refunds and cannot be voided",
            ),
            (
                ErrorKind::UnsupportedOperation,
                29208,
                "Unsupported payment_authType",
            ),
            (
                ErrorKind::NoticeUrlNotAllowed,
                29209,
                "Notice URL not allowed",
            ),
            (
                ErrorKind::AcquirerUnavailable,
                29210,
                "Acquirer did not confirm, nothing changed; retry",
            ),
        ];
        for (kind, code, message) in cases {
            assert_eq!(details(kind), (code, message.to_owned()), "{kind:?}");
        }
    }

    #[test]
    fn messages_name_the_field_as_sent() {
        let error = GatewayError::at(ErrorKind::FieldTooLong(Field::Other), "deviceId");
        assert_eq!(
            error_details(&error),
            (29105, "Field too long: deviceId".to_owned())
        );
        let error = GatewayError::at(ErrorKind::InvalidFormat(Field::Other), "x\u{1}y");
        assert_eq!(
            error_details(&error),
            (29106, "Invalid field format: xy".to_owned())
        );
    }

    #[test]
    fn published_messages_ignore_the_wire_name() {
        let error = GatewayError::at(ErrorKind::FieldTooLong(Field::OrderNumber), "order_number");
        assert_eq!(error_details(&error).0, 20018);
        assert_eq!(
            error_details(&error).1,
            "Order number cannot exceed 50 digits"
        );
    }

    #[test]
    fn outcomes_have_distinct_codes() {
        let mut codes: Vec<u32> = DeclineReason::ALL
            .into_iter()
            .map(|r| decline_details(r).0)
            .collect();
        codes.extend([APPROVED.0, AWAITING_CUSTOMER.0, RESULT_UNKNOWN.0, VOIDED.0]);
        let unique: HashSet<&u32> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        for reason in DeclineReason::ALL {
            assert!(!decline_details(reason).1.is_empty());
        }
    }

    #[test]
    fn statuses_follow_finality() {
        for state in PaymentState::ALL {
            let status = payment_status(state);
            assert_eq!(status == "-1", !state.is_final(), "{state:?}");
        }
        assert_eq!(payment_status(PaymentState::Approved), "1");
        assert_eq!(payment_status(PaymentState::Expired), "0");
        assert_eq!(payment_status(PaymentState::Voided), "0");
    }

    #[test]
    fn new_fields_use_the_generic_codes_with_their_wire_names() {
        let cases = [
            (Field::PaymentId, "payment_id"),
            (Field::RefundNumber, "refund_number"),
            (Field::RefundType, "refund_type"),
            (Field::RefundAmount, "refund_amount"),
            (Field::RefundDescription, "refund_description"),
            (Field::RefundId, "refund_id"),
            (Field::Operation, "payment_authType"),
        ];
        for (field, name) in cases {
            assert_eq!(field_wire_name(field), name);
            assert_eq!(
                details(ErrorKind::FieldTooLong(field)),
                (29105, format!("Field too long: {name}"))
            );
            assert_eq!(
                details(ErrorKind::InvalidFormat(field)),
                (29106, format!("Invalid field format: {name}"))
            );
            assert_eq!(
                details(ErrorKind::MissingField(field)),
                (29107, format!("Missing field: {name}"))
            );
        }
    }

    #[test]
    fn every_tidegate_code_has_one_meaning() {
        let mut message_of: HashMap<u32, String> = HashMap::new();
        for kind in every_kind() {
            let (code, message) = details(kind);
            if (29201..=29210).contains(&code) {
                let known = message_of.entry(code).or_insert_with(|| message.clone());
                assert_eq!(*known, message, "code {code}");
            }
        }
        assert_eq!(message_of.len(), 10);
    }

    #[test]
    fn refund_status_says_how_much_was_refunded() {
        assert_eq!(refund_status(0, 9000), "0");
        assert_eq!(refund_status(1, 9000), "2");
        assert_eq!(refund_status(8999, 9000), "2");
        assert_eq!(refund_status(9000, 9000), "1");
    }

    #[test]
    fn voided_details_are_the_published_void_code() {
        assert_eq!(
            format_details(VOIDED.0, VOIDED.1),
            "80053:Authorisation Void"
        );
    }

    #[test]
    fn details_are_code_colon_message() {
        assert_eq!(
            format_details(APPROVED.0, APPROVED.1),
            "80000:Transaction Approved"
        );
        assert_eq!(methods_name(Wallet::WeChatPay), "WeChatPay_Offline");
        assert_eq!(methods_name(Wallet::Alipay), "Alipay_Offline");
    }
}
