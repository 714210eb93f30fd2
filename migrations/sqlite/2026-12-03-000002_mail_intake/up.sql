-- Inbound mail (issue 15): what the IMAP poller took from the 1022 mailbox.
--
-- mailbox_state: one row per polled mailbox ("user@host:port/folder"). uid_validity and
-- last_uid are where the poller got to; a changed UIDVALIDITY re-reads the folder, which
-- is safe because inbound_mail below is unique per message. lease_holder/lease_until make
-- one instance of the fleet poll a mailbox at a time; another takes over when the lease
-- runs out.
CREATE TABLE mailbox_state (
    mailbox TEXT PRIMARY KEY NOT NULL,
    uid_validity BIGINT,
    last_uid BIGINT NOT NULL DEFAULT 0,
    polled_at TIMESTAMP,
    lease_holder TEXT,
    lease_until TIMESTAMP
);

-- inbound_mail: every message the poller decided about, once. message_id is the
-- Message-ID without <> (or "sha256-<hex>" of the raw message when it has none); unique
-- per mailbox and inserted in the same transaction as the ticket or the reply it made, so
-- a crash between that commit and the move to the processed folder makes no second ticket.
-- outcome: filed | reply | reopened | refused | auto-reply | bounce | own | list | capped |
-- quarantined. ticket_id: the ticket it made or joined (or whose notice bounced).
-- original_text: the whole body text before quoted replies and signatures were trimmed.
CREATE TABLE inbound_mail (
    id TEXT PRIMARY KEY NOT NULL,
    mailbox TEXT NOT NULL,
    message_id TEXT NOT NULL,
    uid_validity BIGINT,
    uid BIGINT,
    received_at TIMESTAMP NOT NULL,
    sender TEXT,
    subject TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    ticket_id TEXT REFERENCES tickets (id),
    original_text TEXT,
    dropped_attachments TEXT NOT NULL DEFAULT '[]',
    UNIQUE (mailbox, message_id)
);
CREATE INDEX inbound_mail_ticket ON inbound_mail (ticket_id);
CREATE INDEX inbound_mail_sender ON inbound_mail (sender, received_at);
CREATE INDEX inbound_mail_received ON inbound_mail (received_at);

-- mail_address_status: addresses our mail bounced from. An address with bounces is
-- failing: the console flags it (for an agency's address, so the IOC fixes the contact).
CREATE TABLE mail_address_status (
    address TEXT PRIMARY KEY NOT NULL,
    first_bounce_at TIMESTAMP NOT NULL,
    last_bounce_at TIMESTAMP NOT NULL,
    bounces INTEGER NOT NULL,
    last_message_id TEXT,
    cleared_at TIMESTAMP
);
