//! The Oceanpayment merchant API dialect: form-encoded requests, SHA-256 `signValue`, XML replies.
//!
//! A pay request flows through it in this order: [`Form::parse`] the body,
//! [`Credentials::from_form`], look the terminal up and [`verify`] the signature over
//! [`PAY_REQUEST_FIELDS`], then [`PayRequest::parse`]; answers are [`PaymentReply::encode`]d with
//! `payment_details` taken from [`codes`].

pub mod codes;
pub mod form;
pub mod pay;
pub mod reply;
pub mod sign;

pub use codes::{
    decline_details, error_details, field_wire_name, format_details, methods_name, payment_status,
    APPROVED, AWAITING_CUSTOMER, RESULT_UNKNOWN,
};
pub use form::Form;
pub use pay::{request_fingerprint, Credentials, PayRequest};
pub use reply::PaymentReply;
pub use sign::{
    sign, verify, BUSINESS_ORDERS_LIST_FIELDS, CARD_BINDING_FIELDS, CUSTOMS_FIELDS,
    HOSTED_PAY_REQUEST_FIELDS, OFFLINE_VOID_FIELDS, ORDER_QUERY_FIELDS, PAYMENT_RESULT_FIELDS,
    PAY_REQUEST_FIELDS, PRE_AUTH_FIELDS, QUERY_ORDERS_LIST_FIELDS, REFUND_FIELDS,
    REFUND_QUERY_FIELDS,
};
