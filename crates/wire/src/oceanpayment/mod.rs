//! The Oceanpayment merchant API dialect: form-encoded requests, SHA-256 `signValue`, XML replies.
//!
//! Every request flows through it in this order: [`Form::parse`] the body,
//! [`Credentials::from_form`], look the terminal up and [`verify`] the signature over the call's
//! field list, then the call's parser, which checks the credentials again and every other field:
//!
//! | call | signed over | parser | reply |
//! |------|-------------|--------|-------|
//! | `gateway/directservice/pay` | [`PAY_REQUEST_FIELDS`] | [`PayRequest::parse`] | [`PaymentReply`] |
//! | `service/check/normal` | [`ORDER_QUERY_FIELDS`] | [`OrderQueryRequest::parse`] | [`encode_order_query`], [`encode_query_refusal`] |
//! | `service/applyRefund` | [`REFUND_FIELDS`] | [`RefundRequest::parse`] | [`RefundReply`] |
//! | `service/queryRefund` | [`REFUND_QUERY_FIELDS`] | [`RefundQueryRequest::parse`] | [`RefundQueryReply`] |
//! | `gateway/service/auth` | [`OFFLINE_VOID_FIELDS`] (`payment_authType=3`) | [`OfflineVoidRequest::parse`] | [`AuthReply`] |
//!
//! Refusals carry `code:message` details from [`codes`]. Notices to the merchant's `noticeUrl`
//! are [`PaymentReply`] (transactions) and [`BusinessNotice`] (refunds); see [`notice`].

pub mod auth;
pub mod codes;
pub mod form;
pub mod notice;
pub mod pay;
pub mod query;
pub mod refund;
pub mod reply;
mod rules;
pub mod sign;
mod xml;

pub use auth::{AuthReply, OfflineVoidRequest, OFFLINE_VOID};
pub use codes::{
    decline_details, error_details, field_wire_name, format_details, methods_name, payment_status,
    refund_status, APPROVED, AWAITING_CUSTOMER, RESULT_UNKNOWN, VOIDED,
};
pub use form::Form;
pub use notice::{acknowledged, refund_notice_type, BusinessNotice};
pub use pay::{request_fingerprint, Credentials, PayRequest};
pub use query::{
    encode_order_query, encode_query_refusal, OrderQueryRequest, PaymentInfo, MAX_QUERY_ORDERS,
};
pub use refund::{
    refund_check, refund_check_description, RefundQueryReply, RefundQueryRequest, RefundReply,
    RefundRequest, REFUND_ACCEPTED, REFUND_REFUSED,
};
pub use reply::PaymentReply;
pub use sign::{
    sign, verify, AUTH_REPLY_FIELDS, BUSINESS_NOTICE_FIELDS, BUSINESS_ORDERS_LIST_FIELDS,
    CARD_BINDING_FIELDS, CUSTOMS_FIELDS, HOSTED_PAY_REQUEST_FIELDS, OFFLINE_VOID_FIELDS,
    ORDER_QUERY_FIELDS, PAYMENT_RESULT_FIELDS, PAY_REQUEST_FIELDS, PRE_AUTH_FIELDS,
    QUERY_ORDERS_LIST_FIELDS, QUERY_RESULT_FIELDS, REFUND_FIELDS, REFUND_QUERY_FIELDS,
    REFUND_QUERY_REPLY_FIELDS, REFUND_REPLY_FIELDS,
};
