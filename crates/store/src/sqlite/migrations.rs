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
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_notices_refunds.sql",
        sql: include_str!("../../migrations/0002_notices_refunds.sql"),
    },
    Migration {
        version: 3,
        name: "0003_dialect_data.sql",
        sql: include_str!("../../migrations/0003_dialect_data.sql"),
    },
    Migration {
        version: 4,
        name: "0004_reversals_reported_state.sql",
        sql: include_str!("../../migrations/0004_reversals_reported_state.sql"),
    },
    Migration {
        version: 5,
        name: "0005_order_index.sql",
        sql: include_str!("../../migrations/0005_order_index.sql"),
    },
    Migration {
        version: 6,
        name: "0006_checks_without_in_lists.sql",
        sql: include_str!("../../migrations/0006_checks_without_in_lists.sql"),
    },
];

/// What the migration runner is doing, for error messages.
const DOING: &str = "migrating the schema";

/// Brings the schema up to date in one transaction; a database already current is untouched.
///
/// Foreign keys are off while migrations run: widening a CHECK means rebuilding the table,
/// and dropping a table others reference would otherwise fail (or, renamed instead, drag the
/// references along). `SQLite` ignores that pragma inside a transaction, hence here. Every
/// reference is checked before the commit instead.
pub(super) fn apply(connection: &mut Connection) -> Result<(), StoreError> {
    connection
        .pragma_update(None, "foreign_keys", "OFF")
        .context(DOING)?;
    let migrated = migrate(connection);
    // Restored even after a failure, so the connection never runs unchecked.
    let restored = connection
        .pragma_update(None, "foreign_keys", "ON")
        .context(DOING);
    migrated.and(restored)
}

/// Applies the missing migrations in one transaction.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock before reading the version, so two processes opening the
    // same file cannot both decide to apply the same migration.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context(DOING)?;
    transaction
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version       INTEGER NOT NULL PRIMARY KEY,
                 applied_at_ms INTEGER NOT NULL
             ) STRICT",
        )
        .context(DOING)?;
    let current: i64 = transaction
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .context(DOING)?;
    let newest = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if current > newest {
        return Err(StoreError::Unavailable(format!(
            "the database schema is at version {current}, newer than this build's {newest}"
        )));
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|migration| migration.version > current)
    {
        transaction
            .execute_batch(migration.sql)
            .context(migration.name)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![migration.version, now_ms()],
            )
            .context(DOING)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    // Only after a change: the check reads every table, too slow for each open of a big file.
    if newest > current {
        check_references(&transaction)?;
    }
    transaction.commit().context(DOING)
}

/// Fails if any row references a row that does not exist (what foreign keys would have caught).
fn check_references(connection: &Connection) -> Result<(), StoreError> {
    let mut statement = connection
        .prepare("PRAGMA foreign_key_check")
        .context(DOING)?;
    let mut rows = statement.query([]).context(DOING)?;
    if let Some(row) = rows.next().context(DOING)? {
        let table: String = row.get(0).context(DOING)?;
        let parent: String = row.get(2).context(DOING)?;
        return Err(StoreError::Unavailable(format!(
            "{DOING}: a row of {table} references a missing row of {parent}"
        )));
    }
    Ok(())
}

/// The wall clock in Unix milliseconds, only to note when a migration ran.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
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
