//! The SQL of refunds.

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, Params, Row};
use tidegate_core::{DeclineReason, PaymentState, RefundState};

use super::error::{corrupt, is_primary_key_violation, unavailable, Context as _};
use super::{notices, payments};
use crate::{
    NewRefund, RefundCompletion, RefundRecord, RefundRefusal, RefundReservation, StoreError,
};

/// The refund columns in the order [`refund_from_row`] reads them.
macro_rules! refund_columns {
    () => {
        "refund_id, payment_id, refund_number, amount_minor, amount_text, full, description, \
         created_at_ms, state, decline_reason, acquirer_ref, updated_at_ms"
    };
}

const SELECT_BY_ID: &str = concat!(
    "SELECT ",
    refund_columns!(),
    " FROM refunds WHERE refund_id = ?1"
);

const SELECT_BY_NUMBER: &str = concat!(
    "SELECT ",
    refund_columns!(),
    " FROM refunds WHERE payment_id = ?1 AND refund_number = ?2"
);

// Oldest first, ties in creation order.
const SELECT_OF_PAYMENT: &str = concat!(
    "SELECT ",
    refund_columns!(),
    " FROM refunds WHERE payment_id = ?1 ORDER BY created_at_ms, rowid"
);

// The WHERE clause repeats the partial index's condition word for word so SQLite uses it.
const SELECT_OPEN: &str = concat!(
    "SELECT ",
    refund_columns!(),
    " FROM refunds WHERE state = 'processing' ORDER BY created_at_ms, refund_id LIMIT ?1"
);

// What the payment's refunds hold against its amount (`RefundState::holds_amount`).
const SELECT_HELD: &str = "SELECT COALESCE(SUM(amount_minor), 0) FROM refunds
    WHERE payment_id = ?1 AND state IN ('processing', 'succeeded')";

const INSERT_REFUND: &str = "INSERT INTO refunds (refund_id, payment_id, refund_number,
    amount_minor, amount_text, full, description, state, decline_reason, acquirer_ref,
    created_at_ms, updated_at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9, ?9)";

// The compare-and-set: it matches no row unless the refund is still processing.
const UPDATE_COMPLETE: &str = concat!(
    "UPDATE refunds SET state = ?1, decline_reason = ?2,
       acquirer_ref = COALESCE(?3, acquirer_ref), updated_at_ms = ?4
     WHERE refund_id = ?5 AND state = 'processing' RETURNING ",
    refund_columns!()
);

/// The replay check, the payment's rules and, if they pass, the insert (see
/// [`crate::Store::reserve_refund`]). Must run on the writer: the sum of what earlier refunds
/// hold stays true until the insert only because nothing else writes in between.
pub(super) fn reserve(
    connection: &Connection,
    refund: NewRefund,
) -> Result<RefundReservation, StoreError> {
    const DOING: &str = "recording a refund";
    if let Some(number) = &refund.refund_number {
        let replayed = query_one(
            connection,
            SELECT_BY_NUMBER,
            params![refund.payment_id, number],
        )?;
        if let Some(previous) = replayed {
            return Ok(RefundReservation::Replay(previous));
        }
    }
    let Some(payment) = payments::by_id(connection, &refund.payment_id)? else {
        return Ok(RefundReservation::Refused(RefundRefusal::PaymentNotFound));
    };
    if payment.state != PaymentState::Approved
        || payments::reversal_requested(connection, &refund.payment_id)?
    {
        return Ok(RefundReservation::Refused(RefundRefusal::NotRefundable {
            state: payment.state,
        }));
    }
    let held = held_minor(connection, &refund.payment_id)?;
    let refundable_minor = payment.created.amount_minor.saturating_sub(held);
    if refund.full && (held > 0 || refund.amount_minor != payment.created.amount_minor) {
        return Ok(RefundReservation::Refused(
            RefundRefusal::FullAmountMismatch { refundable_minor },
        ));
    }
    // Compared this way round so no sum can overflow.
    if refund.amount_minor > refundable_minor {
        return Ok(RefundReservation::Refused(
            RefundRefusal::ExceedsRefundable { refundable_minor },
        ));
    }
    let processing = RefundState::Processing;
    let inserted = connection
        .prepare_cached(INSERT_REFUND)
        .context(DOING)?
        .execute(params![
            refund.refund_id,
            refund.payment_id,
            refund.refund_number,
            refund.amount_minor,
            refund.amount_text,
            refund.full,
            refund.description,
            processing.as_str(),
            refund.created_at_ms,
        ]);
    match inserted {
        Ok(_) => {}
        Err(error) if is_primary_key_violation(&error) => return Err(StoreError::AlreadyExists),
        Err(error) => return Err(unavailable(DOING, &error)),
    }
    Ok(RefundReservation::Created(RefundRecord {
        state: processing,
        decline_reason: None,
        acquirer_ref: None,
        updated_at_ms: refund.created_at_ms,
        created: refund,
    }))
}

/// The compare-and-set to the refund's final state and its notices (see
/// [`crate::Store::complete_refund`]). Runs inside the caller's transaction.
pub(super) fn complete(
    connection: &Connection,
    completion: &RefundCompletion,
) -> Result<RefundRecord, StoreError> {
    let updated = query_one(
        connection,
        UPDATE_COMPLETE,
        params![
            completion.new_state.as_str(),
            completion.decline_reason.map(DeclineReason::as_str),
            completion.acquirer_ref,
            completion.at_ms,
            completion.refund_id,
        ],
    )?;
    match updated {
        Some(refund) => {
            notices::insert_all(connection, &completion.notices)?;
            Ok(refund)
        }
        // Settled already (a retry, or recovery racing the live answer): the first verdict
        // stands and its notices were written with it.
        None => by_id(connection, &completion.refund_id)?.ok_or(StoreError::NotFound),
    }
}

/// True if the payment has refunds that hold part of its amount (a void would undo them).
pub(super) fn holds_any(connection: &Connection, payment_id: &str) -> Result<bool, StoreError> {
    // Every refund's amount is positive, so a zero sum means there are none.
    Ok(held_minor(connection, payment_id)? > 0)
}

/// The sum of the payment's processing and succeeded refunds, in minor units.
fn held_minor(connection: &Connection, payment_id: &str) -> Result<i64, StoreError> {
    const DOING: &str = "summing a payment's refunds";
    connection
        .prepare_cached(SELECT_HELD)
        .context(DOING)?
        .query_row([payment_id], |row| row.get(0))
        .context(DOING)
}

/// One refund by id.
pub(super) fn by_id(
    connection: &Connection,
    refund_id: &str,
) -> Result<Option<RefundRecord>, StoreError> {
    query_one(connection, SELECT_BY_ID, [refund_id])
}

/// A payment's refunds, oldest first.
pub(super) fn of_payment(
    connection: &Connection,
    payment_id: &str,
) -> Result<Vec<RefundRecord>, StoreError> {
    query_all(connection, SELECT_OF_PAYMENT, [payment_id])
}

/// Refunds still processing, oldest first, at most `limit`.
pub(super) fn open(connection: &Connection, limit: usize) -> Result<Vec<RefundRecord>, StoreError> {
    // More rows than i64 can count cannot exist, so saturating loses nothing.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query_all(connection, SELECT_OPEN, [limit])
}

/// The first refund `sql` yields, if any.
fn query_one(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Option<RefundRecord>, StoreError> {
    const DOING: &str = "reading a refund";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    rows.next().context(DOING)?.map(refund_from_row).transpose()
}

/// Every refund `sql` yields.
fn query_all(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Vec<RefundRecord>, StoreError> {
    const DOING: &str = "reading refunds";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    let mut refunds = Vec::new();
    while let Some(row) = rows.next().context(DOING)? {
        refunds.push(refund_from_row(row)?);
    }
    Ok(refunds)
}

/// A row of [`refund_columns!`] as a record, refusing names this build does not know.
fn refund_from_row(row: &Row<'_>) -> Result<RefundRecord, StoreError> {
    let state: String = column(row, 8)?;
    let decline_reason: Option<String> = column(row, 9)?;
    let state = RefundState::from_str_opt(&state).ok_or_else(|| corrupt("refund state", &state))?;
    let decline_reason = match decline_reason {
        Some(name) => Some(
            DeclineReason::from_str_opt(&name).ok_or_else(|| corrupt("decline reason", &name))?,
        ),
        None => None,
    };
    Ok(RefundRecord {
        created: NewRefund {
            refund_id: column(row, 0)?,
            payment_id: column(row, 1)?,
            refund_number: column(row, 2)?,
            amount_minor: column(row, 3)?,
            amount_text: column(row, 4)?,
            full: column(row, 5)?,
            description: column(row, 6)?,
            created_at_ms: column(row, 7)?,
        },
        state,
        decline_reason,
        acquirer_ref: column(row, 10)?,
        updated_at_ms: column(row, 11)?,
    })
}

/// One column of a refund row.
fn column<T: FromSql>(row: &Row<'_>, index: usize) -> Result<T, StoreError> {
    row.get(index).context("reading a refund row")
}
