-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.
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
    id       text PRIMARY KEY CHECK (id NOT GLOB '*[^A-Z0-9_]*' AND id NOT GLOB '_*' AND id NOT GLOB '*_' AND id NOT GLOB '*__*' AND length(id) - length(replace(id, '_', '')) = 2),
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
    id                                text PRIMARY KEY,
    client_id                         text NOT NULL REFERENCES clients (id),
    external_id                       text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    customer_type                     text NOT NULL CHECK (customer_type IN ('INDIVIDUAL', 'CORPORATION')),
    status                            text NOT NULL CHECK (status IN (
                                          'ACTIVE', 'CLOSED', 'EDD', 'PENDING', 'FROZEN', 'DORMANT',
                                          'ACTIVE_L2F', 'EDD_L2F', 'PENDING_L2F', 'FROZEN_L2F', 'DORMANT_L2F')),
    -- individual
    first_name                        text,
    middle_name                       text,
    last_name                         text,
    date_of_birth                     text,
    nationality                       text CHECK (length(nationality) = 2),
    tax_reference_number              text,
    passport_number                   text,
    us_residency_status               text CHECK (us_residency_status IN ('US_CITIZEN', 'RESIDENT_ALIEN', 'NON_RESIDENT_ALIEN')),
    employment_status                 text CHECK (employment_status IN ('EMPLOYEE', 'SELF_EMPLOYED', 'RETIRED', 'UNEMPLOYED', 'OTHER')),
    employment_description            text,
    employer_name                     text,
    occupation                        text,
    mailing_address                   text,
    -- corporation
    registered_name                   text,
    trading_name                      text,
    registered_number                 text,
    registered_address                text,
    physical_address                  text,
    website_address                   text,
    state_of_incorporation            text,
    country_of_incorporation          text CHECK (length(country_of_incorporation) = 2),
    corporate_entity_type             text CHECK (corporate_entity_type IN (
                                          'C_CORP_PRIVATE', 'C_CORP_PUBLIC', 'HNWI', 'LLC', 'LLP', 'LP',
                                          'S_CORP', 'SOLE_PROP', 'TRUST', 'NON_PROFIT', 'OTHER')),
    corporate_entity_type_description text,
    established_on                    text,
    naics                             text,
    naics_description                 text,
    -- both
    email_address                     text,
    telephone_number                  text,
    accredited_investor               integer NOT NULL DEFAULT 0 CHECK (accredited_investor IN (0, 1)),
    -- Lower-cased names and customerId, written by the server, for `search` (the same
    -- Unicode lower-casing on both databases).
    search_text                       text NOT NULL,
    version                           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                        text NOT NULL,
    updated_at                        text NOT NULL,
    UNIQUE (client_id, external_id),
    -- Child rows reference (id, client_id): a row of one client can never point at another
    -- client's customer.
    UNIQUE (id, client_id),
    CHECK ((customer_type = 'INDIVIDUAL' AND first_name IS NOT NULL AND last_name IS NOT NULL
            AND registered_name IS NULL)
        OR (customer_type = 'CORPORATION' AND registered_name IS NOT NULL AND first_name IS NULL)),
    CHECK (corporate_entity_type IS NOT 'OTHER' OR corporate_entity_type_description IS NOT NULL)
) STRICT;
-- Listing: per client in creation or customerId order, optionally by status, type or flag.
CREATE INDEX customers_client_created_idx ON customers (client_id, created_at, id);
CREATE INDEX customers_client_status_idx ON customers (client_id, status, created_at, id);
CREATE INDEX customers_client_type_idx ON customers (client_id, customer_type, created_at, id);
CREATE INDEX customers_client_accredited_idx ON customers (client_id, accredited_investor, created_at, id);
-- Ordered by customerId: the key's full order, so no sort step is needed (the unique
-- constraint alone does not tell the planner that id never breaks a tie).
CREATE INDEX customers_client_external_idx ON customers (client_id, external_id, id);
-- The operator's listing across clients.
CREATE INDEX customers_created_idx ON customers (created_at, id);
CREATE INDEX customers_external_idx ON customers (external_id, id);

-- The people of a corporate customer: officers, beneficial owners, control persons...
CREATE TABLE customer_individuals (
    id                   text PRIMARY KEY,
    customer_id          text NOT NULL,
    client_id            text NOT NULL REFERENCES clients (id),
    individual_type      text NOT NULL CHECK (length(individual_type) > 0),
    title                text,
    ownership_bp         integer CHECK (ownership_bp BETWEEN 0 AND 10000),
    first_name           text NOT NULL,
    middle_name          text,
    last_name            text NOT NULL,
    email_address        text,
    telephone_number     text,
    mailing_address      text,
    tax_reference_number text,
    passport_number      text,
    nationality          text CHECK (length(nationality) = 2),
    date_of_birth        text,
    us_residency_status  text CHECK (us_residency_status IN ('US_CITIZEN', 'RESIDENT_ALIEN', 'NON_RESIDENT_ALIEN')),
    created_at           text NOT NULL,
    updated_at           text NOT NULL,
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id)
) STRICT;
CREATE INDEX customer_individuals_customer_idx ON customer_individuals (customer_id, created_at, id);
CREATE INDEX customer_individuals_client_idx ON customer_individuals (client_id);

-- Who changed a customer's details, when and why (the values themselves are not copied).
CREATE TABLE customer_change_log (
    id             text PRIMARY KEY,
    customer_id    text NOT NULL,
    client_id      text NOT NULL REFERENCES clients (id),
    version        integer NOT NULL,
    changed_fields text NOT NULL,
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    updated_by     text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
    actor          text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    created_at     text NOT NULL,
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id)
) STRICT;
CREATE INDEX customer_change_log_customer_idx ON customer_change_log (customer_id, created_at, id);
CREATE INDEX customer_change_log_client_idx ON customer_change_log (client_id);

CREATE TABLE customer_status_history (
    id          text PRIMARY KEY,
    customer_id text NOT NULL,
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
    created_at  text NOT NULL,
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id)
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
    customer_id       text NOT NULL,
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
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL)),
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id)
) STRICT;
CREATE INDEX accounts_customer_idx ON accounts (customer_id, created_at, id);
CREATE INDEX accounts_asset_type_idx ON accounts (asset_type_id);
CREATE UNIQUE INDEX accounts_one_default_per_customer ON accounts (customer_id) WHERE is_default = 1;

CREATE TABLE payors (
    id               text PRIMARY KEY,
    client_id        text NOT NULL REFERENCES clients (id),
    customer_id      text NOT NULL,
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
    CHECK (company_name IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)),
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id)
) STRICT;
CREATE INDEX payors_client_idx ON payors (client_id);
