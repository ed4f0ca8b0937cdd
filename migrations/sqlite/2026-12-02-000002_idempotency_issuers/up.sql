-- Written by hand (SQLite cannot change a primary key): the table is rebuilt.
-- Idempotency keys per issuer: a client's own keys and the operator's keys for that client's
-- data are apart. Keys older than the retention are swept by created_at.
CREATE TABLE idempotency_keys_by_issuer (
    client_id       text NOT NULL REFERENCES clients (id),
    issuer          text NOT NULL CHECK (issuer IN ('CLIENT', 'OPERATOR')),
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    operation       text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
    request_hash    text NOT NULL CHECK (length(request_hash) = 64),
    result_id       text NOT NULL,
    created_at      text NOT NULL,
    PRIMARY KEY (client_id, issuer, idempotency_key)
) STRICT;
INSERT INTO idempotency_keys_by_issuer
    SELECT client_id, 'CLIENT', idempotency_key, operation, request_hash, result_id, created_at
    FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_by_issuer RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
