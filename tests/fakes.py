"""Fakes for the ports in ``bot/ports.py``, shared by the unit and integration tests.

- :class:`FakeClock` tells a time that only moves when a test moves it.
- :class:`ManualTimers` records what is armed and fires what is due when asked.
- :class:`RecordingAnnouncer` records everything the bot would say, in order.
- :class:`InMemoryStore` keeps sessions, notes and comments in dictionaries with the same
  rules as the SQLite store (version check, one active session per channel, message ids
  stored once, ``last_message_id`` only grows, a note takes its comments with it), and
  vote rounds, votes, themes and takers with the rules of ``votes_repo``/``themes_repo``
  (one open round per session, a vote checked and written at once, a re-run of themes
  that keeps what a facilitator corrected). Where SQLite raises ``IntegrityError`` (a
  second open round, a foreign key to nothing) the fake raises it too.
- :class:`FakeThemeFinder` groups notes by their first word (or by a given key), and lets
  notes join a kept theme whose keyword is that word.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.domain.board import Comment, CommentDraft, Note, NoteDraft
from bot.domain.canvas import Canvas
from bot.domain.private_writing import PrivateProgress
from bot.domain.recap import DailyRecap
from bot.domain.session import Session
from bot.domain.summary import RankedNote, SessionSummary, StepSummary, ThemeGroup
from bot.domain.themes import Theme, ThemePlan, theme_name
from bot.domain.voting import RoundStatus, VoteRound
from bot.ports import ChannelBusyError, DueHandler, PostRefusedError, ThreadRef

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
    kind: Literal["step", "reminder", "nudge", "call"]
    session_id: int
    step_index: int
    at: datetime
    callback: Callable[[], Awaitable[None]] | None = None


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
        self._on_nudge_due: DueHandler | None = None

    def bind(
        self,
        on_step_due: DueHandler,
        on_reminder_due: DueHandler,
        on_nudge_due: DueHandler | None = None,
    ) -> None:
        """Remember the handlers Facilitation binds."""
        self._on_step_due = on_step_due
        self._on_reminder_due = on_reminder_due
        self._on_nudge_due = on_nudge_due

    def arm_nudge(self, session_id: int, step_index: int, at: datetime) -> None:
        """Record a participation nudge."""
        job_id = f"session:{session_id}:nudge:{step_index}"
        self.jobs[job_id] = ArmedJob(job_id, "nudge", session_id, step_index, at)
        self.log.append(("arm", job_id))

    def arm_call(self, job_id: str, at: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        """Record a plain call (daily recaps)."""
        self.jobs[job_id] = ArmedJob(job_id, "call", 0, 0, at, callback)
        self.log.append(("arm", job_id))

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
        if job.callback is not None:
            await job.callback()
            return
        handler = {
            "step": self._on_step_due,
            "reminder": self._on_reminder_due,
            "nudge": self._on_nudge_due,
        }[job.kind]
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

    def __init__(
        self,
        *,
        fail_on: set[str] | None = None,
        first_thread_id: int = 9000,
        first_message_id: int = 70_000,
    ) -> None:
        self.calls: list[Call] = []
        self.fail_on = set(fail_on or ())
        # Calls that raise a given error (e.g. PostRefusedError), as Discord's adapter would.
        self.raises: dict[str, BaseException] = {}
        self.coached: list[tuple[int, str | None]] = []  # (step, canvas) per hint card
        self._next_thread = first_thread_id
        self._next_message = first_message_id

    def _record(self, name: str, session: Session | None, **args: Any) -> None:
        self.calls.append(Call(name, session, args))
        if name in self.raises:
            raise self.raises[name]
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

    async def themes(
        self, session: Session, step_index: int, groups: Sequence[ThemeGroup], other: int
    ) -> None:
        """Record the themes of a step."""
        self._record("themes", session, step_index=step_index, groups=tuple(groups), other=other)

    async def vote_opened(self, session: Session, vote: VoteRound) -> int:
        """Record the vote post; a new fake message id every time."""
        self._next_message += 1
        message_id = self._next_message
        self._record("vote_opened", session, vote=vote, message_id=message_id)
        return message_id

    async def voters_changed(self, session: Session, vote: VoteRound, voters: int) -> None:
        """Record the voter count shown."""
        self._record("voters_changed", session, vote=vote, voters=voters)

    async def vote_results(
        self, session: Session, vote: VoteRound, ranking: Sequence[RankedNote], voters: int
    ) -> None:
        """Record the reveal."""
        self._record("vote_results", session, vote=vote, ranking=tuple(ranking), voters=voters)

    async def daily_recap(
        self,
        session: Session,
        recap: DailyRecap,
        board: StepSummary | None,
        channel_id: int | None,
    ) -> None:
        """Record a recap or digest."""
        self._record("daily_recap", session, recap=recap, board=board, channel_id=channel_id)

    async def nudge(self, session: Session, user_id: int) -> bool:
        """Record a nudge (sent, unless ``nudge`` is in ``fail_on``)."""
        self._record("nudge", session, user_id=user_id)
        return True

    async def private_progress(self, session: Session, progress: PrivateProgress) -> None:
        """Record the counts a private step's counter would show."""
        self._record("private_progress", session, progress=progress)

    async def coaching(self, session: Session, canvas: Canvas | None) -> None:
        """Record the facilitator's hint card (apart from ``calls``: private, not a post)."""
        self.coached.append((session.step_index, None if canvas is None else canvas.key))

    async def post_refused(self, session: Session, error: PostRefusedError) -> None:
        """Record that the facilitator was told about a refused post."""
        self._record("post_refused", session, missing=error.missing, channel_id=error.channel_id)


# -- themes ------------------------------------------------------------------------------


def first_word(note: Note) -> str | None:
    """The first word of a note, lower case, without punctuation (None when it has none)."""
    found = re.search(r"\w+", note.text.casefold())
    return None if found is None else found.group(0)


class FakeThemeFinder:
    """The ThemeFinder port, deterministic: notes with the same key (their first word by
    default) form a theme named after it; groups smaller than ``min_size`` stay "other".

    Like the real ThemeService, notes pinned by a facilitator are left alone; a kept theme
    claims the notes whose key is its first keyword (or its name, if it has no keywords),
    so they join it through ``theme_id``. Kept themes come first, in the
    order given, then new themes in the order their first note was written.
    """

    def __init__(
        self, key: Callable[[Note], str | None] = first_word, *, min_size: int = 1
    ) -> None:
        self.key = key
        self.min_size = min_size
        self.calls: list[tuple[tuple[int, ...], tuple[int, ...]]] = []  # (note ids, kept ids)
        self.added: list[int] = []  # notes handed to note_added

    def note_added(self, note: Note) -> None:
        """Record the note (the real finder embeds it in the background)."""
        self.added.append(note.id)

    async def plan(self, notes: Sequence[Note], kept: Sequence[Theme]) -> list[ThemePlan]:
        """Kept themes (with the notes that match them), then new groups."""
        self.calls.append((tuple(n.id for n in notes), tuple(t.id for t in kept)))
        claims = {
            (theme.keywords[0] if theme.keywords else theme.name).casefold(): theme
            for theme in kept
        }
        joining: dict[int, list[int]] = {theme.id: [] for theme in kept}
        groups: dict[str, list[int]] = {}
        pinned = {note_id for theme in kept for note_id in theme.pinned}
        for note in sorted(notes, key=lambda n: (n.created_at, n.id)):
            if note.id in pinned:
                continue  # placed by hand: it stays where the facilitator put it
            word = self.key(note)
            if word is None:
                continue
            if word.casefold() in claims:
                joining[claims[word.casefold()].id].append(note.id)
            else:
                groups.setdefault(word, []).append(note.id)
        plans = [
            ThemePlan(theme.id, theme.name, theme.keywords, tuple(joining[theme.id]))
            for theme in kept
        ]
        plans += [
            ThemePlan(None, theme_name((word,)), (word,), tuple(ids))
            for word, ids in groups.items()
            if len(ids) >= self.min_size
        ]
        return plans


# -- store -------------------------------------------------------------------------------


class InMemoryStore:
    """The Store port in dictionaries, with the SQLite store's rules."""

    def __init__(self) -> None:
        self.sessions: dict[int, Session] = {}
        self.outbox: dict[int, list[list[dict[str, object]]]] = {}
        self.note_rows: dict[int, Note] = {}
        self.comment_rows: dict[int, Comment] = {}
        self.rounds: dict[int, VoteRound] = {}
        self.votes: dict[tuple[int, int, int], int] = {}  # (round, voter, note) -> count
        self.theme_rows: dict[int, Theme] = {}  # note_ids/pinned unused: see placements
        self.placements: dict[int, tuple[int, bool]] = {}  # note id -> (theme id, pinned)
        self.taker_rows: list[tuple[int, int, str, datetime]] = []  # note, user, name, at
        self.done_rows: dict[tuple[int, int, int], datetime] = {}  # (session, step, user)
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

    async def create_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session:
        """Insert (with its owed announcements); ChannelBusyError when the channel has an
        active session."""
        busy = await self.active_session_in_channel(session.channel_id)
        if session.active and busy is not None:
            raise ChannelBusyError(busy)
        if any(s.thread_id == session.thread_id for s in self.sessions.values()):
            raise ValueError(f"thread {session.thread_id} already has a session")
        created = replace(session, id=self._next_id(), version=0)
        self.sessions[created.id] = created
        if owed:
            self.outbox.setdefault(created.id, []).extend([event] for event in owed)
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

    async def save_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session | None:
        """Save if the version is unchanged; last_message_id never goes back."""
        stored = self.sessions.get(session.id)
        if stored is None or stored.version != session.version:
            return None
        if owed:
            self.outbox.setdefault(session.id, []).extend([event] for event in owed)
        last = max(stored.last_message_id or 0, session.last_message_id or 0) or None
        saved = replace(session, version=stored.version + 1, last_message_id=last)
        self.sessions[session.id] = saved
        return saved

    async def owed_announcements(
        self, session_id: int
    ) -> list[tuple[int, list[dict[str, object]]]]:
        """Owed announcements, oldest first."""
        return list(enumerate(self.outbox.get(session_id, []), start=1))

    async def step_counts(self, session_id: int, step_index: int) -> tuple[int, int]:
        """(notes, people) of one step."""
        notes = await self.notes(session_id, step_index)
        return len(notes), len({note.author_id for note in notes})

    async def announced_one(self, session_id: int) -> None:
        """Forget the oldest owed announcement."""
        owed = self.outbox.get(session_id)
        if owed:
            owed.pop(0)

    async def announced(self, session_id: int) -> None:
        """Forget what was owed."""
        self.outbox.pop(session_id, None)

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
                self._cascade_note(note_id)
        return removed

    def _cascade_note(self, note_id: int) -> None:
        """What ON DELETE CASCADE removes with a note (round options are JSON: they stay)."""
        for comment_id, comment in list(self.comment_rows.items()):
            if comment.note_id == note_id:
                del self.comment_rows[comment_id]
        for key in [key for key in self.votes if key[2] == note_id]:
            del self.votes[key]
        self.placements.pop(note_id, None)
        self.taker_rows = [row for row in self.taker_rows if row[0] != note_id]

    async def set_lane(self, note_id: int, lane: str | None, column: str | None) -> bool:
        """Move a note to a lane."""
        note = self.note_rows.get(note_id)
        if note is None:
            return False
        self.note_rows[note_id] = replace(note, lane=lane, column=column)
        return True

    async def mark_done(self, session_id: int, step_index: int, user_id: int, at: datetime) -> bool:
        """Record "I'm done"; False if said before."""
        key = (session_id, step_index, user_id)
        if key in self.done_rows:
            return False
        self.done_rows[key] = at
        return True

    async def done_in_step(self, session_id: int, step_index: int) -> set[int]:
        """Who said they are done in a step."""
        return {u for (s, i, u) in self.done_rows if (s, i) == (session_id, step_index)}

    async def session_writers(self, session_id: int) -> set[int]:
        """Everyone with a note in the session."""
        return {n.author_id for n in self.note_rows.values() if n.session_id == session_id}

    async def notes(self, session_id: int, step_index: int | None = None) -> list[Note]:
        """A session's notes (of one step), oldest first."""
        found = [
            note
            for note in self.note_rows.values()
            if note.session_id == session_id
            and (step_index is None or note.step_index == step_index)
        ]
        return sorted(found, key=lambda note: (note.created_at, note.id))

    async def note(self, note_id: int) -> Note | None:
        """One note by id."""
        return self.note_rows.get(note_id)

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

    # -- dot voting ---------------------------------------------------------------------------

    async def open_round(self, draft: VoteRound) -> VoteRound:
        """Store a new open round; a second open one in a session is an IntegrityError."""
        if draft.session_id not in self.sessions:
            raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")
        if await self.open_round_of(draft.session_id) is not None:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: vote_rounds.session_id")
        stored = replace(
            draft,
            id=self._next_id(),
            status=RoundStatus.OPEN,
            closed_at=None,
            message_id=None,
        )
        self.rounds[stored.id] = stored
        return stored

    async def get_round(self, round_id: int) -> VoteRound | None:
        """A round by id."""
        return self.rounds.get(round_id)

    async def open_round_of(self, session_id: int) -> VoteRound | None:
        """The session's open round, if any."""
        for vote in self.rounds.values():
            if vote.session_id == session_id and vote.status is RoundStatus.OPEN:
                return vote
        return None

    async def rounds_of(self, session_id: int) -> list[VoteRound]:
        """Every round of a session, oldest first."""
        return [r for _, r in sorted(self.rounds.items()) if r.session_id == session_id]

    async def set_round_message(self, round_id: int, message_id: int) -> None:
        """Remember the vote post."""
        vote = self.rounds.get(round_id)
        if vote is not None:
            self.rounds[round_id] = replace(vote, message_id=message_id)

    async def allocation(self, round_id: int, voter_id: int) -> dict[int, int]:
        """One voter's votes: note id -> count."""
        return {
            note: count
            for (r, voter, note), count in sorted(self.votes.items())
            if r == round_id and voter == voter_id
        }

    async def cast_vote(self, round_id: int, voter_id: int, note_id: int) -> dict[int, int]:
        """Check and add one vote with no await in between (atomic, as SQLite's is)."""
        vote = self.rounds.get(round_id)
        if vote is None:
            raise LookupError(round_id)
        mine = {
            note: count
            for (r, voter, note), count in self.votes.items()
            if r == round_id and voter == voter_id
        }
        vote.check_vote(mine, note_id)
        if note_id not in self.note_rows:
            raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")
        key = (round_id, voter_id, note_id)
        self.votes[key] = self.votes.get(key, 0) + 1
        mine[note_id] = mine.get(note_id, 0) + 1
        return mine

    async def clear_votes(self, round_id: int, voter_id: int) -> None:
        """Take back one voter's votes, only while the round is open."""
        vote = self.rounds.get(round_id)
        if vote is None or vote.status is not RoundStatus.OPEN:
            return
        for key in [k for k in self.votes if k[0] == round_id and k[1] == voter_id]:
            del self.votes[key]

    async def voter_count(self, round_id: int) -> int:
        """How many people have voted."""
        return len({voter for (r, voter, _) in self.votes if r == round_id})

    async def round_votes(self, round_id: int) -> list[tuple[int, int, int]]:
        """Every (voter, note, count) of a round."""
        return [
            (voter, note, count)
            for (r, voter, note), count in sorted(self.votes.items())
            if r == round_id
        ]

    async def close_round(self, round_id: int, at: datetime) -> VoteRound | None:
        """Close an open round; None when it was closed already (or is unknown)."""
        vote = self.rounds.get(round_id)
        if vote is None or vote.status is not RoundStatus.OPEN:
            return None
        closed = replace(vote, status=RoundStatus.CLOSED, closed_at=at)
        self.rounds[round_id] = closed
        return closed

    # -- themes -------------------------------------------------------------------------------

    async def themes(self, session_id: int, step_index: int) -> list[Theme]:
        """A step's themes by position, each with its notes (by note id, as SQLite's rowid)."""
        found = sorted(
            (
                t
                for t in self.theme_rows.values()
                if t.session_id == session_id and t.step_index == step_index
            ),
            key=lambda t: (t.position, t.id),
        )
        return [
            replace(
                theme,
                note_ids=tuple(sorted(n for n, (t, _) in self.placements.items() if t == theme.id)),
                pinned=frozenset(n for n, (t, p) in self.placements.items() if t == theme.id and p),
            )
            for theme in found
        ]

    async def save_theme_run(
        self, session_id: int, step_index: int, plans: Sequence[ThemePlan], at: datetime
    ) -> list[Theme]:
        """Replace unpinned placements and uncorrected themes; keep names a person chose."""
        for plan in plans:
            missing_theme = plan.theme_id is not None and plan.theme_id not in self.theme_rows
            if missing_theme or any(n not in self.note_rows for n in plan.note_ids):
                raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")
        mine = {
            t.id
            for t in self.theme_rows.values()
            if t.session_id == session_id and t.step_index == step_index
        }
        self.placements = {
            note: (theme, pinned)
            for note, (theme, pinned) in self.placements.items()
            if pinned or theme not in mine
        }
        kept = {plan.theme_id for plan in plans if plan.theme_id is not None}
        for theme_id in mine:
            theme = self.theme_rows[theme_id]
            has_pinned = any(t == theme_id and p for t, p in self.placements.values())
            if not theme.renamed and theme_id not in kept and not has_pinned:
                del self.theme_rows[theme_id]
                self.placements = {n: tp for n, tp in self.placements.items() if tp[0] != theme_id}
        for position, plan in enumerate(plans):
            if plan.theme_id is None:
                theme = Theme(
                    id=self._next_id(),
                    session_id=session_id,
                    step_index=step_index,
                    position=position,
                    name=plan.name,
                    keywords=tuple(plan.keywords),
                    renamed=False,
                    note_ids=(),
                )
            else:
                old = self.theme_rows[plan.theme_id]
                theme = replace(
                    old,
                    position=position,
                    keywords=tuple(plan.keywords),
                    name=old.name if old.renamed else plan.name,
                )
            self.theme_rows[theme.id] = theme
            for note_id in plan.note_ids:
                self.placements.setdefault(note_id, (theme.id, False))
        return await self.themes(session_id, step_index)

    async def rename_theme(self, theme_id: int, name: str) -> bool:
        """A facilitator's name; re-runs keep it."""
        theme = self.theme_rows.get(theme_id)
        if theme is None:
            return False
        self.theme_rows[theme_id] = replace(theme, name=name, renamed=True)
        return True

    async def move_note(self, note_id: int, theme_id: int) -> bool:
        """Pin a note in a theme; False when the note or the theme does not exist."""
        if note_id not in self.note_rows or theme_id not in self.theme_rows:
            return False
        self.placements[note_id] = (theme_id, True)
        return True

    async def merge_themes(self, source_id: int, target_id: int) -> bool:
        """Pin every note of ``source`` in ``target`` and drop ``source``."""
        moving = [n for n, (t, _) in self.placements.items() if t == source_id]
        if moving and target_id not in self.theme_rows:
            raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")
        for note_id in moving:
            self.placements[note_id] = (target_id, True)
        if self.theme_rows.pop(source_id, None) is None:
            return False
        self.placements = {n: tp for n, tp in self.placements.items() if tp[0] != source_id}
        return True

    async def add_taker(self, note_id: int, user_id: int, user_name: str, at: datetime) -> bool:
        """Someone takes an idea further; False when they had said so already."""
        if note_id not in self.note_rows:
            raise sqlite3.IntegrityError("FOREIGN KEY constraint failed")
        if any(row[0] == note_id and row[1] == user_id for row in self.taker_rows):
            return False
        self.taker_rows.append((note_id, user_id, user_name, at))
        return True

    async def takers(self, note_ids: Sequence[int]) -> dict[int, list[str]]:
        """Who takes which idea further, in the order they said so."""
        wanted = set(note_ids)
        result: dict[int, list[str]] = {}
        ordered = sorted(enumerate(self.taker_rows), key=lambda item: (item[1][3], item[0]))
        for _, (note_id, _, name, _) in ordered:
            if note_id in wanted:
                result.setdefault(note_id, []).append(name)
        return result
