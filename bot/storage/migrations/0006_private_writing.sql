-- Private writing and anonymity, chosen per session (see bot/domain/session.py).
ALTER TABLE sessions ADD COLUMN anonymity TEXT NOT NULL DEFAULT 'off'
    CHECK (anonymity IN ('off', 'while_writing', 'always'));
ALTER TABLE sessions ADD COLUMN typed_in_private TEXT NOT NULL DEFAULT 'take'
    CHECK (typed_in_private IN ('take', 'refuse'));
ALTER TABLE sessions ADD COLUMN end_when_all_done INTEGER NOT NULL DEFAULT 1;
-- A random key per session for the reveal order: without it, sequential note ids would let
-- anyone who knows the code rebuild the order of writing.
ALTER TABLE sessions ADD COLUMN reveal_salt TEXT NOT NULL DEFAULT '';

-- "I'm done" in a private step, once per person per step.
CREATE TABLE step_done (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step_index INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (session_id, step_index, user_id)
);
CREATE INDEX step_done_by_user ON step_done (user_id);
