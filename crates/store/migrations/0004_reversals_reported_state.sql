-- An approved payment whose full reversal was asked for: while the row exists no refund can
-- be recorded, and the resolver keeps asking the acquirer until the payment is voided.
CREATE TABLE reversals (
    payment_id      TEXT PRIMARY KEY REFERENCES payments (payment_id),
    requested_at_ms INTEGER NOT NULL
) STRICT;

-- The payment state a transaction notice reports: the state that caused it, not whatever the
-- payment is in when the notice is finally delivered. Empty for refund notices.
ALTER TABLE notices ADD COLUMN reported_state TEXT NOT NULL DEFAULT '';
