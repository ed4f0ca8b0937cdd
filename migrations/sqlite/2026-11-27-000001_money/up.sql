-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.
-- Money: account status history and the cascade's memory, payors' listing, payment
-- addresses, account transactions, the double-entry ledger, transfers and idempotency keys.
-- Amounts are integer minor units of the account's asset (asset_types.decimals).

-- The status an account had before its customer's freeze froze it (NULL: not frozen by the
-- cascade), so that unfreezing the customer restores exactly those accounts.
ALTER TABLE accounts ADD COLUMN frozen_from text CHECK (frozen_from IN (
    'ACTIVE', 'EDD', 'PENDING', 'DORMANT', 'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'DORMANT_L2F'));
-- Child rows reference (id, client_id): no row of one client can point at another's account.
CREATE UNIQUE INDEX accounts_id_client_idx ON accounts (id, client_id);
CREATE INDEX accounts_client_idx ON accounts (client_id);

ALTER TABLE payors ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
CREATE UNIQUE INDEX payors_id_client_idx ON payors (id, client_id);
CREATE INDEX payors_customer_idx ON payors (customer_id, created_at, id);

CREATE TABLE account_status_history (
    id          text PRIMARY KEY,
    account_id  text NOT NULL,
    client_id   text NOT NULL REFERENCES clients (id),
    from_status text NOT NULL CHECK (from_status IN (
                    'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                    'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    to_status   text NOT NULL CHECK (to_status IN (
                    'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                    'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    updated_by  text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
    actor       text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    created_at  text NOT NULL,
    FOREIGN KEY (account_id, client_id) REFERENCES accounts (id, client_id)
) STRICT;
CREATE INDEX account_status_history_account_idx ON account_status_history (account_id, created_at, id);
CREATE INDEX account_status_history_client_idx ON account_status_history (client_id);

CREATE TABLE payment_addresses (
    id                      text PRIMARY KEY,
    client_id               text NOT NULL REFERENCES clients (id),
    account_id              text NOT NULL,
    payor_id                text NOT NULL,
    wallet_address          text NOT NULL UNIQUE CHECK (length(wallet_address) BETWEEN 8 AND 100),
    asset_type_id           text NOT NULL REFERENCES asset_types (id),
    payment_reference       text NOT NULL CHECK (length(payment_reference) BETWEEN 1 AND 140),
    expected_amount         integer CHECK (expected_amount > 0),
    lease_enforced          integer NOT NULL DEFAULT 0 CHECK (lease_enforced IN (0, 1)),
    lease_end_date          text,
    lease_transaction_limit integer CHECK (lease_transaction_limit > 0),
    lease_value_limit       integer CHECK (lease_value_limit > 0),
    transactions_received   integer NOT NULL DEFAULT 0 CHECK (transactions_received >= 0),
    value_received          integer NOT NULL DEFAULT 0 CHECK (value_received >= 0),
    created_at              text NOT NULL,
    CHECK (lease_transaction_limit IS NULL OR transactions_received <= lease_transaction_limit),
    CHECK (lease_value_limit IS NULL OR value_received <= lease_value_limit),
    FOREIGN KEY (account_id, client_id) REFERENCES accounts (id, client_id),
    FOREIGN KEY (payor_id, client_id) REFERENCES payors (id, client_id)
) STRICT;
CREATE UNIQUE INDEX payment_addresses_id_client_idx ON payment_addresses (id, client_id);
CREATE INDEX payment_addresses_account_idx ON payment_addresses (account_id, created_at, id);
CREATE INDEX payment_addresses_payor_idx ON payment_addresses (payor_id);

-- Which payors have paid, or may pay, into which account (an address or a payment).
CREATE TABLE account_payors (
    account_id text NOT NULL,
    payor_id   text NOT NULL,
    client_id  text NOT NULL REFERENCES clients (id),
    created_at text NOT NULL,
    PRIMARY KEY (account_id, payor_id),
    FOREIGN KEY (account_id, client_id) REFERENCES accounts (id, client_id),
    FOREIGN KEY (payor_id, client_id) REFERENCES payors (id, client_id)
) STRICT;
CREATE INDEX account_payors_payor_idx ON account_payors (payor_id);

CREATE TABLE transfers (
    id                     text PRIMARY KEY,
    client_id              text NOT NULL REFERENCES clients (id),
    source_account_id      text NOT NULL,
    destination_account_id text NOT NULL,
    asset_type_id          text NOT NULL REFERENCES asset_types (id),
    amount                 integer NOT NULL CHECK (amount > 0),
    description            text CHECK (length(description) <= 500),
    status                 text NOT NULL CHECK (status IN (
                               'REQUESTED', 'ACCEPTED', 'EXPIRED', 'CANCELLED', 'EXECUTED', 'REJECTED')),
    valid_until            text NOT NULL,
    rejection_reason       text CHECK (length(rejection_reason) <= 500),
    version                integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at             text NOT NULL,
    updated_at             text NOT NULL,
    CHECK (source_account_id <> destination_account_id),
    FOREIGN KEY (source_account_id, client_id) REFERENCES accounts (id, client_id),
    FOREIGN KEY (destination_account_id, client_id) REFERENCES accounts (id, client_id)
) STRICT;
CREATE UNIQUE INDEX transfers_id_client_idx ON transfers (id, client_id);
-- The sweeper's and the on-access expiry's search: requested transfers by deadline.
CREATE INDEX transfers_status_due_idx ON transfers (status, valid_until);
CREATE INDEX transfers_source_idx ON transfers (source_account_id, status);
CREATE INDEX transfers_destination_idx ON transfers (destination_account_id);

-- What an account's statement shows. Only the status of an AUTHORIZED hold ever changes
-- (to POSTED or CANCELLED); the money itself moves in ledger_entries.
CREATE TABLE account_transactions (
    id                text PRIMARY KEY,
    client_id         text NOT NULL REFERENCES clients (id),
    account_id        text NOT NULL,
    transaction_type  text NOT NULL CHECK (transaction_type IN (
                          'TRANSFER_IN', 'TRANSFER_OUT', 'FEE', 'DEBIT_CORRECTION',
                          'CREDIT_CORRECTION', 'TRADE', 'INTERNAL_TRANSFER')),
    category_type     text NOT NULL CHECK (category_type IN (
                          'ADJUSTMENT', 'DEPOSIT', 'EXCHANGE', 'TRANSFER', 'WITHDRAWAL')),
    status            text NOT NULL CHECK (status IN ('AUTHORIZED', 'PENDING', 'POSTED', 'CANCELLED')),
    value             integer NOT NULL CHECK (value > 0),
    description       text CHECK (length(description) <= 500),
    payor_id          text,
    payment_reference text CHECK (length(payment_reference) <= 140),
    address_id        text,
    transfer_id       text,
    transaction_date  text NOT NULL,
    posted_at         text,
    version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((status = 'POSTED') = (posted_at IS NOT NULL)),
    FOREIGN KEY (account_id, client_id) REFERENCES accounts (id, client_id),
    FOREIGN KEY (payor_id, client_id) REFERENCES payors (id, client_id),
    FOREIGN KEY (address_id, client_id) REFERENCES payment_addresses (id, client_id),
    FOREIGN KEY (transfer_id, client_id) REFERENCES transfers (id, client_id)
) STRICT;
CREATE INDEX account_transactions_account_idx ON account_transactions (account_id, transaction_date, id);
CREATE INDEX account_transactions_transfer_idx ON account_transactions (transfer_id);
CREATE INDEX account_transactions_client_status_idx ON account_transactions (client_id, status);

-- The double-entry ledger: append-only. The entries of one posting sum to zero; an account's
-- AVAILABLE entries sum to its available balance, AVAILABLE plus HELD to its current balance.
-- EXTERNAL entries (no account) are the other side of money entering from outside.
CREATE TABLE ledger_entries (
    id             text PRIMARY KEY,
    posting_id     text NOT NULL,
    client_id      text NOT NULL REFERENCES clients (id),
    transaction_id text NOT NULL REFERENCES account_transactions (id),
    account_id     text,
    asset_type_id  text NOT NULL REFERENCES asset_types (id),
    bucket         text NOT NULL CHECK (bucket IN ('AVAILABLE', 'HELD', 'EXTERNAL')),
    amount         integer NOT NULL CHECK (amount <> 0),
    created_at     text NOT NULL,
    CHECK ((bucket = 'EXTERNAL') = (account_id IS NULL)),
    FOREIGN KEY (account_id, client_id) REFERENCES accounts (id, client_id)
) STRICT;
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id);
CREATE INDEX ledger_entries_posting_idx ON ledger_entries (posting_id);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_client_idx ON ledger_entries (client_id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

-- Idempotency keys, per client: the request's hash and the object it produced. The key row is
-- written in the transaction of the effect, so a concurrent duplicate waits and then finds it.
CREATE TABLE idempotency_keys (
    client_id       text NOT NULL REFERENCES clients (id),
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    operation       text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
    request_hash    text NOT NULL CHECK (length(request_hash) = 64),
    result_id       text NOT NULL,
    created_at      text NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
) STRICT;
