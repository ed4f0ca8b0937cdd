-- SQLite twin of the PostgreSQL migration (STRICT tables; uuid and timestamps as text).
-- Foundation: tenants, API keys, the supported asset types, and the tenant tables that later
-- capabilities extend (customers, their history, applications, accounts, payors).

CREATE TABLE clients (
    id          text PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    environment text NOT NULL CHECK (environment IN ('SANDBOX', 'PRODUCTION')),
    regulated   integer NOT NULL DEFAULT 0 CHECK (regulated IN (0, 1)),
    created_at  text NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    client_id   text REFERENCES clients (id),
    role        text NOT NULL CHECK (role IN ('CLIENT', 'OPERATOR')),
    prefix      text NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 8 AND 32),
    secret_hash text NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
    label       text CHECK (length(label) <= 200),
    created_at  text NOT NULL,
    revoked_at  text,
    CHECK ((role = 'CLIENT') = (client_id IS NOT NULL))
) STRICT;
CREATE INDEX api_keys_client_id_idx ON api_keys (client_id);

CREATE TABLE asset_types (
    id       text PRIMARY KEY CHECK (id GLOB '[A-Z0-9]*_[A-Z0-9]*_[A-Z0-9]*' AND id NOT GLOB '*[^A-Z0-9_]*'),
    decimals integer NOT NULL CHECK (decimals BETWEEN 0 AND 18)
) STRICT;
INSERT INTO asset_types (id, decimals) VALUES
    ('FIAT_MAINNET_USD', 2),
    ('FIAT_TESTNET_USD', 2),
    ('FIAT_MAINNET_EUR', 2),
    ('FIAT_TESTNET_EUR', 2),
    ('ETHEREUM_SEPOLIA_USDC', 6),
    ('BITCOIN_TESTNET_BTC', 8);

CREATE TABLE customers (
    id                  text PRIMARY KEY,
    client_id           text NOT NULL REFERENCES clients (id),
    external_id         text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    customer_type       text NOT NULL CHECK (customer_type IN ('INDIVIDUAL', 'CORPORATION')),
    status              text NOT NULL CHECK (status IN (
                            'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                            'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    first_name          text,
    middle_name         text,
    last_name           text,
    registered_name     text,
    trading_name        text,
    email_address       text,
    telephone_number    text,
    accredited_investor integer NOT NULL DEFAULT 0 CHECK (accredited_investor IN (0, 1)),
    version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at          text NOT NULL,
    updated_at          text NOT NULL,
    UNIQUE (client_id, external_id),
    CHECK ((customer_type = 'INDIVIDUAL' AND first_name IS NOT NULL AND last_name IS NOT NULL)
        OR (customer_type = 'CORPORATION' AND registered_name IS NOT NULL))
) STRICT;
CREATE INDEX customers_client_created_idx ON customers (client_id, created_at, id);

CREATE TABLE customer_status_history (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    client_id   text NOT NULL REFERENCES clients (id),
    from_status text CHECK (from_status IN (
                    'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                    'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    to_status   text NOT NULL CHECK (to_status IN (
                    'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                    'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    updated_by  text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
    actor       text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    created_at  text NOT NULL
) STRICT;
CREATE INDEX customer_status_history_customer_idx ON customer_status_history (customer_id, created_at, id);
CREATE INDEX customer_status_history_client_idx ON customer_status_history (client_id);

CREATE TABLE applications (
    id                             text PRIMARY KEY,
    client_id                      text NOT NULL REFERENCES clients (id),
    customer_external_id           text NOT NULL CHECK (length(customer_external_id) BETWEEN 1 AND 100),
    application_type               text NOT NULL CHECK (application_type IN ('INDIVIDUAL', 'CORPORATION')),
    status                         text NOT NULL CHECK (status IN (
                                       'INCOMPLETE', 'READY_FOR_SUBMISSION', 'SUBMITTED', 'PROCESSING',
                                       'APPROVED', 'REJECTED', 'CHANGES_REQUESTED')),
    terms_and_conditions_accepted  integer NOT NULL DEFAULT 0 CHECK (terms_and_conditions_accepted IN (0, 1)),
    version                        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                     text NOT NULL,
    updated_at                     text NOT NULL
) STRICT;
CREATE INDEX applications_client_created_idx ON applications (client_id, created_at, id);

CREATE TABLE accounts (
    id                text PRIMARY KEY,
    client_id         text NOT NULL REFERENCES clients (id),
    customer_id       text NOT NULL REFERENCES customers (id),
    external_id       text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    product_id        text NOT NULL CHECK (product_id IN ('DEPOSIT_BASIC', 'PAYMENT_BASIC')),
    asset_type_id     text NOT NULL REFERENCES asset_types (id),
    status            text NOT NULL CHECK (status IN (
                          'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                          'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    current_balance   integer NOT NULL DEFAULT 0 CHECK (current_balance >= 0),
    available_balance integer NOT NULL DEFAULT 0 CHECK (available_balance >= 0),
    is_default        integer NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at        text NOT NULL,
    updated_at        text NOT NULL,
    closed_at         text,
    UNIQUE (client_id, external_id),
    CHECK (available_balance <= current_balance),
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
) STRICT;
CREATE INDEX accounts_customer_idx ON accounts (customer_id, created_at, id);
CREATE INDEX accounts_asset_type_idx ON accounts (asset_type_id);
CREATE UNIQUE INDEX accounts_one_default_per_customer ON accounts (customer_id) WHERE is_default = 1;

CREATE TABLE payors (
    id               text PRIMARY KEY,
    client_id        text NOT NULL REFERENCES clients (id),
    customer_id      text NOT NULL REFERENCES customers (id),
    external_id      text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    first_name       text,
    middle_name      text,
    last_name        text,
    company_name     text,
    email_address    text,
    phone_number     text,
    state            text,
    country_code     text NOT NULL CHECK (length(country_code) = 2),
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    UNIQUE (customer_id, external_id),
    CHECK (company_name IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL))
) STRICT;
CREATE INDEX payors_client_idx ON payors (client_id);
