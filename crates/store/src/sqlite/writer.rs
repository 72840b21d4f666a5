//! The single writer: one thread, one write connection, and group commit.
//!
//! Callers queue jobs; the thread takes everything queued (up to [`MAX_BATCH`]) into one
//! `BEGIN IMMEDIATE … COMMIT`, so one fsync covers the whole batch. Each job runs inside its
//! own savepoint, so a job that fails leaves no trace and does not disturb the others. Answers
//! are held until the commit is durable; if it fails, every job of the batch is told so.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::checkpointer;
use super::connection::{self, ConnectionSettings};
use super::error::Context as _;
use super::{notices, payments, refunds, terminals};
use crate::{
    DuplicateRule, NewPayment, NewRefund, NewTerminal, NoticeAttempt, NoticeNext, NoticeRecord,
    PaymentRecord, RefundCompletion, RefundRecord, RefundReservation, Reservation, StateChange,
    StoreError, TerminalRecord,
};

/// The most jobs one transaction takes; bounds how long the last of them waits for the first.
const MAX_BATCH: usize = 512;

/// Jobs that may wait for the writer before submitters wait for room (back-pressure).
const QUEUE_CAPACITY: usize = 4 * MAX_BATCH;

/// Where a job's result goes once its batch has committed.
pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One write (or a question only the write connection can answer), with its reply channel.
pub(super) enum Job {
    /// A trivial query, proving the writer and the database answer.
    Ping { reply: Reply<()> },
    /// The pragmas of the write connection.
    Settings { reply: Reply<ConnectionSettings> },
    /// [`crate::Store::reserve_payment`].
    Reserve {
        payment: Box<NewPayment>,
        rule: DuplicateRule,
        reply: Reply<Reservation>,
    },
    /// [`crate::Store::request_reversal`].
    RequestReversal {
        payment_id: String,
        at_ms: i64,
        reply: Reply<PaymentRecord>,
    },
    /// [`crate::Store::apply_change`].
    Apply {
        change: StateChange,
        reply: Reply<PaymentRecord>,
    },
    /// [`crate::Store::add_terminal`].
    AddTerminal {
        terminal: NewTerminal,
        reply: Reply<TerminalRecord>,
    },
    /// [`crate::Store::reserve_refund`].
    ReserveRefund {
        refund: Box<NewRefund>,
        reply: Reply<RefundReservation>,
    },
    /// [`crate::Store::complete_refund`].
    CompleteRefund {
        completion: RefundCompletion,
        reply: Reply<RefundRecord>,
    },
    /// [`crate::Store::claim_due_notices`].
    ClaimNotices {
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
        reply: Reply<Vec<NoticeRecord>>,
    },
    /// [`crate::Store::record_notice_attempt`].
    RecordAttempt {
        attempt: NoticeAttempt,
        next: NoticeNext,
        reply: Reply<NoticeRecord>,
    },
    /// [`crate::Store::resend_notice`].
    ResendNotice {
        notice_id: String,
        now_ms: i64,
        reply: Reply<NoticeRecord>,
    },
}

impl Job {
    /// Runs the job on `connection` and holds its result for delivery after the commit.
    fn run(self, connection: &Connection) -> Box<dyn Held> {
        match self {
            Job::Ping { reply } => hold(reply, ping(connection)),
            Job::Settings { reply } => hold(reply, connection::settings(connection)),
            Job::Reserve {
                payment,
                rule,
                reply,
            } => hold(reply, payments::reserve(connection, *payment, rule)),
            Job::RequestReversal {
                payment_id,
                at_ms,
                reply,
            } => hold(
                reply,
                payments::request_reversal(connection, &payment_id, at_ms),
            ),
            Job::Apply { change, reply } => hold(reply, payments::apply(connection, &change)),
            Job::AddTerminal { terminal, reply } => {
                hold(reply, terminals::add(connection, &terminal))
            }
            Job::ReserveRefund { refund, reply } => {
                hold(reply, refunds::reserve(connection, *refund))
            }
            Job::CompleteRefund { completion, reply } => {
                hold(reply, refunds::complete(connection, &completion))
            }
            Job::ClaimNotices {
                now_ms,
                lease_ms,
                limit,
                reply,
            } => hold(
                reply,
                notices::claim_due(connection, now_ms, lease_ms, limit),
            ),
            Job::RecordAttempt {
                attempt,
                next,
                reply,
            } => hold(reply, notices::record_attempt(connection, &attempt, next)),
            Job::ResendNotice {
                notice_id,
                now_ms,
                reply,
            } => hold(reply, notices::resend(connection, &notice_id, now_ms)),
        }
    }

    /// Answers without running: the batch failed before the job's turn came.
    fn refuse(self, message: &str) {
        let error = || StoreError::Unavailable(message.to_owned());
        // A caller that stopped waiting has nobody left to tell.
        match self {
            Job::Ping { reply } => drop(reply.send(Err(error()))),
            Job::Settings { reply } => drop(reply.send(Err(error()))),
            Job::Reserve { reply, .. } => drop(reply.send(Err(error()))),
            Job::RequestReversal { reply, .. } | Job::Apply { reply, .. } => {
                drop(reply.send(Err(error())));
            }
            Job::AddTerminal { reply, .. } => drop(reply.send(Err(error()))),
            Job::ReserveRefund { reply, .. } => drop(reply.send(Err(error()))),
            Job::CompleteRefund { reply, .. } => drop(reply.send(Err(error()))),
            Job::ClaimNotices { reply, .. } => drop(reply.send(Err(error()))),
            Job::RecordAttempt { reply, .. } | Job::ResendNotice { reply, .. } => {
                drop(reply.send(Err(error())));
            }
        }
    }
}

/// A job's result waiting for its batch's commit.
trait Held {
    /// True if the job's writes should be kept.
    fn succeeded(&self) -> bool;
    /// Sends the result, or `Unavailable(message)` if the batch did not commit.
    fn deliver(self: Box<Self>, batch_failure: Option<&str>);
}

/// A result and the channel it goes to.
struct Answer<T> {
    /// The caller's end.
    reply: Reply<T>,
    /// What the job produced.
    result: Result<T, StoreError>,
}

impl<T> Held for Answer<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn deliver(self: Box<Self>, batch_failure: Option<&str>) {
        let result = match batch_failure {
            None => self.result,
            Some(message) => Err(StoreError::Unavailable(message.to_owned())),
        };
        // A caller that stopped waiting has nobody left to tell; the write stands regardless.
        drop(self.reply.send(result));
    }
}

/// Boxes a result for delivery after the commit.
fn hold<T: 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Box<dyn Held> {
    Box::new(Answer { reply, result })
}

/// Proves the connection answers.
fn ping(connection: &Connection) -> Result<(), StoreError> {
    connection
        .prepare_cached("SELECT 1")
        .and_then(|mut statement| statement.query_row([], |_| Ok(())))
        .context("pinging the database")
}

/// How much group commit has batched so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Transactions the writer has started (committed or not).
    pub batches: u64,
    /// Jobs those transactions carried.
    pub jobs: u64,
    /// The most jobs one transaction carried.
    pub largest_batch: u64,
    /// Times the writer checkpointed between batches so the WAL could start over.
    pub wal_restarts: u64,
}

/// The counters behind [`WriteStats`], shared with the writer thread.
#[derive(Default)]
struct Counters {
    /// See [`WriteStats::batches`].
    batches: AtomicU64,
    /// See [`WriteStats::jobs`].
    jobs: AtomicU64,
    /// See [`WriteStats::largest_batch`].
    largest_batch: AtomicU64,
    /// See [`WriteStats::wal_restarts`].
    wal_restarts: AtomicU64,
}

/// The handle to the writer thread: submits jobs, and stops the thread when dropped.
pub(super) struct Writer {
    /// `None` only while dropping: closing the channel is what tells the thread to stop.
    sender: Option<mpsc::Sender<Job>>,
    /// `None` only once joined.
    thread: Option<JoinHandle<()>>,
    /// Batching statistics.
    counters: Arc<Counters>,
}

impl Writer {
    /// Moves `connection` to a new writer thread. When `restart_due` is set (by the
    /// checkpointer) the thread lets the WAL start over between two batches.
    pub(super) fn start(
        connection: Connection,
        restart_due: Arc<AtomicBool>,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("tidegate-sqlite-writer".to_owned())
            .spawn(move || write_loop(&connection, receiver, &thread_counters, &restart_due))
            .map_err(|error| {
                StoreError::Unavailable(format!("starting the database writer: {error}"))
            })?;
        Ok(Writer {
            sender: Some(sender),
            thread: Some(thread),
            counters,
        })
    }

    /// Queues a job built around its reply channel and waits for the committed result.
    ///
    /// If the caller stops waiting after the job was queued, the job still runs and commits.
    pub(super) async fn submit<T>(
        &self,
        job: impl FnOnce(Reply<T>) -> Job,
    ) -> Result<T, StoreError> {
        let stopped = || StoreError::Unavailable("the database writer has stopped".to_owned());
        let sender = self.sender.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        sender.send(job(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Batching statistics so far.
    pub(super) fn stats(&self) -> WriteStats {
        WriteStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            jobs: self.counters.jobs.load(Ordering::Relaxed),
            largest_batch: self.counters.largest_batch.load(Ordering::Relaxed),
            wal_restarts: self.counters.wal_restarts.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish what is queued and then return.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the database writer thread panicked");
            }
        }
    }
}

/// The writer thread: batches until every sender is gone.
fn write_loop(
    connection: &Connection,
    mut receiver: mpsc::Receiver<Job>,
    counters: &Counters,
    restart_due: &AtomicBool,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Blocks for the first job, then takes whatever else is already queued.
    while receiver.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
        let size = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        // Counted before the answers go out, so a caller holding one sees its batch counted.
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters.jobs.fetch_add(size, Ordering::Relaxed);
        counters.largest_batch.fetch_max(size, Ordering::Relaxed);
        run_batch(connection, &mut batch);
        tracing::trace!(size, "write batch done");
        // Not retried here when it cannot copy everything: a reader holding old frames would
        // make every batch pay for a checkpoint. The checkpointer asks again on its next round
        // if the WAL is still large.
        if restart_due.swap(false, Ordering::Relaxed) && restart_wal(connection) {
            counters.wal_restarts.fetch_add(1, Ordering::Relaxed);
        }
    }
    tracing::debug!("database writer stopped");
}

/// Copies the WAL's last frames into the database file while no transaction is open, so the
/// next transaction starts the WAL over from its beginning (`SQLite` does that by itself once
/// every frame has been copied). Returns false if the checkpoint could not copy everything
/// (the background checkpoint was running, or a reader still needs old frames).
///
/// The batch waiting meanwhile pays for copying the frames committed since the background
/// checkpoint last ran and for one fsync of the database file: about a millisecond, once a
/// second or so under full load (see `checkpointer::RESTART_AFTER_FRAMES`).
fn restart_wal(connection: &Connection) -> bool {
    match checkpointer::checkpoint(connection, "restart") {
        Some(progress) => !progress.busy && progress.copied_frames == progress.wal_frames,
        None => false,
    }
}

/// Runs every job of `batch` in one transaction and delivers the results after the commit.
fn run_batch(connection: &Connection, batch: &mut Vec<Job>) {
    let mut jobs = batch.drain(..);
    let mut held = Vec::with_capacity(jobs.len());
    let outcome = run_jobs(connection, &mut jobs, &mut held)
        .and_then(|()| control(connection, "COMMIT", "committing a batch"));
    match outcome {
        Ok(()) => {
            for answer in held {
                answer.deliver(None);
            }
        }
        Err(message) => {
            tracing::error!(%message, jobs = held.len() + jobs.len(), "write batch failed");
            // A failed COMMIT can leave the transaction open (SQLITE_BUSY); SQLite ends it
            // itself after I/O errors, and then there is nothing to roll back.
            if !connection.is_autocommit() {
                if let Err(rollback) = control(connection, "ROLLBACK", "rolling back a batch") {
                    tracing::error!(message = %rollback, "write batch rollback failed");
                }
            }
            for answer in held {
                answer.deliver(Some(&message));
            }
            for job in jobs {
                job.refuse(&message);
            }
        }
    }
}

/// Opens the batch's transaction and runs each job in its own savepoint. On `Err` the batch
/// must be abandoned: jobs left in `jobs` never ran.
fn run_jobs(
    connection: &Connection,
    jobs: &mut impl Iterator<Item = Job>,
    held: &mut Vec<Box<dyn Held>>,
) -> Result<(), String> {
    control(connection, "BEGIN IMMEDIATE", "starting a batch")?;
    for job in jobs.by_ref() {
        if let Err(message) = control(connection, "SAVEPOINT job", "starting a job") {
            job.refuse(&message);
            return Err(message);
        }
        let answer = job.run(connection);
        let keep = answer.succeeded();
        held.push(answer);
        // Some failures (I/O error, disk full) make SQLite roll back the whole transaction;
        // going on would run the remaining jobs outside any transaction.
        if connection.is_autocommit() {
            return Err("the database abandoned the batch's transaction".to_owned());
        }
        if !keep {
            control(connection, "ROLLBACK TO job", "undoing a failed job")?;
        }
        control(connection, "RELEASE job", "finishing a job")?;
    }
    Ok(())
}

/// Runs a transaction-control statement.
fn control(connection: &Connection, sql: &str, doing: &str) -> Result<(), String> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(|error| format!("{doing}: {error}"))
}
