-- The anshin store schema, SQLite flavour (see ../postgres/0001_init.sql for PostgreSQL).
--
-- Conventions shared with the PostgreSQL schema, so that the queries in src/store/ are one
-- text for both: times are Unix seconds (INTEGER), user ids are UUIDs (here as lowercase
-- hyphenated TEXT), JSON is TEXT, booleans are 0/1. Tables are STRICT so that a value of the
-- wrong type is an error rather than silently stored.

CREATE TABLE users (
    id           TEXT    NOT NULL PRIMARY KEY,
    handle       BLOB    NOT NULL UNIQUE CHECK (length(handle) BETWEEN 1 AND 64),
    name         TEXT    NOT NULL UNIQUE,
    display_name TEXT    NOT NULL,
    phone        TEXT,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE credentials (
    id                  BLOB    NOT NULL PRIMARY KEY,
    user_id             TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The COSE_Key bytes as the authenticator produced them.
    public_key          BLOB    NOT NULL,
    sign_count          INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    uv_initialized      INTEGER NOT NULL CHECK (uv_initialized IN (0, 1)),
    -- JSON array of transport names.
    transports          TEXT    NOT NULL,
    backup_eligible     INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backup_state        INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
    aaguid              BLOB    NOT NULL CHECK (length(aaguid) = 16),
    attestation_format  TEXT    NOT NULL,
    -- NULL when the client did not say (credProps.rk).
    discoverable        INTEGER CHECK (discoverable IN (0, 1)),
    nickname            TEXT,
    authenticator_name  TEXT,
    attestation_type    TEXT    NOT NULL,
    attestation_trusted INTEGER NOT NULL CHECK (attestation_trusted IN (0, 1)),
    created_at          INTEGER NOT NULL,
    last_used_at        INTEGER
) STRICT;

CREATE INDEX credentials_user_id_idx ON credentials (user_id);

CREATE TABLE sessions (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Not a foreign key: a session outlives the removal of the passkey that opened it
    -- (revoking it is the service's decision).
    credential_id BLOB,
    acr           TEXT    NOT NULL,
    -- JSON array of RFC 8176 method names.
    amr           TEXT    NOT NULL,
    auth_time     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
) STRICT;

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- The outbox. user_id is deliberately not a foreign key: events outlive deleted users.
-- AUTOINCREMENT so that an id is never reused (ids are cursors).
CREATE TABLE security_events (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    user_id       TEXT,
    credential_id BLOB,
    -- JSON.
    data          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX security_events_user_id_idx ON security_events (user_id, id);

CREATE TABLE signing_keys (
    kid        TEXT    NOT NULL PRIMARY KEY,
    -- ES256 private key, PKCS#8 DER.
    pkcs8      BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;

CREATE TABLE api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    -- SHA-256 of the secret.
    hash       BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
