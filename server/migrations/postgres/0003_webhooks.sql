-- How far each webhook has delivered the security-event outbox (the id of the last event it
-- acknowledged).
CREATE TABLE webhook_cursors (
    name          TEXT   NOT NULL CONSTRAINT webhook_cursors_pkey PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
