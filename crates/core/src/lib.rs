//! Tidegate's domain model: pure types and rules, no I/O and no async.
//!
//! Everything a payment *is* lives here: [`Money`] in integer minor units, [`Currency`] with its
//! ISO 4217 exponent, the wallet [`AuthCode`] a till scans, the [`PaymentState`] machine and the
//! [`ErrorKind`] catalogue that each wire dialect maps to its own codes.

pub mod currency;
pub mod error;
pub mod ids;
pub mod money;
pub mod payment;
pub mod refund;
pub mod wallet;

pub use currency::Currency;
pub use error::{DeclineReason, ErrorKind, Field, GatewayError};
pub use ids::PaymentId;
pub use money::{AmountError, Money};
pub use payment::{PaymentEvent, PaymentFlow, PaymentState, Presentment, TransitionError};
pub use refund::RefundState;
pub use wallet::{AuthCode, AuthCodeError, Wallet};
