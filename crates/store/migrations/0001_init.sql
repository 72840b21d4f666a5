-- Version 1: merchants, their terminals, payments and each payment's event log.
--
-- Tables are STRICT so a value of the wrong type is refused rather than silently stored.
-- Only payment states carry a CHECK of their value list: flows and decline reasons grow with
-- the product, and SQLite can only widen a CHECK by rebuilding the table; the store refuses
-- unknown names when it reads them back instead.

CREATE TABLE merchants (
    account       TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE terminals (
    account            TEXT    NOT NULL REFERENCES merchants (account),
    terminal           TEXT    NOT NULL,
    secure_code_sealed BLOB    NOT NULL,
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at_ms      INTEGER NOT NULL,
    PRIMARY KEY (account, terminal)
) STRICT;

CREATE TABLE payments (
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
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired')),
    decline_reason TEXT,
    acquirer_ref   TEXT,
    qr_payload     TEXT,
    updated_at_ms  INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;

-- Serves both the replay and the duplicate check of every new payment.
CREATE INDEX payments_by_order ON payments (account, terminal, order_number);

-- Recovery scans unfinished payments oldest first; finished ones, the vast majority, stay out.
CREATE INDEX payments_open ON payments (created_at_ms, payment_id)
    WHERE state IN ('processing', 'pending');

CREATE TABLE payment_events (
    event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id     TEXT    NOT NULL REFERENCES payments (payment_id),
    at_ms          INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    from_state     TEXT CHECK (from_state IN
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired')),
    to_state       TEXT    NOT NULL CHECK (to_state IN
                       ('processing', 'pending', 'approved', 'declined', 'cancelled', 'expired')),
    decline_reason TEXT
) STRICT;

-- A payment's history is read by payment; the foreign key check also uses it.
CREATE INDEX payment_events_by_payment ON payment_events (payment_id, event_id);
