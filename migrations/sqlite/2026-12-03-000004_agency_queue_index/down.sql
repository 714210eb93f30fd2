DROP INDEX tickets_agency_queue;
