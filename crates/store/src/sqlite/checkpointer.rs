//! WAL checkpoints on a thread of their own.
//!
//! `SQLite` normally checkpoints from the committing connection once the WAL passes 1,000 pages,
//! and while that checkpoint copies pages and fsyncs the database file no commit can happen:
//! under load every payment in flight waits behind it (stalls of 50 to 200 ms were measured).
//! The writer therefore runs with automatic checkpoints off, and this thread runs passive
//! checkpoints beside it: they never block the writer, and the writer's commits keep their own
//! fsync of the WAL, so durability is unchanged.

use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::connection;
use crate::StoreError;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(200);

/// The running checkpoint thread; stopped (after one last checkpoint) when dropped.
pub(super) struct Checkpointer {
    /// Dropping it wakes the thread at once to stop.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`.
    pub(super) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let connection = connection::open_checkpointer(path)?;
        let (stop, stopping) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tidegate-sqlite-checkpoint".to_owned())
            .spawn(move || run(&connection, &stopping))
            .map_err(|error| {
                StoreError::Unavailable(format!("starting the checkpoint thread: {error}"))
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn run(connection: &Connection, stop: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(INTERVAL) {
        checkpoint(connection);
    }
    checkpoint(connection);
}

fn checkpoint(connection: &Connection) {
    // PASSIVE copies what it can without waiting for readers or the writer; what it cannot
    // copy now is copied by a later round.
    if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(%error, "WAL checkpoint failed; retrying");
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
