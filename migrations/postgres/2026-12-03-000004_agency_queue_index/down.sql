ALTER TABLE tickets RESET (autovacuum_analyze_scale_factor);
DROP INDEX tickets_agency_queue;
