"""The shared core of the SQLite repositories: one connection, one write lock, time codecs."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.storage.errors import unavailable

log = logging.getLogger(__name__)


def to_time(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def parse_time(value: str | None) -> datetime | None:
    """The inverse of :func:`to_time`."""
    return None if value is None else datetime.fromisoformat(value)


def required_time(value: str) -> datetime:
    """A stored time that is never NULL."""
    return datetime.fromisoformat(value)


class SqliteBase:
    """One aiosqlite connection runs statements in order on its own thread; the lock keeps
    one coroutine's multi-statement transaction from interleaving with another's."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._write = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self, notes: int = 0) -> AsyncIterator[aiosqlite.Connection]:
        """One write, committed whole or not at all.

        A full disk or a read-only file or folder raises StorageFullError /
        StorageReadOnlyError (logged here, once) after rolling back, so nothing half
        written stays and the next write starts clean. ``notes``: how many notes the
        write holds (for the log line and the error).
        """
        async with self._write:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._rollback()
                    raise
            except sqlite3.OperationalError as error:
                refused = unavailable(error, notes)
                if refused is None:
                    raise
                what = f"{notes} note{'' if notes == 1 else 's'}" if notes else "a change"
                log.error("the database refused a write, %s not stored: %s", what, error)
                raise refused from error

    @asynccontextmanager
    async def _single(self) -> AsyncIterator[aiosqlite.Connection]:
        """One statement on its own (autocommit), under the write lock, with the same
        translation of a full disk or a read-only file as :meth:`_transaction`."""
        async with self._write:
            try:
                yield self._db
            except sqlite3.OperationalError as error:
                refused = unavailable(error, 0)
                if refused is None:
                    raise
                log.error("the database refused a write: %s", error)
                raise refused from error

    async def _rollback(self) -> None:
        # SQLite may have rolled back already (after SQLITE_FULL, say): then there is no
        # transaction left, and a ROLLBACK would only add an error of its own.
        if self._db.in_transaction:
            try:
                await self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.warning("rolling back failed", exc_info=True)

    async def _one(self, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> sqlite3.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] | list[Any]
    ) -> list[sqlite3.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())
