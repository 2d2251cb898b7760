-- Sessions, their sticky notes, and replies to notes.
CREATE TABLE sessions (
    id                      INTEGER PRIMARY KEY,
    guild_id                INTEGER NOT NULL,
    channel_id              INTEGER NOT NULL,
    thread_id               INTEGER NOT NULL UNIQUE,
    facilitator_id          INTEGER NOT NULL,
    topic                   TEXT    NOT NULL,
    locale                  TEXT    NOT NULL,
    template                TEXT    NOT NULL,
    steps                   TEXT    NOT NULL,          -- JSON: [{"kind": ..., "seconds": ...}]
    step_index              INTEGER NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('running', 'paused', 'ended')),
    step_started_at         TEXT    NOT NULL,          -- ISO 8601, UTC
    due_at                  TEXT,                      -- set while running
    remaining_seconds       REAL,                      -- set while paused
    reminder_before_seconds REAL    NOT NULL,
    reminded_step           INTEGER NOT NULL DEFAULT -1,
    last_message_id         INTEGER,
    created_at              TEXT    NOT NULL,
    ended_at                TEXT,
    version                 INTEGER NOT NULL DEFAULT 0
);

-- One active session per channel; the database refuses a second even under a race.
CREATE UNIQUE INDEX sessions_one_active_per_channel
    ON sessions (channel_id) WHERE status != 'ended';
CREATE INDEX sessions_active ON sessions (status) WHERE status != 'ended';

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step_index  INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    author_name TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    attachments TEXT    NOT NULL DEFAULT '[]',         -- JSON list of URLs
    source      TEXT    NOT NULL CHECK (source IN ('message', 'command', 'button')),
    message_id  INTEGER UNIQUE,                        -- the thread message it came from
    created_at  TEXT    NOT NULL,
    edited_at   TEXT
);
CREATE INDEX notes_by_step ON notes (session_id, step_index);
CREATE INDEX notes_by_author ON notes (author_id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    note_id     INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    author_id   INTEGER NOT NULL,
    author_name TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    message_id  INTEGER UNIQUE,
    created_at  TEXT    NOT NULL,
    edited_at   TEXT
);
CREATE INDEX comments_by_note ON comments (note_id);
CREATE INDEX comments_by_author ON comments (author_id);
