//! The rows the store reads and writes, in domain terms.

use tidegate_core::{DeclineReason, PaymentFlow, PaymentState, RefundState};

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
    /// The customer's one-time payment code, kept for acquirer queries while the payment is
    /// open and erased when it becomes final; never shown unmasked.
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
    /// What the dialect must echo later and has no column of its own (opaque text, e.g. a
    /// small JSON object); empty for dialects that need nothing.
    pub dialect_data: String,
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
    /// Notices to deliver because of this change, written in the same transaction (outbox).
    pub notices: Vec<NewNotice>,
}

/// A notice to deliver to a merchant (an outbox row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// Unique id, also the notice's stable event id.
    pub notice_id: String,
    /// The payment it is about.
    pub payment_id: String,
    /// The refund it is about, for refund notices.
    pub refund_id: Option<String>,
    /// What it reports: `transaction` (a payment's state) or `refund`.
    pub kind: String,
    /// The dialect that encodes it (`oceanpayment`).
    pub dialect: String,
    /// Where it is POSTed.
    pub url: String,
    /// Creation time, Unix milliseconds; the first attempt is due then.
    pub created_at_ms: i64,
    /// For transaction notices, the storage name of the payment state being reported (the state
    /// the change produced, whatever the payment is in when the notice is delivered); empty for
    /// refund notices.
    pub reported_state: String,
}

/// How far the duplicate-order rule reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateRule {
    /// Only payments created at or after this time (Unix ms) count.
    pub since_ms: i64,
    /// Only payments with the same method count (Oceanpayment's rule); otherwise any open or
    /// approved payment of the order does (PingPong's).
    pub per_method: bool,
}

/// Delivery state of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeStatus {
    /// Not acknowledged yet; attempted when `next_attempt_at_ms` has come.
    Pending,
    /// The merchant acknowledged it.
    Delivered,
    /// Every scheduled attempt failed; kept for inspection and resending.
    GivenUp,
}

impl NoticeStatus {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStatus::Pending => "pending",
            NoticeStatus::Delivered => "delivered",
            NoticeStatus::GivenUp => "given_up",
        }
    }

    /// The inverse of [`NoticeStatus::as_str`].
    pub fn from_str_opt(name: &str) -> Option<NoticeStatus> {
        [
            NoticeStatus::Pending,
            NoticeStatus::Delivered,
            NoticeStatus::GivenUp,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

/// A notice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    /// Everything recorded at creation.
    pub created: NewNotice,
    /// Delivery state.
    pub status: NoticeStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due (or, while claimed, when the claim lapses), Unix ms.
    pub next_attempt_at_ms: i64,
    /// When it was acknowledged.
    pub delivered_at_ms: Option<i64>,
    /// What went wrong on the last failed attempt.
    pub last_error: Option<String>,
}

/// One delivery attempt, as it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeAttempt {
    /// The notice.
    pub notice_id: String,
    /// When the request was sent, Unix milliseconds.
    pub at_ms: i64,
    /// The merchant's HTTP status, if it answered.
    pub http_status: Option<u16>,
    /// The first bytes of the merchant's answer (at most 256 characters).
    pub body_prefix: String,
    /// How long the attempt took.
    pub latency_ms: i64,
    /// Transport failure (refused, timeout, address not allowed), if any.
    pub error: Option<String>,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeNext {
    /// Acknowledged: done.
    Delivered,
    /// Not acknowledged: try again at this time (Unix ms).
    RetryAt(i64),
    /// Not acknowledged and the schedule is exhausted.
    GiveUp,
}

/// A recorded attempt with its number (1 for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeAttemptRecord {
    /// 1-based attempt number within the notice.
    pub attempt_no: i64,
    /// The attempt.
    pub attempt: NoticeAttempt,
}

/// A refund about to be recorded as `processing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// Tidegate's refund id (21 digits, primary key).
    pub refund_id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// The merchant's own refund id; a repeat for the same payment replays the refund.
    pub refund_number: Option<String>,
    /// Amount in the payment's minor units.
    pub amount_minor: i64,
    /// The amount exactly as the merchant sent it.
    pub amount_text: String,
    /// A full refund must be of the whole amount with nothing refunded before.
    pub full: bool,
    /// The merchant's reason.
    pub description: String,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: i64,
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// Everything recorded at creation.
    pub created: NewRefund,
    /// Current state.
    pub state: RefundState,
    /// Why the acquirer refused it.
    pub decline_reason: Option<DeclineReason>,
    /// The acquirer's reference for the refund.
    pub acquirer_ref: Option<String>,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: i64,
}

/// Why a refund was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRefusal {
    /// No such payment.
    PaymentNotFound,
    /// The payment is not approved.
    NotRefundable {
        /// Its state.
        state: PaymentState,
    },
    /// Processing and succeeded refunds plus this one would exceed the payment's amount.
    ExceedsRefundable {
        /// What can still be refunded, in minor units.
        refundable_minor: i64,
    },
    /// A full refund whose amount is not the whole payment, or after earlier refunds.
    FullAmountMismatch {
        /// What can still be refunded, in minor units.
        refundable_minor: i64,
    },
}

/// What [`crate::Store::reserve_refund`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundReservation {
    /// Recorded as `processing`.
    Created(RefundRecord),
    /// The payment already has a refund with this `refund_number`: that one.
    Replay(RefundRecord),
    /// Refused; nothing written.
    Refused(RefundRefusal),
}

/// The acquirer's verdict on a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCompletion {
    /// The refund.
    pub refund_id: String,
    /// `Succeeded` or `Failed`.
    pub new_state: RefundState,
    /// Why it failed.
    pub decline_reason: Option<DeclineReason>,
    /// The acquirer's reference.
    pub acquirer_ref: Option<String>,
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// Notices to deliver, written in the same transaction.
    pub notices: Vec<NewNotice>,
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
    /// An approved payment with processing or succeeded refunds cannot be voided.
    #[error("payment has refunds")]
    HasRefunds,
    /// The database failed or is unreachable; the write may not have happened.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}
