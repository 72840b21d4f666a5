//! The SQL of merchants and their terminals.

use rusqlite::{params, Connection, Params, Row};

use super::error::{is_primary_key_violation, unavailable, Context as _};
use crate::{NewTerminal, StoreError, TerminalRecord};

const INSERT_MERCHANT: &str =
    "INSERT OR IGNORE INTO merchants (account, name, created_at_ms) VALUES (?1, ?2, ?3)";

const INSERT_TERMINAL: &str = "INSERT INTO terminals
    (account, terminal, secure_code_sealed, active, created_at_ms) VALUES (?1, ?2, ?3, 1, ?4)";

const SELECT_ONE: &str = "SELECT t.account, t.terminal, m.name, t.secure_code_sealed, t.active,
    t.created_at_ms FROM terminals t JOIN merchants m ON m.account = t.account
    WHERE t.account = ?1 AND t.terminal = ?2";

const SELECT_ALL: &str = "SELECT t.account, t.terminal, m.name, t.secure_code_sealed, t.active,
    t.created_at_ms FROM terminals t JOIN merchants m ON m.account = t.account
    ORDER BY t.account, t.terminal";

/// Inserts the merchant if it is new, then the terminal (see [`crate::Store::add_terminal`]).
/// Runs inside the caller's transaction.
pub(super) fn add(
    connection: &Connection,
    terminal: &NewTerminal,
) -> Result<TerminalRecord, StoreError> {
    const DOING: &str = "adding a terminal";
    connection
        .prepare_cached(INSERT_MERCHANT)
        .context(DOING)?
        .execute(params![
            terminal.account,
            terminal.merchant_name,
            terminal.created_at_ms
        ])
        .context(DOING)?;
    let inserted = connection
        .prepare_cached(INSERT_TERMINAL)
        .context(DOING)?
        .execute(params![
            terminal.account,
            terminal.terminal,
            terminal.secure_code_sealed,
            terminal.created_at_ms,
        ]);
    match inserted {
        Ok(_) => {}
        Err(error) if is_primary_key_violation(&error) => return Err(StoreError::AlreadyExists),
        Err(error) => return Err(unavailable(DOING, &error)),
    }
    // Read back rather than echo the input: an existing merchant keeps its own name.
    by_key(connection, &terminal.account, &terminal.terminal)?
        .ok_or_else(|| StoreError::Unavailable("a terminal vanished as it was added".to_owned()))
}

/// One terminal by account and terminal number.
pub(super) fn by_key(
    connection: &Connection,
    account: &str,
    terminal: &str,
) -> Result<Option<TerminalRecord>, StoreError> {
    Ok(query(connection, SELECT_ONE, [account, terminal])?.pop())
}

/// Every terminal, by account and terminal number.
pub(super) fn all(connection: &Connection) -> Result<Vec<TerminalRecord>, StoreError> {
    query(connection, SELECT_ALL, [])
}

/// Every terminal `sql` yields.
fn query(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Vec<TerminalRecord>, StoreError> {
    const DOING: &str = "reading terminals";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let rows = statement
        .query_map(params, terminal_from_row)
        .context(DOING)?;
    rows.map(|row| row.context(DOING)).collect()
}

/// A row of the terminal columns as a record.
fn terminal_from_row(row: &Row<'_>) -> rusqlite::Result<TerminalRecord> {
    Ok(TerminalRecord {
        account: row.get(0)?,
        terminal: row.get(1)?,
        merchant_name: row.get(2)?,
        secure_code_sealed: row.get(3)?,
        active: row.get(4)?,
        created_at_ms: row.get(5)?,
    })
}
