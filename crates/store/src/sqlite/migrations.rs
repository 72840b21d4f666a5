//! The schema, as numbered SQL files compiled into the binary and applied at open.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, TransactionBehavior};

use super::error::Context as _;
use crate::StoreError;

/// One schema change. Released migrations are never edited, only followed by new ones.
struct Migration {
    /// Position in the sequence, recorded in `schema_migrations` once applied.
    version: i64,
    /// The file name, for logs.
    name: &'static str,
    /// The statements.
    sql: &'static str,
}

/// Every migration, in the order it must run.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_init.sql",
    sql: include_str!("../../migrations/0001_init.sql"),
}];

/// Brings the schema up to date in one transaction; a database already current is untouched.
pub(super) fn apply(connection: &mut Connection) -> Result<(), StoreError> {
    const DOING: &str = "migrating the schema";
    // IMMEDIATE takes the write lock before reading the version, so two processes opening the
    // same file cannot both decide to apply the same migration.
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).context(DOING)?;
    transaction
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version       INTEGER NOT NULL PRIMARY KEY,
                 applied_at_ms INTEGER NOT NULL
             ) STRICT",
        )
        .context(DOING)?;
    let current: i64 = transaction
        .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0))
        .context(DOING)?;
    let newest = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if current > newest {
        return Err(StoreError::Unavailable(format!(
            "the database schema is at version {current}, newer than this build's {newest}"
        )));
    }
    for migration in MIGRATIONS.iter().filter(|migration| migration.version > current) {
        transaction.execute_batch(migration.sql).context(migration.name)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![migration.version, now_ms()],
            )
            .context(DOING)?;
        tracing::info!(version = migration.version, name = migration.name, "applied migration");
    }
    transaction.commit().context(DOING)
}

/// The wall clock in Unix milliseconds, only to note when a migration ran.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_count_up_from_one_without_gaps() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                usize::try_from(migration.version).ok(),
                Some(index + 1),
                "{}",
                migration.name
            );
        }
    }
}
