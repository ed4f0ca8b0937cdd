CREATE INDEX payors_client_idx ON payors (client_id);
DROP INDEX payors_client_customer_idx;
CREATE INDEX accounts_client_idx ON accounts (client_id);
DROP INDEX accounts_client_customer_idx;
