-- Between workshop days: async steps with several reminders, the server's timezone,
-- participation nudges and daily recaps.
ALTER TABLE sessions ADD COLUMN async_reminders TEXT NOT NULL DEFAULT '[]'; -- JSON seconds, longest first
ALTER TABLE sessions ADD COLUMN reminders_done INTEGER NOT NULL DEFAULT 0;  -- leads handled in reminded_step
ALTER TABLE sessions ADD COLUMN zone TEXT NOT NULL DEFAULT 'Europe/Amsterdam';
ALTER TABLE sessions ADD COLUMN nudges INTEGER NOT NULL DEFAULT 1;
-- A step reminded under the one-reminder rule stays reminded.
UPDATE sessions SET reminders_done = 1 WHERE reminded_step = step_index;

-- One recap (evening) or digest (morning) per session per local day: claimed before it
-- is posted, so a restart never posts it twice; posted_at NULL means re-send it.
CREATE TABLE recaps (
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('recap', 'digest')),
    day          TEXT    NOT NULL,                    -- local date, YYYY-MM-DD
    window_start TEXT    NOT NULL,                    -- what the recap covers, UTC
    window_end   TEXT    NOT NULL,
    claimed_at   TEXT    NOT NULL,
    posted_at    TEXT,
    PRIMARY KEY (session_id, kind, day)
);

-- At most one nudge per person per step.
CREATE TABLE nudges (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step_index INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    sent_at    TEXT    NOT NULL,
    PRIMARY KEY (session_id, step_index, user_id)
);

-- People who said "no nudges" (for good, in every session).
CREATE TABLE nudge_optouts (
    user_id INTEGER PRIMARY KEY,
    at      TEXT    NOT NULL
);
