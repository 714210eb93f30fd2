DROP INDEX jurisdiction_loads_digest;
DROP INDEX jurisdiction_loads_generation;
ALTER TABLE jurisdiction_loads DROP COLUMN snapshot;
ALTER TABLE jurisdiction_loads DROP COLUMN digest;
ALTER TABLE jurisdiction_loads DROP COLUMN generation;
