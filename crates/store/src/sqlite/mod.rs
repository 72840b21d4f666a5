//! The embedded backend: one `SQLite` file in WAL mode with `synchronous=FULL`.
//!
//! Writes go through a single writer thread that group-commits whatever is queued, so many
//! concurrent payments share one fsync; reads use a few read-only connections that WAL lets
//! run beside the writer.

mod checkpointer;
mod connection;
mod error;
mod migrations;
mod notices;
mod payments;
mod reader;
mod refunds;
mod terminals;
mod writer;

pub use connection::ConnectionSettings;
pub use writer::WriteStats;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    DuplicateRule, NewPayment, NewRefund, NewTerminal, NoticeAttempt, NoticeAttemptRecord,
    NoticeNext, NoticeRecord, PaymentRecord, RefundCompletion, RefundRecord, RefundReservation,
    Reservation, StateChange, Store, StoreError, TerminalRecord,
};
use reader::Readers;
use writer::{Job, Writer};

/// A [`Store`] in one `SQLite` file.
///
/// Dropping it lets the writer thread finish the jobs already queued and waits for it to stop.
pub struct SqliteStore {
    /// The only write connection, on its own thread.
    writer: Writer,
    /// Checkpoints the WAL beside the writer; declared after it, so it stops after the writer
    /// and its last checkpoint sees every write.
    _checkpointer: checkpointer::Checkpointer,
    /// Read-only connections.
    readers: Arc<Readers>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating missing directories and the file, and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            // Each connection would get its own empty in-memory database.
            return Err(StoreError::Unavailable(
                "the SQLite store needs a file path, not an in-memory database".to_owned(),
            ));
        }
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|error| {
                StoreError::Unavailable(format!("creating {}: {error}", parent.display()))
            })?;
        }
        let mut write_connection = connection::open_writer(path)?;
        migrations::apply(&mut write_connection)?;
        let absolute = std::fs::canonicalize(path).map_err(|error| {
            StoreError::Unavailable(format!("resolving {}: {error}", path.display()))
        })?;
        let restart_due = Arc::new(AtomicBool::new(false));
        let writer = Writer::start(write_connection, Arc::clone(&restart_due))?;
        let checkpointer = checkpointer::Checkpointer::start(&absolute, restart_due)?;
        tracing::info!(path = %absolute.display(), "opened the SQLite store");
        Ok(SqliteStore {
            writer,
            _checkpointer: checkpointer,
            readers: Arc::new(Readers::new(absolute)),
        })
    }

    /// Opens the database named by `sqlite:PATH` or `sqlite://PATH` (relative or absolute).
    pub fn open_url(url: &str) -> Result<SqliteStore, StoreError> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                // Only the scheme is echoed: other databases' URLs carry passwords.
                let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
                StoreError::Unavailable(format!(
                    "unsupported database URL scheme {scheme:?}: expected sqlite:PATH or \
                     sqlite://PATH"
                ))
            })?;
        if path.is_empty() {
            return Err(StoreError::Unavailable(
                "the database URL names no file".to_owned(),
            ));
        }
        if path.contains('?') {
            return Err(StoreError::Unavailable(
                "the database URL has options (`?...`); only a file path is supported".to_owned(),
            ));
        }
        SqliteStore::open(Path::new(path))
    }

    /// The pragmas in force on the write connection, to check durability settings.
    pub async fn connection_settings(&self) -> Result<ConnectionSettings, StoreError> {
        self.writer.submit(|reply| Job::Settings { reply }).await
    }

    /// How many transactions the writer has run and how many jobs they carried.
    pub fn write_stats(&self) -> WriteStats {
        self.writer.stats()
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Goes through the writer, so it also fails once the writer thread has stopped.
    async fn ping(&self) -> Result<(), StoreError> {
        self.writer.submit(|reply| Job::Ping { reply }).await
    }

    async fn reserve_payment_with(
        &self,
        payment: NewPayment,
        rule: DuplicateRule,
    ) -> Result<Reservation, StoreError> {
        self.writer
            .submit(|reply| Job::Reserve {
                payment: Box::new(payment),
                rule,
                reply,
            })
            .await
    }

    async fn request_reversal(
        &self,
        payment_id: &str,
        at_ms: i64,
    ) -> Result<PaymentRecord, StoreError> {
        let payment_id = payment_id.to_owned();
        self.writer
            .submit(|reply| Job::RequestReversal {
                payment_id,
                at_ms,
                reply,
            })
            .await
    }

    async fn reversing_payments(&self, limit: usize) -> Result<Vec<PaymentRecord>, StoreError> {
        self.readers
            .run(move |connection| payments::reversing(connection, limit))
            .await
    }

    async fn apply_change(&self, change: StateChange) -> Result<PaymentRecord, StoreError> {
        self.writer
            .submit(|reply| Job::Apply { change, reply })
            .await
    }

    async fn payments_by_order(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let (account, terminal, order_number) = (
            account.to_owned(),
            terminal.to_owned(),
            order_number.to_owned(),
        );
        self.readers
            .run(move |connection| {
                payments::by_order(connection, &account, &terminal, &order_number)
            })
            .await
    }

    async fn reserve_refund(&self, refund: NewRefund) -> Result<RefundReservation, StoreError> {
        self.writer
            .submit(|reply| Job::ReserveRefund {
                refund: Box::new(refund),
                reply,
            })
            .await
    }

    /// A refund already settled keeps its state and `completion.notices` are not written: the
    /// first verdict's notices went out with it.
    async fn complete_refund(
        &self,
        completion: RefundCompletion,
    ) -> Result<RefundRecord, StoreError> {
        self.writer
            .submit(|reply| Job::CompleteRefund { completion, reply })
            .await
    }

    async fn refund(&self, refund_id: &str) -> Result<Option<RefundRecord>, StoreError> {
        let refund_id = refund_id.to_owned();
        self.readers
            .run(move |connection| refunds::by_id(connection, &refund_id))
            .await
    }

    /// Ties in creation time are listed in insertion order.
    async fn refunds_of_payment(&self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.readers
            .run(move |connection| refunds::of_payment(connection, &payment_id))
            .await
    }

    async fn open_refunds(&self, limit: usize) -> Result<Vec<RefundRecord>, StoreError> {
        self.readers
            .run(move |connection| refunds::open(connection, limit))
            .await
    }

    /// A notice is due when `next_attempt_at_ms <= now_ms`; ties go in insertion order. The
    /// records returned already carry the lease's end as `next_attempt_at_ms`.
    async fn claim_due_notices(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        self.writer
            .submit(|reply| Job::ClaimNotices {
                now_ms,
                lease_ms,
                limit,
                reply,
            })
            .await
    }

    /// The attempt is always appended and counted. Beyond that, a delivered notice stays
    /// delivered (keeping its first `delivered_at_ms`), and `RetryAt` or `GiveUp` only change a
    /// notice that is still pending, so a worker whose claim lapsed cannot undo another's
    /// delivery. `delivered_at_ms` is when the answer came: `at_ms + latency_ms`. On failure
    /// `last_error` is the attempt's `error`, else `HTTP <status>`, else `no answer`; a
    /// delivery keeps the previous `last_error`.
    async fn record_notice_attempt(
        &self,
        attempt: NoticeAttempt,
        next: NoticeNext,
    ) -> Result<NoticeRecord, StoreError> {
        self.writer
            .submit(|reply| Job::RecordAttempt {
                attempt,
                next,
                reply,
            })
            .await
    }

    async fn notice(&self, notice_id: &str) -> Result<Option<NoticeRecord>, StoreError> {
        let notice_id = notice_id.to_owned();
        self.readers
            .run(move |connection| notices::by_id(connection, &notice_id))
            .await
    }

    /// Ties in creation time are listed in insertion order.
    async fn notices_of_payment(&self, payment_id: &str) -> Result<Vec<NoticeRecord>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.readers
            .run(move |connection| notices::of_payment(connection, &payment_id))
            .await
    }

    async fn notice_attempts(
        &self,
        notice_id: &str,
    ) -> Result<Vec<NoticeAttemptRecord>, StoreError> {
        let notice_id = notice_id.to_owned();
        self.readers
            .run(move |connection| notices::attempts(connection, &notice_id))
            .await
    }

    /// Also clears `delivered_at_ms` (it is set again by the next delivery); `last_error` is
    /// kept.
    async fn resend_notice(
        &self,
        notice_id: &str,
        now_ms: i64,
    ) -> Result<NoticeRecord, StoreError> {
        let notice_id = notice_id.to_owned();
        self.writer
            .submit(|reply| Job::ResendNotice {
                notice_id,
                now_ms,
                reply,
            })
            .await
    }

    async fn payment(&self, payment_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.readers
            .run(move |connection| payments::by_id(connection, &payment_id))
            .await
    }

    async fn open_payments(&self, limit: usize) -> Result<Vec<PaymentRecord>, StoreError> {
        self.readers
            .run(move |connection| payments::open(connection, limit))
            .await
    }

    /// Every state is listed, zero counts included, in [`tidegate_core::PaymentState::ALL`]
    /// order.
    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.readers.run(payments::count_by_state).await
    }

    async fn add_terminal(&self, terminal: NewTerminal) -> Result<TerminalRecord, StoreError> {
        self.writer
            .submit(|reply| Job::AddTerminal { terminal, reply })
            .await
    }

    async fn terminal(
        &self,
        account: &str,
        terminal: &str,
    ) -> Result<Option<TerminalRecord>, StoreError> {
        let (account, terminal) = (account.to_owned(), terminal.to_owned());
        self.readers
            .run(move |connection| terminals::by_key(connection, &account, &terminal))
            .await
    }

    async fn terminals(&self) -> Result<Vec<TerminalRecord>, StoreError> {
        self.readers.run(terminals::all).await
    }
}
