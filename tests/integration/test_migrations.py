"""Upgrading from every earlier schema version, and refusing a newer one.

For each version N before the latest, a database is built the way cocreate N left it
(migrations 1..N, then rows that were valid then: sessions, notes, comments, and what each
later version added), opened with :func:`connect`, and read back through the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.cli import main
from bot.domain.board import CommentDraft, NoteKind, NoteSource
from bot.domain.events import StepStarted, decode_events, encode_events
from bot.domain.session import Phase, SessionStatus
from bot.domain.voting import RoundStatus, VoteTarget
from bot.storage.db import connect, latest_version, migrate, migrations, schema_version
from bot.storage.errors import DatabaseTooNewError
from bot.storage.sqlite_store import SqliteStore

LATEST = latest_version()
EARLIER = list(range(1, LATEST))
T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
STEPS = [{"kind": "empathise", "seconds": 900}, {"kind": "ideate", "seconds": 600}]


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def build(path: Path, version: int) -> dict[str, int]:
    """A database as cocreate ``version`` left it; how many rows each table holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = WAL")
        for number, script in migrations():
            if number > version:
                break
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        _rows(db, version)
        tables = [
            str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in tables
        }
    finally:
        db.close()


def _rows(db: sqlite3.Connection, version: int) -> None:
    # Sessions 1 (running, in step 1, reminded there) and 2 (ended), with version 1's columns.
    session_sql = (
        "INSERT INTO sessions (id, guild_id, channel_id, thread_id, facilitator_id, topic,"
        " locale, template, steps, step_index, status, step_started_at, due_at,"
        " remaining_seconds, reminder_before_seconds, reminded_step, last_message_id,"
        " created_at, ended_at, version) VALUES (?, 1, ?, ?, 5, ?, ?, 'classic', ?, ?, ?, ?,"
        " ?, NULL, 120, ?, ?, ?, ?, ?)"
    )
    db.execute(
        session_sql,
        (1, 10, 20, "Lezen in de wijk", "nl", json.dumps(STEPS), 1, "running", at(15),
         at(25), 1, 502, at(0), None, 7),
    )  # fmt: skip
    db.execute(
        session_sql,
        (2, 11, 21, "Reading club", "en", json.dumps(STEPS), 1, "ended", at(15), None, -1,
         None, at(0), at(30), 3),
    )  # fmt: skip
    note_sql = (
        "INSERT INTO notes (id, session_id, step_index, author_id, author_name, text,"
        " attachments, source, message_id, created_at, edited_at) VALUES"
        " (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    db.execute(note_sql, (1, 0, 7, "Zeven", "Voorlezen", "[]", "message", 500, at(1), None))
    db.execute(
        note_sql,
        (2, 0, 8, "Acht", "Hoe kunnen we ouders betrekken?", '["https://cdn/a.png"]',
         "command", None, at(2), at(3)),
    )  # fmt: skip
    db.execute(note_sql, (3, 1, 9, "Negen", "Een leesclub", "[]", "button", None, at(16), None))
    comment_sql = (
        "INSERT INTO comments (id, note_id, author_id, author_name, text, message_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    db.execute(comment_sql, (1, 1, 8, "Acht", "Waarom?", 501, at(4)))
    db.execute(comment_sql, (2, 1, 9, "Negen", "Ja!", 502, at(5)))
    db.execute(comment_sql, (3, 3, 7, "Zeven", "Mooi", None, at(17)))
    if version >= 2:
        db.execute("UPDATE notes SET kind = 'question' WHERE id = 2")
        db.execute(
            "UPDATE sessions SET phase = 'voting', chosen_question = ? WHERE id = 1",
            ("Hoe kunnen we ouders betrekken?",),
        )
        db.execute(
            "INSERT INTO vote_rounds (id, session_id, step_index, target, options, budget,"
            " per_note_cap, status, opened_at, closes_at, closed_at, message_id)"
            " VALUES (1, 1, 1, 'notes', '[1, 3]', 3, 2, 'open', ?, ?, NULL, 600)",
            (at(20), at(25)),
        )
        db.executemany(
            "INSERT INTO votes (round_id, voter_id, note_id, count) VALUES (1, ?, ?, ?)",
            [(8, 1, 2), (8, 3, 1), (9, 3, 1)],
        )
        db.executemany(
            "INSERT INTO themes (id, session_id, step_index, position, name, keywords,"
            " renamed, created_at) VALUES (?, 1, 0, ?, ?, ?, ?, ?)",
            [(1, 0, "Voorlezen", '["voorlezen"]', 0, at(10)),
             (2, 1, "Ouders", '["ouders"]', 1, at(10))],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO note_themes (note_id, theme_id, pinned) VALUES (?, ?, ?)",
            [(1, 1, 0), (2, 2, 1)],
        )
        db.execute(
            "INSERT INTO note_vectors (note_id, embedder, vector) VALUES (1, 'lexical', ?)",
            (b"\x00\x00\x80?" * 4,),
        )
        db.execute(
            "INSERT INTO takers (note_id, user_id, user_name, created_at) VALUES (3, 8, 'Acht', ?)",
            (at(26),),
        )
    if version >= 3:
        owed = encode_events([StepStarted(step_index=1, due_at=T0 + timedelta(minutes=25))])
        db.execute(
            "INSERT INTO outbox (id, session_id, events, created_at) VALUES (1, 1, ?, ?)",
            (json.dumps(owed), at(15)),
        )
    if version >= 4:
        db.execute(
            "UPDATE sessions SET async_reminders = '[86400.0, 3600.0]', reminders_done = 2,"
            " zone = 'Europe/Brussels', nudges = 0 WHERE id = 1"
        )
        db.execute(
            "INSERT INTO recaps (session_id, kind, day, window_start, window_end, claimed_at,"
            " posted_at) VALUES (1, 'recap', '2025-03-14', ?, ?, ?, NULL)",
            (at(-600), at(500), at(500)),
        )
        db.execute(
            "INSERT INTO nudges (session_id, step_index, user_id, sent_at) VALUES (1, 1, 8, ?)",
            (at(400),),
        )
        db.execute("INSERT INTO nudge_optouts (user_id, at) VALUES (9, ?)", (at(401),))
    if version >= 5:
        db.execute(
            "INSERT INTO server_settings (guild_id, key, value, updated_by, updated_at)"
            " VALUES (1, 'timezone', 'Europe/Brussels', 5, ?)",
            (at(-60),),
        )


def counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        tables = [
            str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in tables
        }
    finally:
        db.close()


def test_there_is_an_earlier_version_to_upgrade_from() -> None:
    assert EARLIER, "only one schema version: nothing to upgrade from"


@pytest.mark.parametrize("version", EARLIER)
async def test_upgrading_keeps_everything_readable(tmp_path: Path, version: int) -> None:
    path = tmp_path / "cocreate.sqlite3"
    before = await asyncio.to_thread(build, path, version)
    connection = await connect(path)
    try:
        assert await schema_version(connection) == LATEST
        store = SqliteStore(connection)

        # Sessions, with the defaults later versions brought for what they did not know.
        running = await store.get_session(1)
        ended = await store.session_by_thread(21)
        assert running is not None and ended is not None
        assert running.topic == "Lezen in de wijk" and running.locale == "nl"
        assert running.status is SessionStatus.RUNNING and running.step_index == 1
        assert [step.kind for step in running.steps] == ["empathise", "ideate"]
        assert running.due_at == T0 + timedelta(minutes=25)
        assert running.last_message_id == 502 and running.version == 7
        assert ended.status is SessionStatus.ENDED and ended.ended_at == T0 + timedelta(minutes=30)
        assert [s.id for s in await store.active_sessions()] == [1]
        if version >= 2:
            assert running.phase is Phase.VOTING
            assert running.chosen_question == "Hoe kunnen we ouders betrekken?"
        else:
            assert running.phase is Phase.WRITING and running.chosen_question is None
        if version >= 4:
            assert running.zone == "Europe/Brussels" and not running.nudges
            assert running.async_reminders == (timedelta(days=1), timedelta(hours=1))
            assert running.reminders_done == 2
        else:
            assert running.zone == "Europe/Amsterdam" and running.nudges
            assert running.async_reminders == ()
            # Reminded under the one-reminder rule: stays reminded.
            assert running.reminders_done == 1 and running.reminder_at() is None

        # Notes and comments.
        notes = await store.notes(1)
        texts = ["Voorlezen", "Hoe kunnen we ouders betrekken?", "Een leesclub"]
        assert [n.text for n in notes] == texts
        assert [n.source for n in notes] == [
            NoteSource.MESSAGE,
            NoteSource.COMMAND,
            NoteSource.BUTTON,
        ]
        assert notes[1].attachments == ("https://cdn/a.png",)
        assert notes[1].edited_at == T0 + timedelta(minutes=3)
        assert notes[1].kind is (NoteKind.QUESTION if version >= 2 else NoteKind.NOTE)
        assert [n.id for n in await store.notes(1, 1)] == [3]
        assert await store.note_id_for_message(500) == 1
        assert await store.note_id_for_message(502) == 1
        assert await store.comment_counts(1) == {1: 2, 3: 1}
        assert [c.text for c in await store.comments(1)] == ["Waarom?", "Ja!"]
        assert await store.step_counts(1, 0) == (2, 2)

        # Voting and themes (version 2 on).
        rounds = await store.rounds_of(1)
        themes = await store.themes(1, 0)
        if version >= 2:
            (vote,) = rounds
            assert vote.status is RoundStatus.OPEN and vote.target is VoteTarget.NOTES
            assert vote.options == (1, 3) and vote.budget == 3 and vote.per_note_cap == 2
            assert await store.open_round_of(1) == vote
            assert await store.allocation(1, 8) == {1: 2, 3: 1}
            assert await store.voter_count(1) == 2
            assert [(t.name, t.note_ids, t.renamed) for t in themes] == [
                ("Voorlezen", (1,), False),
                ("Ouders", (2,), True),
            ]
            assert themes[1].pinned == frozenset({2})
            assert await store.takers([3]) == {3: ["Acht"]}
            assert await store.cached_vectors([1], "lexical") == {1: b"\x00\x00\x80?" * 4}
        else:
            assert rounds == [] and themes == []

        # Owed announcements (version 3 on).
        owed = await store.owed_announcements(1)
        if version >= 3:
            ((_, events),) = owed
            assert decode_events(events) == [
                StepStarted(step_index=1, due_at=T0 + timedelta(minutes=25))
            ]
            assert [s.id for s in await store.sessions_owed()] == [1]
        else:
            assert owed == []

        # Recaps and nudges (version 4 on).
        if version >= 4:
            (recap,) = await store.owed_recaps()
            assert (recap.session_id, recap.kind, recap.day) == (1, "recap", "2025-03-14")
            assert await store.last_recap_end(1, "recap") == T0 + timedelta(minutes=500)
            assert not await store.claim_nudge(1, 1, 8, T0)  # sent before
            assert not await store.wants_nudges(9)
        else:
            assert await store.owed_recaps() == []
            assert await store.wants_nudges(9)

        # Server settings (version 5 on).
        settings = await store.server_settings(1)
        assert settings.timezone == ("Europe/Brussels" if version >= 5 else None)

        # And the store writes as ever.
        added = await store.add_comment(
            _comment(note_id=3, message_id=900, at=T0 + timedelta(minutes=40))
        )
        assert added is not None
    finally:
        await connection.close()
    after = await asyncio.to_thread(counts, path)
    for table, rows in before.items():
        expected = rows + (1 if table == "comments" else 0)
        assert after[table] == expected, f"{table}: {rows} before, {after[table]} after"


def _comment(note_id: int, message_id: int, at: datetime) -> CommentDraft:
    return CommentDraft(
        note_id=note_id,
        author_id=7,
        author_name="Zeven",
        text="Later",
        created_at=at,
        message_id=message_id,
    )


@pytest.mark.parametrize("version", EARLIER)
async def test_an_upgrade_is_done_once(tmp_path: Path, version: int) -> None:
    path = tmp_path / "cocreate.sqlite3"
    await asyncio.to_thread(build, path, version)
    first = await connect(path)
    await first.close()
    again = await connect(path)
    try:
        assert await migrate(again) == LATEST
    finally:
        await again.close()


# -- a database from a newer cocreate ---------------------------------------------------------


def newer(path: Path) -> str:
    """A database one schema version ahead of this code; its fingerprint."""
    build(path, LATEST)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA user_version = {LATEST + 1}")
    db.execute("PRAGMA journal_mode = DELETE")  # so any change would show in the file
    db.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_database_from_a_newer_cocreate_is_refused_unopened(tmp_path: Path) -> None:
    path = tmp_path / "cocreate.sqlite3"
    before = await asyncio.to_thread(newer, path)
    with pytest.raises(DatabaseTooNewError) as refused:
        await connect(path)
    assert (refused.value.found, refused.value.known) == (LATEST + 1, LATEST)
    assert refused.value.path == str(path)
    assert await asyncio.to_thread(fingerprint, path) == before


async def test_migrate_itself_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "cocreate.sqlite3"
    await asyncio.to_thread(newer, path)
    raw = await aiosqlite.connect(path, isolation_level=None)
    try:
        with pytest.raises(DatabaseTooNewError) as refused:
            await migrate(raw)
        assert refused.value.path.endswith("cocreate.sqlite3")
    finally:
        await raw.close()


def test_run_says_the_database_is_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in os.environ:
        if key.startswith("COCREATE_"):
            monkeypatch.delenv(key)
    path = tmp_path / "cocreate.sqlite3"
    before = newer(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz01234"
    )
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    monkeypatch.setenv("COCREATE_STORAGE__PATH", str(path))
    monkeypatch.setenv("COCREATE_DISCORD__API_BASE_URL", "http://127.0.0.1:9")
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "newer version of cocreate" in err and f"schema {LATEST + 1}" in err
    assert fingerprint(path) == before
