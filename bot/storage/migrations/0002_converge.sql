-- Converging: note kinds, a voting phase within a step, the chosen question, dot-voting
-- rounds, themes with facilitator corrections, cached note vectors, and who takes an
-- idea further.
ALTER TABLE notes ADD COLUMN kind TEXT NOT NULL DEFAULT 'note'
    CHECK (kind IN ('note', 'question', 'point_of_view'));
ALTER TABLE sessions ADD COLUMN phase TEXT NOT NULL DEFAULT 'writing'
    CHECK (phase IN ('writing', 'voting'));
ALTER TABLE sessions ADD COLUMN chosen_question TEXT;

CREATE TABLE vote_rounds (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step_index   INTEGER NOT NULL,
    target       TEXT    NOT NULL CHECK (target IN ('notes', 'questions')),
    options      TEXT    NOT NULL,                 -- JSON list of note ids, fixed at opening
    budget       INTEGER NOT NULL CHECK (budget >= 0),
    per_note_cap INTEGER NOT NULL CHECK (per_note_cap >= 1),
    status       TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at    TEXT    NOT NULL,
    closes_at    TEXT,
    closed_at    TEXT,
    message_id   INTEGER                            -- the thread post with the vote button
);
CREATE UNIQUE INDEX vote_rounds_one_open_per_session
    ON vote_rounds (session_id) WHERE status = 'open';

CREATE TABLE votes (
    round_id   INTEGER NOT NULL REFERENCES vote_rounds (id) ON DELETE CASCADE,
    voter_id   INTEGER NOT NULL,
    note_id    INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    count      INTEGER NOT NULL CHECK (count >= 1),
    PRIMARY KEY (round_id, voter_id, note_id)
);
CREATE INDEX votes_by_voter ON votes (voter_id);

CREATE TABLE themes (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step_index   INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    keywords     TEXT    NOT NULL DEFAULT '[]',    -- JSON list, from the clustering
    renamed      INTEGER NOT NULL DEFAULT 0,       -- a facilitator chose the name
    created_at   TEXT    NOT NULL
);
CREATE INDEX themes_by_step ON themes (session_id, step_index);

CREATE TABLE note_themes (
    note_id  INTEGER PRIMARY KEY REFERENCES notes (id) ON DELETE CASCADE,
    theme_id INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    pinned   INTEGER NOT NULL DEFAULT 0            -- placed by a facilitator: re-runs keep it
);
CREATE INDEX note_themes_by_theme ON note_themes (theme_id);

CREATE TABLE note_vectors (
    note_id  INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    embedder TEXT    NOT NULL,
    vector   BLOB    NOT NULL,                     -- float32, L2-normalised
    PRIMARY KEY (note_id, embedder)
);

CREATE TABLE takers (
    note_id    INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    user_name  TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (note_id, user_id)
);
