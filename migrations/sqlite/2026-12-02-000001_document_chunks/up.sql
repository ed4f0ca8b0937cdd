-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.
-- Uploaded files in bounded chunks, so that neither an upload nor its driver holds a whole
-- file in memory: a document's bytes are its chunks in `seq` order.
CREATE TABLE application_document_chunks (
    document_id     text NOT NULL REFERENCES application_documents (id) ON DELETE CASCADE,
    seq             integer NOT NULL CHECK (seq >= 0),
    bytes           blob NOT NULL CHECK (length(bytes) > 0),
    PRIMARY KEY (document_id, seq)
) STRICT;
INSERT INTO application_document_chunks (document_id, seq, bytes)
    SELECT id, 0, content FROM application_documents;
ALTER TABLE application_documents DROP COLUMN content;
