//! What the engine can answer instead of a payment.

use tidegate_store::{PaymentRecord, StoreError};

/// Why an engine operation did not produce a payment.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The order number already has a successful or open payment with this method.
    #[error("duplicate order; existing payment {}", .existing.payment_id())]
    DuplicateOrder {
        /// The payment that holds the order number.
        existing: Box<PaymentRecord>,
    },
    /// No such payment or terminal.
    #[error("not found")]
    NotFound,
    /// A terminal with that account and number exists already.
    #[error("terminal already exists")]
    TerminalExists,
    /// The operation does not apply to the payment in its current state.
    #[error("payment {payment_id} is {state}; {operation} does not apply")]
    NotApplicable {
        /// The payment.
        payment_id: String,
        /// Its state's name.
        state: &'static str,
        /// What was asked.
        operation: &'static str,
    },
    /// A stored secret could not be decrypted with the configured master key.
    #[error("cannot decrypt the secret of terminal {0}: wrong master key?")]
    SecretUnreadable(String),
    /// Storage failed; nothing the caller can rely on was recorded.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => EngineError::NotFound,
            StoreError::AlreadyExists => EngineError::TerminalExists,
            StoreError::Conflict { current } => EngineError::Unavailable(format!(
                "unexpected concurrent change of payment {}",
                current.payment_id()
            )),
            StoreError::Unavailable(message) => EngineError::Unavailable(message),
        }
    }
}
