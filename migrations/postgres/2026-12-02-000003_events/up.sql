-- The event log (outbox): every change writes its event in the same transaction. An event
-- is inserted without a sequence; the unit of work seals its transaction's events just
-- before commit by taking the next numbers from the client's counter row, whose lock it
-- then holds until commit, so numbers commit in order and a reader paging by sequence
-- never sees a number commit after a larger one.
CREATE TABLE event_sequences (
    client_id     uuid PRIMARY KEY REFERENCES clients (id),
    last_sequence bigint NOT NULL CHECK (last_sequence >= 0)
);
CREATE TABLE events (
    id           uuid PRIMARY KEY,
    client_id    uuid NOT NULL REFERENCES clients (id),
    sequence     bigint CHECK (sequence >= 1),
    event_type   text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 64),
    occurred_at  timestamptz NOT NULL,
    subject_kind text NOT NULL CHECK (length(subject_kind) BETWEEN 1 AND 64),
    subject_id   uuid NOT NULL,
    customer_ref text,
    account_ref  text,
    changes      text NOT NULL,
    actor        text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    reason       text,
    request_id   text CHECK (length(request_id) BETWEEN 1 AND 128),
    UNIQUE (client_id, sequence)
);
CREATE INDEX events_unsealed_idx ON events (client_id) WHERE sequence IS NULL;
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_customer_idx ON events (client_id, customer_ref, sequence);
CREATE INDEX events_subject_idx ON events (client_id, subject_id, sequence);
