-- Team alert destinations. The webhook URL grants posting, so it lives
-- in the keychain; this row holds only what Settings shows.
CREATE TABLE alert_destinations (
    id                TEXT PRIMARY KEY,
    label             TEXT NOT NULL,
    format            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    last_attempt_at   INTEGER NOT NULL DEFAULT 0,
    last_delivered_at INTEGER NOT NULL DEFAULT 0,
    last_status       INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    failing_since     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alert_destinations_label ON alert_destinations (label COLLATE NOCASE);

-- Messages waiting for delivery, drained in seq order per destination so
-- a receiver that was down gets them later and in order, also after a
-- restart. The payload is the language-neutral event, never a secret.
CREATE TABLE alert_outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    destination_id  TEXT NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_outbox_destination ON alert_outbox (destination_id, seq);
