"""What can go wrong with the database file itself, as errors the edges can name.

SQLite reports these as generic ``sqlite3.OperationalError``/``DatabaseError``; the
storage layer turns them into the types below, so a cog can answer "the disk is full" and
the command line can say "the file is damaged" without knowing SQLite's error codes.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_CORRUPT = 11
SQLITE_READONLY = 8
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class StorageError(Exception):
    """The database file cannot be used as it is; an administrator has to act."""


class DatabaseCorruptError(StorageError):
    """The file is damaged or is not a SQLite database at all. Nothing was changed."""

    def __init__(self, path: str | Path, detail: str) -> None:
        super().__init__(f"{path} is damaged: {detail}")
        self.path = str(path)
        self.detail = detail


class DatabaseTooNewError(StorageError):
    """The file's schema is newer than this version of cocreate knows; it is not opened."""

    def __init__(self, path: str | Path, found: int, known: int) -> None:
        super().__init__(f"{path} has schema version {found}; this cocreate knows up to {known}")
        self.path = str(path)
        self.found = found
        self.known = known


class StorageUnavailableError(StorageError):
    """A write was refused as a whole (rolled back): nothing of it was stored.

    ``cause`` is SQLite's (or the system's) own words; ``notes`` how many notes the
    refused write held (0 for any other change).
    """

    def __init__(self, cause: str, notes: int = 0) -> None:
        super().__init__(cause)
        self.cause = cause
        self.notes = notes


class StorageFullError(StorageUnavailableError):
    """The disk (or the database's size limit) is full."""


class StorageReadOnlyError(StorageUnavailableError):
    """The database file or its folder cannot be written."""


def _primary(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_corruption(error: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or is no database."""
    message = str(error).lower()
    return _primary(error) in (SQLITE_CORRUPT, SQLITE_NOTADB) or (
        "file is not a database" in message or "disk image is malformed" in message
    )


def unavailable(error: sqlite3.Error, notes: int = 0) -> StorageUnavailableError | None:
    """The storage error a failed write stands for (full, read-only), or None."""
    code = _primary(error)
    message = str(error)
    lowered = message.lower()
    if code == SQLITE_FULL or "database or disk is full" in lowered:
        return StorageFullError(message, notes)
    if (
        code in (SQLITE_READONLY, SQLITE_CANTOPEN)
        or "readonly database" in lowered
        or "unable to open database file" in lowered
    ):
        return StorageReadOnlyError(message, notes)
    return None


def unavailable_os(error: OSError) -> StorageUnavailableError | None:
    """The same for the operating system's refusals (making the folder, for one)."""
    if error.errno == errno.ENOSPC:
        return StorageFullError(str(error))
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageReadOnlyError(str(error))
    return None
