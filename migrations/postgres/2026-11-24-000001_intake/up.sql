-- Intake channels: category answers, who typed a phone report in, idempotent retries,
-- Open311 API keys.
ALTER TABLE tickets ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tickets ADD COLUMN submitted_by TEXT REFERENCES users (id);
CREATE INDEX tickets_submitted_by ON tickets (submitted_by);

-- A retried request (same scope and key) returns the ticket of the first one.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_ticket_id ON idempotency_keys (ticket_id);

-- Open311 API keys, stored as SHA-256 of the key; the key itself is shown once.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
