-- The anshin store schema, PostgreSQL flavour (see ../sqlite/0001_init.sql for SQLite).
--
-- Conventions shared with the SQLite schema, so that the queries in src/store/ are one text
-- for both: times are Unix seconds (BIGINT), JSON is TEXT (the store binds it as text).
-- Constraint names start with their table's name: the store maps a unique violation to the
-- conflicting entity by that prefix.

CREATE TABLE users (
    id           UUID   NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    handle       BYTEA  NOT NULL CONSTRAINT users_handle_key UNIQUE
                        CONSTRAINT users_handle_len CHECK (octet_length(handle) BETWEEN 1 AND 64),
    name         TEXT   NOT NULL CONSTRAINT users_name_key UNIQUE,
    display_name TEXT   NOT NULL,
    phone        TEXT,
    created_at   BIGINT NOT NULL
);

CREATE TABLE credentials (
    id                  BYTEA   NOT NULL CONSTRAINT credentials_pkey PRIMARY KEY,
    user_id             UUID    NOT NULL CONSTRAINT credentials_user_id_fkey
                                REFERENCES users (id) ON DELETE CASCADE,
    -- The COSE_Key bytes as the authenticator produced them.
    public_key          BYTEA   NOT NULL,
    sign_count          BIGINT  NOT NULL
                                CONSTRAINT credentials_sign_count_range
                                CHECK (sign_count BETWEEN 0 AND 4294967295),
    uv_initialized      BOOLEAN NOT NULL,
    -- JSON array of transport names.
    transports          TEXT    NOT NULL,
    backup_eligible     BOOLEAN NOT NULL,
    backup_state        BOOLEAN NOT NULL,
    aaguid              BYTEA   NOT NULL
                                CONSTRAINT credentials_aaguid_len CHECK (octet_length(aaguid) = 16),
    attestation_format  TEXT    NOT NULL,
    -- NULL when the client did not say (credProps.rk).
    discoverable        BOOLEAN,
    nickname            TEXT,
    authenticator_name  TEXT,
    attestation_type    TEXT    NOT NULL,
    attestation_trusted BOOLEAN NOT NULL,
    created_at          BIGINT  NOT NULL,
    last_used_at        BIGINT
);

CREATE INDEX credentials_user_id_idx ON credentials (user_id);

CREATE TABLE sessions (
    id            TEXT   NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY,
    user_id       UUID   NOT NULL CONSTRAINT sessions_user_id_fkey
                         REFERENCES users (id) ON DELETE CASCADE,
    -- Not a foreign key: a session outlives the removal of the passkey that opened it
    -- (revoking it is the service's decision).
    credential_id BYTEA,
    acr           TEXT   NOT NULL,
    -- JSON array of RFC 8176 method names.
    amr           TEXT   NOT NULL,
    auth_time     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- The outbox. user_id is deliberately not a foreign key: events outlive deleted users.
CREATE TABLE security_events (
    id            BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY
                         CONSTRAINT security_events_pkey PRIMARY KEY,
    kind          TEXT   NOT NULL,
    user_id       UUID,
    credential_id BYTEA,
    -- JSON.
    data          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE INDEX security_events_user_id_idx ON security_events (user_id, id);

CREATE TABLE signing_keys (
    kid        TEXT   NOT NULL CONSTRAINT signing_keys_pkey PRIMARY KEY,
    -- ES256 private key, PKCS#8 DER.
    pkcs8      BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE api_keys (
    id         TEXT   NOT NULL CONSTRAINT api_keys_pkey PRIMARY KEY,
    -- SHA-256 of the secret.
    hash       BYTEA  NOT NULL CONSTRAINT api_keys_hash_key UNIQUE
                      CONSTRAINT api_keys_hash_len CHECK (octet_length(hash) = 32),
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
