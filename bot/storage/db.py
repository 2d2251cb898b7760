"""Open the SQLite database: an integrity check, WAL, foreign keys, and migrations tracked
in user_version; and copy it safely while the bot runs (:func:`backup`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from importlib import resources
from pathlib import Path
from typing import NoReturn

import aiosqlite

from bot.storage.errors import (
    DatabaseCorruptError,
    DatabaseTooNewError,
    is_corruption,
    unavailable,
    unavailable_os,
)

log = logging.getLogger(__name__)

# How many problems quick_check reports at most (the first is what an admin needs).
_PROBLEMS = 3


def migrations() -> list[tuple[int, str]]:
    """The migration scripts shipped with the package, as (version, SQL), in order."""
    folder = resources.files("bot.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def latest_version() -> int:
    """The newest schema version this code knows."""
    return max((version for version, _ in migrations()), default=0)


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Connect, check the file, switch on WAL and foreign keys, bring the schema up to date.

    An existing file is first looked at read-only: damaged, not a database
    (:class:`DatabaseCorruptError`) or from a newer cocreate (:class:`DatabaseTooNewError`),
    it is refused without a byte of it changed. A file or folder the bot may not write
    (:class:`StorageReadOnlyError`) or a full disk (:class:`StorageFullError`) is refused
    here too, rather than at the first note.
    """
    checked = True
    if str(path) != ":memory:":
        file = Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            refused = unavailable_os(error)
            if refused is None:
                raise
            raise refused from error
        checked = await asyncio.to_thread(_inspect, file)
    try:
        connection = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        _refuse(error, path)
    try:
        connection.row_factory = aiosqlite.Row
        if not checked:
            # A read-only look was not possible (say, a journal left by a crash, which
            # only a writer may roll back): check on this connection before any change.
            await _check(connection, path)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        # 512 KiB of page cache instead of 2 MiB: the operating system caches the file
        # anyway, and the bot's memory is benchmarked against a bare client (bench/memory.py).
        await connection.execute("PRAGMA cache_size=-512")
        await migrate(connection)
        await _probe_write(connection)
    except sqlite3.Error as error:
        await connection.close()
        _refuse(error, path)
    except BaseException:
        await connection.close()
        raise
    return connection


def _refuse(error: sqlite3.Error, path: str | Path) -> NoReturn:
    """Raise ``error`` as the storage error it stands for, if it is one."""
    if is_corruption(error):
        raise DatabaseCorruptError(path, str(error)) from error
    refused = unavailable(error)
    # "unable to open database file" for a folder given as the database is no permission
    # problem: that one is passed on as SQLite said it.
    if refused is not None and not Path(path).is_dir():
        raise refused from error
    raise error


def _inspect(path: Path) -> bool:
    """Look at an existing file through a read-only connection; refuse it when it is damaged
    or too new. False when a read-only look was not possible."""
    if not path.is_file() or path.stat().st_size == 0:
        return True  # a new database: nothing to look at yet
    try:
        look = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        version = int(look.execute("PRAGMA user_version").fetchone()[0])
        known = latest_version()
        if version > known:
            raise DatabaseTooNewError(path, version, known)
        problems = [str(row[0]) for row in look.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as error:
        if is_corruption(error):
            raise DatabaseCorruptError(path, str(error)) from error
        return False
    finally:
        look.close()
    if problems != ["ok"]:
        raise DatabaseCorruptError(path, "; ".join(problems[:_PROBLEMS]))
    return True


async def _check(connection: aiosqlite.Connection, path: str | Path) -> None:
    version = await schema_version(connection)
    known = latest_version()
    if version > known:
        raise DatabaseTooNewError(path, version, known)
    async with connection.execute("PRAGMA quick_check") as cursor:
        problems = [str(row[0]) for row in await cursor.fetchall()]
    if problems != ["ok"]:
        raise DatabaseCorruptError(path, "; ".join(problems[:_PROBLEMS]))


async def _probe_write(connection: aiosqlite.Connection) -> None:
    """Start a write and roll it back: a read-only file or folder fails here, at start-up,
    and not at the first note (SQLite opens such a file for reading without a word)."""
    version = await schema_version(connection)
    await connection.execute("BEGIN IMMEDIATE")
    try:
        await connection.execute(f"PRAGMA user_version = {version}")
    finally:
        if connection.in_transaction:
            await connection.execute("ROLLBACK")


async def schema_version(connection: aiosqlite.Connection) -> int:
    """The schema version recorded in the database file."""
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _file_of(connection: aiosqlite.Connection) -> str:
    async with connection.execute("PRAGMA database_list") as cursor:
        for row in await cursor.fetchall():
            if row[1] == "main":
                return str(row[2]) or ":memory:"
    return ":memory:"


async def migrate(connection: aiosqlite.Connection) -> int:
    """Apply every migration newer than the file's version, each in its own transaction.

    A file from a newer cocreate than this one is refused (:class:`DatabaseTooNewError`):
    this code would misread what it does not know.
    """
    current = await schema_version(connection)
    known = latest_version()
    if current > known:
        raise DatabaseTooNewError(await _file_of(connection), current, known)
    for version, script in migrations():
        if version <= current:
            continue
        log.info("migrating database to version %s", version)
        # executescript commits first; wrap it so a failing script leaves nothing behind.
        await connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
        )
        current = version
    return current


# -- backups ---------------------------------------------------------------------------------


def backup(source: Path, destination: Path) -> int:
    """Copy the database at ``source`` to ``destination``; the copy's size in bytes.

    Safe while the bot runs: SQLite's online backup API copies one consistent snapshot
    (the latest commit, including what still sits in the -wal file) through a read-only
    connection, so the live file is never written. The copy is a single file (no -wal),
    is written as ``<destination>.partial``, checked with quick_check and only then renamed,
    so ``destination`` is either a whole, intact backup or untouched.

    Raises FileNotFoundError (no database), :class:`DatabaseCorruptError` (the database
    is damaged: its copy fails the check), :class:`StorageFullError` /
    :class:`StorageReadOnlyError` (about the destination), or OSError / sqlite3.Error.
    """
    if not source.is_file():
        raise FileNotFoundError(str(source))
    partial = destination.with_name(destination.name + ".partial")
    live = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            live.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as error:
            if is_corruption(error):
                raise DatabaseCorruptError(source, str(error)) from error
            raise
        try:
            partial.unlink(missing_ok=True)  # left by a backup that was interrupted
            _copy(live, source, partial)
            _verify(partial, source)
            _sync(partial)
            partial.replace(destination)
        except OSError as error:
            refused = unavailable_os(error)
            if refused is None:
                raise
            raise refused from error
        finally:
            # Nothing of a failed copy stays behind (after the rename there is nothing left).
            for leftover in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    partial.with_name(partial.name + leftover).unlink(missing_ok=True)
    finally:
        live.close()
    _sync(destination.parent)
    return destination.stat().st_size


def _open_copy(path: Path) -> sqlite3.Connection:
    """The connection the backup is written through (a seam for tests)."""
    return sqlite3.connect(path, isolation_level=None)


def _copy(live: sqlite3.Connection, source: Path, partial: Path) -> None:
    try:
        copy = _open_copy(partial)
    except sqlite3.Error as error:
        _refuse(error, partial)
    try:
        live.backup(copy)  # all pages in one step: one snapshot, however busy the bot is
        # A self-contained file: no -wal to forget when copying the backup elsewhere.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        if is_corruption(error):
            raise DatabaseCorruptError(source, str(error)) from error
        _refuse(error, partial)
    finally:
        copy.close()


def _verify(partial: Path, source: Path) -> None:
    """quick_check the copy through a connection of its own (what is on disk, not a cache)."""
    check = sqlite3.connect(f"{partial.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problems = [str(row[0]) for row in check.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as error:
        if is_corruption(error):
            raise DatabaseCorruptError(source, str(error)) from error
        raise
    finally:
        check.close()
    if problems != ["ok"]:
        raise DatabaseCorruptError(source, "; ".join(problems[:_PROBLEMS]))


def _sync(path: Path) -> None:
    """Flush a file (or a folder, after a rename) to disk, where the system allows it."""
    flags = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if path.is_dir() else os.O_RDONLY
    try:
        handle = os.open(path, flags)
    except OSError:
        if path.is_dir():
            return  # a folder cannot be opened for flushing on every system
        raise
    try:
        os.fsync(handle)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(handle)
