//! The `bizContent` of replies and notifications, and how a merchant's answer to a notification
//! is read.
//!
//! Each builder returns JSON text with its keys in a fixed order and absent values left out.
//! Amounts are strings with exactly the currency's minor-unit digits (`"90.00"`, `"100"` for
//! JPY), whatever the request sent. Times are epoch milliseconds written as strings
//! (`"1767231000000"`): PingPong does not document the format of `transactionTime` and its
//! siblings, so this is Tidegate's choice, kept stable.
//!
//! Statuses are PingPong's: a payment is `PROCESSING`, `SUCCESS`, `FAILED` or `CLOSED`
//! ([`status`]); refunds and voids are `PROCESSING`, `SUCCESS` or `FAILED`. `INIT` is never
//! produced, because Tidegate records a payment and sends it to the acquirer within the same
//! request. `AUTH_SUCCESS` and `CANCEL` belong to pre-authorisation, which is not offered.
//!
//! Notifications are sent only for the outcomes PingPong notifies: a payment that became
//! `SUCCESS` or `FAILED` (`notifyType` `RECHARGE`) and a refund that became `SUCCESS` or
//! `FAILED` (`notifyType` `REFUND`). A `CLOSED` payment is not notified; the merchant learns of
//! it by querying, as with PingPong.

use crate::pingpong::rules::to_json;
use serde::Serialize;
use tidegate_core::{Money, PaymentState, RefundState};

/// Paid, or a refund or void done.
pub const STATUS_SUCCESS: &str = "SUCCESS";
/// Declined or cancelled; for refunds and voids, refused.
pub const STATUS_FAILED: &str = "FAILED";
/// Not final yet.
pub const STATUS_PROCESSING: &str = "PROCESSING";
/// Expired unpaid, or voided by the merchant.
pub const STATUS_CLOSED: &str = "CLOSED";

/// `notifyType` of a payment notification.
const RECHARGE: &str = "RECHARGE";
/// `notifyType` of a refund notification.
const REFUND: &str = "REFUND";
/// `action.type` of a merchant-presented payment.
const QR_CODE: &str = "QR_CODE";

/// The PingPong status of a payment.
pub fn status(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Processing | PaymentState::Pending => STATUS_PROCESSING,
        PaymentState::Approved => STATUS_SUCCESS,
        PaymentState::Declined | PaymentState::Cancelled => STATUS_FAILED,
        PaymentState::Expired | PaymentState::Voided => STATUS_CLOSED,
    }
}

/// The PingPong status of a refund.
pub fn refund_status(state: RefundState) -> &'static str {
    match state {
        RefundState::Processing => STATUS_PROCESSING,
        RefundState::Succeeded => STATUS_SUCCESS,
        RefundState::Failed => STATUS_FAILED,
    }
}

/// A payment as replies and notifications show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// Tidegate's id of the payment.
    pub transaction_id: String,
    /// The merchant's order id.
    pub merchant_transaction_id: String,
    /// The merchant's id of the attempt; left out when empty.
    pub request_id: String,
    /// The amount charged, with its currency.
    pub amount: Money,
    /// From [`status`].
    pub status: &'static str,
    /// The merchant's remark; left out when empty.
    pub remark: String,
    /// `paymentMethod.type` as the merchant sent it.
    pub method_type: String,
    /// When the payment was recorded, epoch milliseconds.
    pub transaction_time: i64,
    /// When it became final, epoch milliseconds; `None` while processing.
    pub ending_time: Option<i64>,
    /// The issuer result code and message, from
    /// [`decline_code`](crate::pingpong::codes::decline_code), for a payment that ended with
    /// a decline reason; `None` otherwise.
    pub issuer: Option<(&'static str, &'static str)>,
    /// The QR payload of a merchant-presented payment. Shown (as `action`) only while the
    /// status is `PROCESSING`: once final there is nothing left to scan.
    pub qr_code: Option<String>,
    /// When the QR code stops being payable, epoch milliseconds.
    pub qr_expires_at_ms: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentBiz<'a> {
    transaction_id: &'a str,
    merchant_transaction_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    amount: String,
    currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_type: Option<&'static str>,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    transaction_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_ending_time: Option<String>,
    payment_method: PaymentMethodBiz<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer_info: Option<IssuerBiz<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<ActionBiz<'a>>,
}

#[derive(Serialize)]
struct PaymentMethodBiz<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IssuerBiz<'a> {
    issuer_result_code: &'a str,
    issuer_result_msg: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionBiz<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    qr_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code_expired: Option<String>,
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn payment(view: &PaymentView, notify_type: Option<&'static str>) -> String {
    let action = view
        .qr_code
        .as_deref()
        .filter(|_| view.status == STATUS_PROCESSING && notify_type.is_none())
        .map(|qr_code| ActionBiz {
            kind: QR_CODE,
            qr_code,
            qr_code_expired: view.qr_expires_at_ms.map(|ms| ms.to_string()),
        });
    to_json(&PaymentBiz {
        transaction_id: &view.transaction_id,
        merchant_transaction_id: &view.merchant_transaction_id,
        request_id: non_empty(&view.request_id),
        amount: view.amount.to_decimal_string(),
        currency: view.amount.currency().code(),
        notify_type,
        status: view.status,
        remark: non_empty(&view.remark),
        transaction_time: view.transaction_time.to_string(),
        transaction_ending_time: view.ending_time.map(|ms| ms.to_string()),
        payment_method: PaymentMethodBiz {
            kind: &view.method_type,
        },
        issuer_info: view.issuer.map(|(code, message)| IssuerBiz {
            issuer_result_code: code,
            issuer_result_msg: message,
        }),
        action,
    })
}

/// The `bizContent` of a unifiedPay or query reply: `transactionId`, `merchantTransactionId`,
/// `requestId`, `amount`, `currency`, `status`, `remark`, `transactionTime`,
/// `transactionEndingTime`, `paymentMethod{type}`, `issuerInfo{issuerResultCode,
/// issuerResultMsg}`, `action{type: QR_CODE, qrCode, qrCodeExpired}`.
pub fn payment_biz(view: &PaymentView) -> String {
    payment(view, None)
}

/// The `bizContent` of a payment notification (`notifyType` `RECHARGE`, no `action`), or
/// `None` unless the status is `SUCCESS` or `FAILED`: only those are notified.
pub fn payment_notification_biz(view: &PaymentView) -> Option<String> {
    [STATUS_SUCCESS, STATUS_FAILED]
        .contains(&view.status)
        .then(|| payment(view, Some(RECHARGE)))
}

/// A refund as replies and notifications show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    /// Tidegate's id of the refund.
    pub refund_id: String,
    /// The merchant's id of the refund.
    pub merchant_refund_id: String,
    /// The merchant's order id of the refunded payment.
    pub merchant_transaction_id: String,
    /// Tidegate's id of the refunded payment.
    pub transaction_id: String,
    /// The amount refunded, in the payment's currency.
    pub amount: Money,
    /// From [`refund_status`].
    pub status: &'static str,
    /// The merchant's reason; left out when empty.
    pub remark: String,
    /// When the refund was recorded, epoch milliseconds.
    pub refund_time: i64,
    /// When it became final, epoch milliseconds; `None` while processing.
    pub ending_time: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundBiz<'a> {
    refund_id: &'a str,
    merchant_refund_id: &'a str,
    merchant_transaction_id: &'a str,
    transaction_id: &'a str,
    amount: String,
    currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_type: Option<&'static str>,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    refund_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_ending_time: Option<String>,
}

fn refund(view: &RefundView, notify_type: Option<&'static str>) -> String {
    to_json(&RefundBiz {
        refund_id: &view.refund_id,
        merchant_refund_id: &view.merchant_refund_id,
        merchant_transaction_id: &view.merchant_transaction_id,
        transaction_id: &view.transaction_id,
        amount: view.amount.to_decimal_string(),
        currency: view.amount.currency().code(),
        notify_type,
        status: view.status,
        remark: non_empty(&view.remark),
        refund_time: view.refund_time.to_string(),
        refund_ending_time: view.ending_time.map(|ms| ms.to_string()),
    })
}

/// The `bizContent` of a refund or refund query reply: `refundId`, `merchantRefundId`,
/// `merchantTransactionId`, `transactionId`, `amount`, `currency`, `status`, `remark`,
/// `refundTime`, `refundEndingTime`.
pub fn refund_biz(view: &RefundView) -> String {
    refund(view, None)
}

/// The `bizContent` of a refund notification (`notifyType` `REFUND`), or `None` unless the
/// status is `SUCCESS` or `FAILED`.
pub fn refund_notification_biz(view: &RefundView) -> Option<String> {
    [STATUS_SUCCESS, STATUS_FAILED]
        .contains(&view.status)
        .then(|| refund(view, Some(REFUND)))
}

/// A void as replies show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidView {
    /// The merchant's id of the void.
    pub merchant_void_id: String,
    /// The merchant's order id of the voided payment.
    pub merchant_transaction_id: String,
    /// Tidegate's id of the voided payment.
    pub transaction_id: String,
    /// The payment's amount: voids are always of the whole payment.
    pub amount: Money,
    /// [`STATUS_SUCCESS`], [`STATUS_FAILED`] or [`STATUS_PROCESSING`].
    pub status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoidBiz<'a> {
    merchant_void_id: &'a str,
    merchant_transaction_id: &'a str,
    transaction_id: &'a str,
    amount: String,
    currency: &'a str,
    status: &'a str,
}

/// The `bizContent` of a void or void query reply: `merchantVoidId`, `merchantTransactionId`,
/// `transactionId`, `amount`, `currency`, `status`.
pub fn void_biz(view: &VoidView) -> String {
    to_json(&VoidBiz {
        merchant_void_id: &view.merchant_void_id,
        merchant_transaction_id: &view.merchant_transaction_id,
        transaction_id: &view.transaction_id,
        amount: view.amount.to_decimal_string(),
        currency: view.amount.currency().code(),
        status: view.status,
    })
}

/// The `bizContent` of a refusal: an empty object. PingPong documents none for errors; an
/// empty object keeps the reply's shape (a JSON document in a string) for every answer.
pub const ERROR_BIZ: &str = "{}";

/// True when a merchant's answer acknowledges a notification: a 2xx status whose body, once
/// surrounding whitespace and a UTF-8 byte order mark are removed, is not exactly `FAIL`.
/// An empty body acknowledges; anything else means "send it again".
pub fn acknowledged(http_status: u16, body: &str) -> bool {
    (200..300).contains(&http_status)
        && body.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}') != "FAIL"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pingpong::codes::{decline_code, payment_result_code, refund_result_code, QUERY_OK};
    use crate::pingpong::envelope::{Envelope, NotificationEnvelope, ReplyEnvelope, SignType};
    use crate::pingpong::sign::verify;
    use serde_json::{Map, Value};
    use tidegate_core::{Currency, DeclineReason};

    /// PingPong's public sandbox store and salt.
    const SALT: &str = "F78BC96A55548B2319EE68E0";
    const ACC: &str = "2018092714313010016291";
    const CLIENT: &str = "2018092714313010016";

    fn cny(minor: i64) -> Money {
        Money::from_minor(minor, Currency::parse("CNY").expect("CNY")).expect("positive")
    }

    fn approved() -> PaymentView {
        PaymentView {
            transaction_id: "260101093000123000001".into(),
            merchant_transaction_id: "POS-20260101-0001".into(),
            request_id: "REQ-0001".into(),
            amount: cny(9000),
            status: status(PaymentState::Approved),
            remark: "table 4".into(),
            method_type: "Wechat-Offline".into(),
            transaction_time: 1_767_231_000_000,
            ending_time: Some(1_767_231_001_250),
            issuer: None,
            qr_code: None,
            qr_expires_at_ms: None,
        }
    }

    fn qr_processing() -> PaymentView {
        PaymentView {
            transaction_id: "260101093500456000002".into(),
            request_id: "REQ-0002".into(),
            status: status(PaymentState::Pending),
            method_type: "AlipayCN-Offline".into(),
            remark: String::new(),
            ending_time: None,
            qr_code: Some("https://qr.alipay.com/bax03190uxd47wbekffy6033".into()),
            qr_expires_at_ms: Some(1_767_231_300_000),
            ..approved()
        }
    }

    fn declined() -> PaymentView {
        PaymentView {
            status: status(PaymentState::Declined),
            issuer: Some(decline_code(DeclineReason::InsufficientFunds)),
            ..approved()
        }
    }

    fn partial_refund() -> RefundView {
        RefundView {
            refund_id: "260102120000000000007".into(),
            merchant_refund_id: "RF-0001".into(),
            merchant_transaction_id: "POS-20260101-0001".into(),
            transaction_id: "260101093000123000001".into(),
            amount: cny(1050),
            status: refund_status(RefundState::Succeeded),
            remark: "damaged".into(),
            refund_time: 1_767_355_200_000,
            ending_time: Some(1_767_355_201_000),
        }
    }

    fn reply(code: (&str, &str), biz_content: String) -> String {
        ReplyEnvelope {
            acc_id: ACC.into(),
            client_id: CLIENT.into(),
            sign_type: SignType::Sha256,
            code: code.0.into(),
            description: code.1.into(),
            biz_content,
        }
        .encode(SALT)
    }

    /// Checks the reply's `sign` the way a merchant would: over every field but `sign`.
    fn assert_reply_verifies(body: &str) {
        let object: Map<String, Value> = serde_json::from_str(body).expect("reply JSON");
        let fields: Vec<(&str, &str)> = object
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str().expect("string field")))
            .collect();
        let claimed = object["sign"].as_str().expect("sign");
        assert_eq!(claimed.len(), 64);
        assert!(verify(&fields, SALT, SignType::Sha256, claimed), "{body}");
        assert!(!verify(&fields, "00000000", SignType::Sha256, claimed));
    }

    #[test]
    fn statuses_follow_the_payment_state() {
        let cases = [
            (PaymentState::Processing, "PROCESSING"),
            (PaymentState::Pending, "PROCESSING"),
            (PaymentState::Approved, "SUCCESS"),
            (PaymentState::Declined, "FAILED"),
            (PaymentState::Cancelled, "FAILED"),
            (PaymentState::Expired, "CLOSED"),
            (PaymentState::Voided, "CLOSED"),
        ];
        for (state, expected) in cases {
            assert_eq!(status(state), expected, "{state:?}");
            assert_eq!(expected == "PROCESSING", !state.is_final());
        }
        assert_eq!(refund_status(RefundState::Processing), "PROCESSING");
        assert_eq!(refund_status(RefundState::Succeeded), "SUCCESS");
        assert_eq!(refund_status(RefundState::Failed), "FAILED");
    }

    #[test]
    fn success_reply() {
        let body = reply(
            payment_result_code(PaymentState::Approved, None),
            payment_biz(&approved()),
        );
        assert_reply_verifies(&body);
        insta::assert_snapshot!(body);
    }

    #[test]
    fn qr_processing_reply() {
        let body = reply(
            payment_result_code(PaymentState::Pending, None),
            payment_biz(&qr_processing()),
        );
        assert_reply_verifies(&body);
        insta::assert_snapshot!(body);
    }

    #[test]
    fn declined_reply() {
        let code = payment_result_code(
            PaymentState::Declined,
            Some(DeclineReason::InsufficientFunds),
        );
        let body = reply(code, payment_biz(&declined()));
        assert_reply_verifies(&body);
        insta::assert_snapshot!(body);
    }

    #[test]
    fn refund_reply() {
        let view = partial_refund();
        let body = reply(
            refund_result_code(RefundState::Succeeded),
            refund_biz(&view),
        );
        assert_reply_verifies(&body);
        insta::assert_snapshot!(body);
    }

    fn notification(biz_content: String) -> String {
        NotificationEnvelope {
            acc_id: ACC.into(),
            client_id: CLIENT.into(),
            sign_type: SignType::Sha256,
            biz_content,
        }
        .encode(SALT)
    }

    #[test]
    fn payment_notification() {
        let body = notification(payment_notification_biz(&approved()).expect("notified"));
        let envelope = Envelope::parse(body.as_bytes()).expect("a request-shaped envelope");
        assert!(envelope.verify(SALT));
        insta::assert_snapshot!(body);
    }

    #[test]
    fn refund_notification() {
        let body = notification(refund_notification_biz(&partial_refund()).expect("notified"));
        let envelope = Envelope::parse(body.as_bytes()).expect("a request-shaped envelope");
        assert!(envelope.verify(SALT));
        insta::assert_snapshot!(body);
    }

    #[test]
    fn only_final_success_or_failure_is_notified() {
        assert!(payment_notification_biz(&declined()).is_some());
        assert!(payment_notification_biz(&qr_processing()).is_none());
        let closed = PaymentView {
            status: status(PaymentState::Expired),
            ..qr_processing()
        };
        assert!(payment_notification_biz(&closed).is_none());
        let processing = RefundView {
            status: refund_status(RefundState::Processing),
            ..partial_refund()
        };
        assert!(refund_notification_biz(&processing).is_none());
        let failed = RefundView {
            status: refund_status(RefundState::Failed),
            ..partial_refund()
        };
        assert!(refund_notification_biz(&failed)
            .is_some_and(|biz| biz.contains("\"status\":\"FAILED\"")));
    }

    #[test]
    fn the_qr_code_is_shown_only_while_processing() {
        assert!(payment_biz(&qr_processing()).contains("\"action\":{\"type\":\"QR_CODE\""));
        let paid = PaymentView {
            status: status(PaymentState::Approved),
            ..qr_processing()
        };
        assert!(!payment_biz(&paid).contains("\"action\""));
    }

    #[test]
    fn amounts_follow_the_currency_exponent() {
        let yen = Money::from_minor(100, Currency::parse("JPY").expect("JPY")).expect("positive");
        let biz = payment_biz(&PaymentView {
            amount: yen,
            ..approved()
        });
        assert!(
            biz.contains("\"amount\":\"100\",\"currency\":\"JPY\""),
            "{biz}"
        );
    }

    #[test]
    fn void_reply_lists_its_fields_in_order() {
        let view = VoidView {
            merchant_void_id: "V-1".into(),
            merchant_transaction_id: "POS-1".into(),
            transaction_id: "260101093000123000001".into(),
            amount: cny(9000),
            status: STATUS_SUCCESS,
        };
        assert_eq!(
            void_biz(&view),
            r#"{"merchantVoidId":"V-1","merchantTransactionId":"POS-1","transactionId":"260101093000123000001","amount":"90.00","currency":"CNY","status":"SUCCESS"}"#
        );
    }

    #[test]
    fn error_replies_verify_too() {
        let body = reply(QUERY_OK, ERROR_BIZ.to_owned());
        assert_reply_verifies(&body);
    }

    #[test]
    fn only_a_2xx_without_fail_acknowledges() {
        let cases = [
            (200, "", true),
            (200, "OK", true),
            (204, "", true),
            (200, "SUCCESS", true),
            (200, "fail", true),
            (200, "FAIL", false),
            (200, " FAIL\r\n", false),
            (200, "\u{FEFF}FAIL", false),
            (299, "FAIL", false),
            (500, "OK", false),
            (302, "", false),
            (199, "OK", false),
        ];
        for (status, body, expected) in cases {
            assert_eq!(acknowledged(status, body), expected, "{status} {body:?}");
        }
    }
}
