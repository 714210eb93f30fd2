-- Outgoing mail (issue 15) is delivered from the outbox. A row settles one of three ways:
-- sent (`sent_at`, with the `message_id` we gave it, or with a `note` such as "no address"
-- when there was nobody to write to), or dead (`dead_at`) after its last failed attempt.
-- `message_id` is the Message-ID header without its angle brackets
-- (`{row id}.{tracking code}@{mail.message_id_domain}`): a reply names it in In-Reply-To,
-- so the inbound side looks it up. `recipient` is who it went (or goes) to, for the
-- console's list of a ticket's messages and for threading messages to the same person.
ALTER TABLE outbox ADD COLUMN dead_at TIMESTAMP;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN recipient TEXT;
ALTER TABLE outbox ADD COLUMN note TEXT;
ALTER TABLE outbox ADD COLUMN last_attempt_at TIMESTAMP;
CREATE INDEX outbox_message_id ON outbox (message_id);
CREATE INDEX outbox_dead_at ON outbox (dead_at);
