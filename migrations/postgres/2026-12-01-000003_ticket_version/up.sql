-- Every change of a ticket bumps its version (1 when filed); optimistic checks compare it.
ALTER TABLE tickets ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
