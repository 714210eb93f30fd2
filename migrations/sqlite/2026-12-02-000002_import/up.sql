-- `tongdai import` (historical tickets from the system in use before): one row per run of a
-- file, updated in the transaction of every committed batch, so a run interrupted by a crash
-- continues after its last committed batch (found again by the file's SHA-256 and format).
CREATE TABLE import_runs (
    id TEXT PRIMARY KEY NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    lines_done BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX import_runs_file ON import_runs (file_sha256, format, finished_at);
