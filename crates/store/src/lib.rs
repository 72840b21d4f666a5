//! Tidegate's storage: the [`Store`] trait and its backends. All SQL lives in this crate.
//!
//! Every write that changes a payment is one transaction holding the payment row and its event
//! row, committed (fsynced) before the call returns, so a reply built from the result never
//! reports a state that a crash could lose.

mod records;
pub mod sqlite;

pub use records::{
    DuplicateRule, NewNotice, NewPayment, NewRefund, NewTerminal, NoticeAttempt,
    NoticeAttemptRecord, NoticeNext, NoticeRecord, NoticeStatus, PaymentRecord, RefundCompletion,
    RefundRecord, RefundRefusal, RefundReservation, Reservation, StateChange, StoreError,
    TerminalRecord,
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
    ///
    /// A voided payment is never replayed: the merchant closed it on purpose, so an identical
    /// request after a void starts a new payment.
    async fn reserve_payment(
        &self,
        payment: NewPayment,
        duplicate_since_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let rule = DuplicateRule {
            since_ms: duplicate_since_ms,
            per_method: true,
        };
        self.reserve_payment_with(payment, rule).await
    }

    /// [`Store::reserve_payment`] with the duplicate rule spelled out: with
    /// `rule.per_method` false, step 2 counts payments of any method.
    async fn reserve_payment_with(
        &self,
        payment: NewPayment,
        rule: DuplicateRule,
    ) -> Result<Reservation, StoreError>;

    /// Records that an approved payment is to be reversed in full, so that no refund can be
    /// recorded any more; moving it to `voided` ends the reversal. [`StoreError::NotFound`] for
    /// no such payment, [`StoreError::Conflict`] if it is not `approved`,
    /// [`StoreError::HasRefunds`] if it has `processing` or `succeeded` refunds. Asking twice
    /// is harmless.
    async fn request_reversal(
        &self,
        payment_id: &str,
        at_ms: i64,
    ) -> Result<PaymentRecord, StoreError>;

    /// Approved payments whose reversal was asked for and is not finished, oldest first.
    async fn reversing_payments(&self, limit: usize) -> Result<Vec<PaymentRecord>, StoreError>;

    /// Moves a payment from `change.expected` to `change.new_state`, appends the event row and
    /// inserts `change.notices` (status pending, due at their `created_at_ms`), in one
    /// transaction. If the payment is no longer in `change.expected` nothing is written and
    /// [`StoreError::Conflict`] carries the payment as it now is. Moving an `approved` payment
    /// to `voided` while it has `processing` or `succeeded` refunds writes nothing and fails with
    /// [`StoreError::HasRefunds`].
    async fn apply_change(&self, change: StateChange) -> Result<PaymentRecord, StoreError>;

    /// Payments of one order on one terminal, newest first.
    async fn payments_by_order(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<Vec<PaymentRecord>, StoreError>;

    /// Records a refund as `processing`, atomically with its rules, in this order:
    /// 1. `refund_number` is set and the payment already has a refund with it:
    ///    [`RefundReservation::Replay`] with that refund (whatever its amount);
    /// 2. no such payment: `Refused(PaymentNotFound)`; not `approved`, or being reversed:
    ///    `Refused(NotRefundable)`;
    /// 3. let `held` = the sum of the payment's `processing` and `succeeded` refunds;
    ///    `full` and (`held` > 0 or amount ≠ payment amount): `Refused(FullAmountMismatch)`;
    ///    `held` + amount > payment amount: `Refused(ExceedsRefundable)`;
    /// 4. else the refund is inserted: [`RefundReservation::Created`].
    ///
    /// Concurrent calls behave as if run one after another, so refunds never exceed the amount.
    async fn reserve_refund(&self, refund: NewRefund) -> Result<RefundReservation, StoreError>;

    /// Moves a `processing` refund to its final state and inserts `completion.notices`, in one
    /// transaction. A refund that is no longer `processing` is returned unchanged.
    /// [`StoreError::NotFound`] if there is no such refund.
    async fn complete_refund(
        &self,
        completion: RefundCompletion,
    ) -> Result<RefundRecord, StoreError>;

    /// One refund by id.
    async fn refund(&self, refund_id: &str) -> Result<Option<RefundRecord>, StoreError>;

    /// A payment's refunds, oldest first.
    async fn refunds_of_payment(&self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError>;

    /// Refunds still `processing`, oldest first, at most `limit` (for recovery after a crash).
    async fn open_refunds(&self, limit: usize) -> Result<Vec<RefundRecord>, StoreError>;

    /// Claims up to `limit` pending notices due at `now_ms` (oldest due first) by pushing their
    /// `next_attempt_at_ms` to `now_ms + lease_ms`, so no other worker or node claims them while
    /// this one delivers; a claim that is never settled lapses and the notice is claimed again.
    async fn claim_due_notices(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<NoticeRecord>, StoreError>;

    /// Records one attempt (appending it with the next attempt number), increments `attempts`,
    /// and applies `next`: `Delivered` sets status and `delivered_at_ms`; `RetryAt` keeps it
    /// pending and due then; `GiveUp` sets `given_up`. The attempt's error or HTTP status becomes
    /// `last_error` on failure. [`StoreError::NotFound`] if there is no such notice.
    async fn record_notice_attempt(
        &self,
        attempt: NoticeAttempt,
        next: NoticeNext,
    ) -> Result<NoticeRecord, StoreError>;

    /// One notice by id.
    async fn notice(&self, notice_id: &str) -> Result<Option<NoticeRecord>, StoreError>;

    /// A payment's notices, oldest first.
    async fn notices_of_payment(&self, payment_id: &str) -> Result<Vec<NoticeRecord>, StoreError>;

    /// A notice's attempts, first first.
    async fn notice_attempts(
        &self,
        notice_id: &str,
    ) -> Result<Vec<NoticeAttemptRecord>, StoreError>;

    /// Makes a notice pending and due at `now_ms` again, whatever its status (attempts are
    /// kept). [`StoreError::NotFound`] if there is no such notice.
    async fn resend_notice(&self, notice_id: &str, now_ms: i64)
        -> Result<NoticeRecord, StoreError>;

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
