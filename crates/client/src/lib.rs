//! Tidegate's merchant SDK: what a till or a shop back-end needs to take in-person wallet
//! payments through a Tidegate gateway (or any gateway speaking the same dialects).
//!
//! - [`oceanpayment`]: typed, signed requests for the Oceanpayment dialect (pay, order query,
//!   refund, refund query, offline void), replies whose signature is verified before they are
//!   returned, and notice verification.
//! - [`pingpong`]: the same for the PingPong Checkout v4 dialect (unifiedPay, query, refund,
//!   refund query, void, void query).
//! - [`till`]: the protocol WeChat Pay and Alipay require of a till: pay, poll the order while
//!   it is pending, void it when time runs out, retry the void until it is definitive.
//!
//! An answer whose signature does not verify is an error ([`ClientError::BadSignature`]),
//! never a result; a refusal the gateway could not sign because it could not authenticate the
//! request is [`ClientError::Refused`], with the gateway's code.
//!
//! Requests go over HTTP or HTTPS (rustls). See `examples/notice_handler.rs` for a notice
//! receiver that verifies and acknowledges notices.

mod error;
mod http;
pub mod oceanpayment;
pub mod pingpong;
pub mod till;
mod xml;

pub use error::ClientError;
pub use http::DEFAULT_TIMEOUT;
