-- A client's accounts and payors of a page of its customers (the nested page's second level:
-- client_id = ? AND customer_id IN (…), in created order) through one index that leads with
-- the client, as every client-scoped read does. Without it SQLite, which keeps no statistics,
-- scanned all of the client's accounts through the client-only index. That index is a prefix
-- of the new one, so it goes.
CREATE INDEX accounts_client_customer_idx ON accounts (client_id, customer_id, created_at, id);
DROP INDEX accounts_client_idx;
CREATE INDEX payors_client_customer_idx ON payors (client_id, customer_id, created_at, id);
DROP INDEX payors_client_idx;
