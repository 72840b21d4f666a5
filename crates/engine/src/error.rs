//! What the engine can answer instead of a payment.

use tidegate_core::ErrorKind;
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
    /// A business rule refuses the operation; nothing changed.
    #[error("refused: {}", .0.code())]
    Refused(ErrorKind),
    /// A terminal with that account and number exists already.
    #[error("terminal already exists")]
    TerminalExists,
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
            StoreError::HasRefunds => EngineError::Refused(ErrorKind::PaymentHasRefunds),
            StoreError::Unavailable(message) => EngineError::Unavailable(message),
        }
    }
}
