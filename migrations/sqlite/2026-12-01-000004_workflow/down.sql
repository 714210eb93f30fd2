DROP INDEX IF EXISTS tickets_search_text_trgm;
DROP INDEX tickets_published_at;
DROP INDEX tickets_answer_due_at;
DROP INDEX tickets_agency_created_at_id;
DROP INDEX tickets_status_created_at;
ALTER TABLE tickets DROP COLUMN search_text;
ALTER TABLE tickets DROP COLUMN published_at;
ALTER TABLE tickets DROP COLUMN pending_extension_until;
ALTER TABLE tickets DROP COLUMN answer_paused_at;
