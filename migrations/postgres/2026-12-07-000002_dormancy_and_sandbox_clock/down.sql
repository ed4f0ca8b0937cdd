DROP INDEX customers_client_dormancy_idx;
DROP INDEX customers_dormancy_idx;
ALTER TABLE customers DROP COLUMN last_activity_at;
ALTER TABLE clients DROP COLUMN clock_offset_ms;
