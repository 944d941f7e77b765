-- How far each webhook has delivered the security-event outbox (the id of the last event it
-- acknowledged).
CREATE TABLE webhook_cursors (
    name          TEXT    NOT NULL PRIMARY KEY,
    last_event_id INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
