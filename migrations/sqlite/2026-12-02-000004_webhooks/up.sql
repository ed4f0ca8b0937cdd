-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.
-- Webhooks: a client's subscriptions, the deliveries owed to them (one per subscription and
-- event, fanned out from the event log past the subscription's cursor), and every attempt.
CREATE TABLE webhook_subscriptions (
    id                    text PRIMARY KEY,
    client_id             text NOT NULL REFERENCES clients (id),
    url                   text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    event_types           text NOT NULL,
    description           text CHECK (length(description) <= 500),
    enabled               integer NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    disabled_reason       text,
    secret                text NOT NULL,
    previous_secret       text,
    previous_secret_until text,
    -- The last event sequence of the client fanned out to this subscription.
    event_cursor          integer NOT NULL CHECK (event_cursor >= 0),
    created_at            text NOT NULL,
    updated_at            text NOT NULL
) STRICT;
CREATE INDEX webhook_subscriptions_client_idx ON webhook_subscriptions (client_id, created_at);
CREATE TABLE webhook_messages (
    id               text PRIMARY KEY,
    subscription_id  text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    client_id        text NOT NULL REFERENCES clients (id),
    event_id         text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    sequence         integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts         integer NOT NULL CHECK (attempts >= 0),
    next_attempt_at  text NOT NULL,
    lease_until      text,
    first_attempt_at text,
    created_at       text NOT NULL
) STRICT;
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_messages_subscription_idx ON webhook_messages (subscription_id, sequence);
CREATE INDEX webhook_messages_event_idx ON webhook_messages (event_id);
CREATE TABLE webhook_attempts (
    id              text PRIMARY KEY,
    message_id      text NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    subscription_id text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    client_id       text NOT NULL REFERENCES clients (id),
    event_id        text NOT NULL,
    attempt         integer NOT NULL CHECK (attempt >= 1),
    attempted_at    text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('SUCCEEDED', 'FAILED')),
    response_status integer,
    latency_ms      integer NOT NULL CHECK (latency_ms >= 0),
    response_body   text CHECK (length(response_body) <= 1024),
    error           text,
    next_attempt_at text
) STRICT;
CREATE INDEX webhook_attempts_subscription_idx ON webhook_attempts (subscription_id, attempted_at);
CREATE INDEX webhook_attempts_message_idx ON webhook_attempts (message_id);
