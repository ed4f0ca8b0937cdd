DROP INDEX idempotency_keys_created_idx;
DELETE FROM idempotency_keys WHERE issuer = 'OPERATOR';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (client_id, idempotency_key);
ALTER TABLE idempotency_keys DROP COLUMN issuer;
