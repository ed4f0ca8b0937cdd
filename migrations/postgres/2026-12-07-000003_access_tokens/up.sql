-- Access tokens: short-lived credentials a client's backend mints for a browser or app,
-- stored as a hash only, with the scopes they allow and (optionally) the customers they are
-- limited to, by the client's own customerIds (a customer to be onboarded may not exist yet).
CREATE TABLE access_tokens (
    id          uuid PRIMARY KEY,
    client_id   uuid NOT NULL REFERENCES clients (id),
    api_key_id  uuid NOT NULL REFERENCES api_keys (id),
    prefix      text NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 8 AND 32),
    secret_hash text NOT NULL UNIQUE,
    label       text CHECK (length(label) BETWEEN 1 AND 200),
    scopes      text NOT NULL CHECK (length(scopes) BETWEEN 1 AND 500),
    restricted  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX access_tokens_client_idx ON access_tokens (client_id, expires_at);

CREATE TABLE access_token_customers (
    token_id             uuid NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    client_id            uuid NOT NULL REFERENCES clients (id),
    customer_external_id text NOT NULL CHECK (length(customer_external_id) BETWEEN 1 AND 100),
    PRIMARY KEY (token_id, customer_external_id)
);
