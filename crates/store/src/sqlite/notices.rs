//! The SQL of the notice outbox and its attempt log.

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, Params, Row};

use super::error::{corrupt, is_primary_key_violation, unavailable, Context as _};
use crate::{
    NewNotice, NoticeAttempt, NoticeAttemptRecord, NoticeNext, NoticeRecord, NoticeStatus,
    StoreError,
};

/// The most characters of a merchant's answer kept per attempt.
const BODY_PREFIX_MAX_CHARS: usize = 256;

/// The notice columns in the order [`notice_from_row`] reads them.
macro_rules! notice_columns {
    () => {
        "notice_id, payment_id, refund_id, kind, dialect, url, created_at_ms, status, attempts, \
         next_attempt_at_ms, delivered_at_ms, last_error, reported_state"
    };
}

const INSERT_NOTICE: &str = "INSERT INTO notices (notice_id, payment_id, refund_id, kind, dialect,
    url, status, attempts, next_attempt_at_ms, created_at_ms, delivered_at_ms, last_error,
    reported_state)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7, NULL, NULL, ?8)";

const SELECT_BY_ID: &str = concat!(
    "SELECT ",
    notice_columns!(),
    " FROM notices WHERE notice_id = ?1"
);

// Oldest first, ties in creation order.
const SELECT_OF_PAYMENT: &str = concat!(
    "SELECT ",
    notice_columns!(),
    " FROM notices WHERE payment_id = ?1 ORDER BY created_at_ms, rowid"
);

// The WHERE clause repeats the partial index's condition so SQLite uses it; ties in due time
// go in creation order, which the index also yields (its entries end with the rowid).
const SELECT_DUE: &str = concat!(
    "SELECT ",
    notice_columns!(),
    " FROM notices WHERE status = 'pending' AND next_attempt_at_ms <= ?1
      ORDER BY next_attempt_at_ms, rowid LIMIT ?2"
);

const UPDATE_LEASE: &str = "UPDATE notices SET next_attempt_at_ms = ?1 WHERE notice_id = ?2";

const NEXT_ATTEMPT_NO: &str =
    "SELECT COALESCE(MAX(attempt_no), 0) + 1 FROM notice_attempts WHERE notice_id = ?1";

const INSERT_ATTEMPT: &str = "INSERT INTO notice_attempts
    (notice_id, attempt_no, at_ms, http_status, body_prefix, latency_ms, error)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

// One statement for every outcome: `?2` is the status after the attempt, `?3` the due time if
// still pending, `?4` the acknowledgement time if delivered, `?5` the failure if any. A
// notice already delivered stays delivered (a lapsed claim can make two workers deliver the
// same notice); a failure after delivery or after giving up changes only the counters.
const UPDATE_AFTER_ATTEMPT: &str = concat!(
    "UPDATE notices SET
       attempts = attempts + 1,
       last_error = COALESCE(?5, last_error),
       status = CASE
           WHEN status = 'delivered' THEN 'delivered'
           WHEN ?2 = 'delivered' THEN 'delivered'
           WHEN status = 'pending' THEN ?2
           ELSE status END,
       delivered_at_ms = CASE
           WHEN status = 'delivered' THEN delivered_at_ms
           WHEN ?2 = 'delivered' THEN ?4
           ELSE delivered_at_ms END,
       next_attempt_at_ms = CASE
           WHEN status = 'pending' AND ?2 = 'pending' THEN ?3
           ELSE next_attempt_at_ms END
     WHERE notice_id = ?1 RETURNING ",
    notice_columns!()
);

const UPDATE_RESEND: &str = concat!(
    "UPDATE notices SET status = 'pending', next_attempt_at_ms = ?2, delivered_at_ms = NULL
     WHERE notice_id = ?1 RETURNING ",
    notice_columns!()
);

const SELECT_ATTEMPTS: &str = "SELECT notice_id, attempt_no, at_ms, http_status, body_prefix,
    latency_ms, error FROM notice_attempts WHERE notice_id = ?1 ORDER BY attempt_no";

/// Inserts `notices` as pending, each due at its creation time. Runs inside the caller's
/// transaction, so the notices exist exactly if the change they report does.
pub(super) fn insert_all(connection: &Connection, notices: &[NewNotice]) -> Result<(), StoreError> {
    const DOING: &str = "recording a notice";
    let mut statement = connection.prepare_cached(INSERT_NOTICE).context(DOING)?;
    for notice in notices {
        let inserted = statement.execute(params![
            notice.notice_id,
            notice.payment_id,
            notice.refund_id,
            notice.kind,
            notice.dialect,
            notice.url,
            notice.created_at_ms,
            notice.reported_state,
        ]);
        match inserted {
            Ok(_) => {}
            Err(error) if is_primary_key_violation(&error) => {
                return Err(StoreError::AlreadyExists)
            }
            Err(error) => return Err(unavailable(DOING, &error)),
        }
    }
    Ok(())
}

/// Takes the due notices and pushes them `lease_ms` into the future (see
/// [`crate::Store::claim_due_notices`]). Must run on the writer: the select and the updates
/// are one step for every other claimer only because nothing else writes in between.
pub(super) fn claim_due(
    connection: &Connection,
    now_ms: i64,
    lease_ms: i64,
    limit: usize,
) -> Result<Vec<NoticeRecord>, StoreError> {
    const DOING: &str = "claiming notices";
    // More rows than i64 can count cannot exist, so saturating loses nothing.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut due = query_all(connection, SELECT_DUE, params![now_ms, limit])?;
    let lapses_at = now_ms.saturating_add(lease_ms);
    let mut update = connection.prepare_cached(UPDATE_LEASE).context(DOING)?;
    for notice in &mut due {
        update
            .execute(params![lapses_at, notice.created.notice_id])
            .context(DOING)?;
        notice.next_attempt_at_ms = lapses_at;
    }
    Ok(due)
}

/// Appends the attempt and applies its outcome (see [`crate::Store::record_notice_attempt`]).
/// Runs inside the caller's transaction.
pub(super) fn record_attempt(
    connection: &Connection,
    attempt: &NoticeAttempt,
    next: NoticeNext,
) -> Result<NoticeRecord, StoreError> {
    const DOING: &str = "recording a notice attempt";
    if by_id(connection, &attempt.notice_id)?.is_none() {
        return Err(StoreError::NotFound);
    }
    let attempt_no: i64 = connection
        .prepare_cached(NEXT_ATTEMPT_NO)
        .context(DOING)?
        .query_row([&attempt.notice_id], |row| row.get(0))
        .context(DOING)?;
    connection
        .prepare_cached(INSERT_ATTEMPT)
        .context(DOING)?
        .execute(params![
            attempt.notice_id,
            attempt_no,
            attempt.at_ms,
            attempt.http_status,
            truncate_chars(&attempt.body_prefix, BODY_PREFIX_MAX_CHARS),
            attempt.latency_ms,
            attempt.error,
        ])
        .context(DOING)?;
    let (status, due_at, delivered_at, failure) = match next {
        // Acknowledged when the answer came back, not when the request left.
        NoticeNext::Delivered => (
            NoticeStatus::Delivered,
            None,
            Some(attempt.at_ms.saturating_add(attempt.latency_ms)),
            None,
        ),
        NoticeNext::RetryAt(due_at) => (
            NoticeStatus::Pending,
            Some(due_at),
            None,
            Some(failure_of(attempt)),
        ),
        NoticeNext::GiveUp => (NoticeStatus::GivenUp, None, None, Some(failure_of(attempt))),
    };
    query_one(
        connection,
        UPDATE_AFTER_ATTEMPT,
        params![
            attempt.notice_id,
            status.as_str(),
            due_at,
            delivered_at,
            failure
        ],
    )?
    .ok_or_else(|| StoreError::Unavailable("a notice vanished as its attempt was recorded".into()))
}

/// What went wrong on a failed attempt: the transport error, else the HTTP status (the
/// merchant answered but did not acknowledge).
fn failure_of(attempt: &NoticeAttempt) -> String {
    match (&attempt.error, attempt.http_status) {
        (Some(error), _) => error.clone(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => "no answer".to_owned(),
    }
}

/// Makes a notice pending and due at `now_ms` (see [`crate::Store::resend_notice`]).
pub(super) fn resend(
    connection: &Connection,
    notice_id: &str,
    now_ms: i64,
) -> Result<NoticeRecord, StoreError> {
    query_one(connection, UPDATE_RESEND, params![notice_id, now_ms])?.ok_or(StoreError::NotFound)
}

/// One notice by id.
pub(super) fn by_id(
    connection: &Connection,
    notice_id: &str,
) -> Result<Option<NoticeRecord>, StoreError> {
    query_one(connection, SELECT_BY_ID, [notice_id])
}

/// A payment's notices, oldest first.
pub(super) fn of_payment(
    connection: &Connection,
    payment_id: &str,
) -> Result<Vec<NoticeRecord>, StoreError> {
    query_all(connection, SELECT_OF_PAYMENT, [payment_id])
}

/// A notice's attempts in the order they were made.
pub(super) fn attempts(
    connection: &Connection,
    notice_id: &str,
) -> Result<Vec<NoticeAttemptRecord>, StoreError> {
    const DOING: &str = "reading notice attempts";
    let mut statement = connection.prepare_cached(SELECT_ATTEMPTS).context(DOING)?;
    let mut rows = statement.query([notice_id]).context(DOING)?;
    let mut attempts = Vec::new();
    while let Some(row) = rows.next().context(DOING)? {
        let http_status: Option<i64> = column(row, 3)?;
        let http_status = match http_status {
            Some(code) => {
                Some(u16::try_from(code).map_err(|_| corrupt("HTTP status", &code.to_string()))?)
            }
            None => None,
        };
        attempts.push(NoticeAttemptRecord {
            attempt_no: column(row, 1)?,
            attempt: NoticeAttempt {
                notice_id: column(row, 0)?,
                at_ms: column(row, 2)?,
                http_status,
                body_prefix: column(row, 4)?,
                latency_ms: column(row, 5)?,
                error: column(row, 6)?,
            },
        });
    }
    Ok(attempts)
}

/// At most `max` characters of `text`, cut on a character boundary.
fn truncate_chars(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(end, _)| &text[..end])
}

/// The first notice `sql` yields, if any.
fn query_one(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Option<NoticeRecord>, StoreError> {
    const DOING: &str = "reading a notice";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    rows.next().context(DOING)?.map(notice_from_row).transpose()
}

/// Every notice `sql` yields.
fn query_all(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Vec<NoticeRecord>, StoreError> {
    const DOING: &str = "reading notices";
    let mut statement = connection.prepare_cached(sql).context(DOING)?;
    let mut rows = statement.query(params).context(DOING)?;
    let mut notices = Vec::new();
    while let Some(row) = rows.next().context(DOING)? {
        notices.push(notice_from_row(row)?);
    }
    Ok(notices)
}

/// A row of [`notice_columns!`] as a record, refusing names this build does not know.
fn notice_from_row(row: &Row<'_>) -> Result<NoticeRecord, StoreError> {
    let status: String = column(row, 7)?;
    let status =
        NoticeStatus::from_str_opt(&status).ok_or_else(|| corrupt("notice status", &status))?;
    Ok(NoticeRecord {
        created: NewNotice {
            notice_id: column(row, 0)?,
            payment_id: column(row, 1)?,
            refund_id: column(row, 2)?,
            kind: column(row, 3)?,
            dialect: column(row, 4)?,
            url: column(row, 5)?,
            created_at_ms: column(row, 6)?,
            reported_state: column(row, 12)?,
        },
        status,
        attempts: column(row, 8)?,
        next_attempt_at_ms: column(row, 9)?,
        delivered_at_ms: column(row, 10)?,
        last_error: column(row, 11)?,
    })
}

/// One column of a notice or attempt row.
fn column<T: FromSql>(row: &Row<'_>, index: usize) -> Result<T, StoreError> {
    row.get(index).context("reading a notice row")
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn truncation_counts_characters_and_keeps_them_whole() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcdef", 3), "abc");
        assert_eq!(truncate_chars("ééé", 2), "éé");
        assert_eq!(truncate_chars("", 0), "");
        assert_eq!(truncate_chars("x", 0), "");
    }
}
