"""The SQLite store against a real database file in tmp_path."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.board import CommentDraft, NoteDraft, NoteSource
from bot.domain.session import Session, SessionStatus
from bot.domain.templates import StepPlan
from bot.ports import ChannelBusyError
from bot.storage import sqlite_store
from bot.storage.db import connect, migrate, migrations, schema_version
from bot.storage.sqlite_store import SqliteStore
from tests.fakes import START

MIN = timedelta(minutes=1)
LATEST = max(version for version, _ in migrations())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cocreate.sqlite3"


@pytest.fixture
async def connection(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    opened = await connect(db_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def store(connection: aiosqlite.Connection) -> SqliteStore:
    return SqliteStore(connection)


def draft(channel: int = 10, thread: int = 20, steps: int = 3) -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=channel,
        thread_id=thread,
        facilitator_id=5,
        topic="Lezen in de wijk",
        locale="nl",
        template="classic",
        steps=tuple(StepPlan("ideate", (i + 1) * 5 * MIN) for i in range(steps)),
        reminder_before=2 * MIN,
        now=START,
    )
    return session


def note_draft(
    session: Session, message_id: int | None, text: str = "idee", step: int = 0
) -> NoteDraft:
    return NoteDraft(
        session_id=session.id,
        step_index=step,
        author_id=7,
        author_name="Zeven",
        text=text,
        source=NoteSource.MESSAGE if message_id else NoteSource.COMMAND,
        created_at=START + MIN,
        attachments=("https://cdn/x.png",),
        message_id=message_id,
    )


def comment_draft(note_id: int, message_id: int | None, text: str = "waarom?") -> CommentDraft:
    return CommentDraft(
        note_id=note_id,
        author_id=8,
        author_name="Acht",
        text=text,
        created_at=START + 2 * MIN,
        message_id=message_id,
    )


# -- the database file ---------------------------------------------------------------------


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [version for version, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_migrating_an_empty_file_reaches_the_latest_version(db_path: Path) -> None:
    assert not await asyncio.to_thread(db_path.exists)
    connection = await connect(db_path)
    try:
        assert await asyncio.to_thread(db_path.exists)
        assert await schema_version(connection) == LATEST
        async with connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ) as cursor:
            tables = {row[0] for row in await cursor.fetchall()}
        assert {"sessions", "notes", "comments"} <= tables
    finally:
        await connection.close()


async def test_migrating_again_is_a_no_op(db_path: Path) -> None:
    first = await connect(db_path)
    await first.close()
    # Reopening must not re-run a script (CREATE TABLE would fail if it did).
    second = await connect(db_path)
    try:
        assert await schema_version(second) == LATEST
        assert await migrate(second) == LATEST
    finally:
        await second.close()


async def test_wal_and_foreign_keys_are_on(connection: aiosqlite.Connection) -> None:
    async with connection.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    async with connection.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1


async def test_foreign_keys_refuse_a_comment_on_no_note(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.add_comment(comment_draft(note_id=12345, message_id=1))


async def test_a_note_survives_closing_and_reopening(db_path: Path) -> None:
    connection = await connect(db_path)
    store = SqliteStore(connection)
    session = await store.create_session(draft())
    note = await store.add_note(note_draft(session, 500, "blijft bewaard"))
    assert note is not None
    await connection.close()

    reopened = await connect(db_path)
    try:
        again = SqliteStore(reopened)
        (loaded,) = await again.notes(session.id)
        assert loaded == note
        assert (await again.get_session(session.id)) == await again.session_by_thread(20)
        assert (await again.note_id_for_message(500)) == note.id
    finally:
        await reopened.close()


# -- sessions ---------------------------------------------------------------------------------


async def test_a_session_round_trips_every_field(store: SqliteStore) -> None:
    original = draft()
    created = await store.create_session(original)
    assert created.id > 0
    assert created.version == 0
    assert replace(created, id=0) == original
    assert created.due_at is not None
    assert created.due_at.tzinfo is not None
    assert created.due_at == START + 5 * MIN

    paused, _ = created.pause(START + 2 * MIN)
    saved = await store.save_session(paused)
    assert saved is not None
    assert saved.version == 1
    assert saved.remaining == 3 * MIN
    assert saved.due_at is None
    assert replace(saved, version=0) == paused


async def test_lookups(store: SqliteStore) -> None:
    one = await store.create_session(draft(channel=1, thread=11))
    two = await store.create_session(draft(channel=2, thread=12))
    assert (await store.session_by_thread(12)) == two
    assert (await store.active_session_in_channel(1)) == one
    assert await store.active_session_in_channel(3) is None
    assert await store.get_session(999) is None
    assert await store.session_by_thread(999) is None
    assert [s.id for s in await store.active_sessions()] == [one.id, two.id]
    ended, _ = one.end(START)
    await store.save_session(ended)
    assert [s.id for s in await store.active_sessions()] == [two.id]
    assert await store.active_session_in_channel(1) is None
    assert (await store.session_by_thread(11)).status is SessionStatus.ENDED  # type: ignore[union-attr]


async def test_one_active_session_per_channel(store: SqliteStore) -> None:
    first = await store.create_session(draft(channel=10, thread=20))
    with pytest.raises(ChannelBusyError) as caught:
        await store.create_session(draft(channel=10, thread=21))
    assert caught.value.session.id == first.id
    # A paused session still holds the channel.
    paused, _ = first.pause(START)
    paused_saved = await store.save_session(paused)
    assert paused_saved is not None
    with pytest.raises(ChannelBusyError):
        await store.create_session(draft(channel=10, thread=21))
    # Once it ended, the channel is free.
    ended, _ = paused_saved.end(START)
    assert await store.save_session(ended) is not None
    second = await store.create_session(draft(channel=10, thread=21))
    assert second.id != first.id


async def test_the_index_itself_refuses_a_second_active_session(
    connection: aiosqlite.Connection, store: SqliteStore
) -> None:
    await store.create_session(draft(channel=10, thread=20))
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute(
            "INSERT INTO sessions (guild_id, channel_id, thread_id, facilitator_id, topic,"
            " locale, template, steps, step_index, status, step_started_at,"
            " reminder_before_seconds, created_at) VALUES"
            " (1, 10, 99, 1, 't', 'nl', 'classic', '[]', 0, 'paused', 'x', 0, 'x')"
        )


async def test_a_thread_holds_one_session(store: SqliteStore) -> None:
    await store.create_session(draft(channel=10, thread=20))
    with pytest.raises(sqlite3.IntegrityError):
        await store.create_session(draft(channel=11, thread=20))


async def test_racing_creates_in_one_channel_give_one_session(store: SqliteStore) -> None:
    results = await asyncio.gather(
        *(store.create_session(draft(channel=10, thread=20 + i)) for i in range(5)),
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, Session)]
    assert len(created) == 1
    assert all(isinstance(r, ChannelBusyError) for r in results if r not in created)


async def test_saving_a_stale_version_returns_none(store: SqliteStore) -> None:
    created = await store.create_session(draft())
    moved, _ = created.advance(START + MIN)
    saved = await store.save_session(moved)
    assert saved is not None
    assert saved.version == 1
    # Someone else still holds the version-0 copy.
    other, _ = created.pause(START + MIN)
    assert await store.save_session(other) is None
    current = await store.get_session(created.id)
    assert current == saved
    assert await store.save_session(replace(moved, id=999)) is None


async def test_last_message_id_only_grows(store: SqliteStore) -> None:
    session = await store.create_session(draft())

    async def last() -> int | None:
        loaded = await store.get_session(session.id)
        assert loaded is not None
        return loaded.last_message_id

    await store.mark_seen(session.id, 100)
    assert await last() == 100
    await store.mark_seen(session.id, 50)
    assert await last() == 100
    note = await store.add_note(note_draft(session, 80))
    assert note is not None
    assert await last() == 100
    await store.add_note(note_draft(session, 120))
    assert await last() == 120
    await store.add_comment(comment_draft(note.id, 130))
    assert await last() == 130
    await store.add_comment(comment_draft(note.id, 110))
    assert await last() == 130
    # A save with an older copy does not move it back…
    loaded = await store.get_session(session.id)
    assert loaded is not None
    saved = await store.save_session(replace(loaded, last_message_id=5))
    assert saved is not None
    assert saved.last_message_id == 130
    # …and a save with a newer one moves it on.
    saved = await store.save_session(saved.saw_message(200))
    assert saved is not None
    assert saved.last_message_id == 200


# -- notes and comments ---------------------------------------------------------------------------


async def test_a_note_round_trips(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    note = await store.add_note(note_draft(session, 500, "een idee\nmet twee regels"))
    assert note is not None
    assert note.id > 0
    (loaded,) = await store.notes(session.id)
    assert loaded == note
    assert loaded.attachments == ("https://cdn/x.png",)
    assert loaded.created_at == START + MIN
    assert loaded.edited_at is None


async def test_a_message_is_stored_once_and_command_notes_always(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    assert await store.add_note(note_draft(session, 500)) is not None
    assert await store.add_note(note_draft(session, 500)) is None
    assert await store.add_note(note_draft(session, None)) is not None
    assert await store.add_note(note_draft(session, None)) is not None
    assert len(await store.notes(session.id)) == 3


async def test_notes_by_step_oldest_first(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    for message_id, step in ((1, 0), (2, 1), (3, 0), (4, 2)):
        await store.add_note(note_draft(session, message_id, f"m{message_id}", step=step))
    assert [n.text for n in await store.notes(session.id, 0)] == ["m1", "m3"]
    assert [n.text for n in await store.notes(session.id, 2)] == ["m4"]
    assert [n.text for n in await store.notes(session.id)] == ["m1", "m2", "m3", "m4"]
    assert await store.notes(session.id, 5) == []


async def test_comments_and_their_counts(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    other = await store.create_session(draft(channel=11, thread=21))
    first = await store.add_note(note_draft(session, 1))
    second = await store.add_note(note_draft(session, 2))
    elsewhere = await store.add_note(note_draft(other, 3))
    assert first and second and elsewhere
    for message_id in (10, 11, 12):
        assert await store.add_comment(comment_draft(first.id, message_id)) is not None
    assert await store.add_comment(comment_draft(first.id, 12)) is None  # stored before
    await store.add_comment(comment_draft(elsewhere.id, 13))
    assert await store.comment_counts(session.id) == {first.id: 3}
    assert await store.comment_counts(other.id) == {elsewhere.id: 1}
    assert [c.message_id for c in await store.comments(first.id)] == [10, 11, 12]
    assert await store.note_id_for_message(11) == first.id
    assert await store.note_id_for_message(2) == second.id
    assert await store.note_id_for_message(99) is None


async def test_edit_by_message(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    note = await store.add_note(note_draft(session, 1, "oud"))
    assert note is not None
    await store.add_comment(comment_draft(note.id, 2, "oud commentaar"))
    assert await store.edit_by_message(1, "nieuw", START + 9 * MIN)
    (edited,) = await store.notes(session.id)
    assert (edited.text, edited.edited_at) == ("nieuw", START + 9 * MIN)
    assert await store.edit_by_message(2, "nieuw commentaar", START + 9 * MIN)
    assert [c.text for c in await store.comments(note.id)] == ["nieuw commentaar"]
    assert not await store.edit_by_message(3, "niets", START)


async def test_delete_by_message_removes_a_note_with_its_comments(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    keep = await store.add_note(note_draft(session, 1, "blijft"))
    gone = await store.add_note(note_draft(session, 2, "weg"))
    assert keep and gone
    await store.add_comment(comment_draft(gone.id, 3))
    await store.add_comment(comment_draft(gone.id, 4))
    await store.add_comment(comment_draft(keep.id, 5))
    await store.add_comment(comment_draft(keep.id, 6))

    assert await store.delete_by_message([2]) == 1
    assert [n.text for n in await store.notes(session.id)] == ["blijft"]
    assert await store.comments(gone.id) == []
    assert await store.note_id_for_message(3) is None
    assert await store.comment_counts(session.id) == {keep.id: 2}

    assert await store.delete_by_message([6, 999]) == 1
    assert await store.comment_counts(session.id) == {keep.id: 1}
    assert await store.delete_by_message([]) == 0


async def test_many_concurrent_notes_are_all_stored(store: SqliteStore) -> None:
    session = await store.create_session(draft())
    results = await asyncio.gather(
        *(store.add_note(note_draft(session, 1000 + i, f"n{i}")) for i in range(50))
    )
    assert all(r is not None for r in results)
    assert len({r.id for r in results if r}) == 50
    assert len(await store.notes(session.id)) == 50
    loaded = await store.get_session(session.id)
    assert loaded is not None
    assert loaded.last_message_id == 1049


async def test_one_batch_of_mixed_notes_gives_each_caller_its_own_note(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Message notes, command notes, a message stored before and a message twice in the
    same batch, committed together and in chunks: every caller gets the row of its text."""
    monkeypatch.setattr(sqlite_store, "_INSERT_CHUNK", 4)
    session = await store.create_session(draft())
    assert await store.add_note(note_draft(session, 7, "before")) is not None
    batch = [note_draft(session, 7, "seen before")]
    batch += [note_draft(session, None if i % 3 == 0 else 100 + i, f"n{i}") for i in range(12)]
    batch += [note_draft(session, 101, "twice")]
    results = await asyncio.gather(*(store.add_note(d) for d in batch))
    assert results[0] is None and results[-1] is None
    stored = {note.id: note.text for note in await store.notes(session.id)}
    for sent, got in zip(batch[1:-1], results[1:-1], strict=True):
        assert got is not None
        assert stored[got.id] == sent.text == got.text
    assert len(stored) == 13


async def test_many_notes_are_read_in_pages_in_order(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "_FETCH_PAGE", 3)
    session = await store.create_session(draft())
    for i in range(10):
        await store.add_note(note_draft(session, 200 + i, f"p{i}"))
    assert [n.text for n in await store.notes(session.id)] == [f"p{i}" for i in range(10)]
    assert [n.text for n in await store.notes(session.id, 0)] == [f"p{i}" for i in range(10)]


async def test_a_reminded_step_stays_reminded_after_migrating_to_several_reminders(
    db_path: Path,
) -> None:
    """A session stored under schema 3 (one reminder per step) keeps its state."""
    await asyncio.to_thread(db_path.parent.mkdir, parents=True, exist_ok=True)
    raw = await aiosqlite.connect(db_path, isolation_level=None)
    try:
        for version, script in migrations():
            if version > 3:
                break
            await raw.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        for thread, reminded in ((20, 1), (21, -1)):
            await raw.execute(
                "INSERT INTO sessions (guild_id, channel_id, thread_id, facilitator_id, topic,"
                " locale, template, steps, step_index, status, step_started_at, due_at,"
                " reminder_before_seconds, reminded_step, created_at)"
                " VALUES (1, ?, ?, 4, 't', 'nl', 'classic', '[{\"kind\": \"empathise\","
                ' "seconds": 900}, {"kind": "define", "seconds": 600}]\', 1, \'running\','
                " '2025-03-14T09:30:00+00:00', '2025-03-14T09:40:00+00:00', 120, ?,"
                " '2025-03-14T09:30:00+00:00')",
                (thread, thread, reminded),
            )
    finally:
        await raw.close()
    connection = await connect(db_path)
    try:
        store = SqliteStore(connection)
        reminded = await store.session_by_thread(20)
        fresh = await store.session_by_thread(21)
        assert reminded is not None and fresh is not None
        assert reminded.reminder_at() is None
        assert fresh.reminder_at() is not None
        assert reminded.zone == "Europe/Amsterdam" and reminded.nudges
    finally:
        await connection.close()
