-- The event log (outbox): every change writes its event in the same transaction. An event
-- is inserted without a sequence; the unit of work seals its transaction's events just
-- before commit from the client's counter row (SQLite has one writer at a time, so numbers
-- commit in order).
CREATE TABLE event_sequences (
    client_id     text PRIMARY KEY REFERENCES clients (id),
    last_sequence integer NOT NULL CHECK (last_sequence >= 0)
) STRICT;
CREATE TABLE events (
    id           text PRIMARY KEY,
    client_id    text NOT NULL REFERENCES clients (id),
    sequence     integer CHECK (sequence >= 1),
    event_type   text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 64),
    occurred_at  text NOT NULL,
    subject_kind text NOT NULL CHECK (length(subject_kind) BETWEEN 1 AND 64),
    subject_id   text NOT NULL,
    customer_ref text,
    account_ref  text,
    changes      text NOT NULL,
    actor        text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    reason       text,
    request_id   text CHECK (length(request_id) BETWEEN 1 AND 128),
    UNIQUE (client_id, sequence)
) STRICT;
CREATE INDEX events_unsealed_idx ON events (client_id) WHERE sequence IS NULL;
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_customer_idx ON events (client_id, customer_ref, sequence);
CREATE INDEX events_subject_idx ON events (client_id, subject_id, sequence);
