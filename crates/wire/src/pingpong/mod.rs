//! The PingPong Checkout v4 dialect: JSON envelopes signed with SHA-256 or MD5 over sorted
//! `key=value` pairs, business parameters in a JSON string `bizContent`, six-digit reply codes.
//!
//! Every call is `POST`, `Content-Type: application/json`, and flows through it in this order:
//!
//! 1. [`Envelope::parse`] the body;
//! 2. look the store up by `accId`, check [`client_id_matches`], then [`Envelope::verify`] with
//!    the store's salt (refusals: `UnknownTerminal` 103000, `BadSignature` 104000);
//! 3. the call's parser over `envelope.biz_content`;
//! 4. answer with a [`ReplyEnvelope`] echoing the request's `accId`, `clientId` and `signType`,
//!    signed with the same salt.
//!
//! | path | parser | reply `code` | reply `bizContent` |
//! |------|--------|--------------|--------------------|
//! | [`UNIFIED_PAY_PATH`] | [`UnifiedPayRequest::parse`] | [`payment_result_code`] | [`payment_biz`] |
//! | [`QUERY_PATH`] | [`QueryRequest::parse`] | [`QUERY_OK`] | [`payment_biz`] |
//! | [`REFUND_PATH`] | [`RefundRequest::parse`] | [`refund_result_code`] | [`refund_biz`] |
//! | [`REFUND_QUERY_PATH`] | [`RefundQueryRequest::parse`] | [`QUERY_OK`] | [`refund_biz`] |
//! | [`VOID_PATH`] | [`VoidRequest::parse`] | [`SUCCESS`] | [`void_biz`] |
//! | [`VOID_QUERY_PATH`] | [`VoidQueryRequest::parse`] | [`QUERY_OK`] | [`void_biz`] |
//!
//! Refusals answer [`error_code`] with [`ERROR_BIZ`]. A caller that could not be authenticated
//! (a body that does not parse, an unknown store, a `clientId` that does not match, a bad
//! signature) gets an unsigned reply: [`ReplyEnvelope::encode`] with an empty salt.
//! Notifications to `notificationUrl` are [`NotificationEnvelope`]s around
//! [`payment_notification_biz`] or [`refund_notification_biz`]; a delivery counts only when
//! [`acknowledged`].
//!
//! What PingPong documents and Tidegate follows: the envelope and signature, the paths, the
//! statuses, the code list, the offline `paymentMethod.type` names and their currencies, the
//! notification types and their acknowledgement. Where PingPong documents nothing, the choice
//! is Tidegate's own and part of its wire contract:
//!
//! - bodies and `bizContent` with a repeated key are refused (`MalformedRequest`), and so is
//!   any top-level value that is not a string, `null` included;
//! - a missing `version` is `MissingField(Other)`;
//! - identifiers must be JSON strings; amounts, `timeExpire` and `captureDelayHours` may also
//!   be numbers, read through their shortest decimal form;
//! - only `captureDelayHours` `0` is offered; voids are of the whole payment;
//! - notification URLs carry no query or fragment (PingPong's own rule for its merchants);
//! - reply times are epoch milliseconds as strings; `qrCodeExpired` likewise;
//! - error replies carry `{}` as `bizContent`; unauthenticated callers get `sign` empty;
//! - the error descriptions, the 102000 family for every malformed request, 107001 for a
//!   missing refund or void, 105000 for a voided payment, 300000 for a refused refund (see
//!   [`codes`]).
//!
//! Idempotency, as PingPong defines it: one `requestId` is one payment attempt. A unifiedPay
//! repeating a known `requestId` on the same order ([`UnifiedPayRequest::fingerprint`] is
//! the requestId's hash) is answered from the stored payment, whatever else it carries; a new
//! `requestId` for an order that already has a successful or open payment is
//! `DuplicateOrder` (107000). A `FAILED` or `CLOSED` attempt leaves the order payable again
//! under a new `requestId`. Refunds are keyed by `merchantRefundId`, voids by
//! `merchantVoidId`.

pub mod codes;
pub mod envelope;
pub mod replies;
pub mod requests;
mod rules;
pub mod sign;

pub use codes::{
    decline_code, error_code, field_wire_name, payment_result_code, refund_result_code, CLOSED,
    PROCESSING, QUERY_OK, REFUND_FAILED, SUCCESS,
};
pub use envelope::{
    client_id_matches, Envelope, NotificationEnvelope, ReplyEnvelope, SignType, MAX_BIZ_CONTENT,
    VERSION,
};
pub use replies::{
    acknowledged, payment_biz, payment_notification_biz, refund_biz, refund_notification_biz,
    refund_status, status, void_biz, PaymentView, RefundView, VoidView, ERROR_BIZ, STATUS_CLOSED,
    STATUS_FAILED, STATUS_PROCESSING, STATUS_SUCCESS,
};
pub use requests::{
    QueryRequest, RefundQueryRequest, RefundRequest, UnifiedPayRequest, VoidQueryRequest,
    VoidRequest,
};
pub use sign::{sign, verify, SIGN_FIELD};

/// Pay for an order: customer-presented code or merchant-presented QR.
pub const UNIFIED_PAY_PATH: &str = "/v4/payment/unifiedPay";
/// Query a payment by `transactionId` or `merchantTransactionId`.
pub const QUERY_PATH: &str = "/v4/payment/query";
/// Refund part or all of an approved payment.
pub const REFUND_PATH: &str = "/v4/payment/refund";
/// Query a refund.
pub const REFUND_QUERY_PATH: &str = "/v4/refund/query";
/// Void a payment: close it unpaid, or reverse it in full.
pub const VOID_PATH: &str = "/v4/payment/void";
/// Query a void.
pub const VOID_QUERY_PATH: &str = "/v4/void/query";
