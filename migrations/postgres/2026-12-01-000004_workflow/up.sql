-- The workflow's summary columns (issue 13): the answer clock's pause, the extension the
-- IOC has to decide, when the answer was published, and the accent-folded text that staff and public searches match.
ALTER TABLE tickets ADD COLUMN answer_paused_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN pending_extension_until TIMESTAMP;
ALTER TABLE tickets ADD COLUMN published_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_status_created_at ON tickets (status, created_at, id);
CREATE INDEX tickets_agency_created_at_id ON tickets (agency_code, created_at, id);
CREATE INDEX tickets_answer_due_at ON tickets (answer_due_at, id);
CREATE INDEX tickets_published_at ON tickets (published_at, id);
CREATE INDEX tickets_pending_extension ON tickets (pending_extension_until);
-- Trigram index: "contains" searches over a million tickets without a full scan.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tickets_search_text_trgm ON tickets USING gin (search_text gin_trgm_ops);
