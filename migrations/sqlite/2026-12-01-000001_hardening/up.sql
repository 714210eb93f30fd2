-- Idempotency keys are swept by age (intake.idempotency_retention_hours).
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
