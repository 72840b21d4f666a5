//! Turning `SQLite` failures into [`StoreError`]s that say what the store was doing.

use crate::StoreError;

/// Attaches what the store was doing to a `SQLite` error, as [`StoreError::Unavailable`].
pub(super) trait Context<T> {
    /// The value, or `Unavailable("{doing}: {error}")`.
    fn context(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|error| unavailable(doing, &error))
    }
}

/// A database failure while `doing` something.
pub(super) fn unavailable(doing: &str, error: &rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("{doing}: {error}"))
}

/// True if the statement failed only because a row with the same primary key exists.
pub(super) fn is_primary_key_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// A stored name this build does not know: the row was written by something else.
pub(super) fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Unavailable(format!("corrupt row: unknown {column} {value:?}"))
}
