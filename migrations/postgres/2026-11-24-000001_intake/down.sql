DROP TABLE api_keys;
DROP TABLE idempotency_keys;
DROP INDEX tickets_submitted_by;
ALTER TABLE tickets DROP COLUMN submitted_by;
ALTER TABLE tickets DROP COLUMN attributes;
