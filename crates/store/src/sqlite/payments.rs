//! The SQL of payments and their event log, run on whichever connection the caller holds.

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, Params, Row};
use tidegate_core::{DeclineReason, PaymentFlow, PaymentState};

use super::error::{corrupt, is_primary_key_violation, unavailable, Context as _};
use super::{notices, refunds};
use crate::{DuplicateRule, NewPayment, PaymentRecord, Reservation, StateChange, StoreError};

/// The payment columns in the order [`payment_from_row`] reads them.
macro_rules! payment_columns {
    () => {
        "payment_id, account, terminal, order_number, method, flow, amount_minor, currency, \
         amount_text, order_notes, notice_url, payment_code, payer_masked, fingerprint, dialect, \
         created_at_ms, expires_at_ms, state, decline_reason, acquirer_ref, qr_payload, \
         updated_at_ms, version, dialect_data"
    };
}

const SELECT_BY_ID: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE payment_id = ?1"
);

// Newest first, and among equal timestamps the last inserted, so a retry of a retry still
// replays the latest attempt.
const SELECT_REPLAY: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE account = ?1 AND terminal = ?2 AND order_number = ?3
      AND fingerprint = ?4 AND state <> 'voided'
      ORDER BY created_at_ms DESC, rowid DESC LIMIT 1"
);

const SELECT_DUPLICATE: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE account = ?1 AND terminal = ?2 AND order_number = ?3
      AND (?6 = 0 OR method = ?4)
      AND (state = 'processing' OR state = 'pending' OR state = 'approved')
      AND created_at_ms >= ?5
      ORDER BY created_at_ms DESC, rowid DESC LIMIT 1"
);

// Newest first, ties like the replay check.
const SELECT_BY_ORDER: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE account = ?1 AND terminal = ?2 AND order_number = ?3
      ORDER BY created_at_ms DESC, rowid DESC"
);

// The WHERE clause repeats the partial index's condition word for word so SQLite uses it.
const SELECT_OPEN: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE state IN ('processing', 'pending')
      ORDER BY created_at_ms, payment_id LIMIT ?1"
);

const INSERT_PAYMENT: &str = concat!(
    "INSERT INTO payments (",
    payment_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
       NULL, NULL, NULL, ?19, ?20, ?21)"
);

// The compare-and-set: it matches no row unless the payment is still in the expected state.
// No `RETURNING`: SQLite buffers returned rows in a temporary b-tree, which costs more than
// reading the row again by its primary key on the same connection.
const UPDATE_STATE: &str = "UPDATE payments SET state = ?1, decline_reason = ?2,
       acquirer_ref = COALESCE(?3, acquirer_ref), qr_payload = COALESCE(?4, qr_payload),
       updated_at_ms = ?5, version = version + 1,
       payment_code = CASE WHEN ?8 THEN NULL ELSE payment_code END
     WHERE payment_id = ?6 AND state = ?7";

const INSERT_EVENT: &str = "INSERT INTO payment_events
    (payment_id, at_ms, event, from_state, to_state, decline_reason)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const COUNT_BY_STATE: &str = "SELECT state, COUNT(*) FROM payments GROUP BY state";

/// The event name of a payment's first row in the log.
const CREATED_EVENT: &str = "created";

/// The version of a payment no change has touched yet.
const FIRST_VERSION: i64 = 0;

/// The replay check, the duplicate check and, if both pass, the insert (see
/// [`crate::Store::reserve_payment`]). Runs inside the caller's transaction.
pub(super) fn reserve(
    connection: &Connection,
    payment: NewPayment,
    rule: DuplicateRule,
) -> Result<Reservation, StoreError> {
    let replayed = query_one(
        connection,
        SELECT_REPLAY,
        params![
            payment.account,
            payment.terminal,
            payment.order_number,
            payment.fingerprint
        ],
    )?;
    if let Some(previous) = replayed {
        return Ok(Reservation::Replay(previous));
    }
    let duplicate = query_one(
        connection,
        SELECT_DUPLICATE,
        params![
            payment.account,
            payment.terminal,
            payment.order_number,
            payment.method,
            rule.since_ms,
            rule.per_method,
        ],
    )?;
    if let Some(open_or_paid) = duplicate {
        return Ok(Reservation::Duplicate(open_or_paid));
    }
    insert(connection, &payment)?;
    Ok(Reservation::Created(PaymentRecord {
        state: PaymentState::Processing,
        decline_reason: None,
        acquirer_ref: None,
        qr_payload: None,
        updated_at_ms: payment.created_at_ms,
        version: FIRST_VERSION,
        created: payment,
    }))
}

/// Inserts a `processing` payment and its `created` event.
fn insert(connection: &Connection, payment: &NewPayment) -> Result<(), StoreError> {
    const DOING: &str = "recording a payment";
    let processing = PaymentState::Processing.as_str();
    let inserted = connection
        .prepare_cached(INSERT_PAYMENT)
        .context(DOING)?
        .execute(params![
            payment.payment_id,
            payment.account,
            payment.terminal,
            payment.order_number,
            payment.method,
            payment.flow.as_str(),
            payment.amount_minor,
            payment.currency,
            payment.amount_text,
            payment.order_notes,
            payment.notice_url,
            payment.payment_code,
            payment.payer_masked,
            payment.fingerprint,
            payment.dialect,
            payment.created_at_ms,
            payment.expires_at_ms,
            processing,
            payment.created_at_ms,
            FIRST_VERSION,
            payment.dialect_data,
        ]);
    match inserted {
        Ok(_) => {}
        Err(error) if is_primary_key_violation(&error) => return Err(StoreError::AlreadyExists),
        Err(error) => return Err(unavailable(DOING, &error)),
    }
    connection
        .prepare_cached(INSERT_EVENT)
        .context(DOING)?
        .execute(params![
            payment.payment_id,
            payment.created_at_ms,
            CREATED_EVENT,
            None::<&str>,
            processing,
            None::<&str>,
        ])
        .context(DOING)?;
    Ok(())
}

/// The compare-and-set state change, its event row and its notices (see
/// [`crate::Store::apply_change`]). Runs inside the caller's transaction; on `Err` the caller
/// rolls back whatever this wrote.
pub(super) fn apply(
    connection: &Connection,
    change: &StateChange,
) -> Result<PaymentRecord, StoreError> {
    const DOING: &str = "changing a payment's state";
    let decline_reason = change.decline_reason.map(DeclineReason::as_str);
    let updated = connection
        .prepare_cached(UPDATE_STATE)
        .context(DOING)?
        .execute(params![
            change.new_state.as_str(),
            decline_reason,
            change.acquirer_ref,
            change.qr_payload,
            change.at_ms,
            change.payment_id,
            change.expected.as_str(),
            // The customer's one-time code is needed only while the payment is open (to ask
            // the acquirer about it); once final it is not kept.
            change.new_state.is_final(),
        ])
        .context(DOING)?;
    let payment = by_id(connection, &change.payment_id)?.ok_or(StoreError::NotFound)?;
    if updated == 0 {
        return Err(StoreError::Conflict {
            current: Box::new(payment),
        });
    }
    // Checked after the compare-and-set so a stale caller still learns the current state, and
    // on the writer so no refund can slip in between this check and the commit.
    if change.expected == PaymentState::Approved
        && change.new_state == PaymentState::Voided
        && refunds::holds_any(connection, &change.payment_id)?
    {
        return Err(StoreError::HasRefunds);
    }
    connection
        .prepare_cached(INSERT_EVENT)
        .context(DOING)?
        .execute(params![
            change.payment_id,
            change.at_ms,
            change.event,
            change.expected.as_str(),
            change.new_state.as_str(),
            decline_reason,
        ])
        .context(DOING)?;
    if change.new_state == PaymentState::Voided {
        connection
            .prepare_cached(DELETE_REVERSAL)
            .context(DOING)?
            .execute(params![change.payment_id])
            .context(DOING)?;
    }
    notices::insert_all(connection, &change.notices)?;
    Ok(payment)
}

const DELETE_REVERSAL: &str = "DELETE FROM reversals WHERE payment_id = ?1";
const INSERT_REVERSAL: &str =
    "INSERT OR IGNORE INTO reversals (payment_id, requested_at_ms) VALUES (?1, ?2)";
const SELECT_REVERSING: &str = concat!(
    "SELECT ",
    payment_columns!(),
    " FROM payments WHERE state = 'approved'
      AND payment_id IN (SELECT payment_id FROM reversals ORDER BY requested_at_ms LIMIT ?1)"
);

/// Records that an approved payment is to be reversed (see
/// [`crate::Store::request_reversal`]). Must run on the writer, so no refund slips in between
/// the check and the insert.
pub(super) fn request_reversal(
    connection: &Connection,
    payment_id: &str,
    at_ms: i64,
) -> Result<PaymentRecord, StoreError> {
    const DOING: &str = "recording a reversal";
    let payment = by_id(connection, payment_id)?.ok_or(StoreError::NotFound)?;
    if payment.state != PaymentState::Approved {
        return Err(StoreError::Conflict {
            current: Box::new(payment),
        });
    }
    if refunds::holds_any(connection, payment_id)? {
        return Err(StoreError::HasRefunds);
    }
    connection
        .prepare_cached(INSERT_REVERSAL)
        .context(DOING)?
        .execute(params![payment_id, at_ms])
        .context(DOING)?;
    Ok(payment)
}

/// True if a reversal of the payment was asked for and has not finished.
pub(super) fn reversal_requested(
    connection: &Connection,
    payment_id: &str,
) -> Result<bool, StoreError> {
    const DOING: &str = "reading reversals";
    let count: i64 = connection
        .prepare_cached("SELECT COUNT(*) FROM reversals WHERE payment_id = ?1")
        .context(DOING)?
        .query_row(params![payment_id], |row| row.get(0))
        .context(DOING)?;
    Ok(count > 0)
}

/// Approved payments with a reversal asked for, oldest request first.
pub(super) fn reversing(
    connection: &Connection,
    limit: usize,
) -> Result<Vec<PaymentRecord>, StoreError> {
    query_all(
        connection,
        SELECT_REVERSING,
        params![i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}

/// One payment by id.
pub(super) fn by_id(
    connection: &Connection,
    payment_id: &str,
) -> Result<Option<PaymentRecord>, StoreError> {
    query_one(connection, SELECT_BY_ID, [payment_id])
}

/// Payments of one order on one terminal, newest first.
pub(super) fn by_order(
    connection: &Connection,
    account: &str,
    terminal: &str,
    order_number: &str,
) -> Result<Vec<PaymentRecord>, StoreError> {
    query_all(
        connection,
        SELECT_BY_ORDER,
        [account, terminal, order_number],
    )
}

/// Unfinished payments, oldest first, at most `limit`.
pub(super) fn open(
    connection: &Connection,
    limit: usize,
) -> Result<Vec<PaymentRecord>, StoreError> {
    // More rows than i64 can count cannot exist, so saturating loses nothing.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query_all(connection, SELECT_OPEN, [limit])
}

/// Payments per state, every state listed (zero included) in [`PaymentState::ALL`] order.
pub(super) fn count_by_state(connection: &Connection) -> Result<Vec<(String, i64)>, StoreError> {
    const DOING: &str = "counting payments";
    let mut counts: Vec<(String, i64)> = PaymentState::ALL
        .iter()
        .map(|state| (state.as_str().to_owned(), 0))
        .collect();
    let mut statement = connection.prepare_cached(COUNT_BY_STATE).context(DOING)?;
    let mut rows = statement.query([]).context(DOING)?;
    while let Some(row) = rows.next().context(DOING)? {
        let state: String = row.get(0).context(DOING)?;
        let count: i64 = row.get(1).context(DOING)?;
        let slot = counts
            .iter_mut()
            .find(|(name, _)| *name == state)
            .ok_or_else(|| corrupt("payment state", &state))?;
        slot.1 = count;
    }
    Ok(counts)
}

/// The first payment `sql` yields, if any.
fn query_one(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Option<PaymentRecord>, StoreError> {
    const DOING: &str = "reading a payment";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    rows.next()
        .context(DOING)?
        .map(payment_from_row)
        .transpose()
}

/// Every payment `sql` yields.
fn query_all(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Vec<PaymentRecord>, StoreError> {
    const DOING: &str = "reading payments";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    let mut payments = Vec::new();
    while let Some(row) = rows.next().context(DOING)? {
        payments.push(payment_from_row(row)?);
    }
    Ok(payments)
}

/// A row of [`payment_columns!`] as a record, refusing names this build does not know.
fn payment_from_row(row: &Row<'_>) -> Result<PaymentRecord, StoreError> {
    let flow: String = column(row, 5)?;
    let state: String = column(row, 17)?;
    let decline_reason: Option<String> = column(row, 18)?;
    let flow = PaymentFlow::from_str_opt(&flow).ok_or_else(|| corrupt("payment flow", &flow))?;
    let state =
        PaymentState::from_str_opt(&state).ok_or_else(|| corrupt("payment state", &state))?;
    let decline_reason = match decline_reason {
        Some(name) => Some(
            DeclineReason::from_str_opt(&name).ok_or_else(|| corrupt("decline reason", &name))?,
        ),
        None => None,
    };
    Ok(PaymentRecord {
        created: NewPayment {
            payment_id: column(row, 0)?,
            account: column(row, 1)?,
            terminal: column(row, 2)?,
            order_number: column(row, 3)?,
            method: column(row, 4)?,
            flow,
            amount_minor: column(row, 6)?,
            currency: column(row, 7)?,
            amount_text: column(row, 8)?,
            order_notes: column(row, 9)?,
            notice_url: column(row, 10)?,
            payment_code: column(row, 11)?,
            payer_masked: column(row, 12)?,
            fingerprint: column(row, 13)?,
            dialect: column(row, 14)?,
            created_at_ms: column(row, 15)?,
            expires_at_ms: column(row, 16)?,
            dialect_data: column(row, 23)?,
        },
        state,
        decline_reason,
        acquirer_ref: column(row, 19)?,
        qr_payload: column(row, 20)?,
        updated_at_ms: column(row, 21)?,
        version: column(row, 22)?,
    })
}

/// One column of a payment row.
fn column<T: FromSql>(row: &Row<'_>, index: usize) -> Result<T, StoreError> {
    row.get(index).context("reading a payment row")
}
