-- Announcements a transition still owes the thread, committed with the transition itself.
-- A crash between the commit and the posts no longer loses a step summary: start-up
-- re-sends what is still here (at least once).
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    events     TEXT    NOT NULL,                      -- JSON list of encoded events
    created_at TEXT    NOT NULL
);
CREATE INDEX outbox_by_session ON outbox (session_id);
