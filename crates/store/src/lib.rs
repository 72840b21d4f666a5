//! Tidegate's storage: the [`Store`] trait and its backends. All SQL lives in this crate.
//!
//! Every write that changes a payment is one transaction holding the payment row and its event
//! row, committed (fsynced) before the call returns, so a reply built from the result never
//! reports a state that a crash could lose.

mod records;
pub mod sqlite;

pub use records::{
    NewPayment, NewTerminal, PaymentRecord, Reservation, StateChange, StoreError, TerminalRecord,
};

use async_trait::async_trait;

/// The durable home of merchants, terminals and payments.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records a new payment as `processing`, atomically with the idempotency and duplicate rules:
    ///
    /// 1. a payment of the same account, terminal and order number with the same request
    ///    fingerprint already exists: [`Reservation::Replay`] with the newest such payment;
    /// 2. else a payment of the same account, terminal, order number and method that is
    ///    `processing`, `pending`, or `approved` and created at or after `duplicate_since_ms`
    ///    exists: [`Reservation::Duplicate`] with it;
    /// 3. else the payment and its `created` event are inserted: [`Reservation::Created`].
    ///
    /// Concurrent calls for the same order behave as if run one after another.
    async fn reserve_payment(
        &self,
        payment: NewPayment,
        duplicate_since_ms: i64,
    ) -> Result<Reservation, StoreError>;

    /// Moves a payment from `change.expected` to `change.new_state` and appends the event row,
    /// in one transaction. If the payment is no longer in `change.expected` nothing is written
    /// and [`StoreError::Conflict`] carries the payment as it now is.
    async fn apply_change(&self, change: StateChange) -> Result<PaymentRecord, StoreError>;

    /// One payment by id.
    async fn payment(&self, payment_id: &str) -> Result<Option<PaymentRecord>, StoreError>;

    /// Payments that are `processing` or `pending`, oldest first, at most `limit`.
    async fn open_payments(&self, limit: usize) -> Result<Vec<PaymentRecord>, StoreError>;

    /// Number of payments in each state name, for health and accounting checks.
    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Adds a terminal (creating its merchant account row if needed).
    /// [`StoreError::AlreadyExists`] if the account/terminal pair exists.
    async fn add_terminal(&self, terminal: NewTerminal) -> Result<TerminalRecord, StoreError>;

    /// One terminal by account and terminal number.
    async fn terminal(
        &self,
        account: &str,
        terminal: &str,
    ) -> Result<Option<TerminalRecord>, StoreError>;

    /// Every terminal, for warming the in-memory cache.
    async fn terminals(&self) -> Result<Vec<TerminalRecord>, StoreError>;
}
