DROP TABLE mail_address_status;
DROP TABLE inbound_mail;
DROP TABLE mailbox_state;
