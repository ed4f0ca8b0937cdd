-- Each SANDBOX client's own clock runs this far ahead of real time; it only moves forward.
ALTER TABLE clients ADD COLUMN clock_offset_ms bigint NOT NULL DEFAULT 0
    CHECK (clock_offset_ms >= 0);

-- When the customer last did something of its own (dormancy): its creation, until it acts.
ALTER TABLE customers ADD COLUMN last_activity_at timestamptz;
UPDATE customers SET last_activity_at = created_at;
ALTER TABLE customers ALTER COLUMN last_activity_at SET NOT NULL;

-- The dormancy job takes ACTIVE customers by oldest activity, across clients and per client
-- (a sandbox client's own clock); the filter dormantBefore reads the second.
CREATE INDEX customers_dormancy_idx ON customers (last_activity_at) WHERE status = 'ACTIVE';
CREATE INDEX customers_client_dormancy_idx ON customers (client_id, last_activity_at)
    WHERE status = 'ACTIVE';
