-- SQLite twin of the PostgreSQL migration (SQLite adds a NOT NULL column only with a default;
-- every insert gives last_activity_at).
ALTER TABLE clients ADD COLUMN clock_offset_ms integer NOT NULL DEFAULT 0
    CHECK (clock_offset_ms >= 0);

ALTER TABLE customers ADD COLUMN last_activity_at text NOT NULL DEFAULT '';
UPDATE customers SET last_activity_at = created_at;

CREATE INDEX customers_dormancy_idx ON customers (last_activity_at) WHERE status = 'ACTIVE';
CREATE INDEX customers_client_dormancy_idx ON customers (client_id, last_activity_at)
    WHERE status = 'ACTIVE';
