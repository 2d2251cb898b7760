-- What each server (library) sets for itself in Discord; unset keys fall back to the
-- deployment's config file.
CREATE TABLE server_settings (
    guild_id   INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_by INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, key)
);
