-- Issue 16: every load also stores what the router is rebuilt from — the checked
-- jurisdiction files and calendar year files as text (JSON, `snapshot`) with their SHA-256
-- (`digest`) — under a generation that only grows. Every instance checks the highest
-- generation and rebuilds its router from that snapshot. Loads stored before this
-- migration have neither (NULL).
ALTER TABLE jurisdiction_loads ADD COLUMN generation BIGINT;
ALTER TABLE jurisdiction_loads ADD COLUMN digest TEXT;
ALTER TABLE jurisdiction_loads ADD COLUMN snapshot TEXT;
CREATE UNIQUE INDEX jurisdiction_loads_generation ON jurisdiction_loads (generation);
CREATE INDEX jurisdiction_loads_digest ON jurisdiction_loads (digest);
