//! Oceanpayment's `signValue`: SHA-256 over field values concatenated in a fixed per-call order,
//! with the terminal's `secureCode` appended last. No separators, no field names, not an HMAC.
//!
//! Absent fields count as empty strings and values are hashed exactly as sent (`"90"` and
//! `"90.00"` sign differently). The real gateway emits upper-case hex; merchants send either
//! case, so verification ignores case.
//!
//! The field lists below are in signing order and leave out the trailing `secureCode`.
//!
//! Oceanpayment publishes no formula for the signatures of its order-management replies and
//! business-event notices. For those ([`QUERY_RESULT_FIELDS`], [`REFUND_REPLY_FIELDS`],
//! [`REFUND_QUERY_REPLY_FIELDS`], [`AUTH_REPLY_FIELDS`], [`BUSINESS_NOTICE_FIELDS`]) the lists
//! are Tidegate's own choice: the identifying fields of the reply and its outcome, in element
//! order, built the same way as the published ones. They are part of Tidegate's wire contract.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Direct and in-person pay requests (`gateway/direct/pay`, `gateway/directservice/pay`).
pub const PAY_REQUEST_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "billing_firstName",
    "billing_lastName",
    "billing_email",
];

/// Hosted pay requests (`gateway/service/pay`, `gateway/service/sendTrade`): as direct, plus `backUrl`.
pub const HOSTED_PAY_REQUEST_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "backUrl",
    "order_number",
    "order_currency",
    "order_amount",
    "billing_firstName",
    "billing_lastName",
    "billing_email",
];

/// Payment results: synchronous pay replies, browser returns and transaction notices.
pub const PAYMENT_RESULT_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "order_notes",
    "card_number",
    "payment_id",
    "payment_authType",
    "payment_status",
    "payment_details",
    "payment_risk",
];

/// Order status query (`/service/check/normal`).
pub const ORDER_QUERY_FIELDS: &[&str] = &["account", "terminal", "order_number"];

/// Successful orders in a date range (`/service/QueryOrdersList`).
pub const QUERY_ORDERS_LIST_FIELDS: &[&str] =
    &["account", "terminal", "order_beginDate", "order_endDate"];

/// Business events in a date range (`/service/BusinessOrdersList`).
pub const BUSINESS_ORDERS_LIST_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_beginDate",
    "order_endDate",
    "pages",
];

/// Refund request (`/service/applyRefund`); `refund_number` is optional and then empty.
pub const REFUND_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "payment_id",
    "refund_number",
    "refund_type",
    "refund_amount",
    "refund_description",
];

/// Refund status query (`/service/queryRefund`).
pub const REFUND_QUERY_FIELDS: &[&str] = &["account", "terminal", "refund_id"];

/// Pre-authorisation capture or void by payment id (`/gateway/service/auth`).
pub const PRE_AUTH_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "payment_id",
    "payment_authType",
    "order_amount",
];

/// Void of an offline `WeChat Pay` / Alipay order by order number (`/gateway/service/auth`, `payment_authType=3`).
pub const OFFLINE_VOID_FIELDS: &[&str] =
    &["account", "terminal", "order_number", "payment_authType"];

/// Customs declaration (`/gateway/service/customsUpload`).
pub const CUSTOMS_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "payment_id",
    "type",
    "pay_userId",
    "pay_userName",
];

/// Hosted card binding that creates a `QuickPay` id (`/gateway/service/create`).
pub const CARD_BINDING_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "customer_id",
    "backUrl",
    "billing_firstName",
    "billing_lastName",
    "billing_email",
];

/// Each `paymentInfo` of an order query reply (Tidegate's choice; see the module docs).
pub const QUERY_RESULT_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "order_notes",
    "payment_id",
    "payment_results",
    "payment_details",
];

/// Refund replies (Tidegate's choice; see the module docs).
pub const REFUND_REPLY_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "payment_id",
    "refund_number",
    "refund_id",
    "refund_results",
];

/// Refund status query replies (Tidegate's choice; see the module docs).
pub const REFUND_QUERY_REPLY_FIELDS: &[&str] =
    &["account", "terminal", "refund_id", "refund_check"];

/// `/gateway/service/auth` replies (Tidegate's choice; see the module docs).
pub const AUTH_REPLY_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_number",
    "payment_id",
    "payment_authType",
    "payment_status",
    "payment_details",
];

/// Business-event notices such as refunds (Tidegate's choice; see the module docs): what
/// identifies the event and its outcome.
pub const BUSINESS_NOTICE_FIELDS: &[&str] = &[
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "payment_id",
    "notice_type",
    "push_status",
    "push_id",
];

/// Upper-case hex SHA-256 of `parts` concatenated, then `secure_code`.
pub fn sign(parts: &[&str], secure_code: &str) -> String {
    hex::encode_upper(digest(parts, secure_code))
}

/// True when `sign_value` (either case) is the signature of `parts`; compared in constant time.
pub fn verify(sign_value: &str, parts: &[&str], secure_code: &str) -> bool {
    let mut claimed = [0_u8; 32];
    if sign_value.len() != 64 || hex::decode_to_slice(sign_value, &mut claimed).is_err() {
        return false;
    }
    claimed.ct_eq(&digest(parts, secure_code)).into()
}

fn digest(parts: &[&str], secure_code: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hasher.update(secure_code.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn signs_in_upper_case_without_separators() {
        let joined = sign(&["995378", "99537801", "ae866"], "12345678");
        let split = sign(&["99", "537899537801ae", "866"], "12345678");
        assert_eq!(
            joined,
            "2E27426CA627E4734CA9C43BD18E593C4AF1848688486A3C167D39F7F75CF7B2"
        );
        assert_eq!(joined, split);
    }

    #[test]
    fn refuses_signatures_that_are_not_64_hex_digits() {
        let good = sign(&["a"], "k");
        assert!(verify(&good, &["a"], "k"));
        assert!(!verify(&good[..63], &["a"], "k"));
        assert!(!verify(&format!("{good}0"), &["a"], "k"));
        assert!(!verify(&format!("{}g", &good[..63]), &["a"], "k"));
        assert!(!verify("", &["a"], "k"));
    }

    #[test]
    fn the_secure_code_matters() {
        let value = sign(&["a"], "k1");
        assert!(!verify(&value, &["a"], "k2"));
    }

    proptest! {
        #[test]
        fn signing_then_verifying_round_trips(
            parts in proptest::collection::vec("\\PC{0,16}", 0..8),
            secure_code in "\\PC{0,16}",
        ) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let value = sign(&parts, &secure_code);
            prop_assert!(verify(&value, &parts, &secure_code));
            prop_assert!(verify(&value.to_lowercase(), &parts, &secure_code));
        }

        #[test]
        fn verifying_never_panics(sign_value in "\\PC{0,80}", part in "\\PC{0,16}") {
            let _ = verify(&sign_value, &[&part], "12345678");
        }

        #[test]
        fn verifying_hex_of_the_right_length_never_panics(sign_value in "[0-9a-fA-F]{64}") {
            let _ = verify(&sign_value, &[], "");
        }
    }
}
