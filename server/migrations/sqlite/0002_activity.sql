-- Sign-in history, risk decisions and feedback, SMS fallback and the passkey nudge.

-- When each authentication level was last reached in the session: JSON {acr: unix seconds}.
ALTER TABLE sessions ADD COLUMN acr_levels TEXT NOT NULL DEFAULT '{}';

-- Successful sign-ins: what the risk engine compares a new sign-in with (last location,
-- known devices), and the method mix of the figures.
CREATE TABLE logins (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    -- passkey | sms
    method     TEXT    NOT NULL,
    ip         TEXT    NOT NULL,
    country    TEXT,
    city       TEXT,
    latitude   REAL,
    longitude  REAL,
    device_id  TEXT
) STRICT;

CREATE INDEX logins_user_idx ON logins (user_id, at);
CREATE INDEX logins_at_idx ON logins (at);

-- Every risk decision with the facts it was made on. user_id is not a foreign key: decisions
-- are audit records and outlive deleted users.
CREATE TABLE risk_decisions (
    id             TEXT    NOT NULL PRIMARY KEY,
    point          TEXT    NOT NULL,
    user_id        TEXT,
    action         TEXT    NOT NULL,
    level          TEXT    NOT NULL,
    -- JSON: the whole decision (reasons, obligations...) and its facts.
    decision       TEXT    NOT NULL,
    facts          TEXT    NOT NULL,
    policy_version TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX risk_decisions_at_idx ON risk_decisions (created_at);

CREATE TABLE risk_feedback (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    decision_id TEXT    NOT NULL REFERENCES risk_decisions (id) ON DELETE CASCADE,
    -- right | wrong | confirmed_compromised
    label       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- One row per SMS send attempt, sent or blocked. The number is kept only as a peppered hash;
-- the prefix (the number without its last four digits) is kept for the conversion figures.
CREATE TABLE sms_messages (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT,
    phone_hash   BLOB    NOT NULL,
    country      TEXT,
    prefix       TEXT    NOT NULL,
    -- sent | blocked
    status       TEXT    NOT NULL,
    -- why it was blocked (a risk reason code)
    reason       TEXT,
    price_micros INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    verified_at  INTEGER
) STRICT;

CREATE INDEX sms_messages_at_idx ON sms_messages (created_at);

-- What the development SMS sender "sent" (never used with a real gateway).
CREATE TABLE sms_outbox (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    phone      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- After a sign-in by SMS the client is asked to enrol a passkey; converted when it does.
CREATE TABLE nudges (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id   TEXT    NOT NULL,
    shown_at     INTEGER NOT NULL,
    converted_at INTEGER
) STRICT;

CREATE INDEX nudges_session_idx ON nudges (session_id);
