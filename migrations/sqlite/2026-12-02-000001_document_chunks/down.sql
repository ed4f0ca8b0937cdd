-- Written by hand: SQLite has no string_agg. Blobs survive group_concat byte for byte; the
-- subquery gives it the chunks in order.
ALTER TABLE application_documents ADD COLUMN content blob NOT NULL DEFAULT x'';
UPDATE application_documents SET content = (
    SELECT CAST(group_concat(bytes, x'') AS BLOB) FROM (
        SELECT bytes FROM application_document_chunks
        WHERE document_id = application_documents.id ORDER BY seq));
DROP TABLE application_document_chunks;
