CREATE TABLE idempotency_keys_single (
    client_id       text NOT NULL REFERENCES clients (id),
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    operation       text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
    request_hash    text NOT NULL CHECK (length(request_hash) = 64),
    result_id       text NOT NULL,
    created_at      text NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
) STRICT;
INSERT INTO idempotency_keys_single
    SELECT client_id, idempotency_key, operation, request_hash, result_id, created_at
    FROM idempotency_keys WHERE issuer = 'CLIENT';
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_single RENAME TO idempotency_keys;
