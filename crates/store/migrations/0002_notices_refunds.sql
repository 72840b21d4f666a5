-- Version 2: the `voided` payment state, refunds, and the notice outbox with its attempt log.
--
-- SQLite cannot widen a CHECK in place, so `payments` and `payment_events` are rebuilt the
-- documented way (create the new table, copy, drop, rename, recreate indexes). The runner
-- turns foreign keys off around this and runs `PRAGMA foreign_key_check` before committing.

CREATE TABLE payments_v2 (
    payment_id     TEXT    NOT NULL PRIMARY KEY,
    account        TEXT    NOT NULL,
    terminal       TEXT    NOT NULL,
    order_number   TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    flow           TEXT    NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT    NOT NULL,
    amount_text    TEXT    NOT NULL,
    order_notes    TEXT    NOT NULL,
    notice_url     TEXT,
    payment_code   TEXT,
    payer_masked   TEXT,
    fingerprint    TEXT    NOT NULL,
    dialect        TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER,
    state          TEXT    NOT NULL CHECK (state IN
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired',
                        'voided')),
    decline_reason TEXT,
    acquirer_ref   TEXT,
    qr_payload     TEXT,
    updated_at_ms  INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;

-- The rowid is copied too: it breaks ties between payments created in the same millisecond
-- (the replay check and order listings take the latest), so it must keep its order.
INSERT INTO payments_v2 (rowid, payment_id, account, terminal, order_number, method, flow,
    amount_minor, currency, amount_text, order_notes, notice_url, payment_code, payer_masked,
    fingerprint, dialect, created_at_ms, expires_at_ms, state, decline_reason, acquirer_ref,
    qr_payload, updated_at_ms, version)
SELECT rowid, payment_id, account, terminal, order_number, method, flow,
    amount_minor, currency, amount_text, order_notes, notice_url, payment_code, payer_masked,
    fingerprint, dialect, created_at_ms, expires_at_ms, state, decline_reason, acquirer_ref,
    qr_payload, updated_at_ms, version
FROM payments;

DROP TABLE payments;
ALTER TABLE payments_v2 RENAME TO payments;

CREATE INDEX payments_by_order ON payments (account, terminal, order_number);
CREATE INDEX payments_open ON payments (created_at_ms, payment_id)
    WHERE state IN ('processing', 'pending');

CREATE TABLE payment_events_v2 (
    event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id     TEXT    NOT NULL REFERENCES payments (payment_id),
    at_ms          INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    from_state     TEXT CHECK (from_state IN
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired',
                        'voided')),
    to_state       TEXT    NOT NULL CHECK (to_state IN
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired',
                        'voided')),
    decline_reason TEXT
) STRICT;

-- Explicit event ids keep the log's order; AUTOINCREMENT's counter follows the largest copied.
INSERT INTO payment_events_v2 (event_id, payment_id, at_ms, event, from_state, to_state,
    decline_reason)
SELECT event_id, payment_id, at_ms, event, from_state, to_state, decline_reason
FROM payment_events;

DROP TABLE payment_events;
ALTER TABLE payment_events_v2 RENAME TO payment_events;

CREATE INDEX payment_events_by_payment ON payment_events (payment_id, event_id);

-- Refunds of approved payments. Decline reasons carry no CHECK, as for payments.
CREATE TABLE refunds (
    refund_id      TEXT    NOT NULL PRIMARY KEY,
    payment_id     TEXT    NOT NULL REFERENCES payments (payment_id),
    refund_number  TEXT,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    amount_text    TEXT    NOT NULL,
    full           INTEGER NOT NULL CHECK (full IN (0, 1)),
    description    TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('processing', 'succeeded', 'failed')),
    decline_reason TEXT,
    acquirer_ref   TEXT,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;

-- The merchant's refund number identifies a refund within its payment (replays); refunds
-- without one are never replays of each other.
CREATE UNIQUE INDEX refunds_by_number ON refunds (payment_id, refund_number)
    WHERE refund_number IS NOT NULL;

-- A payment's refunds: listing them and summing what they hold on every new refund.
CREATE INDEX refunds_by_payment ON refunds (payment_id, created_at_ms);

-- Recovery scans unconfirmed refunds oldest first; settled ones stay out.
CREATE INDEX refunds_open ON refunds (created_at_ms, refund_id) WHERE state = 'processing';

-- The notice outbox: rows are written in the same transaction as the change they report.
CREATE TABLE notices (
    notice_id          TEXT    NOT NULL PRIMARY KEY,
    payment_id         TEXT    NOT NULL REFERENCES payments (payment_id),
    refund_id          TEXT    REFERENCES refunds (refund_id),
    kind               TEXT    NOT NULL,
    dialect            TEXT    NOT NULL,
    url                TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'given_up')),
    attempts           INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at_ms INTEGER NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    delivered_at_ms    INTEGER,
    last_error         TEXT
) STRICT;

-- Claiming reads pending notices by due time; delivered and given-up ones, the vast majority,
-- stay out.
CREATE INDEX notices_due ON notices (status, next_attempt_at_ms) WHERE status = 'pending';

CREATE INDEX notices_by_payment ON notices (payment_id, created_at_ms);

CREATE TABLE notice_attempts (
    notice_id   TEXT    NOT NULL REFERENCES notices (notice_id),
    attempt_no  INTEGER NOT NULL CHECK (attempt_no > 0),
    at_ms       INTEGER NOT NULL,
    http_status INTEGER,
    body_prefix TEXT    NOT NULL,
    latency_ms  INTEGER NOT NULL,
    error       TEXT,
    PRIMARY KEY (notice_id, attempt_no)
) STRICT, WITHOUT ROWID;
