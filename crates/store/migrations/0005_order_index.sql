-- Every lookup by order (replay check, duplicate check, order query) wants the newest first;
-- with the creation time in the index SQLite reads it in that order instead of sorting in a
-- temporary b-tree for every payment.
DROP INDEX payments_by_order;
CREATE INDEX payments_by_order ON payments (account, terminal, order_number, created_at_ms);
