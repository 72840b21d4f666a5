//! The rows the store reads and writes, in domain terms.

use tidegate_core::{DeclineReason, PaymentFlow, PaymentState};

/// A payment about to be recorded as `processing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// 21-digit payment id (primary key).
    pub payment_id: String,
    /// Merchant account.
    pub account: String,
    /// Terminal within the account.
    pub terminal: String,
    /// The merchant's order number.
    pub order_number: String,
    /// Dialect-neutral method: the wallet's storage name (`wechatpay`, `alipay`).
    pub method: String,
    /// Customer- or merchant-presented.
    pub flow: PaymentFlow,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The amount exactly as the merchant sent it (signatures cover these characters).
    pub amount_text: String,
    /// Merchant's free text, echoed in replies.
    pub order_notes: String,
    /// Where notices go, if the merchant asked for them.
    pub notice_url: Option<String>,
    /// The customer's one-time payment code, kept for acquirer queries; never shown unmasked.
    pub payment_code: Option<String>,
    /// The customer's code or wallet user, masked for display.
    pub payer_masked: Option<String>,
    /// Hex SHA-256 of the request's identifying fields: equal fingerprints mean a retry.
    pub fingerprint: String,
    /// The API dialect the payment arrived through (`oceanpayment`).
    pub dialect: String,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: i64,
    /// When an unfinished payment is closed, Unix milliseconds.
    pub expires_at_ms: Option<i64>,
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Everything recorded at creation.
    pub created: NewPayment,
    /// Current state.
    pub state: PaymentState,
    /// Why it was declined, cancelled or expired.
    pub decline_reason: Option<DeclineReason>,
    /// The acquirer's reference for the payment, once known.
    pub acquirer_ref: Option<String>,
    /// The QR payload to display, for merchant-presented payments.
    pub qr_payload: Option<String>,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: i64,
    /// Incremented by every state change.
    pub version: i64,
}

impl PaymentRecord {
    /// Shorthand for the payment id.
    pub fn payment_id(&self) -> &str {
        &self.created.payment_id
    }
}

/// What [`crate::Store::reserve_payment`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A new payment was recorded as `processing`.
    Created(PaymentRecord),
    /// The same request was seen before; this is its payment.
    Replay(PaymentRecord),
    /// Another request already paid (or is paying) this order with this method.
    Duplicate(PaymentRecord),
}

/// One state change of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The payment.
    pub payment_id: String,
    /// The state the caller saw; the change applies only if the payment is still in it.
    pub expected: PaymentState,
    /// The state after the change.
    pub new_state: PaymentState,
    /// What happened, for the event log (`acquirer_approved`, `expired`, ...).
    pub event: String,
    /// Set for declined, cancelled and expired payments.
    pub decline_reason: Option<DeclineReason>,
    /// Stored if `Some`; an existing value is kept if `None`.
    pub acquirer_ref: Option<String>,
    /// Stored if `Some`; an existing value is kept if `None`.
    pub qr_payload: Option<String>,
    /// When it happened, Unix milliseconds.
    pub at_ms: i64,
}

/// A terminal to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTerminal {
    /// Merchant account number.
    pub account: String,
    /// Terminal number.
    pub terminal: String,
    /// The merchant's display name (stored on the account row when it is created).
    pub merchant_name: String,
    /// The terminal's secureCode, encrypted by the caller (nonce + ciphertext); never plain.
    pub secure_code_sealed: Vec<u8>,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: i64,
}

/// A terminal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    /// Merchant account number.
    pub account: String,
    /// Terminal number.
    pub terminal: String,
    /// The merchant's display name.
    pub merchant_name: String,
    /// The sealed secureCode.
    pub secure_code_sealed: Vec<u8>,
    /// False once deactivated.
    pub active: bool,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: i64,
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The payment was not in the expected state; nothing was written.
    #[error("payment {} changed concurrently; now {:?}", .current.payment_id(), .current.state)]
    Conflict {
        /// The payment as it is now.
        current: Box<PaymentRecord>,
    },
    /// No row with that key.
    #[error("not found")]
    NotFound,
    /// A row with that key exists already.
    #[error("already exists")]
    AlreadyExists,
    /// The database failed or is unreachable; the write may not have happened.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}
