-- Idempotency keys per issuer: a client's own keys and the operator's keys for that client's
-- data are apart. Keys older than the retention are swept by created_at.
ALTER TABLE idempotency_keys ADD COLUMN issuer text NOT NULL DEFAULT 'CLIENT'
    CHECK (issuer IN ('CLIENT', 'OPERATOR'));
ALTER TABLE idempotency_keys ALTER COLUMN issuer DROP DEFAULT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (client_id, issuer, idempotency_key);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
