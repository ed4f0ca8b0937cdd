DROP TABLE application_documents;
DROP TABLE application_status_history;
DROP TABLE applications;
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
