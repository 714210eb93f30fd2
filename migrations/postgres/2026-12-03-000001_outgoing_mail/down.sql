DROP INDEX outbox_dead_at;
DROP INDEX outbox_message_id;
ALTER TABLE outbox DROP COLUMN last_attempt_at;
ALTER TABLE outbox DROP COLUMN note;
ALTER TABLE outbox DROP COLUMN recipient;
ALTER TABLE outbox DROP COLUMN message_id;
ALTER TABLE outbox DROP COLUMN dead_at;
