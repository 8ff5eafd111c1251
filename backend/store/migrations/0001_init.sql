-- Integrations hold metadata only; every secret lives in the OS keychain.
CREATE TABLE integrations (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    provider           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    settings           TEXT NOT NULL DEFAULT '{}',
    account            TEXT NOT NULL DEFAULT '',
    required_scopes    TEXT NOT NULL DEFAULT '[]',
    granted_scopes     TEXT NOT NULL DEFAULT '[]',
    status             TEXT NOT NULL,
    cause              TEXT NOT NULL DEFAULT '',
    problem            TEXT NOT NULL DEFAULT '',
    paused             INTEGER NOT NULL DEFAULT 0,
    last_checked       INTEGER NOT NULL DEFAULT 0,
    last_healthy       INTEGER NOT NULL DEFAULT 0,
    access_expires_at  INTEGER NOT NULL DEFAULT 0,
    refresh_expires_at INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX integrations_name ON integrations (name COLLATE NOCASE);

-- History survives removal: the id is nulled, the name is kept.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    time             INTEGER NOT NULL,
    integration_id   TEXT REFERENCES integrations (id) ON DELETE SET NULL,
    integration_name TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    old_status       TEXT NOT NULL DEFAULT '',
    new_status       TEXT NOT NULL DEFAULT '',
    cause            TEXT NOT NULL DEFAULT '',
    message          TEXT NOT NULL DEFAULT '',
    detail           TEXT NOT NULL DEFAULT '',
    account          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_time ON events (time);
