"""Fakes for the ports in ``bot/ports.py``, shared by the unit and integration tests.

- :class:`FakeClock` tells a time that only moves when a test moves it.
- :class:`ManualTimers` records what is armed and fires what is due when asked.
- :class:`RecordingAnnouncer` records everything the bot would say, in order.
- :class:`InMemoryStore` keeps sessions, notes and comments in dictionaries with the same
  rules as the SQLite store (version check, one active session per channel, message ids
  stored once, ``last_message_id`` only grows, a note takes its comments with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.domain.board import Comment, CommentDraft, Note, NoteDraft
from bot.domain.session import Session
from bot.domain.summary import SessionSummary, StepSummary
from bot.ports import ChannelBusyError, DueHandler, ThreadRef

# A fixed, aware UTC moment every fake clock starts at.
START = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until ``advance`` or ``set`` moves it."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        """The current fake time (aware, UTC)."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (not backwards)."""
        return self.advance(moment - self._now)


# -- timers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmedJob:
    """One job as armed through the Timers port."""

    job_id: str
    kind: Literal["step", "reminder"]
    session_id: int
    step_index: int
    at: datetime


class ManualTimers:
    """The Timers port without a scheduler: it records jobs and fires them on request.

    Job ids follow the real adapter (``session:{id}:step:{n}``), so arming the same step
    again replaces the job, like ``replace_existing`` does in APScheduler.
    """

    def __init__(self) -> None:
        self.jobs: dict[str, ArmedJob] = {}
        self.log: list[tuple[str, str]] = []  # ("arm" | "disarm" | "fire", job id or session)
        self.fired: list[ArmedJob] = []
        self._on_step_due: DueHandler | None = None
        self._on_reminder_due: DueHandler | None = None

    def bind(self, on_step_due: DueHandler, on_reminder_due: DueHandler) -> None:
        """Remember the handlers Facilitation binds."""
        self._on_step_due = on_step_due
        self._on_reminder_due = on_reminder_due

    def arm_step(self, session_id: int, step_index: int, at: datetime) -> None:
        """Record a step deadline."""
        job_id = f"session:{session_id}:step:{step_index}"
        self.jobs[job_id] = ArmedJob(job_id, "step", session_id, step_index, at)
        self.log.append(("arm", job_id))

    def arm_reminder(self, session_id: int, step_index: int, at: datetime) -> None:
        """Record a reminder."""
        job_id = f"session:{session_id}:reminder:{step_index}"
        self.jobs[job_id] = ArmedJob(job_id, "reminder", session_id, step_index, at)
        self.log.append(("arm", job_id))

    def disarm(self, session_id: int) -> None:
        """Forget every job of a session."""
        prefix = f"session:{session_id}:"
        for job_id in [job_id for job_id in self.jobs if job_id.startswith(prefix)]:
            del self.jobs[job_id]
        self.log.append(("disarm", str(session_id)))

    # -- queries ---------------------------------------------------------------------------

    def for_session(self, session_id: int) -> dict[str, ArmedJob]:
        """The jobs armed for one session, by id."""
        prefix = f"session:{session_id}:"
        return {key: job for key, job in self.jobs.items() if key.startswith(prefix)}

    def step_job(self, session_id: int) -> ArmedJob | None:
        """The armed step deadline of a session, if any."""
        jobs = [j for j in self.for_session(session_id).values() if j.kind == "step"]
        assert len(jobs) <= 1, f"more than one step job armed: {jobs}"
        return jobs[0] if jobs else None

    def reminder_job(self, session_id: int) -> ArmedJob | None:
        """The armed reminder of a session, if any."""
        jobs = [j for j in self.for_session(session_id).values() if j.kind == "reminder"]
        assert len(jobs) <= 1, f"more than one reminder armed: {jobs}"
        return jobs[0] if jobs else None

    # -- firing ----------------------------------------------------------------------------

    async def fire(self, job: ArmedJob) -> None:
        """Fire one job now, as the scheduler would (it is removed first)."""
        self.jobs.pop(job.job_id, None)
        self.fired.append(job)
        self.log.append(("fire", job.job_id))
        handler = self._on_step_due if job.kind == "step" else self._on_reminder_due
        assert handler is not None, "fired before bind()"
        await handler(job.session_id, job.step_index)

    async def fire_due(self, now: datetime) -> list[ArmedJob]:
        """Fire every job due at ``now`` (earliest first, including ones armed meanwhile)."""
        fired: list[ArmedJob] = []
        for _ in range(10_000):
            due = sorted(
                (job for job in self.jobs.values() if job.at <= now),
                key=lambda job: (job.at, job.kind != "reminder", job.job_id),
            )
            if not due:
                return fired
            await self.fire(due[0])
            fired.append(due[0])
        raise AssertionError("jobs keep arming themselves in the past")

    async def run_until(self, clock: FakeClock, moment: datetime) -> list[ArmedJob]:
        """Move ``clock`` to ``moment``, firing each job at its own time on the way."""
        fired: list[ArmedJob] = []
        for _ in range(10_000):
            pending = [job for job in self.jobs.values() if job.at <= moment]
            if not pending:
                break
            first = min(pending, key=lambda job: (job.at, job.kind != "reminder"))
            if first.at > clock.now():
                clock.set(first.at)
            fired.extend(await self.fire_due(clock.now()))
        else:
            raise AssertionError("jobs keep arming themselves in the past")
        if moment > clock.now():
            clock.set(moment)
        return fired


# -- announcer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call on the announcer, with the session as it was passed."""

    name: str
    session: Session | None
    args: dict[str, Any] = field(default_factory=dict)


class AnnouncerFailure(RuntimeError):
    """What a failing RecordingAnnouncer raises (Discord being down, say)."""


class RecordingAnnouncer:
    """The Announcer port that records every call; ``fail_on`` names calls that raise.

    A failing call is still recorded (it was attempted) before it raises.
    """

    def __init__(self, *, fail_on: set[str] | None = None, first_thread_id: int = 9000) -> None:
        self.calls: list[Call] = []
        self.fail_on = set(fail_on or ())
        self._next_thread = first_thread_id

    def _record(self, name: str, session: Session | None, **args: Any) -> None:
        self.calls.append(Call(name, session, args))
        if name in self.fail_on:
            raise AnnouncerFailure(name)

    # -- queries ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The names of the calls, in order."""
        return [call.name for call in self.calls]

    def of(self, name: str) -> list[Call]:
        """The calls with this name, in order."""
        return [call for call in self.calls if call.name == name]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.calls.clear()

    # -- the port --------------------------------------------------------------------------

    async def open_thread(
        self, channel_id: int, topic: str, locale: str, facilitator_id: int
    ) -> ThreadRef:
        """A new thread id for every session."""
        self._next_thread += 1
        thread_id = self._next_thread
        self._record(
            "open_thread",
            None,
            channel_id=channel_id,
            topic=topic,
            locale=locale,
            facilitator_id=facilitator_id,
            thread_id=thread_id,
        )
        return ThreadRef(thread_id=thread_id, card_message_id=thread_id)

    async def welcome(self, session: Session, retention_days: int) -> None:
        """Record the welcome."""
        self._record("welcome", session, retention_days=retention_days)

    async def step_started(self, session: Session, again: bool) -> None:
        """Record a step start."""
        self._record("step_started", session, again=again, step_index=session.step_index)

    async def step_summary(self, session: Session, summary: StepSummary) -> None:
        """Record a step summary."""
        self._record("step_summary", session, summary=summary, step_index=summary.step_index)

    async def reminder(self, session: Session) -> None:
        """Record a reminder."""
        self._record("reminder", session, step_index=session.step_index)

    async def paused(self, session: Session) -> None:
        """Record a pause."""
        self._record("paused", session)

    async def resumed(self, session: Session) -> None:
        """Record a resume."""
        self._record("resumed", session)

    async def extended(self, session: Session, added: timedelta) -> None:
        """Record an extension."""
        self._record("extended", session, added=added)

    async def session_summary(self, session: Session, summary: SessionSummary) -> None:
        """Record the session summary."""
        self._record("session_summary", session, summary=summary)


# -- store -------------------------------------------------------------------------------


class InMemoryStore:
    """The Store port in dictionaries, with the SQLite store's rules."""

    def __init__(self) -> None:
        self.sessions: dict[int, Session] = {}
        self.note_rows: dict[int, Note] = {}
        self.comment_rows: dict[int, Comment] = {}
        self._ids = 0

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _bump_seen(self, session_id: int, message_id: int) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            return
        if session.last_message_id is None or session.last_message_id < message_id:
            self.sessions[session_id] = replace(session, last_message_id=message_id)

    # -- sessions ---------------------------------------------------------------------------

    async def create_session(self, session: Session) -> Session:
        """Insert; ChannelBusyError when the channel has an active session."""
        busy = await self.active_session_in_channel(session.channel_id)
        if session.active and busy is not None:
            raise ChannelBusyError(busy)
        if any(s.thread_id == session.thread_id for s in self.sessions.values()):
            raise ValueError(f"thread {session.thread_id} already has a session")
        created = replace(session, id=self._next_id(), version=0)
        self.sessions[created.id] = created
        return created

    async def get_session(self, session_id: int) -> Session | None:
        """By id."""
        return self.sessions.get(session_id)

    async def session_by_thread(self, thread_id: int) -> Session | None:
        """By thread, active or not."""
        for session in self.sessions.values():
            if session.thread_id == thread_id:
                return session
        return None

    async def active_session_in_channel(self, channel_id: int) -> Session | None:
        """The running or paused session of a channel."""
        for session in self.sessions.values():
            if session.channel_id == channel_id and session.active:
                return session
        return None

    async def active_sessions(self) -> list[Session]:
        """Every active session, oldest first."""
        return [s for _, s in sorted(self.sessions.items()) if s.active]

    async def save_session(self, session: Session) -> Session | None:
        """Save if the version is unchanged; last_message_id never goes back."""
        stored = self.sessions.get(session.id)
        if stored is None or stored.version != session.version:
            return None
        last = max(stored.last_message_id or 0, session.last_message_id or 0) or None
        saved = replace(session, version=stored.version + 1, last_message_id=last)
        self.sessions[session.id] = saved
        return saved

    async def mark_seen(self, session_id: int, message_id: int) -> None:
        """Remember the newest message handled."""
        self._bump_seen(session_id, message_id)

    # -- notes and comments -------------------------------------------------------------------

    def _message_taken(self, message_id: int | None) -> bool:
        if message_id is None:
            return False
        rows: list[Note | Comment] = [*self.note_rows.values(), *self.comment_rows.values()]
        return any(row.message_id == message_id for row in rows)

    async def add_note(self, draft: NoteDraft) -> Note | None:
        """Insert; None for a message stored before."""
        if draft.message_id is not None:
            self._bump_seen(draft.session_id, draft.message_id)
            if any(n.message_id == draft.message_id for n in self.note_rows.values()):
                return None
        note = Note(**{**draft.__dict__, "id": self._next_id()})
        self.note_rows[note.id] = note
        return note

    async def add_comment(self, draft: CommentDraft) -> Comment | None:
        """Insert; None for a message stored before."""
        note = self.note_rows.get(draft.note_id)
        if note is None:
            raise ValueError(f"no note {draft.note_id}")  # a foreign key violation
        if draft.message_id is not None:
            self._bump_seen(note.session_id, draft.message_id)
            if any(c.message_id == draft.message_id for c in self.comment_rows.values()):
                return None
        comment = Comment(**{**draft.__dict__, "id": self._next_id()})
        self.comment_rows[comment.id] = comment
        return comment

    async def note_id_for_message(self, message_id: int) -> int | None:
        """The note a message is, or the note its comment belongs to."""
        for note in self.note_rows.values():
            if note.message_id == message_id:
                return note.id
        for comment in self.comment_rows.values():
            if comment.message_id == message_id:
                return comment.note_id
        return None

    async def edit_by_message(self, message_id: int, text: str, at: datetime) -> bool:
        """Follow an edit."""
        changed = False
        for note_id, note in list(self.note_rows.items()):
            if note.message_id == message_id:
                self.note_rows[note_id] = replace(note, text=text, edited_at=at)
                changed = True
        for comment_id, comment in list(self.comment_rows.items()):
            if comment.message_id == message_id:
                self.comment_rows[comment_id] = replace(comment, text=text)
                changed = True
        return changed

    async def delete_by_message(self, message_ids: list[int]) -> int:
        """Remove notes (with their comments) and comments that came from these messages."""
        wanted = set(message_ids)
        removed = 0
        for comment_id, comment in list(self.comment_rows.items()):
            if comment.message_id in wanted:
                del self.comment_rows[comment_id]
                removed += 1
        for note_id, note in list(self.note_rows.items()):
            if note.message_id in wanted:
                del self.note_rows[note_id]
                removed += 1
                for comment_id, comment in list(self.comment_rows.items()):
                    if comment.note_id == note_id:
                        del self.comment_rows[comment_id]
        return removed

    async def notes(self, session_id: int, step_index: int | None = None) -> list[Note]:
        """A session's notes (of one step), oldest first."""
        found = [
            note
            for note in self.note_rows.values()
            if note.session_id == session_id
            and (step_index is None or note.step_index == step_index)
        ]
        return sorted(found, key=lambda note: (note.created_at, note.id))

    async def comments(self, note_id: int) -> list[Comment]:
        """The comments on a note, oldest first."""
        found = [c for c in self.comment_rows.values() if c.note_id == note_id]
        return sorted(found, key=lambda c: (c.created_at, c.id))

    async def comment_counts(self, session_id: int) -> dict[int, int]:
        """Comments per note of the session (notes without any left out)."""
        counts: dict[int, int] = {}
        for comment in self.comment_rows.values():
            note = self.note_rows.get(comment.note_id)
            if note is not None and note.session_id == session_id:
                counts[note.id] = counts.get(note.id, 0) + 1
        return counts
