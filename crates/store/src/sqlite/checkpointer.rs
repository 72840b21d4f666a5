//! WAL checkpoints on a thread of their own.
//!
//! `SQLite` normally checkpoints from the committing connection once the WAL passes 1,000 pages,
//! and while that checkpoint copies pages and fsyncs the database file no commit can happen:
//! under load every payment in flight waits behind it (stalls of 50 to 200 ms were measured).
//! The writer therefore runs with automatic checkpoints off, and this thread runs passive
//! checkpoints beside it: they never block the writer, and the writer's commits keep their own
//! fsync of the WAL, so durability is unchanged.
//!
//! A passive checkpoint only copies the frames committed before it started, so under steady
//! load it never catches up with the writer, and `SQLite` only starts the WAL over from its
//! beginning when every frame has been copied. Left alone the WAL would grow by tens of
//! megabytes a second for as long as the load lasts. When it passes [`RESTART_AFTER_FRAMES`]
//! this thread asks the writer to finish the job between two batches (see
//! `writer::restart_wal`): with no commit running, the writer's own passive checkpoint copies
//! the last few frames, and its next transaction writes from the start of the file again.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::connection;
use crate::StoreError;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(200);

/// The WAL size, in frames (pages of 4 KiB), past which the writer is asked to start it over.
///
/// Small enough that the file and its page cache stay a few tens of megabytes; large enough
/// that under full load the writer pauses for it about once a second, not once a batch.
pub(super) const RESTART_AFTER_FRAMES: i64 = 8192;

/// The running checkpoint thread; stopped (after one last checkpoint) when dropped.
pub(super) struct Checkpointer {
    /// Dropping it wakes the thread at once to stop.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`; sets `restart_due` when the WAL has grown
    /// past [`RESTART_AFTER_FRAMES`].
    pub(super) fn start(
        path: &Path,
        restart_due: Arc<AtomicBool>,
    ) -> Result<Checkpointer, StoreError> {
        let connection = connection::open_checkpointer(path)?;
        let (stop, stopping) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tidegate-sqlite-checkpoint".to_owned())
            .spawn(move || run(&connection, &stopping, &restart_due))
            .map_err(|error| {
                StoreError::Unavailable(format!("starting the checkpoint thread: {error}"))
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn run(connection: &Connection, stop: &mpsc::Receiver<()>, restart_due: &AtomicBool) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(INTERVAL) {
        if let Some(progress) = checkpoint(connection, "background") {
            if progress.wal_frames >= RESTART_AFTER_FRAMES {
                restart_due.store(true, Ordering::Relaxed);
            }
        }
    }
    checkpoint(connection, "final");
}

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, Clone, Copy)]
pub(super) struct Progress {
    /// True if the checkpoint could not run or not finish (another checkpoint, a reader).
    pub(super) busy: bool,
    /// Frames in the WAL.
    pub(super) wal_frames: i64,
    /// Frames of the WAL copied into the database file so far.
    pub(super) copied_frames: i64,
}

/// Runs a passive checkpoint on `connection`: it copies what it can without waiting for
/// readers or the writer; what it cannot copy now is copied by a later round.
pub(super) fn checkpoint(connection: &Connection, which: &str) -> Option<Progress> {
    let outcome = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Progress {
            busy: row.get::<_, i64>(0)? != 0,
            wal_frames: row.get(1)?,
            copied_frames: row.get(2)?,
        })
    });
    match outcome {
        Ok(progress) => {
            tracing::trace!(which, ?progress, "WAL checkpoint");
            Some(progress)
        }
        Err(error) => {
            tracing::warn!(which, %error, "WAL checkpoint failed; retrying");
            None
        }
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
