"""The Store port on SQLite (aiosqlite). SQL lives here and nowhere else."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite

from bot.domain.board import Comment, CommentDraft, Note, NoteDraft, NoteKind, NoteSource
from bot.domain.session import Anonymity, Phase, Session, SessionStatus, TypedInPrivate
from bot.domain.templates import StepPlan
from bot.domain.voting import VoteTarget
from bot.ports import ChannelBusyError
from bot.storage.base import parse_time, required_time, to_time
from bot.storage.between_days_repo import BetweenDaysRepository
from bot.storage.privacy_repo import PrivacyRepository
from bot.storage.private_repo import PrivateWritingRepository
from bot.storage.server_settings_repo import ServerSettingsRepository
from bot.storage.themes_repo import ThemesRepository
from bot.storage.votes_repo import VotesRepository

_SESSION_COLUMNS = (
    "id, guild_id, channel_id, thread_id, facilitator_id, topic, locale, template, steps,"
    " step_index, status, step_started_at, due_at, remaining_seconds, reminder_before_seconds,"
    " reminded_step, last_message_id, created_at, ended_at, version, phase, chosen_question,"
    " async_reminders, reminders_done, zone, nudges, anonymity, typed_in_private,"
    " end_when_all_done, reveal_salt"
)
_NOTE_COLUMNS = (
    "id, session_id, step_index, author_id, author_name, text, attachments, source,"
    " message_id, created_at, edited_at, kind, lane, lane_column"
)


# Notes per INSERT statement at most: 12 values each, well under SQLite's 32,766
# variables. Chunks are powers of two, so the statement cache holds at most nine
# shapes; a shape per batch size would keep up to 128 large prepared statements
# (megabytes, seen in bench/memory.py).
_INSERT_CHUNK = 256


def _chunks(drafts: list[NoteDraft]) -> list[list[NoteDraft]]:
    """``drafts`` cut into runs whose lengths are powers of two, at most _INSERT_CHUNK."""
    chunks = []
    start = 0
    while start < len(drafts):
        size = min(_INSERT_CHUNK, 1 << ((len(drafts) - start).bit_length() - 1))
        chunks.append(drafts[start : start + size])
        start += size
    return chunks


# Rows converted per hop when reading many notes.
_FETCH_PAGE = 1000

# Columns save_session does not overwrite: the key, the version check, the monotonic id.
_NOT_ASSIGNED = ("id", "version", "last_message_id")


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _session_from_row(row: sqlite3.Row) -> Session:
    steps = tuple(_step_from_json(step) for step in json.loads(row["steps"]))
    remaining = row["remaining_seconds"]
    return Session(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        facilitator_id=row["facilitator_id"],
        topic=row["topic"],
        locale=row["locale"],
        template=row["template"],
        steps=steps,
        step_index=row["step_index"],
        status=SessionStatus(row["status"]),
        step_started_at=required_time(row["step_started_at"]),
        due_at=parse_time(row["due_at"]),
        remaining=None if remaining is None else timedelta(seconds=remaining),
        reminder_before=timedelta(seconds=row["reminder_before_seconds"]),
        reminded_step=row["reminded_step"],
        created_at=required_time(row["created_at"]),
        ended_at=parse_time(row["ended_at"]),
        last_message_id=row["last_message_id"],
        version=row["version"],
        phase=Phase(row["phase"]),
        chosen_question=row["chosen_question"],
        async_reminders=tuple(timedelta(seconds=x) for x in json.loads(row["async_reminders"])),
        reminders_done=row["reminders_done"],
        zone=row["zone"],
        nudges=bool(row["nudges"]),
        anonymity=Anonymity(row["anonymity"]),
        typed_in_private=TypedInPrivate(row["typed_in_private"]),
        end_when_all_done=bool(row["end_when_all_done"]),
        reveal_salt=row["reveal_salt"],
    )


def _note_from_row(row: sqlite3.Row) -> Note:
    return Note(
        id=row["id"],
        session_id=row["session_id"],
        step_index=row["step_index"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        text=row["text"],
        attachments=tuple(json.loads(row["attachments"])),
        source=NoteSource(row["source"]),
        message_id=row["message_id"],
        created_at=required_time(row["created_at"]),
        edited_at=parse_time(row["edited_at"]),
        kind=NoteKind(row["kind"]),
        lane=row["lane"],
        column=row["lane_column"],
    )


def _note_values(draft: NoteDraft) -> tuple[object, ...]:
    return (
        draft.session_id,
        draft.step_index,
        draft.author_id,
        draft.author_name,
        draft.text,
        json.dumps(list(draft.attachments)),
        draft.source.value,
        draft.message_id,
        to_time(draft.created_at),
        draft.kind.value,
        draft.lane,
        draft.column,
    )


def _session_values(session: Session) -> dict[str, Any]:
    return {
        "guild_id": session.guild_id,
        "channel_id": session.channel_id,
        "thread_id": session.thread_id,
        "facilitator_id": session.facilitator_id,
        "topic": session.topic,
        "locale": session.locale,
        "template": session.template,
        "steps": json.dumps([_step_to_json(step) for step in session.steps]),
        "step_index": session.step_index,
        "status": session.status.value,
        "step_started_at": to_time(session.step_started_at),
        "due_at": to_time(session.due_at),
        "remaining_seconds": _seconds(session.remaining),
        "reminder_before_seconds": session.reminder_before.total_seconds(),
        "reminded_step": session.reminded_step,
        "last_message_id": session.last_message_id,
        "created_at": to_time(session.created_at),
        "ended_at": to_time(session.ended_at),
        "phase": session.phase.value,
        "chosen_question": session.chosen_question,
        "async_reminders": json.dumps([lead.total_seconds() for lead in session.async_reminders]),
        "reminders_done": session.reminders_done,
        "zone": session.zone,
        "nudges": int(session.nudges),
        "anonymity": session.anonymity.value,
        "typed_in_private": session.typed_in_private.value,
        "end_when_all_done": int(session.end_when_all_done),
        "reveal_salt": session.reveal_salt,
    }


def _step_to_json(step: StepPlan) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": step.kind, "seconds": step.duration.total_seconds()}
    if step.themes:
        data["themes"] = True
    if step.vote is not None:
        data["vote"] = step.vote.value
        data["vote_seconds"] = step.vote_duration.total_seconds()
    if step.deadline is not None:
        data["deadline"] = to_time(step.deadline)
    if step.private:
        data["private"] = True
    if step.canvas is not None:
        data["canvas"] = step.canvas
    if step.columns:
        data["columns"] = list(step.columns)
    return data


def _step_from_json(data: dict[str, Any]) -> StepPlan:
    vote = data.get("vote")
    return StepPlan(
        data["kind"],
        timedelta(seconds=data["seconds"]),
        themes=bool(data.get("themes", False)),
        vote=None if vote is None else VoteTarget(vote),
        vote_duration=timedelta(seconds=data.get("vote_seconds", 240)),
        deadline=parse_time(data.get("deadline")),
        private=bool(data.get("private", False)),
        canvas=data.get("canvas"),
        columns=tuple(data.get("columns", ())),
    )


class SqliteStore(
    VotesRepository,
    ThemesRepository,
    BetweenDaysRepository,
    ServerSettingsRepository,
    PrivacyRepository,
    PrivateWritingRepository,
):
    """Sessions, notes, comments, votes and themes in one SQLite file."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        super().__init__(connection)
        self._note_queue: list[tuple[NoteDraft, asyncio.Future[Note | None]]] = []
        self._note_flusher: asyncio.Task[None] | None = None

    # -- sessions -----------------------------------------------------------------------

    async def create_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session:
        """Insert a new session, with what its thread is owed (``owed``, encoded events)
        in the same transaction; ChannelBusyError if its channel already has one."""
        values = _session_values(session)
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        try:
            async with self._transaction() as db:
                cursor = await db.execute(
                    f"INSERT INTO sessions ({columns}) VALUES ({placeholders})",
                    values,
                )
                new_id = cursor.lastrowid
                if owed:
                    await db.executemany(
                        "INSERT INTO outbox (session_id, events, created_at) VALUES (?, ?, ?)",
                        [
                            (new_id, json.dumps([event]), to_time(datetime.now(UTC)))
                            for event in owed
                        ],
                    )
        except sqlite3.IntegrityError:
            existing = await self.active_session_in_channel(session.channel_id)
            if existing is None:
                raise
            raise ChannelBusyError(existing) from None
        assert new_id is not None
        created = await self.get_session(new_id)
        assert created is not None
        return created

    async def set_lane(self, note_id: int, lane: str | None, column: str | None) -> bool:
        """Put a note in a canvas lane (and column); False if there is no such note."""
        async with self._single():
            cursor = await self._db.execute(
                "UPDATE notes SET lane = ?, lane_column = ? WHERE id = ?",
                (lane, column, note_id),
            )
            return cursor.rowcount == 1

    async def get_session(self, session_id: int) -> Session | None:
        """The session with this id."""
        row = await self._one(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?",
            (session_id,),
        )
        return None if row is None else _session_from_row(row)

    async def session_by_thread(self, thread_id: int) -> Session | None:
        """The session living in this thread, active or not."""
        row = await self._one(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE thread_id = ?",
            (thread_id,),
        )
        return None if row is None else _session_from_row(row)

    async def active_session_in_channel(self, channel_id: int) -> Session | None:
        """The running or paused session started from this channel."""
        row = await self._one(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE channel_id = ? AND status != 'ended'",
            (channel_id,),
        )
        return None if row is None else _session_from_row(row)

    async def active_sessions(self) -> list[Session]:
        """Every running or paused session, oldest first."""
        rows = await self._all(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE status != 'ended' ORDER BY id",
            (),
        )
        return [_session_from_row(row) for row in rows]

    async def save_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session | None:
        """Write the session if its version is unchanged since loading; else None.

        ``owed``: announcements the change still has to post, stored in the same
        transaction (see :meth:`owed_announcements`).
        """
        values = _session_values(session)
        values["id"] = session.id
        values["version"] = session.version
        assignments = ", ".join(f"{name} = :{name}" for name in values if name not in _NOT_ASSIGNED)
        async with self._transaction() as db:
            cursor = await db.execute(
                f"UPDATE sessions SET {assignments}, version = version + 1"
                # last_message_id only grows, whoever saves last.
                # (NULLIF: a session that saw no message yet keeps NULL, not 0.)
                " , last_message_id = NULLIF(MAX(COALESCE(last_message_id, 0),"
                " COALESCE(:last_message_id, 0)), 0)"
                " WHERE id = :id AND version = :version",
                values,
            )
            if cursor.rowcount != 1:
                return None
            if owed:
                # One row per event, so progress can be recorded event by event.
                await db.executemany(
                    "INSERT INTO outbox (session_id, events, created_at) VALUES (?, ?, ?)",
                    [
                        (session.id, json.dumps([event]), to_time(datetime.now(UTC)))
                        for event in owed
                    ],
                )
        return await self.get_session(session.id)

    async def owed_announcements(
        self, session_id: int
    ) -> list[tuple[int, list[dict[str, object]]]]:
        """Announcements committed but not yet confirmed as posted, oldest first."""
        rows = await self._all(
            "SELECT id, events FROM outbox WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [(int(row[0]), json.loads(row[1])) for row in rows]

    async def sessions_owed(self) -> list[Session]:
        """Sessions (ended ones too) with announcements still owed."""
        rows = await self._all(
            f"SELECT {_SESSION_COLUMNS} FROM sessions"
            " WHERE id IN (SELECT session_id FROM outbox) ORDER BY id",
            (),
        )
        return [_session_from_row(row) for row in rows]

    async def announced_one(self, session_id: int) -> None:
        """The oldest owed announcement of the session has been posted."""
        async with self._single():
            await self._db.execute(
                "DELETE FROM outbox WHERE id = (SELECT MIN(id) FROM outbox WHERE session_id = ?)",
                (session_id,),
            )

    async def announced(self, session_id: int) -> None:
        """Every owed announcement of the session has been posted."""
        async with self._single():
            await self._db.execute("DELETE FROM outbox WHERE session_id = ?", (session_id,))

    async def mark_seen(self, session_id: int, message_id: int) -> None:
        """Remember the newest thread message handled (never moves backwards)."""
        async with self._single():
            await self._db.execute(
                "UPDATE sessions SET last_message_id = ?"
                " WHERE id = ? AND COALESCE(last_message_id, 0) < ?",
                (message_id, session_id, message_id),
            )

    # -- notes and comments ---------------------------------------------------------------

    async def add_note(self, draft: NoteDraft) -> Note | None:
        """Insert a note; None when the same message was stored before (catch-up).

        Notes that arrive together are committed together (a group commit): each caller
        still gets its answer only after the transaction holding its note committed.
        """
        future: asyncio.Future[Note | None] = asyncio.get_running_loop().create_future()
        self._note_queue.append((draft, future))
        if self._note_flusher is None or self._note_flusher.done():
            self._note_flusher = asyncio.create_task(self._flush_notes())
        return await future

    async def _flush_notes(self) -> None:
        await asyncio.sleep(0)  # let notes that arrive in the same moment join the batch
        while self._note_queue:
            batch, self._note_queue = self._note_queue, []
            try:
                notes = await self._insert_notes([draft for draft, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), note in zip(batch, notes, strict=True):
                if not future.done():
                    future.set_result(note)

    async def _insert_notes(self, drafts: list[NoteDraft]) -> list[Note | None]:
        # One multi-row INSERT per chunk: a statement per note would cost a hop to the
        # SQLite thread each, which is what capped ingest (bench/ingest.py).
        ids: dict[int, int] = {}  # message id -> note id, for notes from messages
        loose: list[int] = []  # note ids of notes without a message, in insert order
        newest: dict[int, int] = {}
        # A full disk or a read-only file fails the whole batch (StorageUnavailableError,
        # for every caller): none of these notes is stored, so none is acknowledged.
        async with self._transaction(notes=len(drafts)) as db:
            for chunk in _chunks(drafts):
                rows = await db.execute_fetchall(
                    "INSERT OR IGNORE INTO notes (session_id, step_index, author_id,"
                    " author_name, text, attachments, source, message_id, created_at, kind,"
                    " lane, lane_column) VALUES "
                    + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                    + " RETURNING id, message_id",
                    [value for draft in chunk for value in _note_values(draft)],
                )
                # RETURNING's order is unspecified, but rowids are handed out in VALUES
                # order, so sorting the ids of message-less notes restores theirs.
                chunk_loose: list[int] = []
                for note_id, message_id in rows:
                    if message_id is None:
                        chunk_loose.append(note_id)
                    else:
                        ids[message_id] = note_id
                loose.extend(sorted(chunk_loose))
            for draft in drafts:
                if draft.message_id is not None:
                    newest[draft.session_id] = max(
                        newest.get(draft.session_id, 0), draft.message_id
                    )
            for session_id, message_id in newest.items():
                await db.execute(
                    "UPDATE sessions SET last_message_id = ?"
                    " WHERE id = ? AND COALESCE(last_message_id, 0) < ?",
                    (message_id, session_id, message_id),
                )
        stored: list[Note | None] = []
        next_loose = iter(loose)
        for draft in drafts:
            if draft.message_id is None:
                stored.append(Note(**vars(draft), id=next(next_loose)))
            elif draft.message_id in ids:
                # a message twice in one batch: the first copy is the note
                stored.append(Note(**vars(draft), id=ids.pop(draft.message_id)))
            else:
                stored.append(None)
        return stored

    async def add_comment(self, draft: CommentDraft) -> Comment | None:
        """Insert a comment on a note; None for a message stored before."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO comments (note_id, author_id, author_name, text,"
                " message_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    draft.note_id,
                    draft.author_id,
                    draft.author_name,
                    draft.text,
                    draft.message_id,
                    to_time(draft.created_at),
                ),
            )
            inserted = cursor.rowcount == 1
            comment_id = cursor.lastrowid
            if draft.message_id is not None:
                await db.execute(
                    "UPDATE sessions SET last_message_id = :m WHERE id ="
                    " (SELECT session_id FROM notes WHERE id = :n)"
                    " AND COALESCE(last_message_id, 0) < :m",
                    {"m": draft.message_id, "n": draft.note_id},
                )
        if not inserted or comment_id is None:
            return None
        return Comment(
            id=comment_id,
            note_id=draft.note_id,
            author_id=draft.author_id,
            author_name=draft.author_name,
            text=draft.text,
            created_at=draft.created_at,
            message_id=draft.message_id,
        )

    async def note_id_for_message(self, message_id: int) -> int | None:
        """The note a message is, or whose comment it is."""
        row = await self._one(
            "SELECT id FROM notes WHERE message_id = :m"
            " UNION ALL SELECT note_id FROM comments WHERE message_id = :m LIMIT 1",
            {"m": message_id},
        )
        return None if row is None else int(row[0])

    async def edit_by_message(self, message_id: int, text: str, at: datetime) -> bool:
        """Follow an edited message; False when it was neither a note nor a comment."""
        async with self._transaction() as db:
            changed = 0
            # The text changed, so its cached vectors no longer describe it.
            await db.execute(
                "DELETE FROM note_vectors WHERE note_id IN"
                " (SELECT id FROM notes WHERE message_id = ?)",
                (message_id,),
            )
            for table in ("notes", "comments"):
                cursor = await db.execute(
                    f"UPDATE {table} SET text = ?, edited_at = ? WHERE message_id = ?",
                    (text, to_time(at), message_id),
                )
                changed += cursor.rowcount
        return changed > 0

    async def delete_by_message(self, message_ids: list[int]) -> int:
        """Remove the notes and comments these messages were (a note takes its comments)."""
        if not message_ids:
            return 0
        marks = ", ".join("?" for _ in message_ids)
        async with self._transaction() as db:
            removed = 0
            for table in ("comments", "notes"):
                cursor = await db.execute(
                    f"DELETE FROM {table} WHERE message_id IN ({marks})",
                    message_ids,
                )
                removed += cursor.rowcount
        return removed

    async def notes(self, session_id: int, step_index: int | None = None) -> list[Note]:
        """A session's notes (of one step, if given), oldest first."""
        sql = f"SELECT {_NOTE_COLUMNS} FROM notes WHERE session_id = ?"
        params: tuple[int, ...] = (session_id,)
        if step_index is not None:
            sql += " AND step_index = ?"
            params = (session_id, step_index)
        notes: list[Note] = []
        # In pages: turning 10,000 rows into notes at once would hold the event loop
        # for ~70 ms (bench/recap.py); between pages it serves others.
        async with self._db.execute(sql + " ORDER BY created_at, id", params) as cursor:
            while rows := await cursor.fetchmany(_FETCH_PAGE):
                notes.extend(_note_from_row(row) for row in rows)
        return notes

    async def step_counts(self, session_id: int, step_index: int) -> tuple[int, int]:
        """How many notes a step has and from how many people (without loading them)."""
        row = await self._one(
            "SELECT COUNT(*), COUNT(DISTINCT author_id) FROM notes"
            " WHERE session_id = ? AND step_index = ?",
            (session_id, step_index),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def note(self, note_id: int) -> Note | None:
        """One note by id."""
        row = await self._one(f"SELECT {_NOTE_COLUMNS} FROM notes WHERE id = ?", (note_id,))
        return None if row is None else _note_from_row(row)

    async def comments(self, note_id: int) -> list[Comment]:
        """The comments on one note, oldest first."""
        rows = await self._all(
            "SELECT id, note_id, author_id, author_name, text, message_id, created_at"
            " FROM comments WHERE note_id = ? ORDER BY created_at, id",
            (note_id,),
        )
        return [
            Comment(
                id=row["id"],
                note_id=row["note_id"],
                author_id=row["author_id"],
                author_name=row["author_name"],
                text=row["text"],
                message_id=row["message_id"],
                created_at=required_time(row["created_at"]),
            )
            for row in rows
        ]

    async def comment_counts(self, session_id: int) -> dict[int, int]:
        """How many comments each note of the session has (notes without any left out)."""
        rows = await self._all(
            "SELECT c.note_id, COUNT(*) FROM comments c JOIN notes n ON n.id = c.note_id"
            " WHERE n.session_id = ? GROUP BY c.note_id",
            (session_id,),
        )
        return {int(row[0]): int(row[1]) for row in rows}
