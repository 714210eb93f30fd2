-- The monthly overdue report (issue 14). A closed period's report is stored once, with the
-- SHA-256 of its figures, and never changed: re-running it must give the same checksum.
CREATE TABLE overdue_reports (
    period TEXT PRIMARY KEY NOT NULL,
    period_from TIMESTAMP NOT NULL,
    period_to TIMESTAMP NOT NULL,
    generated_at TIMESTAMP NOT NULL,
    definitions TEXT NOT NULL,
    checksum TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE FUNCTION overdue_reports_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'overdue_reports are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER overdue_reports_no_update BEFORE UPDATE ON overdue_reports
    FOR EACH ROW EXECUTE FUNCTION overdue_reports_immutable();
CREATE TRIGGER overdue_reports_no_delete BEFORE DELETE ON overdue_reports
    FOR EACH ROW EXECUTE FUNCTION overdue_reports_immutable();

-- Every push of a report to the IOC (webhook or e-mail) and what came back.
CREATE TABLE report_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL REFERENCES overdue_reports (period),
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    succeeded BOOLEAN NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    error TEXT
);
CREATE INDEX report_deliveries_period ON report_deliveries (period, attempted_at);

-- The report reads tickets touched since a period began (and those still open).
CREATE INDEX tickets_updated_at ON tickets (updated_at);
