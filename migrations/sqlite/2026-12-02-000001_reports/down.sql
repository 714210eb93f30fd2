DROP INDEX tickets_updated_at;
DROP TABLE report_deliveries;
DROP TABLE overdue_reports;
