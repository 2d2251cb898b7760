"""Read-only queries for board exports (the :class:`~bot.export.source.BoardSource` port).

Notes are read a page at a time from one sorted query, and each page's comments, votes
and takers are fetched for that page only: an export never holds a whole board here.
Exports use a connection of their own (:func:`open_reader`), so a long export neither
waits for nor delays the bot's writes (WAL lets readers and the writer run side by side).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.export.source import (
    CommentRecord,
    NoteRecord,
    RoundRecord,
    SessionListing,
    SessionRecord,
    StepRecord,
    TakerRecord,
    TallyRecord,
    ThemeRecord,
)
from bot.storage.base import parse_time, required_time
from bot.storage.db import schema_version

# Notes per page; also the most ids bound in one "IN (…)" (far below SQLite's limit).
PAGE_SIZE = 500

# The oldest schema an export can read: 0002 added note kinds, votes, themes and takers.
EXPORT_SCHEMA = 2

_SESSION_COLUMNS = (
    "id, guild_id, channel_id, thread_id, topic, locale, template, steps, status,"
    " created_at, ended_at, chosen_question, step_index, phase"
)
# Read as well where the file has it (schema 6 on): whose names the session shows.
_ANONYMITY_COLUMN = ", anonymity, reveal_salt"
_NOTE_COLUMNS = (
    "n.id, n.step_index, n.kind, n.author_id, n.author_name, n.text, n.created_at,"
    " n.edited_at, n.source, n.attachments"
)


class DatabaseTooOldError(Exception):
    """The file's schema predates what exports read; starting the bot upgrades it."""


def _session(row: sqlite3.Row) -> SessionRecord:
    steps = tuple(
        StepRecord(
            kind=str(step["kind"]),
            seconds=float(step.get("seconds", 0)),
            private=bool(step.get("private", False)),
        )
        for step in json.loads(row["steps"])
    )
    # A file from before private writing (schema 6) has no anonymity: names as usual.
    known = row.keys()
    anonymity = row["anonymity"] if "anonymity" in known else "off"
    salt = row["reveal_salt"] if "reveal_salt" in known else ""
    return SessionRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        topic=row["topic"],
        locale=row["locale"],
        template=row["template"],
        status=row["status"],
        created_at=required_time(row["created_at"]),
        ended_at=parse_time(row["ended_at"]),
        chosen_question=row["chosen_question"],
        steps=steps,
        anonymity=str(anonymity),
        reveal_salt=str(salt),
        step_index=int(row["step_index"]),
        phase=str(row["phase"]),
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class ExportReader:
    """Everything an export reads, on a connection it never writes through."""

    def __init__(self, connection: aiosqlite.Connection, page_size: int = PAGE_SIZE) -> None:
        self._db = connection
        self._page = max(1, min(page_size, PAGE_SIZE))
        self._columns: str | None = None

    async def _session_columns(self) -> str:
        """The session columns this file has (anonymity only from schema 6 on)."""
        if self._columns is None:
            names = {str(row[1]) for row in await self._all("PRAGMA table_info(sessions)", ())}
            extra = _ANONYMITY_COLUMN if "anonymity" in names else ""
            self._columns = _SESSION_COLUMNS + extra
        return self._columns

    async def _all(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def check_schema(self) -> None:
        """Raise DatabaseTooOldError when the file predates exports."""
        if await schema_version(self._db) < EXPORT_SCHEMA:
            raise DatabaseTooOldError

    # -- sessions ------------------------------------------------------------------------

    async def sessions(self) -> list[SessionListing]:
        """Every session with its note count, oldest first."""
        rows = await self._all(
            "SELECT s.id, s.guild_id, s.topic, s.status, s.created_at,"
            " (SELECT COUNT(*) FROM notes n WHERE n.session_id = s.id) AS notes"
            " FROM sessions s ORDER BY s.created_at, s.id",
            (),
        )
        return [
            SessionListing(
                id=row["id"],
                guild_id=row["guild_id"],
                topic=row["topic"],
                status=row["status"],
                created_at=required_time(row["created_at"]),
                notes=row["notes"],
            )
            for row in rows
        ]

    async def session(self, session_id: int) -> SessionRecord | None:
        """The session with this id."""
        columns = await self._session_columns()
        rows = await self._all(f"SELECT {columns} FROM sessions WHERE id = ?", (session_id,))
        return _session(rows[0]) if rows else None

    async def session_for_channel(self, channel_id: int) -> SessionRecord | None:
        """The session of this thread; else the latest session started from this channel
        (running or ended)."""
        columns = await self._session_columns()
        rows = await self._all(f"SELECT {columns} FROM sessions WHERE thread_id = ?", (channel_id,))
        if not rows:
            rows = await self._all(
                f"SELECT {columns} FROM sessions WHERE channel_id = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (channel_id,),
            )
        return _session(rows[0]) if rows else None

    async def note_count(self, session_id: int) -> int:
        """How many notes the session has (for progress)."""
        rows = await self._all("SELECT COUNT(*) FROM notes WHERE session_id = ?", (session_id,))
        return int(rows[0][0])

    # -- the board -----------------------------------------------------------------------

    async def themes(self, session_id: int, step_index: int) -> list[ThemeRecord]:
        """A step's themes in board order."""
        rows = await self._all(
            "SELECT id, name, keywords FROM themes WHERE session_id = ? AND step_index = ?"
            " ORDER BY position, id",
            (session_id, step_index),
        )
        return [
            ThemeRecord(row["id"], row["name"], tuple(json.loads(row["keywords"]))) for row in rows
        ]

    async def rounds(self, session_id: int) -> list[RoundRecord]:
        """The session's vote rounds, oldest first, with the tallies of voted notes."""
        rows = await self._all(
            "SELECT r.id, r.step_index, r.target, r.budget, r.per_note_cap, r.status,"
            " r.opened_at, r.closed_at, json_array_length(r.options) AS options,"
            " (SELECT COUNT(DISTINCT v.voter_id) FROM votes v WHERE v.round_id = r.id)"
            " AS voters FROM vote_rounds r WHERE r.session_id = ? ORDER BY r.id",
            (session_id,),
        )
        rounds = []
        for row in rows:
            tallies = await self._all(
                "SELECT note_id, SUM(count), COUNT(DISTINCT voter_id) FROM votes"
                " WHERE round_id = ? GROUP BY note_id",
                (row["id"],),
            )
            rounds.append(
                RoundRecord(
                    id=row["id"],
                    step_index=row["step_index"],
                    target=row["target"],
                    budget=row["budget"],
                    per_note_cap=row["per_note_cap"],
                    status=row["status"],
                    opened_at=required_time(row["opened_at"]),
                    closed_at=parse_time(row["closed_at"]),
                    options=int(row["options"] or 0),
                    voters=int(row["voters"]),
                    tallies=tuple(
                        TallyRecord(row["id"], int(t[0]), int(t[1]), int(t[2])) for t in tallies
                    ),
                )
            )
        return rounds

    async def note_pages(
        self, session_id: int, step_index: int, theme_id: int | None
    ) -> AsyncIterator[list[NoteRecord]]:
        """A step's notes in one theme (None: in no theme of this step), oldest first,
        a page at a time, each with its comments, tallies and takers."""
        if theme_id is None:
            # A note moved into another step's theme still belongs to its own step's board.
            sql = (
                f"SELECT {_NOTE_COLUMNS} FROM notes n WHERE n.session_id = ?"
                " AND n.step_index = ? AND NOT EXISTS (SELECT 1 FROM note_themes nt"
                " JOIN themes t ON t.id = nt.theme_id WHERE nt.note_id = n.id"
                " AND t.session_id = n.session_id AND t.step_index = n.step_index)"
                " ORDER BY n.created_at, n.id"
            )
            params: tuple[int, ...] = (session_id, step_index)
        else:
            sql = (
                f"SELECT {_NOTE_COLUMNS} FROM notes n JOIN note_themes nt ON nt.note_id = n.id"
                " WHERE nt.theme_id = ? AND n.session_id = ? AND n.step_index = ?"
                " ORDER BY n.created_at, n.id"
            )
            params = (theme_id, session_id, step_index)
        round_ids = [
            int(row[0])
            for row in await self._all(
                "SELECT id FROM vote_rounds WHERE session_id = ? AND step_index = ?",
                (session_id, step_index),
            )
        ]
        # One sorted query, read in pages: SQLite sorts once, we hold one page at a time.
        async with self._db.execute(sql, params) as cursor:
            while rows := await cursor.fetchmany(self._page):
                yield await self._page_of(list(rows), theme_id, round_ids)

    async def step_writers(self, session_id: int, step_index: int) -> list[tuple[int, int]]:
        """(note id, author id) of every note of a step."""
        rows = await self._all(
            "SELECT id, author_id FROM notes WHERE session_id = ? AND step_index = ?",
            (session_id, step_index),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def _page_of(
        self, rows: Sequence[sqlite3.Row], theme_id: int | None, round_ids: list[int]
    ) -> list[NoteRecord]:
        ids = [int(row["id"]) for row in rows]
        comments: dict[int, list[CommentRecord]] = {}
        for row in await self._all(
            "SELECT id, note_id, author_id, author_name, text, created_at, edited_at"
            f" FROM comments WHERE note_id IN ({_marks(ids)}) ORDER BY created_at, id",
            ids,
        ):
            comments.setdefault(row["note_id"], []).append(
                CommentRecord(
                    id=row["id"],
                    author_id=row["author_id"],
                    author_name=row["author_name"],
                    text=row["text"],
                    created_at=required_time(row["created_at"]),
                    edited_at=parse_time(row["edited_at"]),
                )
            )
        tallies: dict[int, list[TallyRecord]] = {}
        if round_ids:
            # round_id first: the votes table's key starts with it.
            for row in await self._all(
                "SELECT round_id, note_id, SUM(count), COUNT(DISTINCT voter_id) FROM votes"
                f" WHERE round_id IN ({_marks(round_ids)}) AND note_id IN ({_marks(ids)})"
                " GROUP BY round_id, note_id ORDER BY round_id",
                [*round_ids, *ids],
            ):
                tallies.setdefault(int(row[1]), []).append(
                    TallyRecord(int(row[0]), int(row[1]), int(row[2]), int(row[3]))
                )
        takers: dict[int, list[TakerRecord]] = {}
        for row in await self._all(
            "SELECT note_id, user_id, user_name FROM takers"
            f" WHERE note_id IN ({_marks(ids)}) ORDER BY created_at, rowid",
            ids,
        ):
            takers.setdefault(row["note_id"], []).append(
                TakerRecord(row["user_id"], row["user_name"])
            )
        return [
            NoteRecord(
                id=row["id"],
                step_index=row["step_index"],
                kind=row["kind"],
                author_id=row["author_id"],
                author_name=row["author_name"],
                text=row["text"],
                created_at=required_time(row["created_at"]),
                edited_at=parse_time(row["edited_at"]),
                source=row["source"],
                attachments=tuple(json.loads(row["attachments"])),
                theme_id=theme_id,
                comments=tuple(comments.get(row["id"], ())),
                tallies=tuple(tallies.get(row["id"], ())),
                takers=tuple(takers.get(row["id"], ())),
            )
            for row in rows
        ]


@asynccontextmanager
async def open_reader(path: str | Path, page_size: int = PAGE_SIZE) -> AsyncIterator[ExportReader]:
    """An :class:`ExportReader` on its own read-only connection to the database file.

    Raises FileNotFoundError when there is no such file (nothing is created) and
    DatabaseTooOldError when its schema predates exports.
    """
    file = Path(path)
    if not await asyncio.to_thread(file.is_file):
        raise FileNotFoundError(str(file))
    # mode=ro: an export can never write, and never creates a missing file.
    uri = (await asyncio.to_thread(file.resolve)).as_uri() + "?mode=ro"
    connection = await aiosqlite.connect(uri, uri=True)
    try:
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA query_only=ON")
        reader = ExportReader(connection, page_size)
        await reader.check_schema()
        # One read transaction: every page of the export comes from the same snapshot
        # (WAL lets the bot write meanwhile). Read statement by statement, a theme re-run
        # between two pages could leave notes in themes the export never saw.
        await connection.execute("BEGIN")
        yield reader
    finally:
        await connection.close()
