"""A damaged, read-only or full database, against real SQLite files.

At start-up such a file is refused in one sentence and never changed; at run time a write
that fails is rolled back whole, raises StorageFullError / StorageReadOnlyError, is logged
once, and a note that was not stored is never acknowledged.

A full disk is SQLite's own SQLITE_FULL (``PRAGMA max_page_count`` at the current size on
the bot's connection); a read-only file is a ``chmod`` where that restricts (not as root),
and a ``mode=ro`` connection (SQLite's own "attempt to write a readonly database") always.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.cli import main
from bot.cogs.errors import refusal_text
from bot.domain.board import NoteDraft, NoteSource
from bot.domain.session import Session
from bot.domain.templates import StepPlan
from bot.endpoints import reset_discord_endpoints
from bot.i18n import catalog
from bot.sandbox import DiscordSandbox
from bot.storage import db as db_module
from bot.storage.db import connect
from bot.storage.errors import (
    DatabaseCorruptError,
    StorageFullError,
    StorageReadOnlyError,
    StorageUnavailableError,
)
from bot.storage.sqlite_store import SqliteStore
from tests.e2e.conftest import Harness
from tests.e2e.test_restart_and_safety import _text_input_id
from tests.e2e.test_session_flow import open_session
from tests.fakes import START

MIN = timedelta(minutes=1)
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# chmod does not stop root (nor, on some systems, anyone): those tests need another user.
needs_permissions = pytest.mark.skipif(AS_ROOT, reason="chmod does not restrict root")
# A note big enough that every one needs room of its own in the file.
BIG = "x" * 1000
# A token shaped like Discord's, for `cocreate run` tests that stop before connecting.
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cocreate.sqlite3"


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[None]:
    """Give write permission back after a test took it away (so tmp_path can be removed)."""
    yield
    for folder, _, files in os.walk(tmp_path):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(Path(folder) / name, 0o600)


def write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def read_only_uri(path: Path) -> str:
    """How SQLite opens a file it may only read."""
    return f"{path.resolve().as_uri()}?mode=ro"


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def session_draft() -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=10,
        thread_id=20,
        facilitator_id=5,
        topic="Lezen in de wijk",
        locale="nl",
        template="classic",
        steps=(StepPlan("ideate", 10 * MIN), StepPlan("define", 10 * MIN)),
        reminder_before=2 * MIN,
        now=START,
    )
    return session


def note(session: Session, text: str = BIG, message_id: int | None = None) -> NoteDraft:
    return NoteDraft(
        session_id=session.id,
        step_index=0,
        author_id=7,
        author_name="Zeven",
        text=text,
        source=NoteSource.MESSAGE if message_id else NoteSource.COMMAND,
        created_at=START + MIN,
        message_id=message_id,
    )


async def make_database(path: Path, notes: int = 3) -> tuple[Session, list[int]]:
    """A database with a session and some notes, closed cleanly; (session, note ids)."""
    connection = await connect(path)
    try:
        store = SqliteStore(connection)
        session = await store.create_session(session_draft())
        ids = []
        for number in range(notes):
            stored = await store.add_note(note(session, f"idee {number}", 100 + number))
            assert stored is not None
            ids.append(stored.id)
    finally:
        await connection.close()
    return session, ids


def damage(path: Path) -> None:
    """Scribble over the notes table's root page, as a failing disk might."""
    look = sqlite3.connect(path)
    try:
        root = look.execute("SELECT rootpage FROM sqlite_master WHERE name = 'notes'").fetchone()
        page_size = look.execute("PRAGMA page_size").fetchone()[0]
    finally:
        look.close()
    with path.open("r+b") as handle:
        handle.seek((root[0] - 1) * page_size + 12)
        handle.write(b"\xff" * 64)


async def fill_up(connection: aiosqlite.Connection) -> None:
    """A full disk: the file may not grow by a single page from now on."""
    async with connection.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await set_max_pages(connection, int(row[0]))


async def make_room(connection: aiosqlite.Connection) -> None:
    await set_max_pages(connection, 1073741823)


async def set_max_pages(connection: aiosqlite.Connection, pages: int) -> None:
    # Read the answer: a statement left unfinished would keep a transaction open.
    async with connection.execute(f"PRAGMA max_page_count = {pages}") as cursor:
        await cursor.fetchall()


async def fill_until_refused(store: SqliteStore, session: Session) -> list[int]:
    """Add big notes one by one until the full disk refuses one; the stored ids."""
    stored = []
    for _ in range(50):
        try:
            added = await store.add_note(note(session))
        except StorageFullError:
            return stored
        assert added is not None
        stored.append(added.id)
    raise AssertionError("the disk never filled up")


async def stored_texts(path: Path) -> list[str]:
    """Every note in the file, read by a connection of its own after the store closed."""
    connection = await connect(path)
    try:
        async with connection.execute("SELECT text FROM notes ORDER BY id") as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]
    finally:
        await connection.close()


def read_only_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make connect() open its file as SQLite opens a file it may only read."""
    original = aiosqlite.connect

    def opened_read_only(path: Any, **options: Any) -> aiosqlite.Connection:
        return original(read_only_uri(Path(path)), uri=True, **options)

    monkeypatch.setattr(db_module.aiosqlite, "connect", opened_read_only)


# -- at start-up: damaged files ----------------------------------------------------------------


async def test_a_healthy_database_opens(db_path: Path) -> None:
    session, ids = await make_database(db_path)
    connection = await connect(db_path)
    try:
        assert [n.id for n in await SqliteStore(connection).notes(session.id)] == ids
    finally:
        await connection.close()


async def test_a_file_that_is_no_database_is_refused_and_left_alone(db_path: Path) -> None:
    write_file(db_path, b"Dit is een boodschappenlijst, geen database.\n" * 200)
    before = fingerprint(db_path)
    with pytest.raises(DatabaseCorruptError) as refused:
        await connect(db_path)
    assert refused.value.path == str(db_path)
    assert "not a database" in refused.value.detail
    assert fingerprint(db_path) == before


async def test_a_damaged_database_is_refused_and_left_alone(db_path: Path) -> None:
    await make_database(db_path, notes=200)
    damage(db_path)
    before = fingerprint(db_path)
    with pytest.raises(DatabaseCorruptError) as refused:
        await connect(db_path)
    assert refused.value.detail
    assert fingerprint(db_path) == before
    # Asking again changes nothing either: no "repair" happened in between.
    with pytest.raises(DatabaseCorruptError):
        await connect(db_path)
    assert fingerprint(db_path) == before


async def test_quick_check_finds_damage_that_opening_does_not(db_path: Path) -> None:
    """An index that no longer matches its table: SQLite opens the file without a word."""
    await make_database(db_path, notes=20)
    raw = sqlite3.connect(db_path)
    try:
        raw.execute("PRAGMA writable_schema = ON")
        # Point the index on author ids at the session table's pages: readable, wrong.
        sessions_root = raw.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sessions'"
        ).fetchone()[0]
        raw.execute(
            "UPDATE sqlite_master SET rootpage = ? WHERE name = 'notes_by_author'",
            (sessions_root,),
        )
        raw.commit()
    finally:
        raw.close()
    with pytest.raises(DatabaseCorruptError) as refused:
        await connect(db_path)
    assert refused.value.detail != "ok"


# -- at start-up: read-only files and folders --------------------------------------------------


async def test_a_database_opened_read_only_is_refused_at_start(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_database(db_path)
    before = fingerprint(db_path)
    read_only_connect(monkeypatch)
    with pytest.raises(StorageReadOnlyError) as refused:
        await connect(db_path)
    assert "readonly" in refused.value.cause
    assert fingerprint(db_path) == before


@needs_permissions
@pytest.mark.usefixtures("writable")
async def test_a_read_only_file_is_refused_at_start(db_path: Path) -> None:
    await make_database(db_path)
    await asyncio.to_thread(db_path.chmod, 0o444)
    with pytest.raises(StorageReadOnlyError):
        await connect(db_path)


@needs_permissions
@pytest.mark.usefixtures("writable")
async def test_a_read_only_folder_is_refused_at_start(db_path: Path) -> None:
    await make_database(db_path)
    await asyncio.to_thread(db_path.parent.chmod, 0o555)
    with pytest.raises(StorageReadOnlyError):
        await connect(db_path)


@needs_permissions
@pytest.mark.usefixtures("writable")
async def test_a_new_database_in_a_read_only_folder_is_refused(db_path: Path) -> None:
    await asyncio.to_thread(db_path.parent.mkdir, parents=True)
    await asyncio.to_thread(db_path.parent.chmod, 0o555)
    with pytest.raises(StorageReadOnlyError):
        await connect(db_path)


# -- at start-up: what `cocreate run` says ------------------------------------------------------


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Path:
    """An English-speaking admin with a well-formed token and a config file."""
    for key in os.environ:
        if key.startswith("COCREATE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    monkeypatch.setenv("COCREATE_STORAGE__PATH", str(db_path))
    monkeypatch.setenv("COCREATE_LOGGING__LEVEL", "WARNING")
    # Nowhere to connect: the run must end before it tries.
    monkeypatch.setenv("COCREATE_DISCORD__API_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    return config


def run_cli(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--config", str(config)])
    return code, capsys.readouterr().err.strip()


def test_run_names_a_damaged_database_and_the_backup(
    admin: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(make_database(db_path, notes=200))
    damage(db_path)
    before = fingerprint(db_path)
    code, err = run_cli(admin, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert str(db_path) in err and "damaged" in err and "nothing was changed" in err
    assert "cocreate backup" in err
    assert "Traceback" not in err
    assert fingerprint(db_path) == before


def test_run_names_a_file_that_is_no_database(
    admin: Path, db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"\x00\x01 not sqlite " * 500)
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "nl")
    code, err = run_cli(admin, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "beschadigd" in err and "cocreate backup" in err


def test_run_names_a_read_only_database(
    admin: Path, db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(make_database(db_path))
    if AS_ROOT:
        read_only_connect(monkeypatch)
    else:
        db_path.chmod(0o444)
    try:
        code, err = run_cli(admin, capsys)
    finally:
        db_path.chmod(0o644)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert str(db_path) in err and "may not write" in err and "nothing was changed" in err


@needs_permissions
@pytest.mark.usefixtures("writable")
def test_run_names_a_read_only_folder(
    admin: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(make_database(db_path))
    db_path.parent.chmod(0o555)
    code, err = run_cli(admin, capsys)
    assert code == 2
    assert "may not write" in err


def test_run_names_a_full_disk(
    admin: Path, db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old database that needs migrating, on a disk with no room for it."""
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path, isolation_level=None)
    first = db_module.migrations()[0]
    raw.executescript(f"BEGIN;\n{first[1]}\nPRAGMA user_version = {first[0]};\nCOMMIT;")
    raw.close()
    original = aiosqlite.connect

    async def no_room(path: Any, **options: Any) -> aiosqlite.Connection:
        connection = await original(path, **options)
        await fill_up(connection)
        return connection

    monkeypatch.setattr(db_module.aiosqlite, "connect", no_room)
    code, err = run_cli(admin, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "disk" in err and "full" in err


# -- at run time: a full disk ------------------------------------------------------------------


@pytest.fixture
async def live(db_path: Path) -> AsyncIterator[tuple[SqliteStore, aiosqlite.Connection]]:
    connection = await connect(db_path)
    try:
        yield SqliteStore(connection), connection
    finally:
        await connection.close()


async def test_a_full_disk_refuses_the_note_and_keeps_every_acknowledged_one(
    live: tuple[SqliteStore, aiosqlite.Connection], db_path: Path
) -> None:
    store, connection = live
    session = await store.create_session(session_draft())
    first = await store.add_note(note(session, "voor de volle schijf", 1))
    assert first is not None
    await fill_up(connection)
    acknowledged = [first.id, *await fill_until_refused(store, session)]
    # Ten at once: one batch, refused whole; every caller hears it.
    outcomes = await asyncio.gather(
        *(store.add_note(note(session, BIG, 1000 + i)) for i in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, StorageFullError) for outcome in outcomes), outcomes
    refused = outcomes[0]
    assert isinstance(refused, StorageFullError)
    assert refused.notes >= 1 and "full" in refused.cause
    assert [n.id for n in await store.notes(session.id)] == acknowledged
    await connection.close()
    texts = await stored_texts(db_path)
    assert len(texts) == len(acknowledged)
    assert texts[0] == "voor de volle schijf"


async def test_after_a_full_disk_the_store_writes_again(
    live: tuple[SqliteStore, aiosqlite.Connection],
) -> None:
    store, connection = live
    session = await store.create_session(session_draft())
    await fill_up(connection)
    before = await fill_until_refused(store, session)
    assert not connection.in_transaction, "a refused write leaves no transaction open"
    await make_room(connection)
    after = await store.add_note(note(session))
    assert after is not None
    assert [n.id for n in await store.notes(session.id)] == [*before, after.id]


async def test_other_writes_are_refused_whole_on_a_full_disk(
    live: tuple[SqliteStore, aiosqlite.Connection],
) -> None:
    store, connection = live
    session = await store.create_session(session_draft())
    await fill_up(connection)
    await fill_until_refused(store, session)
    # A new session with a topic too big for what is left.
    big = session_draft()
    with pytest.raises(StorageFullError) as refused:
        await store.create_session(replace(big, channel_id=11, thread_id=21, topic=BIG * 5))
    assert refused.value.notes == 0
    assert not connection.in_transaction
    assert await store.active_session_in_channel(11) is None


async def test_a_refused_write_is_logged_once_with_its_cause(
    live: tuple[SqliteStore, aiosqlite.Connection], caplog: pytest.LogCaptureFixture
) -> None:
    store, connection = live
    session = await store.create_session(session_draft())
    await fill_up(connection)
    caplog.set_level(logging.WARNING)
    await fill_until_refused(store, session)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "database or disk is full" in errors[0].getMessage()
    assert "1 note not stored" in errors[0].getMessage()


# -- at run time: a read-only database ---------------------------------------------------------


async def test_a_read_only_database_refuses_notes(db_path: Path) -> None:
    session, ids = await make_database(db_path)
    connection = await aiosqlite.connect(read_only_uri(db_path), uri=True, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    try:
        store = SqliteStore(connection)
        with pytest.raises(StorageReadOnlyError) as refused:
            await store.add_note(note(session, "niet bewaard", 999))
        assert refused.value.notes == 1
        assert "readonly" in refused.value.cause
        assert not connection.in_transaction
        assert [n.id for n in await store.notes(session.id)] == ids
    finally:
        await connection.close()


@needs_permissions
@pytest.mark.usefixtures("writable")
async def test_a_file_made_read_only_refuses_notes(db_path: Path) -> None:
    session, _ = await make_database(db_path)
    await asyncio.to_thread(db_path.chmod, 0o444)
    connection = await aiosqlite.connect(db_path, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    try:
        with pytest.raises(StorageReadOnlyError):
            await SqliteStore(connection).add_note(note(session, "niet bewaard", 999))
    finally:
        await connection.close()


# -- what people are told ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_people_are_told_what_happened_in_their_language(locale: str) -> None:
    sentences = catalog()
    note_full = refusal_text(sentences, locale, StorageFullError("database or disk is full", 1))
    note_ro = refusal_text(sentences, locale, StorageReadOnlyError("readonly", 1))
    other_full = refusal_text(sentences, locale, StorageFullError("database or disk is full"))
    other_ro = refusal_text(sentences, locale, StorageReadOnlyError("readonly"))
    texts = [note_full, note_ro, other_full, other_ro]
    assert all(texts) and len(set(texts)) == 4
    word = {"nl": "notitie", "en": "note"}[locale]
    assert note_full is not None and word in note_full and word in str(note_ro)
    assert word not in str(other_full)
    assert isinstance(StorageFullError("x"), StorageUnavailableError)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    sandbox = DiscordSandbox()
    await sandbox.start()
    world = Harness(sandbox, tmp_path / "cocreate.sqlite3")
    try:
        yield world
    finally:
        await world.stop()
        await sandbox.stop()
        reset_discord_endpoints()


async def wait_for_log(caplog: pytest.LogCaptureFixture, count: int, timeout: float = 10) -> None:
    """Until ``count`` refused writes were logged."""
    for _ in range(int(timeout / 0.01)):
        if len(refusals(caplog)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} refused writes were not logged: {refusals(caplog)}")


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "the database refused a write" in r.getMessage()]


async def test_a_note_that_could_not_be_stored_is_not_acknowledged_and_the_writer_is_told(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    bot = h.bot
    assert bot is not None
    connection = bot._database
    assert connection is not None
    await h.say(thread, h.alice, "Nog net bewaard")
    await fill_up(connection)
    await fill_until_refused(bot.store, (await bot.store.active_sessions())[0])
    kept = [n.text for n in await bot.store.notes(1)]
    assert "Nog net bewaard" in kept
    caplog.clear()
    caplog.set_level(logging.INFO)
    mark = h.mark()

    # A thread message: not stored, so no 📝.
    message = await h.sb.user_message(thread, h.bob, BIG)
    await wait_for_log(caplog, 1)
    # /note: a private sentence in the writer's language.
    answer = await h.command(h.carol, "note", channel=thread, text=BIG)
    assert "Je notitie kon niet worden bewaard" in answer and "vol" in answer
    english = await h.command(h.carol, "note", channel=thread, text=BIG, locale="en-GB")
    assert "Your note could not be saved" in english
    # The Add note modal: the same.
    prompt = next(m for m in h.bot_posts(thread) if m.get("components"))
    custom_id = prompt["components"][0]["components"][0]["custom_id"]
    click = await h.sb.button_click(h.guild_id, thread, h.alice, int(prompt["id"]), custom_id)
    modal = await click.response()
    assert modal.json is not None
    fields = modal.json["data"]
    submit = await h.sb.modal_submit(
        h.guild_id, thread, h.alice, fields["custom_id"], {_text_input_id(fields): BIG}
    )
    reply = await submit.response()
    assert reply.json is not None and reply.json["data"]["flags"] & 64
    assert "Your note could not be saved" in reply.json["data"]["content"]  # en-US

    # Once there is room again, the next message is stored and acknowledged as ever.
    await make_room(connection)
    after = await h.say(thread, h.bob, "Weer ruimte")
    reactions = [c for c in h.sb.calls[mark:] if c.method == "PUT" and "reactions" in c.path]
    assert [c.params.get("message_id") for c in reactions] == [str(after["id"])]
    assert str(message["id"]) not in {c.params.get("message_id") for c in reactions}
    # Logged once per refused write, with the cause, and nowhere else at ERROR.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == refusals(caplog)
    assert len(errors) == 4
    assert all("database or disk is full" in r.getMessage() for r in errors)
    # Nothing refused was stored after all; everything acknowledged is there.
    assert [n.text for n in await bot.store.notes(1)] == [*kept, "Weer ruimte"]


async def test_single_statement_writes_on_a_full_disk_are_refused_kindly(db_path: Path) -> None:
    """Writes outside a transaction (a taker, a nudge opt-out, a server setting) raise the
    same StorageFullError as notes do, not a bare sqlite3 error."""
    session, ids = await make_database(db_path)
    connection = await connect(db_path)
    try:
        store = SqliteStore(connection)
        await fill_up(connection)
        await fill_until_refused(store, session)
        big = "x" * 200_000
        with pytest.raises(StorageFullError):
            await store.add_taker(ids[0], 7, big, START)
        refused = None
        for user in range(5_000):
            try:
                await store.set_nudges_for_user(user, False, START)
            except StorageFullError as error:
                refused = error
                break
        assert refused is not None
    finally:
        await connection.close()
