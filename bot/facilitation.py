"""The use cases: the only place that loads state, asks the domain, commits, then announces.

Cogs and timers call in here; nothing in here knows about Discord or SQLite. A session's
transitions run one at a time (a lock per session) and are saved with a version check,
so a timer and a facilitator racing, or a double fire after a restart, advance once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.board import (
    CommentDraft,
    MessageKind,
    Note,
    NoteDraft,
    NoteKind,
    NoteSource,
    classify_message,
    detect_kind,
    note_text,
)
from bot.domain.canvas import (
    Canvas,
    Routed,
    all_columns,
    find_column,
    lane_groups,
    route,
    step_columns,
)
from bot.domain.deadlines import StepTime
from bot.domain.events import (
    ReminderDue,
    SessionEnded,
    SessionEvent,
    SessionOpened,
    SessionPaused,
    SessionResumed,
    StepEnded,
    StepExtended,
    StepStarted,
    VotingOpened,
    decode_events,
    encode_events,
)
from bot.domain.flood import DEFAULT_NOTES_PER_MINUTE, FloodGuard
from bot.domain.private_writing import (
    PrivateProgress,
    per_person,
    progress,
    reveal_order,
    without_names,
)
from bot.domain.session import (
    DEFAULT_ZONE,
    Anonymity,
    Phase,
    Refusal,
    Session,
    SessionRuleError,
    SessionStatus,
    TypedInPrivate,
)
from bot.domain.summary import (
    AuthorGroup,
    RankedNote,
    SessionSummary,
    StepSummary,
    ThemeGroup,
    ordered_like,
    participation,
    ranked_notes,
    summarise_session,
    summarise_step,
    theme_groups,
)
from bot.domain.templates import Template
from bot.domain.themes import Theme
from bot.domain.voting import (
    DEFAULT_PER_NOTE_CAP,
    BallotError,
    BallotRefusal,
    RoundStatus,
    VoteRound,
    VoteTarget,
    rank,
    suggest_budget,
    winners,
)
from bot.ports import (
    Announcer,
    ChannelBusyError,
    Clock,
    DiscordUnavailableError,
    DueHandler,
    PostRefusedError,
    Store,
    ThemeFinder,
    Timers,
)

log = logging.getLogger(__name__)

Outcome = tuple[Session, list[SessionEvent]]

# Owed posts Discord could not take are tried again after this, doubling up to the cap.
RETRY_OWED_FIRST = timedelta(seconds=30)
RETRY_OWED_CAP = timedelta(minutes=30)
# Thread messages the bot removes itself are remembered until their delete event, at most.
REMOVING_KEPT = 10_000
# A facilitator hears about the same missing permission at most this often.
TELL_REFUSAL_EVERY = timedelta(hours=1)
Transition = Callable[[Session, datetime], Outcome | Awaitable[Outcome]]


class NoSessionError(LookupError):
    """No active session where the command was used."""


class TooFastError(Exception):
    """A person added notes faster than the step's limit; earlier notes are kept."""

    def __init__(self, per_minute: int) -> None:
        super().__init__(per_minute)
        self.per_minute = per_minute


class UnknownLaneError(LookupError):
    """A lane the step's canvas does not have (``known``: its lane keys)."""

    def __init__(self, lane: str, known: list[str]) -> None:
        super().__init__(lane)
        self.lane = lane
        self.known = known


class UnknownTemplateError(LookupError):
    """A template key that is not in the catalogue."""

    def __init__(self, key: str, known: list[str]) -> None:
        super().__init__(key)
        self.key = key
        self.known = known


@dataclass(frozen=True)
class SessionDefaults:
    """Deployment-wide defaults the use cases need."""

    reminder_before: timedelta
    retention_days: int
    async_reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    zone: str = DEFAULT_ZONE
    nudges: bool = True
    notes_per_minute: int = DEFAULT_NOTES_PER_MINUTE


@dataclass(frozen=True)
class MessageOutcome:
    """What a thread message became; ``stored`` is False for asides and duplicates."""

    kind: MessageKind
    stored: bool
    session: Session | None = None
    # Refused because the writer went over the per-minute limit (tell them, once).
    too_fast: bool = False
    # Typed during a private step: take it out of the thread, then confirm privately
    # (``stored``) or hand the text back with a hint (the session refuses typed notes).
    private: bool = False


class VoteRefusedError(Exception):
    """A vote that cannot be opened or found (too few options, an unknown round)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Ballot:
    """One voter's view of a round."""

    round: VoteRound
    options: tuple[Note, ...]
    allocation: Mapping[int, int]
    refused: BallotRefusal | None = None

    @property
    def remaining(self) -> int:
        """Votes left to place."""
        return max(self.round.budget - sum(self.allocation.values()), 0)


# How many top ideas the session summary offers as prototype candidates.
TOP_IDEAS = 3


@dataclass(frozen=True)
class SessionStatusView:
    """What `/session status` shows."""

    session: Session
    time_left: timedelta
    note_count: int
    author_count: int
    # In a private step, for the facilitator only: (id, name, notes) per writer, and who
    # said they are done. Never the contents.
    writers: tuple[tuple[int, str, int], ...] = ()
    done: frozenset[int] = frozenset()
    progress: PrivateProgress | None = None
    # For the facilitator: who wrote earlier in the session but not yet in this step
    # (id, latest name), and on a canvas step the notes per lane (None: unsorted).
    not_yet: tuple[tuple[int, str], ...] = ()
    lane_counts: tuple[tuple[str | None, int], ...] = ()


class PrivateChoice:
    """Which steps of a new session run privately (``/session start private:``)."""

    TEMPLATE = "template"
    ALL = "all"
    NONE = "none"


class Facilitation:
    """Runs sessions: start, notes, step changes, facilitator controls, catch-up."""

    def __init__(
        self,
        *,
        store: Store,
        timers: Timers,
        announcer: Announcer,
        clock: Clock,
        templates: Mapping[str, Template],
        defaults: SessionDefaults,
        theme_finder: ThemeFinder | None = None,
        on_nudge_due: DueHandler | None = None,
        canvases: Mapping[str, Canvas] | None = None,
    ) -> None:
        self._store = store
        self._canvases: Mapping[str, Canvas] = canvases or {}
        self._timers = timers
        self._announcer = announcer
        self._clock = clock
        self._templates = templates
        self._defaults = defaults
        self._theme_finder = theme_finder
        self._session_locks: dict[int, asyncio.Lock] = {}
        # Notes being stored, by message id, so a reply can wait for the note it answers
        # (the future is made by the first reply that waits).
        self._in_flight: dict[int, asyncio.Future[None] | None] = {}
        # Active sessions by thread, kept in step with every save.
        self._live: dict[int, Session] = {}
        # Rounds closed by the transition being announced (read under the session lock).
        self._just_closed: dict[int, VoteRound] = {}
        self._start_lock = asyncio.Lock()
        self._flood = FloodGuard(defaults.notes_per_minute)
        # Failed tries of a session's owed posts in a row, and when each facilitator was
        # last told about a missing permission.
        self._owed_failures: dict[int, int] = {}
        # Thread messages the bot removes itself (private steps): their notes stay.
        self._removing: dict[int, None] = {}  # an ordered set: oldest first
        self._refusals_told: dict[tuple[int, tuple[str, ...]], datetime] = {}
        self._on_nudge_due = on_nudge_due
        timers.bind(self.step_due, self.reminder_due, on_nudge_due)

    # -- starting ----------------------------------------------------------------------

    @property
    def notes_per_minute(self) -> int:
        """How many notes one person may add to a step per minute (0: no limit)."""
        return self._defaults.notes_per_minute

    def now(self) -> datetime:
        """The use cases' clock (the injected one in tests)."""
        return self._clock.now()

    @property
    def templates(self) -> Mapping[str, Template]:
        """Every usable template by key (what /template list shows)."""
        return self._templates

    @property
    def canvases(self) -> Mapping[str, Canvas]:
        """Every canvas by key."""
        return self._canvases

    def canvas_of(self, session: Session, step_index: int | None = None) -> Canvas | None:
        """The canvas a step fills (the current step by default), if any."""
        key = session.steps[session.step_index if step_index is None else step_index].canvas
        return None if key is None else self._canvases.get(key)

    def columns_of(self, session: Session, notes: Sequence[Note] = ()) -> tuple[str, ...]:
        """The current step's canvas columns: the planned ones, then those notes named."""
        canvas = self.canvas_of(session)
        if canvas is None or canvas.columns is None:
            return ()
        fixed = step_columns(canvas, session.current_step.columns, session.locale)
        return all_columns(fixed, (note.column for note in notes))

    async def _lane_of(
        self, session: Session, text: str, lane: str | None, column: str | None
    ) -> Routed:
        """Where a new note goes on the current step's canvas: the lane picked (checked),
        else the prefix in its text, else unsorted. Without a canvas: nowhere."""
        canvas = self.canvas_of(session)
        if canvas is None:
            return Routed(None, None, text)
        columns: tuple[str, ...] = ()
        if canvas.columns is not None:  # only columns need the step's notes (open ones)
            notes = await self._store.notes(session.id, session.step_index)
            columns = self.columns_of(session, notes)
        open_columns = canvas.columns is not None and canvas.columns.open
        if lane is not None:
            picked = canvas.lane(lane) or canvas.find_lane(lane)
            if picked is None:
                raise UnknownLaneError(lane, [item.key for item in canvas.lanes])
            chosen = find_column(column, columns) if column else None
            if column and chosen is None and open_columns:
                chosen = " ".join(column.split())[:40]
            return Routed(picked.key, chosen, text)
        return route(text, canvas, columns, open_columns=open_columns)

    async def move_to_lane(self, note_id: int, lane: str | None, column: str | None) -> Note:
        """A facilitator moves a note to another lane (None: unsorted) or column."""
        note = await self._store.note(note_id)
        if note is None:
            raise NoSessionError(note_id)
        session = await self._store.get_session(note.session_id)
        if session is None:
            raise NoSessionError(note_id)
        canvas = self.canvas_of(session, note.step_index)
        if canvas is None:
            raise UnknownLaneError(lane or "", [])
        key = None
        if lane is not None:
            found = canvas.lane(lane) or canvas.find_lane(lane)
            if found is None:
                raise UnknownLaneError(lane, [item.key for item in canvas.lanes])
            key = found.key
        await self._store.set_lane(note_id, key, column)
        return replace(note, lane=key, column=column)

    def template(self, key: str) -> Template:
        """The template with this key, or UnknownTemplateError listing the known ones."""
        try:
            return self._templates[key]
        except KeyError:
            raise UnknownTemplateError(key, sorted(self._templates)) from None

    async def start_session(
        self,
        *,
        guild_id: int,
        channel_id: int,
        facilitator_id: int,
        topic: str,
        locale: str,
        template_key: str,
        durations: list[timedelta] | None = None,
        times: list[StepTime] | None = None,
        reminders: tuple[timedelta, ...] | None = None,
        nudges: bool | None = None,
        zone: str | None = None,
        retention_days: int | None = None,
        private: str = PrivateChoice.TEMPLATE,
        anonymity: Anonymity = Anonymity.OFF,
        typed_in_private: TypedInPrivate = TypedInPrivate.TAKE,
        end_when_all_done: bool = True,
    ) -> Session:
        """Open a thread for a new session, commit it, arm its timer, then announce.

        ``times`` (durations or deadlines per step) wins over ``durations``; ``reminders``
        replaces the deployment's lead times for async steps (empty: none). ``zone``,
        ``nudges`` and ``retention_days`` are the server's, when it set its own.
        ``private`` (a :class:`PrivateChoice`) overrides which steps run privately.
        Raises ChannelBusyError when the channel already has an active session.
        """
        template = self.template(template_key)
        if times is not None:
            steps = template.with_times(times)
        else:
            steps = template.with_durations(durations or template.default_durations)
        if private != PrivateChoice.TEMPLATE:
            steps = tuple(replace(step, private=private == PrivateChoice.ALL) for step in steps)
        async with self._start_lock:
            running = await self._store.active_session_in_channel(channel_id)
            if running is not None:
                raise ChannelBusyError(running)
            thread = await self._announcer.open_thread(channel_id, topic, locale, facilitator_id)
            draft, events = Session.begin(
                guild_id=guild_id,
                channel_id=channel_id,
                thread_id=thread.thread_id,
                facilitator_id=facilitator_id,
                topic=topic,
                locale=locale,
                template=template.key,
                steps=steps,
                reminder_before=self._defaults.reminder_before,
                now=self._clock.now(),
                async_reminders=self._defaults.async_reminders if reminders is None else reminders,
                zone=zone or self._defaults.zone,
                nudges=self._defaults.nudges if nudges is None else nudges,
                anonymity=anonymity,
                typed_in_private=typed_in_private,
                end_when_all_done=end_when_all_done,
                reveal_salt=secrets.token_hex(16),
            )
            retention = self._defaults.retention_days if retention_days is None else retention_days
            # The welcome and the first prompt are owed from the commit on: a crash right
            # after it still gets them posted at the next start.
            opening: list[SessionEvent] = [SessionOpened(retention), *events]
            session = await self._store.create_session(draft, encode_events(opening))
            self._remember(session)
        log.info("session %s started in thread %s", session.id, session.thread_id)
        self._arm(session)
        async with self._session_locks.setdefault(session.id, asyncio.Lock()):
            await self._drain(session)
        return session

    # -- finding -----------------------------------------------------------------------

    async def find_session(self, channel_id: int) -> Session:
        """The active session of a thread, or of the channel the thread hangs from."""
        session = await self._store.session_by_thread(channel_id)
        if session is None or not session.active:
            session = await self._store.active_session_in_channel(channel_id)
        if session is None:
            raise NoSessionError(channel_id)
        return session

    async def status(self, channel_id: int) -> SessionStatusView:
        """Where the session in this thread or channel stands."""
        session = await self.find_session(channel_id)
        note_count, author_count = await self._store.step_counts(session.id, session.step_index)
        view = SessionStatusView(
            session=session,
            time_left=session.time_left(self._clock.now()),
            note_count=note_count,
            author_count=author_count,
        )
        every = await self._store.notes(session.id)
        notes = [note for note in every if note.step_index == session.step_index]
        here = {note.author_id for note in notes}
        names: dict[int, str] = {}
        for note in every:
            if note.step_index != session.step_index and note.author_id not in here:
                names[note.author_id] = note.author_name
        view = replace(view, not_yet=tuple(sorted(names.items(), key=lambda item: item[1])))
        canvas = self.canvas_of(session)
        if canvas is not None:
            counts = [(lane.key, sum(n.lane == lane.key for n in notes)) for lane in canvas.lanes]
            known = {lane.key for lane in canvas.lanes}
            loose = sum(note.lane not in known for note in notes)
            view = replace(view, lane_counts=(*counts, *(((None, loose),) if loose else ())))
        if not session.writing_privately:
            return view
        done = await self._store.done_in_step(session.id, session.step_index)
        return replace(
            view,
            writers=tuple(per_person(notes)),
            done=frozenset(done),
            progress=await self.private_progress(session),
        )

    # -- private writing -----------------------------------------------------------------

    async def store_session(self, session_id: int) -> Session | None:
        """A session by id, as stored (buttons carry ids, not channels)."""
        return await self._store.get_session(session_id)

    async def private_progress(self, session: Session) -> PrivateProgress:
        """Counts of the current private step: notes, writers, who is done (no contents)."""
        notes = await self._store.notes(session.id, session.step_index)
        return progress(
            notes,
            await self._store.session_writers(session.id),
            await self._store.done_in_step(session.id, session.step_index),
        )

    async def my_notes(self, session: Session, author_id: int) -> list[Note]:
        """A person's own notes in the current step, oldest first (their running list)."""
        notes = await self._store.notes(session.id, session.step_index)
        return [note for note in notes if note.author_id == author_id]

    async def writing_privately(self) -> list[Session]:
        """Sessions whose private writing is going on now (a note sent by DM may go to
        one of these, if the writer is a member of its server)."""
        return [s for s in await self._store.active_sessions() if s.writing_privately]

    async def done_writing(self, session_id: int, step_index: int, user_id: int) -> PrivateProgress:
        """Someone is done writing in a private step ("I'm done"). When everyone is, and
        the session says so, the step's writing ends and its notes are revealed."""
        session = await self._store.get_session(session_id)
        if session is None or not session.active:
            raise SessionRuleError(Refusal.ENDED)
        if not session.writing_privately:
            raise SessionRuleError(Refusal.NOT_PRIVATE)
        if session.step_index != step_index:
            raise SessionRuleError(Refusal.STALE)
        await self._store.mark_done(session_id, step_index, user_id, self._clock.now())
        now = await self.private_progress(session)
        if now.everyone_done and session.end_when_all_done:
            log.info("session %s: everyone is done writing in step %s", session_id, step_index)
            try:
                await self._transition(
                    session_id, lambda s, at: self._reveal(s, at, expected=step_index)
                )
            except SessionRuleError as error:
                if error.refusal is not Refusal.STALE:
                    raise
            return now
        await self._say(self._announcer.private_progress(session, now))
        return now

    async def reveal(self, session_id: int) -> Session:
        """End a private step's writing now (``/session reveal``): reveal, then go on."""
        return await self._transition(session_id, lambda s, now: self._reveal(s, now, None))

    async def _reveal(self, session: Session, now: datetime, expected: int | None) -> Outcome:
        if not session.writing_privately:
            raise SessionRuleError(Refusal.NOT_PRIVATE)
        return await self._move_on(session, now, expected)

    def removed_by_us(self, message_id: int) -> None:
        """The bot is about to delete this thread message (typed in a private step): its
        deletion must not take the note with it."""
        self._removing[message_id] = None
        if len(self._removing) > REMOVING_KEPT:
            # A delete whose event never came (removed before the gateway connected).
            del self._removing[next(iter(self._removing))]

    async def _private_note_added(self, session: Session) -> None:
        await self._say(
            self._announcer.private_progress(session, await self.private_progress(session))
        )

    # -- notes -------------------------------------------------------------------------

    async def add_note(
        self,
        *,
        channel_id: int,
        author_id: int,
        author_name: str,
        text: str,
        source: NoteSource,
        lane: str | None = None,
        column: str | None = None,
    ) -> Note:
        """A note from /note or the modal, committed before it is acknowledged. On a
        canvas step it lands in ``lane`` (and ``column``), else where its prefix says.

        TooFastError when the person is over the step's per-minute limit; UnknownLaneError
        for a lane the step's canvas does not have.
        """
        session = await self.find_session(channel_id)
        routed = await self._lane_of(session, text, lane, column)
        if not self._flood.allow(session.id, session.step_index, author_id, self._clock.now()):
            raise TooFastError(self._defaults.notes_per_minute)
        note = await self._store.add_note(
            NoteDraft(
                session_id=session.id,
                step_index=session.step_index,
                author_id=author_id,
                author_name=author_name,
                text=note_text(routed.text),
                source=source,
                created_at=self._clock.now(),
                kind=detect_kind(routed.text),
                lane=routed.lane,
                column=routed.column,
            )
        )
        assert note is not None  # only message notes can be duplicates
        self._prepare(note)
        if session.writing_privately:
            await self._private_note_added(session)
        return note

    async def handle_message(
        self,
        *,
        thread_id: int,
        message_id: int,
        author_id: int,
        author_name: str,
        text: str,
        attachments: tuple[str, ...],
        reply_to: int | None,
        created_at: datetime,
        live: bool = True,
    ) -> MessageOutcome:
        """A human message in a thread: a note, a comment, an aside or nothing.

        Messages are handled side by side (their notes are committed together); a quick
        reply waits only for the note it answers, if that is still being stored. ``live``
        messages count towards the writer's per-minute limit (catch-up after downtime
        brings many at once and does not).
        """
        session = await self._live_session(thread_id)
        if session is None:
            return MessageOutcome(MessageKind.EMPTY, stored=False)
        if reply_to is not None and reply_to in self._in_flight:
            waiter = self._in_flight[reply_to]
            if waiter is None:  # made only when someone waits: most notes get no reply
                waiter = self._in_flight[reply_to] = asyncio.get_running_loop().create_future()
            await asyncio.shield(waiter)
        note_id = await self._store.note_id_for_message(reply_to) if reply_to else None
        kind = classify_message(text, bool(attachments), note_id is not None)
        if session.writing_privately and kind is not MessageKind.EMPTY:
            # Alone means alone: a reply or an aside is a note too, out of sight.
            kind = MessageKind.NOTE
            if session.typed_in_private is TypedInPrivate.REFUSE:
                await self._store.mark_seen(session.id, message_id)
                return MessageOutcome(kind, stored=False, session=session, private=True)
        if (
            kind is MessageKind.NOTE
            and live
            and not self._flood.allow(session.id, session.step_index, author_id, created_at)
        ):
            return MessageOutcome(
                kind,
                stored=False,
                session=session,
                too_fast=True,
                private=session.writing_privately,
            )
        if kind is MessageKind.NOTE:
            self._in_flight[message_id] = None
            try:
                routed = await self._lane_of(session, text, None, None)
                note = await self._store.add_note(
                    NoteDraft(
                        session_id=session.id,
                        step_index=session.step_index,
                        author_id=author_id,
                        author_name=author_name,
                        text=note_text(routed.text),
                        source=NoteSource.MESSAGE,
                        created_at=created_at,
                        attachments=attachments,
                        message_id=message_id,
                        kind=detect_kind(routed.text),
                        lane=routed.lane,
                        column=routed.column,
                    )
                )
            finally:
                waiter = self._in_flight.pop(message_id, None)
                if waiter is not None:
                    waiter.set_result(None)
            if note is not None:
                self._prepare(note)
                if session.writing_privately:
                    await self._private_note_added(session)
            return MessageOutcome(
                kind, stored=note is not None, session=session, private=session.writing_privately
            )
        if kind is MessageKind.COMMENT and note_id is not None:
            comment = await self._store.add_comment(
                CommentDraft(
                    note_id=note_id,
                    author_id=author_id,
                    author_name=author_name,
                    text=note_text(text),
                    created_at=created_at,
                    message_id=message_id,
                )
            )
            return MessageOutcome(kind, stored=comment is not None, session=session)
        await self._store.mark_seen(session.id, message_id)
        return MessageOutcome(kind, stored=False, session=session)

    async def _live_session(self, thread_id: int) -> Session | None:
        """The active session of a thread, from memory when known (every message asks)."""
        if thread_id in self._live:
            return self._live[thread_id]
        session = await self._store.session_by_thread(thread_id)
        if session is None or not session.active:
            return None
        self._live[thread_id] = session
        return session

    def forget_session(self, session_id: int) -> None:
        """A session was removed from the database (retention): drop what is kept of it."""
        for thread_id in [t for t, s in self._live.items() if s.id == session_id]:
            del self._live[thread_id]
        self._session_locks.pop(session_id, None)
        self._flood.forget_session(session_id)

    def _remember(self, session: Session) -> None:
        if session.active:
            self._live[session.thread_id] = session
        else:
            self._live.pop(session.thread_id, None)

    def _prepare(self, note: Note) -> None:
        if self._theme_finder is not None:
            self._theme_finder.note_added(note)

    async def message_edited(self, message_id: int, text: str) -> bool:
        """Keep a note or comment in step with its edited message."""
        return await self._store.edit_by_message(message_id, note_text(text), self._clock.now())

    async def messages_deleted(self, message_ids: list[int]) -> int:
        """A deleted message takes its note or comment with it (unless the bot removed it
        from sight itself, in a private step)."""
        theirs = [m for m in message_ids if m not in self._removing]
        for message_id in message_ids:
            self._removing.pop(message_id, None)
        return await self._store.delete_by_message(theirs) if theirs else 0

    # -- the clock -----------------------------------------------------------------------

    async def step_due(self, session_id: int, step_index: int) -> None:
        """Timer callback: the step's time is up. Stale or repeated calls do nothing."""

        async def change(session: Session, now: datetime) -> Outcome:
            session.time_up(now, step_index)  # refuses (STALE) unless really due; pure
            return await self._move_on(session, now, step_index)

        await self._quietly(session_id, change)

    async def reminder_due(self, session_id: int, step_index: int) -> None:
        """Timer callback: post the "almost up" reminder, once per step."""
        await self._quietly(session_id, lambda s, now: s.remind(now, step_index))

    async def rearm(self) -> None:
        """On start-up: schedule every running session; overdue steps advance at once."""
        for session in await self._store.active_sessions():
            await self.rearm_session(session)

    async def resend_owed(self, session: Session) -> int:
        """Post what a crash or a failing Discord kept from the thread (at least once);
        how many announcements were owed."""
        owed = await self._store.owed_announcements(session.id)
        if not owed:
            return 0
        log.warning("session %s: re-sending %s owed announcements", session.id, len(owed))
        lock = self._session_locks.setdefault(session.id, asyncio.Lock())
        async with lock:
            await self._drain(await self._store.get_session(session.id) or session)
        return len(owed)

    async def rearm_session(self, session: Session) -> None:
        """Arm one session's timers, or advance it now if its deadline passed meanwhile."""
        await self.resend_owed(session)
        if session.status is not SessionStatus.RUNNING or session.due_at is None:
            return
        if session.due_at <= self._clock.now():
            log.info("session %s overdue, advancing", session.id)
            await self.step_due(session.id, session.step_index)
            return
        self._arm(session)
        nudge_at = session.nudge_at()
        if self._on_nudge_due and nudge_at is not None and nudge_at <= self._clock.now():
            # Half-time passed while the bot was down; claims keep it to one each.
            await self._on_nudge_due(session.id, session.step_index)

    # -- facilitator controls ------------------------------------------------------------

    async def next_step(self, session_id: int, expected_step: int | None = None) -> Session:
        """Move on now, as if the time were up.

        ``expected_step`` is the step the facilitator saw: if the timer moved on first,
        the command is refused (STALE) instead of skipping a step.
        """
        return await self._transition(
            session_id, lambda s, now: self._move_on(s, now, expected_step)
        )

    async def repeat(self, session_id: int, step_index: int) -> Session:
        """Run a step (and its canvas) once more after the current one."""

        async def change(session: Session, now: datetime) -> Outcome:
            return (await self._close_vote(session, now)).repeat(now, step_index)

        return await self._transition(session_id, change)

    async def go_back(self, session_id: int) -> Session:
        """Back to the previous step with its full time."""

        async def change(session: Session, now: datetime) -> Outcome:
            return (await self._close_vote(session, now)).go_back(now)

        return await self._transition(session_id, change)

    async def pause(self, session_id: int) -> Session:
        """Stop the clock."""
        return await self._transition(session_id, lambda s, now: s.pause(now))

    async def resume(self, session_id: int) -> Session:
        """Start the clock again."""
        return await self._transition(session_id, lambda s, now: s.resume(now))

    async def extend(self, session_id: int, added: timedelta) -> Session:
        """More time for the current step."""
        return await self._transition(session_id, lambda s, now: s.extend(now, added))

    async def set_nudges(self, session_id: int, wanted: bool) -> Session:
        """A facilitator turns half-time nudges on or off for the whole session."""
        return await self._transition(session_id, lambda s, now: (s.with_nudges(wanted), []))

    async def end(self, session_id: int) -> Session:
        """Close the session now."""

        async def change(session: Session, now: datetime) -> Outcome:
            return (await self._close_vote(session, now)).end(now)

        return await self._transition(session_id, change)

    # -- dot voting ------------------------------------------------------------------------

    async def open_vote(
        self,
        session_id: int,
        *,
        duration: timedelta | None = None,
        budget: int | None = None,
        per_note_cap: int | None = None,
    ) -> Session:
        """A facilitator opens a vote on the current step's notes now (any step)."""

        async def change(session: Session, now: datetime) -> Outcome:
            target = session.current_step.vote or VoteTarget.NOTES
            options = await self._vote_options(session, target)
            if len(options) < 2:
                raise VoteRefusedError("too_few_options")
            length = duration or session.current_step.vote_duration
            # The domain refuses (voting, paused, ended) before any round is touched.
            outcome = session.open_vote(now, length)
            await self._create_round(session, now, target, options, length, budget, per_note_cap)
            return outcome

        return await self._transition(session_id, change)

    async def ballot(self, round_id: int, voter_id: int) -> Ballot:
        """What one voter sees: the options, their votes so far and what is left."""
        vote = await self._store.get_round(round_id)
        if vote is None:
            raise VoteRefusedError("unknown_round")
        # Only the round's step: a click must not load a whole session's board.
        in_step = await self._store.notes(vote.session_id, vote.step_index)
        notes = {note.id: note for note in in_step}
        allocation = await self._store.allocation(round_id, voter_id)
        options = tuple(notes[i] for i in vote.options if i in notes)
        return Ballot(vote, options, allocation)

    async def cast_votes(self, round_id: int, voter_id: int, note_ids: Sequence[int]) -> Ballot:
        """One vote on each chosen note, as far as the budget and cap allow.

        Votes that break a rule are refused one by one (BallotError for the first) while
        the ones before it stay cast, so a click never silently loses a valid vote.
        """
        refused: BallotError | None = None
        for note_id in note_ids:
            try:
                await self._store.cast_vote(round_id, voter_id, note_id)
            except BallotError as error:
                refused = refused or error
            except LookupError:
                raise VoteRefusedError("unknown_round") from None
        ballot = await self.ballot(round_id, voter_id)
        await self._show_voters(ballot.round)
        if refused is not None and refused.refusal is BallotRefusal.CLOSED:
            raise refused
        return replace(ballot, refused=None if refused is None else refused.refusal)

    async def clear_votes(self, round_id: int, voter_id: int) -> Ballot:
        """Take back one voter's votes (while the round is open)."""
        await self._store.clear_votes(round_id, voter_id)
        ballot = await self.ballot(round_id, voter_id)
        await self._show_voters(ballot.round)
        return ballot

    async def _show_voters(self, vote: VoteRound) -> None:
        session = await self._store.get_session(vote.session_id)
        if session is None or vote.status is not RoundStatus.OPEN:
            return
        count = await self._store.voter_count(vote.id)
        await self._say(self._announcer.voters_changed(session, vote, count))

    async def _vote_options(self, session: Session, target: VoteTarget) -> list[int]:
        notes = await self._store.notes(session.id, session.step_index)
        index = session.step_index
        if session.is_private(index) or not session.shows_names(index):
            # The ballot lists options in this order, and ties rank in it: never by writing.
            notes = reveal_order(notes, session.id, index, session.reveal_salt)
        if target is VoteTarget.QUESTIONS:
            return [note.id for note in notes if note.kind is NoteKind.QUESTION]
        return [note.id for note in notes]

    async def _create_round(
        self,
        session: Session,
        now: datetime,
        target: VoteTarget,
        options: list[int],
        duration: timedelta,
        budget: int | None = None,
        per_note_cap: int | None = None,
    ) -> VoteRound:
        orphan = await self._store.open_round_of(session.id)
        if orphan is not None:
            # Left open by a transition that did not save; it never reached anyone's ballot.
            await self._store.close_round(orphan.id, now)
        return await self._store.open_round(
            VoteRound(
                id=0,
                session_id=session.id,
                step_index=session.step_index,
                target=target,
                options=tuple(options),
                budget=budget or suggest_budget(len(options)),
                per_note_cap=per_note_cap or DEFAULT_PER_NOTE_CAP,
                status=RoundStatus.OPEN,
                opened_at=now,
                closes_at=now + duration,
            )
        )

    async def _move_on(self, session: Session, now: datetime, expected: int | None) -> Outcome:
        """Writing -> voting (when the step votes), voting -> results and the next step."""
        if session.phase is Phase.VOTING:
            return (await self._close_vote(session, now)).advance(now, expected)
        target = session.current_step.vote
        if target is None or session.status is not SessionStatus.RUNNING:
            return session.move_on(now, expected)
        options = await self._vote_options(session, target)
        # The domain decides (and refuses a stale step) before any round is opened.
        moved, events = session.move_on(now, expected, len(options))
        if moved.phase is Phase.VOTING:
            duration = session.current_step.vote_duration
            await self._create_round(session, now, target, options, duration)
        return moved, events

    async def _close_vote(self, session: Session, now: datetime) -> Session:
        """Close the open round; a question vote makes the winner the chosen question."""
        vote = await self._store.open_round_of(session.id)
        if vote is None:
            return session
        closed = await self._store.close_round(vote.id, now)
        if closed is None:
            return session
        self._just_closed[session.id] = closed
        if closed.target is VoteTarget.QUESTIONS:
            ranking = rank(closed.options, await self._store.round_votes(closed.id))
            notes = {n.id: n for n in await self._store.notes(session.id, closed.step_index)}
            chosen = [
                notes[item.note_id].text for item in winners(ranking) if item.note_id in notes
            ]
            if chosen:
                return session.choose_question(" / ".join(chosen))
        return session

    async def _ranking(self, vote: VoteRound) -> tuple[RankedNote, ...]:
        ranking = rank(vote.options, await self._store.round_votes(vote.id))
        return ranked_notes(ranking, await self._store.notes(vote.session_id, vote.step_index))

    # -- themes ----------------------------------------------------------------------------

    async def run_themes(self, session_id: int, step_index: int) -> list[Theme]:
        """Group a step's notes into themes; facilitator corrections survive the re-run."""
        if self._theme_finder is None:
            return []
        notes = await self._store.notes(session_id, step_index)
        existing = await self._store.themes(session_id, step_index)
        kept = [theme for theme in existing if theme.corrected]
        plans = await self._theme_finder.plan(notes, kept)
        return await self._store.save_theme_run(session_id, step_index, plans, self._clock.now())

    async def show_themes(self, session: Session, step_index: int, rerun: bool) -> None:
        """Post a step's themes (running the grouping first when asked or never done)."""
        themes = await self._store.themes(session.id, step_index)
        if rerun or not themes:
            themes = await self.run_themes(session.id, step_index)
        notes = await self._store.notes(session.id, step_index)
        groups = theme_groups(themes, notes)
        if session.is_private(step_index) or not session.shows_names(step_index):
            # Within a theme too: never in the order of writing.
            order = reveal_order(notes, session.id, step_index, session.reveal_salt)
            groups = ordered_like(groups, order)
            if not session.shows_names(step_index):
                groups = tuple(
                    replace(group, notes=tuple(map(without_names, group.notes))) for group in groups
                )
        placed = {note.id for group in groups for note in group.notes}
        other = sum(1 for note in notes if note.id not in placed)
        await self._say(self._announcer.themes(session, step_index, groups, other))

    async def themes_of(self, session_id: int, step_index: int) -> list[Theme]:
        """A step's stored themes."""
        return await self._store.themes(session_id, step_index)

    async def notes_of(self, session_id: int) -> list[Note]:
        """All notes of a session."""
        return await self._store.notes(session_id)

    async def rename_theme(self, theme_id: int, name: str) -> bool:
        """A facilitator's name for a theme."""
        return await self._store.rename_theme(theme_id, name.strip()[:100])

    async def move_note(self, note_id: int, theme_id: int) -> bool:
        """A facilitator's placement of a note."""
        return await self._store.move_note(note_id, theme_id)

    async def merge_themes(self, source_id: int, target_id: int) -> bool:
        """Two themes become one."""
        if source_id == target_id:
            return False
        return await self._store.merge_themes(source_id, target_id)

    async def take_idea(
        self, note_id: int, user_id: int, user_name: str, *, thread_id: int
    ) -> tuple[Note, Session] | None:
        """Someone will take an idea further ("I'll take this one"), clicked in
        ``thread_id``: only the idea's own session thread counts (a button copied or forged
        elsewhere raises NoSessionError and touches nothing).

        None when they had said so already (or the note is gone).
        """
        note = await self._store.note(note_id)
        if note is None:
            return None
        session = await self._store.get_session(note.session_id)
        if session is None:
            return None
        if session.thread_id != thread_id:
            raise NoSessionError(thread_id)
        if not await self._store.add_taker(note_id, user_id, user_name, self._clock.now()):
            return None
        return note, session

    # -- machinery -------------------------------------------------------------------------

    async def _quietly(self, session_id: int, change: Transition) -> None:
        try:
            await self._transition(session_id, change)
        except SessionRuleError as error:
            log.debug("session %s: timer had nothing to do (%s)", session_id, error.refusal)
        except NoSessionError:
            log.warning("session %s: timer fired for a session that is gone", session_id)

    async def _transition(self, session_id: int, change: Transition) -> Session:
        lock = self._session_locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            session = await self._store.get_session(session_id)
            if session is None:
                raise NoSessionError(session_id)
            result = change(session, self._clock.now())
            changed, events = await result if inspect.isawaitable(result) else result
            # What the thread is owed is committed with the change, so a crash between
            # the commit and the posts is made good at start-up (resend_owed).
            owed = encode_events(events) if _worth_owing(events) else None
            saved = await self._store.save_session(changed, owed)
            if saved is None:
                # Another process moved the session since we loaded it.
                self._live.pop(session.thread_id, None)
                raise SessionRuleError(Refusal.STALE)
            self._remember(saved)
            if _clock_of(saved) != _clock_of(session):
                self._arm(saved)
            await self._announce(saved, events, owed=bool(owed))
        if not saved.active:
            self._session_locks.pop(session_id, None)
            self._flood.forget_session(session_id)
        return saved

    def _arm(self, session: Session) -> None:
        self._timers.disarm(session.id)
        if session.status is not SessionStatus.RUNNING or session.due_at is None:
            return
        self._timers.arm_step(session.id, session.step_index, session.due_at)
        reminder_at = session.reminder_at()
        if reminder_at is not None:
            self._timers.arm_reminder(session.id, session.step_index, reminder_at)
        nudge_at = session.nudge_at()
        if self._on_nudge_due and nudge_at is not None and nudge_at > self._clock.now():
            self._timers.arm_nudge(session.id, session.step_index, nudge_at)

    async def _announce(
        self, session: Session, events: list[SessionEvent], *, owed: bool = False
    ) -> None:
        """Post each event; ``owed`` ones were committed to the outbox with the change and
        go out through it, oldest first."""
        if owed:
            await self._drain(session)
            return
        for event in events:
            await self._announce_one(session, event)
            await self._follow_up(session, event)

    async def _drain(self, session: Session) -> bool:
        """Post the session's owed announcements in order, ticking each off as soon as its
        own post is out (what follows it, like the themes after a prompt, comes after the
        tick), so a crash repeats at most the one post it interrupted. A post Discord could
        not take stays owed, with those after it, and is tried again later; False then."""
        for _, encoded in await self._store.owed_announcements(session.id):
            events = decode_events(encoded)
            for event in events:
                if not await self._announce_one(session, event):
                    return False  # _say armed the next try
            await self._store.announced_one(session.id)
            for event in events:
                await self._follow_up(session, event)
        self._owed_failures.pop(session.id, None)
        return True

    def _retry_owed_later(self, session_id: int) -> None:
        failures = self._owed_failures.get(session_id, 0) + 1
        self._owed_failures[session_id] = failures
        wait = min(RETRY_OWED_FIRST * 2 ** min(failures - 1, 16), RETRY_OWED_CAP)
        log.warning(
            "session %s: Discord did not take a post (%s in a row); owed posts go again in %s",
            session_id,
            failures,
            wait,
        )

        async def retry() -> None:
            session = await self._store.get_session(session_id)
            if session is not None:
                await self.resend_owed(session)

        # Not "session:…": disarming a session's step timers must not drop its owed posts.
        self._timers.arm_call(f"outbox:{session_id}", self._clock.now() + wait, retry)

    async def _announce_one(self, session: Session, event: SessionEvent) -> bool:
        """Post one event; False when Discord could not take its main post now."""
        match event:
            case SessionOpened(retention_days=retention):
                return await self._say(self._announcer.welcome(session, retention), session)
            case StepStarted(again=again):
                return await self._say(self._announcer.step_started(session, again), session)
            case StepEnded(step_index=index):
                return await self._say(
                    self._announcer.step_summary(session, await self._step_summary(session, index)),
                    session,
                )
            case VotingOpened(step_index=index):
                if session.is_private(index):
                    reveal = await self._step_summary(session, index, reveal_only=True)
                    if not await self._say(self._announcer.step_summary(session, reveal), session):
                        return False
                vote = await self._store.open_round_of(session.id)
                return vote is None or await self._post_vote(session, vote)
            case ReminderDue():
                return await self._say(self._announcer.reminder(session), session)
            case SessionPaused():
                return await self._say(self._announcer.paused(session), session)
            case SessionResumed():
                return await self._say(self._announcer.resumed(session), session)
            case StepExtended(added=added):
                return await self._say(self._announcer.extended(session, added), session)
            case SessionEnded():
                overall = await self._session_summary(session)
                return await self._say(self._announcer.session_summary(session, overall), session)
        return True

    async def _follow_up(self, session: Session, event: SessionEvent) -> None:
        """What a step's prompt brings along once it is out: the previous step's themes,
        and a private step's counter. Not owed (a crash may lose it, never double it)."""
        if not isinstance(event, StepStarted) or event.step_index != session.step_index:
            return
        if session.current_step.themes and session.step_index > 0 and not event.again:
            await self._say(self.show_themes(session, session.step_index - 1, False))
        if session.writing_privately:
            await self._private_note_added(session)  # the counter, from zero
        # The facilitator's hint card: what the step is for, what to watch for.
        await self._say(self._announcer.coaching(session, self.canvas_of(session)))

    async def _post_vote(self, session: Session, vote: VoteRound) -> bool:
        message_id: int | None = None

        async def post() -> None:
            nonlocal message_id
            message_id = await self._announcer.vote_opened(session, vote)

        posted = await self._say(post(), session)
        if message_id is not None:
            await self._store.set_round_message(vote.id, message_id)
        return posted

    async def _step_summary(
        self, session: Session, index: int, *, reveal_only: bool = False
    ) -> StepSummary:
        """The step's summary as the thread may see it: a private step's notes in reveal
        order, and without names where the session hides them. ``reveal_only``: no vote
        results (the reveal before a private step's vote, or a recap's board)."""
        notes = await self._store.notes(session.id, index)
        counts = await self._store.comment_counts(session.id)
        ranking: tuple[RankedNote, ...] = ()
        if not reveal_only:
            closed = self._just_closed.pop(session.id, None)
            if closed is not None and closed.step_index == index:
                ranking = self._shown(session, await self._ranking(closed))
                voters = await self._store.voter_count(closed.id)
                await self._say(self._announcer.vote_results(session, closed, ranking, voters))
        summary = summarise_step(index, session.steps[index].kind, notes, counts)
        summary = replace(summary, ranking=ranking, participation=participation(notes))
        private = session.is_private(index)
        names = session.shows_names(index)
        if private or not names:
            ordered = reveal_order(notes, session.id, index, session.reveal_salt)
            shown = tuple(ordered if names else map(without_names, ordered))
            by_id = {note.id: note for note in shown}
            summary = replace(
                summary,
                groups=(AuthorGroup(0, "", shown),),
                revealed=private and (reveal_only or session.steps[index].vote is None),
                names_shown=names,
            )
            themes = ordered_like(
                theme_groups(await self._store.themes(session.id, index), by_id.values()), shown
            )
        else:
            themes = theme_groups(await self._store.themes(session.id, index), notes)
        summary = replace(summary, themes=themes)
        canvas = self.canvas_of(session, index)
        if canvas is not None:
            shown_notes = [note for group in summary.groups for note in group.notes]
            if not (private or not names):  # by author above; on a canvas, as written
                shown_notes.sort(key=lambda note: (note.created_at, note.id))
            fixed = step_columns(canvas, session.steps[index].columns, session.locale)
            columns = all_columns(fixed, (note.column for note in shown_notes))
            summary = replace(
                summary,
                canvas=canvas.key,
                columns=columns,
                lanes=lane_groups(canvas, columns, shown_notes),
            )
        return summary

    async def board_summary(self, session: Session) -> StepSummary:
        """The current step's board as the thread may see it now (a recap's picture):
        nothing while its private writing goes on; nameless notes in their reveal order;
        lane by lane on a canvas."""
        index = session.step_index
        if session.hidden(index):
            return summarise_step(index, session.current_step.kind, [])
        return await self._step_summary(session, index, reveal_only=True)

    def _shown(self, session: Session, ranking: Sequence[RankedNote]) -> tuple[RankedNote, ...]:
        """Ranked notes without their writers' names where the session hides them."""
        return tuple(
            item
            if session.shows_names(item.note.step_index)
            else replace(item, note=without_names(item.note))
            for item in ranking
        )

    async def _session_summary(self, session: Session) -> SessionSummary:
        stored = await self._store.notes(session.id)
        kinds = [step.kind for step in session.steps]
        overall = summarise_session(session.topic, kinds, stored)
        # Counted with their writers above; shown without them where the session hides them.
        notes = [n if session.shows_names(n.step_index) else without_names(n) for n in stored]
        themes: list[ThemeGroup] = []
        board: list[ThemeGroup] = []
        for index, step in enumerate(session.steps):
            in_step = [note for note in notes if note.step_index == index]
            step_themes = theme_groups(await self._store.themes(session.id, index), in_step)
            themes += step_themes
            placed = {note.id for group in step_themes for note in group.notes}
            board += [replace(group, step_kind=step.kind) for group in step_themes]
            rest = tuple(note for note in in_step if note.id not in placed)
            if rest:
                board.append(ThemeGroup("", rest, step_kind=step.kind))
        idea_rounds = [
            r
            for r in await self._store.rounds_of(session.id)
            if r.target is VoteTarget.NOTES and r.status is RoundStatus.CLOSED
        ]
        top: tuple[RankedNote, ...] = ()
        if idea_rounds:
            ranked = self._shown(session, await self._ranking(idea_rounds[-1]))
            top = tuple(item for item in ranked if item.votes > 0)[:TOP_IDEAS]
        takers = await self._store.takers([item.note.id for item in top])
        if session.anonymity is Anonymity.ALWAYS:
            takers = {}  # who took an idea on is a name too
        return replace(
            overall,
            themes=tuple(themes),
            chosen_question=session.chosen_question,
            top_ideas=top,
            participation=participation(stored),
            takers={note_id: tuple(names) for note_id, names in takers.items()},
            board=tuple(board),
        )

    async def _say(self, announcement: Awaitable[None], session: Session | None = None) -> bool:
        """Post; False when Discord could not take it now. What is committed stays
        committed: a failed post is logged, never raised. With ``session``, the session's
        owed posts are tried again later (a lost reminder is not owed, so nothing comes of
        it then), and a refusal for a missing permission is told to its facilitator."""
        try:
            await announcement
        except PostRefusedError as error:
            log.warning("Discord refused a post: %s", error)
            if session is not None:
                # Armed first: whoever sees the facilitator told can count on the retry.
                self._retry_owed_later(session.id)
                await self._tell_refusal(session, error)
            return False
        except DiscordUnavailableError as error:
            log.warning("Discord could not take a post now: %s", error)
            if session is not None:
                self._retry_owed_later(session.id)
            return False
        except Exception:
            # A fault of ours: trying the same post again would fail the same way.
            log.exception("posting to Discord failed")
        return True

    async def _tell_refusal(self, session: Session, error: PostRefusedError) -> None:
        key = (session.id, error.missing)
        now = self._clock.now()
        told = self._refusals_told.get(key)
        if told is not None and now - told < TELL_REFUSAL_EVERY:
            return
        self._refusals_told[key] = now
        try:
            await self._announcer.post_refused(session, error)
        except Exception:
            log.warning("could not tell the facilitator of session %s", session.id, exc_info=True)


def _worth_owing(events: list[SessionEvent]) -> bool:
    """Step changes and the end are owed; a lost reminder or pause notice is not worth
    re-posting after the moment has passed."""
    return any(isinstance(event, (StepEnded, StepStarted, SessionEnded)) for event in events)


def _clock_of(session: Session) -> tuple[object, ...]:
    """What the armed timers depend on; a transition that keeps it needs no re-arming."""
    return (
        session.status,
        session.step_index,
        session.due_at,
        session.phase,
        session.reminders_done,
        session.nudges,
    )
