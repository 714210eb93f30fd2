-- Secrets every instance of the fleet must share (issue 16): the JWT signing secret and the
-- CSRF key, when they are not configured. Generated once by the first instance that needs
-- one (insert first; the others read the stored value), so a token or form issued by one
-- instance works on every other. Anyone who can read this table can sign tokens: it is as
-- sensitive as the database itself.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
