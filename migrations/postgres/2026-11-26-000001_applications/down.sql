DROP TABLE application_documents;
DROP TABLE application_status_history;
DROP TABLE applications;
CREATE TABLE applications (
    id                             uuid PRIMARY KEY,
    client_id                      uuid NOT NULL REFERENCES clients (id),
    customer_external_id           text NOT NULL CHECK (length(customer_external_id) BETWEEN 1 AND 100),
    application_type               text NOT NULL CHECK (application_type IN ('INDIVIDUAL', 'CORPORATION')),
    status                         text NOT NULL CHECK (status IN (
                                       'INCOMPLETE', 'READY_FOR_SUBMISSION', 'SUBMITTED', 'PROCESSING',
                                       'APPROVED', 'REJECTED', 'CHANGES_REQUESTED')),
    terms_and_conditions_accepted  boolean NOT NULL DEFAULT false,
    version                        bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                     timestamptz NOT NULL,
    updated_at                     timestamptz NOT NULL
);
CREATE INDEX applications_client_created_idx ON applications (client_id, created_at, id);
