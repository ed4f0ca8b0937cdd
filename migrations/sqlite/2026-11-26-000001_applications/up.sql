-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.
-- Applications (KYC/KYB onboarding): the draft customer, its people, the account to open,
-- the operator's change requests, the lifecycle history and the uploaded documents.
-- The foundation's placeholder `applications` table had no API and so holds no rows; the
-- guard makes sure (a row would fail its CHECK and stop the migration) before it is replaced.

CREATE TEMPORARY TABLE applications_empty_guard (
    rows_found integer NOT NULL CHECK (rows_found = 0)
) STRICT;
INSERT INTO applications_empty_guard SELECT count(*) FROM applications;
DROP TABLE applications_empty_guard;

DROP TABLE applications;

CREATE TABLE applications (
    id                             text PRIMARY KEY,
    client_id                      text NOT NULL REFERENCES clients (id),
    customer_external_id           text NOT NULL CHECK (length(customer_external_id) BETWEEN 1 AND 100),
    application_type               text NOT NULL CHECK (application_type IN ('INDIVIDUAL', 'CORPORATION')),
    status                         text NOT NULL CHECK (status IN (
                                       'INCOMPLETE', 'READY_FOR_SUBMISSION', 'SUBMITTED', 'PROCESSING',
                                       'APPROVED', 'REJECTED', 'CHANGES_REQUESTED')),
    customer_details               text NOT NULL,
    individuals                    text NOT NULL,
    account_id                     text CHECK (length(account_id) BETWEEN 1 AND 100),
    product_id                     text CHECK (product_id IN ('DEPOSIT_BASIC', 'PAYMENT_BASIC')),
    asset_type_id                  text REFERENCES asset_types (id),
    terms_and_conditions_accepted  integer NOT NULL DEFAULT 0 CHECK (terms_and_conditions_accepted IN (0, 1)),
    change_requests                text NOT NULL,
    customer_id                    text,
    decision_reason                text CHECK (length(decision_reason) <= 500),
    version                        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                     text NOT NULL,
    updated_at                     text NOT NULL,
    submitted_at                   text,
    decided_at                     text,
    UNIQUE (id, client_id),
    FOREIGN KEY (customer_id, client_id) REFERENCES customers (id, client_id),
    CHECK ((status = 'APPROVED') = (customer_id IS NOT NULL)),
    CHECK ((account_id IS NULL) = (product_id IS NULL) AND (account_id IS NULL) = (asset_type_id IS NULL))
) STRICT;
-- A customerId is held by at most one open application of a client.
CREATE UNIQUE INDEX applications_open_customer_id_idx ON applications (client_id, customer_external_id) WHERE status <> 'REJECTED';
-- An accountId to open is held by at most one undecided application of a client.
CREATE UNIQUE INDEX applications_open_account_id_idx ON applications (client_id, account_id)
    WHERE account_id IS NOT NULL AND status NOT IN ('APPROVED', 'REJECTED');
CREATE INDEX applications_client_created_idx ON applications (client_id, created_at, id);
CREATE INDEX applications_created_idx ON applications (created_at, id);
CREATE INDEX applications_customer_idx ON applications (customer_id);

CREATE TABLE application_status_history (
    id              text PRIMARY KEY,
    application_id  text NOT NULL,
    client_id       text NOT NULL,
    from_status     text CHECK (from_status IN (
                        'INCOMPLETE', 'READY_FOR_SUBMISSION', 'SUBMITTED', 'PROCESSING',
                        'APPROVED', 'REJECTED', 'CHANGES_REQUESTED')),
    to_status       text NOT NULL CHECK (to_status IN (
                        'INCOMPLETE', 'READY_FOR_SUBMISSION', 'SUBMITTED', 'PROCESSING',
                        'APPROVED', 'REJECTED', 'CHANGES_REQUESTED')),
    actor           text NOT NULL CHECK (actor IN ('CLIENT', 'OPERATOR', 'SYSTEM')),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_at      text NOT NULL,
    FOREIGN KEY (application_id, client_id) REFERENCES applications (id, client_id)
) STRICT;
CREATE INDEX application_status_history_app_idx ON application_status_history (application_id, created_at, id);

CREATE TABLE application_documents (
    id              text PRIMARY KEY,
    application_id  text NOT NULL,
    client_id       text NOT NULL,
    individual_id   text,
    document_type   text NOT NULL CHECK (document_type IN (
                        'DRIVERS_LICENCE_FRONT', 'DRIVERS_LICENCE_BACK', 'GOVERNMENT_ID_FRONT',
                        'GOVERNMENT_ID_BACK', 'PASSPORT', 'UTILITY_BILL', 'FINANCIAL_STATEMENT',
                        'LEASE_AGREEMENT', 'SOCIAL_SECURITY_CARD', 'POWER_OF_ATTORNEY', 'ANNUAL_REPORT',
                        'INCORPORATION_DOCUMENTS', 'PARTNERSHIP_AGREEMENT', 'LLC_AGREEMENT')),
    status          text NOT NULL CHECK (status IN ('SUBMITTED', 'CHANGES_REQUESTED', 'REJECTED', 'APPROVED')),
    review_note     text CHECK (length(review_note) <= 500),
    file_name       text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type    text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes      integer NOT NULL CHECK (size_bytes > 0),
    sha256          text NOT NULL CHECK (length(sha256) = 64),
    content         blob NOT NULL,
    uploaded_at     text NOT NULL,
    reviewed_at     text,
    FOREIGN KEY (application_id, client_id) REFERENCES applications (id, client_id)
) STRICT;
CREATE INDEX application_documents_app_idx ON application_documents (application_id);
