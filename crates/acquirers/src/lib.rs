//! Acquirer connectors: the [`Acquirer`] trait the engine calls, and the [`sandbox`] acquirer.
//!
//! An acquirer is whatever actually moves the money (a wallet's merchant API, a card acquirer,
//! an upstream gateway). The engine sees only this trait, so the sandbox is an acquirer like any
//! other and the engine has no test-mode branches.

pub mod sandbox;

use async_trait::async_trait;
use tidegate_core::{DeclineReason, PaymentFlow, Wallet};

/// What the acquirer needs to know about a payment. Queries carry the same facts, so an
/// acquirer can be asked about a payment whose first call never returned.
#[derive(Debug, Clone, Copy)]
pub struct AcquirerPayment<'a> {
    /// Tidegate's payment id: the merchant order reference sent to the acquirer.
    pub payment_id: &'a str,
    /// The wallet that pays.
    pub wallet: Wallet,
    /// Customer- or merchant-presented.
    pub flow: PaymentFlow,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// The customer's one-time payment code (customer-presented only).
    pub payment_code: Option<&'a str>,
    /// When Tidegate recorded the payment, Unix milliseconds.
    pub created_at_ms: i64,
    /// The acquirer's own reference, once it gave one.
    pub acquirer_ref: Option<&'a str>,
}

/// The acquirer's answer about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcquirerOutcome {
    /// Paid.
    Approved {
        /// The acquirer's reference.
        acquirer_ref: String,
    },
    /// Refused.
    Declined {
        /// Why.
        reason: DeclineReason,
        /// The acquirer's reference, if it gave one.
        acquirer_ref: Option<String>,
    },
    /// The customer cancelled (declined the PIN prompt, refused the QR payment).
    Cancelled {
        /// The acquirer's reference.
        acquirer_ref: String,
    },
    /// Not final yet: the customer has to act (enter a PIN, scan a QR code).
    AwaitingCustomer {
        /// The acquirer's reference.
        acquirer_ref: String,
        /// For merchant-presented payments, the QR payload the till displays.
        qr_payload: Option<String>,
    },
}

/// The acquirer could not give an answer; the payment's outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcquirerError {
    /// No answer in time. The acquirer may or may not have acted on the call.
    #[error("acquirer did not answer in time")]
    Timeout,
    /// The acquirer answered with something the connector cannot interpret, or is down.
    #[error("acquirer unavailable: {0}")]
    Unavailable(String),
}

/// What closing an unfinished payment at the acquirer achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOutcome {
    /// The payment can no longer succeed.
    Closed,
    /// Too late: the customer had already paid.
    AlreadyPaid {
        /// The acquirer's reference.
        acquirer_ref: String,
    },
}

/// A refund the acquirer is asked to make.
#[derive(Debug, Clone, Copy)]
pub struct AcquirerRefund<'a> {
    /// Tidegate's refund id: the refund reference sent to the acquirer.
    pub refund_id: &'a str,
    /// Amount in the payment's minor units.
    pub amount_minor: i64,
}

/// The acquirer's verdict on a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// The customer was refunded.
    Succeeded {
        /// The acquirer's reference.
        acquirer_ref: String,
    },
    /// The acquirer refused the refund.
    Failed {
        /// Why.
        reason: DeclineReason,
    },
}

/// A payment network connector.
#[async_trait]
pub trait Acquirer: Send + Sync + 'static {
    /// A short name for logs and metrics.
    fn name(&self) -> &'static str;

    /// Charges a customer-presented payment code.
    async fn authorize(
        &self,
        payment: AcquirerPayment<'_>,
    ) -> Result<AcquirerOutcome, AcquirerError>;

    /// Creates a merchant-presented order and returns the QR payload to display.
    async fn create_qr_order(
        &self,
        payment: AcquirerPayment<'_>,
    ) -> Result<AcquirerOutcome, AcquirerError>;

    /// Asks where a payment stands now.
    async fn query(&self, payment: AcquirerPayment<'_>) -> Result<AcquirerOutcome, AcquirerError>;

    /// Closes an unfinished payment so that it can no longer succeed.
    async fn close(&self, payment: AcquirerPayment<'_>) -> Result<CloseOutcome, AcquirerError>;

    /// Reverses a paid payment in full (a same-day cancellation, not a refund).
    async fn reverse(&self, payment: AcquirerPayment<'_>) -> Result<(), AcquirerError>;

    /// Refunds part or all of a paid payment. Calling again with the same refund id must not
    /// refund twice.
    async fn refund(
        &self,
        payment: AcquirerPayment<'_>,
        refund: AcquirerRefund<'_>,
    ) -> Result<RefundOutcome, AcquirerError>;

    /// Asks where a refund stands (after a crash or an unanswered refund call).
    async fn query_refund(
        &self,
        payment: AcquirerPayment<'_>,
        refund: AcquirerRefund<'_>,
    ) -> Result<RefundOutcome, AcquirerError>;
}
