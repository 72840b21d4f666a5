//! Opening connections with the settings every Tidegate connection runs with.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::Context as _;
use crate::StoreError;

/// How long a statement waits for a lock another connection holds before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The size the WAL file is cut back to when it starts over: twice what the checkpointer lets
/// it reach before asking for a restart (`checkpointer::RESTART_AFTER_FRAMES` pages of 4 KiB).
const WAL_SIZE_LIMIT_BYTES: i64 = 2 * super::checkpointer::RESTART_AFTER_FRAMES * 4096;

/// Room for every distinct statement the store prepares, so none is ever compiled twice.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// The pragmas in force on a connection, as `SQLite` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `wal` once write-ahead logging is on.
    pub journal_mode: String,
    /// 2 is `FULL`: every commit is fsynced before it returns.
    pub synchronous: i64,
    /// 1 when foreign keys are enforced.
    pub foreign_keys: i64,
    /// Milliseconds a statement waits for a lock before failing.
    pub busy_timeout_ms: i64,
}

/// Opens (creating if missing) the database for writing, in WAL mode.
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    // No SQLITE_OPEN_URI: a configured path is a file name, never a `file:` URI with options.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).context("opening the database")?;
    // WAL is a property of the file: set once here, every later connection inherits it.
    let journal_mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .context("enabling WAL")?;
    if !journal_mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "the database cannot use write-ahead logging (journal_mode stays {journal_mode})"
        )));
    }
    configure(&connection)?;
    // Checkpoints run on their own thread (see `checkpointer`), never inside a commit.
    connection
        .pragma_update(None, "wal_autocheckpoint", 0)
        .context("turning off automatic checkpoints")?;
    // When the WAL starts over, a file that grew past this (a long reader held the restart
    // back) is cut back, so a burst does not keep its disk space for good.
    connection
        .pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)
        .context("limiting the WAL's size")?;
    Ok(connection)
}

/// Opens a connection that only runs WAL checkpoints.
pub(super) fn open_checkpointer(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(path, flags).context("opening the checkpoint connection")?;
    configure(&connection)?;
    Ok(connection)
}

/// Opens an existing database for reading only.
pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(path, flags).context("opening a read connection")?;
    configure(&connection)?;
    Ok(connection)
}

/// The per-connection pragmas (they are not stored in the file).
fn configure(connection: &Connection) -> Result<(), StoreError> {
    connection
        .pragma_update(None, "synchronous", "FULL")
        .context("setting synchronous")?;
    connection
        .pragma_update(None, "foreign_keys", "ON")
        .context("enabling foreign keys")?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .context("setting the busy timeout")?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Reads back the pragmas in force on `connection`.
pub(super) fn settings(connection: &Connection) -> Result<ConnectionSettings, StoreError> {
    const DOING: &str = "reading connection settings";
    let query = |sql: &str| connection.prepare_cached(sql).context(DOING);
    Ok(ConnectionSettings {
        journal_mode: query("PRAGMA journal_mode")?
            .query_row([], |row| row.get(0))
            .context(DOING)?,
        synchronous: query("PRAGMA synchronous")?
            .query_row([], |row| row.get(0))
            .context(DOING)?,
        foreign_keys: query("PRAGMA foreign_keys")?
            .query_row([], |row| row.get(0))
            .context(DOING)?,
        busy_timeout_ms: query("PRAGMA busy_timeout")?
            .query_row([], |row| row.get(0))
            .context(DOING)?,
    })
}
