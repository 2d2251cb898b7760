"""Open the SQLite database: WAL, foreign keys, and migrations tracked in user_version."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)


def migrations() -> list[tuple[int, str]]:
    """The migration scripts shipped with the package, as (version, SQL), in order."""
    folder = resources.files("bot.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Connect, switch on WAL and foreign keys, and bring the schema up to date."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        # 512 KiB of page cache instead of 2 MiB: the operating system caches the file
        # anyway, and the bot's memory is benchmarked against a bare client (bench/memory.py).
        await connection.execute("PRAGMA cache_size=-512")
        await migrate(connection)
    except BaseException:
        await connection.close()
        raise
    return connection


async def schema_version(connection: aiosqlite.Connection) -> int:
    """The schema version recorded in the database file."""
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(connection: aiosqlite.Connection) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    current = await schema_version(connection)
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
