-- Foundation schema (SQLite). Keep in step with ../../postgres/<same folder>/up.sql:
-- the whole test suite runs on both backends to catch drift.

CREATE TABLE jurisdiction_loads (
    id TEXT PRIMARY KEY NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    areas INTEGER NOT NULL,
    agencies INTEGER NOT NULL,
    categories INTEGER NOT NULL,
    rules INTEGER NOT NULL
);

CREATE TABLE areas (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    search_key TEXT NOT NULL,
    level TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_code TEXT REFERENCES areas (code),
    aliases TEXT NOT NULL DEFAULT '[]',
    boundary TEXT,
    valid_from DATE NOT NULL,
    valid_to DATE,
    basis TEXT,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX areas_parent_code ON areas (parent_code);
CREATE INDEX areas_validity ON areas (valid_from, valid_to);

CREATE TABLE area_successions (
    successor_code TEXT NOT NULL REFERENCES areas (code),
    predecessor_code TEXT NOT NULL REFERENCES areas (code),
    effective DATE NOT NULL,
    partial BOOLEAN NOT NULL,
    basis TEXT,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (successor_code, predecessor_code)
);
CREATE INDEX area_successions_predecessor_code ON area_successions (predecessor_code);

CREATE TABLE agencies (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_code TEXT REFERENCES areas (code),
    valid_from DATE NOT NULL,
    valid_to DATE,
    basis TEXT,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX agencies_area_code ON agencies (area_code);
CREATE INDEX agencies_validity ON agencies (valid_from, valid_to);

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT REFERENCES categories (code),
    description TEXT,
    attributes TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL DEFAULT 0,
    valid_from DATE NOT NULL,
    valid_to DATE,
    basis TEXT,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX categories_parent_code ON categories (parent_code);

CREATE TABLE routing_rules (
    id TEXT PRIMARY KEY NOT NULL,
    category_code TEXT REFERENCES categories (code),
    area_code TEXT REFERENCES areas (code),
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    valid_from DATE NOT NULL,
    valid_to DATE,
    basis TEXT,
    confirmed BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX routing_rules_category_code ON routing_rules (category_code);
CREATE INDEX routing_rules_area_code ON routing_rules (area_code);
CREATE INDEX routing_rules_agency_code ON routing_rules (agency_code);

-- Staff accounts (operators, IOC, agency clerks and leaders). Login and the clerk
-- workflow arrive with later issues; the table is here so tickets can point at users.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    agency_code TEXT REFERENCES agencies (code),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_agency_code ON users (agency_code);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    area_code TEXT REFERENCES areas (code),
    address TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    -- Personal data (Nghị định 13/2023): only here, never in event payloads.
    reporter_name TEXT,
    reporter_phone TEXT,
    reporter_email TEXT,
    reporter_subject TEXT,
    consent_at TIMESTAMP,
    routing_decision TEXT,
    forward_due_at TIMESTAMP,
    accept_due_at TIMESTAMP,
    answer_due_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    CONSTRAINT tickets_code_key UNIQUE (code)
);
-- An agency's open tickets by due date (the agency queue).
CREATE INDEX tickets_agency_status_due ON tickets (agency_code, status, answer_due_at);
-- Monthly reports: tickets received in a period, per agency.
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX tickets_agency_created_at ON tickets (agency_code, created_at);
CREATE INDEX tickets_category_code ON tickets (category_code);
CREATE INDEX tickets_area_code ON tickets (area_code);
CREATE INDEX tickets_reporter_subject ON tickets (reporter_subject);

-- The append-only audit trail of each ticket.
CREATE TABLE ticket_events (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_ref TEXT,
    occurred_at TIMESTAMP NOT NULL,
    visibility TEXT NOT NULL,
    payload TEXT NOT NULL,
    CONSTRAINT ticket_events_ticket_seq_key UNIQUE (ticket_id, seq)
);
CREATE INDEX ticket_events_occurred_at ON ticket_events (occurred_at);
CREATE INDEX ticket_events_kind_occurred_at ON ticket_events (kind, occurred_at);

CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

-- Metadata of uploaded files; the bytes live on disk under data/attachments/.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_path TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_ticket_id ON attachments (ticket_id);

-- Transactional outbox: messages (acknowledgements, notifications) written in the same
-- transaction as the state change and delivered later by a worker.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    topic TEXT NOT NULL,
    ticket_id TEXT REFERENCES tickets (id),
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    available_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, available_at);
CREATE INDEX outbox_ticket_id ON outbox (ticket_id);
