ALTER TABLE application_documents ADD COLUMN content bytea NOT NULL DEFAULT '';
UPDATE application_documents SET content = (
    SELECT string_agg(bytes, '' ORDER BY seq) FROM application_document_chunks
    WHERE document_id = application_documents.id);
DROP TABLE application_document_chunks;
