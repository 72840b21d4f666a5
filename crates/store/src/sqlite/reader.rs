//! A few read-only connections, used from blocking threads while the writer writes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connection;
use crate::StoreError;

/// The most reads that run at once, and so the most read connections ever opened.
const MAX_READERS: usize = 4;

/// Read-only connections, opened on first need and then reused.
pub(super) struct Readers {
    /// The database file (absolute, so a later change of directory does not matter).
    path: PathBuf,
    /// Connections not in use.
    idle: Mutex<Vec<Connection>>,
    /// One permit per read in flight.
    permits: Arc<Semaphore>,
}

impl Readers {
    /// A pool for the database at `path`; no connection is opened yet.
    pub(super) fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::with_capacity(MAX_READERS)),
            permits: Arc::new(Semaphore::new(MAX_READERS)),
        }
    }

    /// Runs `query` on a read connection in a blocking thread.
    pub(super) async fn run<T, Q>(self: &Arc<Self>, query: Q) -> Result<T, StoreError>
    where
        T: Send + 'static,
        Q: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // Waiting for a permit here, not in the blocking pool, keeps queued reads from
        // occupying blocking threads.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the read connections are closed".to_owned()))?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            readers.with_connection(query)
        })
        .await
        .map_err(|error| StoreError::Unavailable(format!("a database read failed: {error}")))?
    }

    /// Borrows an idle connection (or opens one), runs `query`, and puts the connection back.
    fn with_connection<T>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // The lock only guards a push or a pop, which cannot leave the list half-changed.
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => connection::open_reader(&self.path)?,
        };
        let result = query(&connection);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connection);
        result
    }
}
