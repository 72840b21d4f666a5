//! The embedded backend: one `SQLite` file in WAL mode with `synchronous=FULL`.
//!
//! Writes go through a single writer thread that group-commits whatever is queued, so many
//! concurrent payments share one fsync; reads use a few read-only connections that WAL lets
//! run beside the writer.

mod connection;
mod error;
mod migrations;
mod payments;
mod reader;
mod terminals;
mod writer;

pub use connection::ConnectionSettings;
pub use writer::WriteStats;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    NewPayment, NewTerminal, PaymentRecord, Reservation, StateChange, Store, StoreError,
    TerminalRecord,
};
use reader::Readers;
use writer::{Job, Writer};

/// A [`Store`] in one `SQLite` file.
///
/// Dropping it lets the writer thread finish the jobs already queued and waits for it to stop.
pub struct SqliteStore {
    /// The only write connection, on its own thread.
    writer: Writer,
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
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| {
                StoreError::Unavailable(format!("creating {}: {error}", parent.display()))
            })?;
        }
        let mut write_connection = connection::open_writer(path)?;
        migrations::apply(&mut write_connection)?;
        let absolute = std::fs::canonicalize(path).map_err(|error| {
            StoreError::Unavailable(format!("resolving {}: {error}", path.display()))
        })?;
        let writer = Writer::start(write_connection)?;
        tracing::info!(path = %absolute.display(), "opened the SQLite store");
        Ok(SqliteStore { writer, readers: Arc::new(Readers::new(absolute)) })
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
            return Err(StoreError::Unavailable("the database URL names no file".to_owned()));
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

    async fn reserve_payment(
        &self,
        payment: NewPayment,
        duplicate_since_ms: i64,
    ) -> Result<Reservation, StoreError> {
        self.writer
            .submit(|reply| Job::Reserve { payment: Box::new(payment), duplicate_since_ms, reply })
            .await
    }

    async fn apply_change(&self, change: StateChange) -> Result<PaymentRecord, StoreError> {
        self.writer.submit(|reply| Job::Apply { change, reply }).await
    }

    async fn payment(&self, payment_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.readers.run(move |connection| payments::by_id(connection, &payment_id)).await
    }

    async fn open_payments(&self, limit: usize) -> Result<Vec<PaymentRecord>, StoreError> {
        self.readers.run(move |connection| payments::open(connection, limit)).await
    }

    /// Every state is listed, zero counts included, in [`tidegate_core::PaymentState::ALL`]
    /// order.
    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.readers.run(payments::count_by_state).await
    }

    async fn add_terminal(&self, terminal: NewTerminal) -> Result<TerminalRecord, StoreError> {
        self.writer.submit(|reply| Job::AddTerminal { terminal, reply }).await
    }

    async fn terminal(
        &self,
        account: &str,
        terminal: &str,
    ) -> Result<Option<TerminalRecord>, StoreError> {
        let (account, terminal) = (account.to_owned(), terminal.to_owned());
        self.readers.run(move |connection| terminals::by_key(connection, &account, &terminal)).await
    }

    async fn terminals(&self) -> Result<Vec<TerminalRecord>, StoreError> {
        self.readers.run(terminals::all).await
    }
}
