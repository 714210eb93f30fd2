-- The agencies' working queue (issue 16): the open tickets of one agency, newest first,
-- one page at a time, whatever the planner's statistics say. During a flood one agency can
-- get thousands of tickets in minutes, long before autovacuum's next ANALYZE, and the
-- older indexes then made PostgreSQL sort every open ticket of the agency for each page
-- (~70 ms with 20,000). The storage layer writes the status filter as a literal list, so a
-- subset of these statuses lets the planner use this index.
CREATE INDEX tickets_agency_queue ON tickets (agency_code, created_at DESC, id DESC)
    WHERE status IN ('forwarded', 'in_progress', 'waiting_citizen', 'awaiting_approval');

-- Statistics that follow a flood: ANALYZE after 2 % of the rows changed (the default is
-- 10 %, i.e. 100,000 tickets on a table of a million), so the planner learns soon that one
-- agency now holds thousands of open tickets.
ALTER TABLE tickets SET (autovacuum_analyze_scale_factor = 0.02);
