"""`cocreate backup` as an admin meets it: a checked copy, also while the bot writes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.cli import human_size, main
from bot.domain.board import NoteDraft, NoteSource
from bot.domain.session import Session
from bot.storage import db as db_module
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.fakes import START
from tests.integration.test_storage_health import session_draft

MIN = timedelta(minutes=1)
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An English-speaking admin in an empty folder; the database path it uses."""
    for key in os.environ:
        if key.startswith("COCREATE_"):
            monkeypatch.delenv(key)
    database = tmp_path / "data" / "cocreate.sqlite3"
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    monkeypatch.setenv("COCREATE_STORAGE__PATH", str(database))
    monkeypatch.chdir(tmp_path)
    return database


def backup(output: Path, *extra: str) -> int:
    return main(["backup", "--output", str(output), *extra])


def note(session: Session, text: str, message_id: int | None = None) -> NoteDraft:
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


@pytest.fixture
async def live(admin: Path) -> AsyncIterator[tuple[SqliteStore, Session]]:
    """The bot's side: an open database with a session and what was written so far."""
    connection = await connect(admin)
    try:
        store = SqliteStore(connection)
        yield store, await store.create_session(session_draft())
    finally:
        await connection.close()


def notes_in(path: Path) -> list[str]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [str(row[0]) for row in db.execute("SELECT text FROM notes ORDER BY id")]
    finally:
        db.close()


def check(path: Path) -> tuple[str, str]:
    """(quick_check, journal mode) of a file, read without changing it."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return (
            str(db.execute("PRAGMA quick_check").fetchone()[0]),
            str(db.execute("PRAGMA journal_mode").fetchone()[0]),
        )
    finally:
        db.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_database(path: Path, notes: int = 5) -> None:
    async def fill() -> None:
        connection = await connect(path)
        try:
            store = SqliteStore(connection)
            session = await store.create_session(session_draft())
            for number in range(notes):
                await store.add_note(note(session, f"idee {number} " + "x" * 200, 100 + number))
        finally:
            await connection.close()

    asyncio.run(fill())


# -- while the bot runs ------------------------------------------------------------------------


async def test_a_backup_while_the_bot_runs_has_every_commit_and_nothing_half_done(
    live: tuple[SqliteStore, Session],
    admin: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, session = live
    for number in range(20):
        await store.add_note(note(session, f"bewaard {number}", 100 + number))
    # Committed, but still only in the -wal file: the bot has not checkpointed yet.
    assert (admin.parent / (admin.name + "-wal")).stat().st_size > 0
    # Someone else is in the middle of a change.
    other = await aiosqlite.connect(admin, isolation_level=None)
    try:
        await other.execute("BEGIN IMMEDIATE")
        await other.execute(
            "INSERT INTO notes (session_id, step_index, author_id, author_name, text, source,"
            " created_at) VALUES (1, 0, 9, 'Negen', 'half af', 'command', '2025-03-14')"
        )
        output = tmp_path / "backups" / "cocreate-1.sqlite3"
        output.parent.mkdir()
        code = await asyncio.to_thread(backup, output)
        await other.execute("ROLLBACK")
    finally:
        await other.close()
    assert code == 0
    out = capsys.readouterr().out.strip()
    assert str(output) in out and str(admin) in out
    assert human_size(output.stat().st_size, "en") in out
    assert notes_in(output) == [f"bewaard {number}" for number in range(20)]
    assert check(output) == ("ok", "delete")  # one file, nothing else to copy along
    assert leftovers(output.parent) == []
    assert sorted(p.name for p in output.parent.iterdir()) == ["cocreate-1.sqlite3"]


async def test_a_backup_taken_amid_a_stream_of_notes_is_one_consistent_moment(
    live: tuple[SqliteStore, Session], tmp_path: Path
) -> None:
    store, session = live
    written: list[int] = []
    stop = asyncio.Event()
    under_way = asyncio.Event()

    async def keep_writing() -> None:
        number = 0
        while not stop.is_set():
            await store.add_note(note(session, f"stroom {number} " + "y" * 300, 1000 + number))
            written.append(number)
            number += 1
            if number == 50:
                under_way.set()
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    try:
        await asyncio.wait_for(under_way.wait(), 10)
        before = len(written)
        output = tmp_path / "amid.sqlite3"
        code = await asyncio.to_thread(backup, output)
    finally:
        stop.set()
        await writer
    assert code == 0
    copied = notes_in(output)
    # Every note committed before the backup began, then an unbroken run: a snapshot.
    assert len(copied) >= before
    assert copied == [f"stroom {n} " + "y" * 300 for n in range(len(copied))]
    assert check(output)[0] == "ok"


async def test_a_backup_can_be_restored(admin: Path, tmp_path: Path) -> None:
    await asyncio.to_thread(make_database, admin, 3)
    output = tmp_path / "copy.sqlite3"
    assert await asyncio.to_thread(backup, output) == 0
    restored = tmp_path / "restored" / "cocreate.sqlite3"
    restored.parent.mkdir()
    restored.write_bytes(output.read_bytes())
    connection = await connect(restored)
    try:
        notes = await SqliteStore(connection).notes(1)
    finally:
        await connection.close()
    assert [n.text.split()[1] for n in notes] == ["0", "1", "2"]


# -- refusals ----------------------------------------------------------------------------------


def test_an_existing_file_is_left_alone_unless_forced(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_database(admin)
    output = tmp_path / "backup.sqlite3"
    output.write_text("last week's backup", encoding="utf-8")
    assert backup(output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "already exists" in err and "--force" in err
    assert output.read_text(encoding="utf-8") == "last week's backup"
    assert backup(output, "--force") == 0
    assert check(output)[0] == "ok"
    assert len(notes_in(output)) == 5


def test_the_database_itself_is_never_the_output(
    admin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_database(admin)
    before = fingerprint(admin)
    assert backup(admin, "--force") == 2
    assert "is the database itself" in capsys.readouterr().err
    assert fingerprint(admin) == before


def test_a_missing_database_is_named(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "backup.sqlite3"
    assert backup(output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(admin) in err and "does not exist" in err
    assert not output.exists()


def test_a_missing_folder_is_named(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_database(admin)
    output = tmp_path / "nowhere" / "backup.sqlite3"
    assert backup(output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "folder" in err and str(output.parent) in err and "does not exist" in err


@pytest.fixture
def unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder this user may not write in (as root, chmod does not stop anyone: then the
    copy is opened the way SQLite opens a file it may only read)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if AS_ROOT:

        def read_only(path: Path) -> sqlite3.Connection:
            path.touch()
            uri = f"{path.resolve().as_uri()}?mode=ro"
            return sqlite3.connect(uri, uri=True, isolation_level=None)

        monkeypatch.setattr(db_module, "_open_copy", read_only)
    else:
        folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o700)


def test_an_unwritable_destination_is_named(
    admin: Path, unwritable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_database(admin)
    output = unwritable / "backup.sqlite3"
    assert backup(output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "may not write" in err and str(unwritable) in err
    assert not output.exists()
    assert leftovers(unwritable) == []


def test_a_full_disk_is_named_and_leaves_nothing_behind(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_database(admin, notes=100)
    original = db_module._open_copy

    def small_disk(path: Path) -> sqlite3.Connection:
        copy = original(path)
        copy.execute("PRAGMA max_page_count = 5").fetchall()  # a real SQLITE_FULL
        return copy

    monkeypatch.setattr(db_module, "_open_copy", small_disk)
    output = tmp_path / "backup.sqlite3"
    assert backup(output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "is full" in err and "nothing was written" in err
    assert human_size(admin.stat().st_size, "en") in err
    assert not output.exists()
    assert leftovers(tmp_path) == []


def test_a_damaged_database_gives_no_backup(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_database(admin, notes=200)
    look = sqlite3.connect(admin)
    root = look.execute("SELECT rootpage FROM sqlite_master WHERE name = 'notes'").fetchone()[0]
    page_size = look.execute("PRAGMA page_size").fetchone()[0]
    look.close()
    with admin.open("r+b") as handle:
        handle.seek((root - 1) * page_size + 12)
        handle.write(b"\xff" * 64)
    before = fingerprint(admin)
    output = tmp_path / "backup.sqlite3"
    output.write_text("yesterday's good backup", encoding="utf-8")
    assert backup(output, "--force") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "damaged" in err and "no backup was written" in err
    # The earlier backup is still there, whole; the damaged database is untouched.
    assert output.read_text(encoding="utf-8") == "yesterday's good backup"
    assert fingerprint(admin) == before
    assert leftovers(tmp_path) == []


def test_the_admin_hears_it_in_dutch(
    admin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "nl")
    make_database(admin, notes=30)
    output = tmp_path / "kopie.sqlite3"
    assert backup(output) == 0
    out = capsys.readouterr().out
    assert "gecontroleerd en in orde" in out
    assert human_size(output.stat().st_size, "nl") in out


def test_sizes_read_as_people_read_them() -> None:
    assert human_size(812, "en") == "812 B"
    assert human_size(4_200_000, "en") == "4.2 MB"
    assert human_size(4_200_000, "nl") == "4,2 MB"
    assert human_size(73_728, "en") == "73.7 kB"
    assert human_size(3 * 10**12, "en") == "3000.0 GB"


def test_backup_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with contextlib.suppress(SystemExit):
        main(["backup", "--help"])
    usage = capsys.readouterr().out
    assert "--output" in usage and "--force" in usage and "--config" in usage
