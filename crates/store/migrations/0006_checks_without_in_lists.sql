-- Version 6: the state CHECKs written as OR chains, and the event log without AUTOINCREMENT.
--
-- SQLite evaluates `x IN (three or more constants)` by building a temporary b-tree, and a
-- CHECK is evaluated on every insert and update: the `IN` lists of versions 1 and 2 cost four
-- temporary b-trees per payment on the write path. A chain of `=` tests accepts exactly the
-- same values without one. AUTOINCREMENT made every event insert also update
-- `sqlite_sequence`; the log is append-only and never deleted from, so a plain INTEGER PRIMARY
-- KEY (the largest id plus one) already never reuses an id.
--
-- Both tables are rebuilt the documented way, as in version 2; the runner turns foreign keys
-- off around this and runs `PRAGMA foreign_key_check` before committing.

CREATE TABLE payments_v6 (
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
    state          TEXT    NOT NULL CHECK (state = 'processing' OR state = 'pending'
                       OR state = 'approved' OR state = 'declined' OR state = 'cancelled'
                       OR state = 'expired' OR state = 'voided'),
    decline_reason TEXT,
    acquirer_ref   TEXT,
    qr_payload     TEXT,
    updated_at_ms  INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    dialect_data   TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The rowid is copied: it orders payments created in the same millisecond.
INSERT INTO payments_v6 (rowid, payment_id, account, terminal, order_number, method, flow,
    amount_minor, currency, amount_text, order_notes, notice_url, payment_code, payer_masked,
    fingerprint, dialect, created_at_ms, expires_at_ms, state, decline_reason, acquirer_ref,
    qr_payload, updated_at_ms, version, dialect_data)
SELECT rowid, payment_id, account, terminal, order_number, method, flow,
    amount_minor, currency, amount_text, order_notes, notice_url, payment_code, payer_masked,
    fingerprint, dialect, created_at_ms, expires_at_ms, state, decline_reason, acquirer_ref,
    qr_payload, updated_at_ms, version, dialect_data
FROM payments;

DROP TABLE payments;
ALTER TABLE payments_v6 RENAME TO payments;

CREATE INDEX payments_by_order ON payments (account, terminal, order_number, created_at_ms);
CREATE INDEX payments_open ON payments (created_at_ms, payment_id)
    WHERE state IN ('processing', 'pending');

CREATE TABLE payment_events_v6 (
    event_id       INTEGER PRIMARY KEY,
    payment_id     TEXT    NOT NULL REFERENCES payments (payment_id),
    at_ms          INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    from_state     TEXT CHECK (from_state = 'processing' OR from_state = 'pending'
                       OR from_state = 'approved' OR from_state = 'declined'
                       OR from_state = 'cancelled' OR from_state = 'expired'
                       OR from_state = 'voided'),
    to_state       TEXT    NOT NULL CHECK (to_state = 'processing' OR to_state = 'pending'
                       OR to_state = 'approved' OR to_state = 'declined'
                       OR to_state = 'cancelled' OR to_state = 'expired'
                       OR to_state = 'voided'),
    decline_reason TEXT
) STRICT;

INSERT INTO payment_events_v6 (event_id, payment_id, at_ms, event, from_state, to_state,
    decline_reason)
SELECT event_id, payment_id, at_ms, event, from_state, to_state, decline_reason
FROM payment_events;

DROP TABLE payment_events;
ALTER TABLE payment_events_v6 RENAME TO payment_events;

CREATE INDEX payment_events_by_payment ON payment_events (payment_id, event_id);
