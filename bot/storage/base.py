"""The shared core of the SQLite repositories: one connection, one write lock, time codecs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite


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
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _one(self, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> sqlite3.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] | list[Any]
    ) -> list[sqlite3.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())
