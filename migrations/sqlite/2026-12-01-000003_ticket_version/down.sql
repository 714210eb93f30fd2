ALTER TABLE tickets DROP COLUMN version;
