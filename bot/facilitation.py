"""The use cases: the only place that loads state, asks the domain, commits, then announces.

Cogs and timers call in here; nothing in here knows about Discord or SQLite. A session's
transitions run one at a time (a lock per session) and are saved with a version check,
so a timer and a facilitator racing, or a double fire after a restart, advance once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.board import (
    CommentDraft,
    MessageKind,
    Note,
    NoteDraft,
    NoteSource,
    classify_message,
    note_text,
)
from bot.domain.events import (
    ReminderDue,
    SessionEnded,
    SessionEvent,
    SessionPaused,
    SessionResumed,
    StepEnded,
    StepExtended,
    StepStarted,
)
from bot.domain.session import Refusal, Session, SessionRuleError, SessionStatus
from bot.domain.summary import summarise_session, summarise_step
from bot.domain.templates import Template
from bot.ports import Announcer, ChannelBusyError, Clock, Store, Timers

log = logging.getLogger(__name__)

Transition = Callable[[Session, datetime], tuple[Session, list[SessionEvent]]]


class NoSessionError(LookupError):
    """No active session where the command was used."""


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


@dataclass(frozen=True)
class MessageOutcome:
    """What a thread message became; ``stored`` is False for asides and duplicates."""

    kind: MessageKind
    stored: bool
    session: Session | None = None


@dataclass(frozen=True)
class SessionStatusView:
    """What `/session status` shows."""

    session: Session
    time_left: timedelta
    note_count: int
    author_count: int


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
    ) -> None:
        self._store = store
        self._timers = timers
        self._announcer = announcer
        self._clock = clock
        self._templates = templates
        self._defaults = defaults
        self._session_locks: dict[int, asyncio.Lock] = {}
        self._start_lock = asyncio.Lock()
        timers.bind(self.step_due, self.reminder_due)

    # -- starting ----------------------------------------------------------------------

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
    ) -> Session:
        """Open a thread for a new session, commit it, arm its timer, then announce.

        Raises ChannelBusyError when the channel already has an active session.
        """
        template = self.template(template_key)
        steps = template.with_durations(durations or template.default_durations)
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
            )
            session = await self._store.create_session(draft)
        log.info("session %s started in thread %s", session.id, session.thread_id)
        self._arm(session)
        await self._say(self._announcer.welcome(session, self._defaults.retention_days))
        await self._announce(session, events)
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
        notes = await self._store.notes(session.id, session.step_index)
        return SessionStatusView(
            session=session,
            time_left=session.time_left(self._clock.now()),
            note_count=len(notes),
            author_count=len({note.author_id for note in notes}),
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
    ) -> Note:
        """A note from /note or the modal, committed before it is acknowledged."""
        session = await self.find_session(channel_id)
        note = await self._store.add_note(
            NoteDraft(
                session_id=session.id,
                step_index=session.step_index,
                author_id=author_id,
                author_name=author_name,
                text=note_text(text),
                source=source,
                created_at=self._clock.now(),
            )
        )
        assert note is not None  # only message notes can be duplicates
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
    ) -> MessageOutcome:
        """A human message in a thread: a note, a comment, an aside or nothing."""
        session = await self._store.session_by_thread(thread_id)
        if session is None or not session.active:
            return MessageOutcome(MessageKind.EMPTY, stored=False)
        note_id = await self._store.note_id_for_message(reply_to) if reply_to else None
        kind = classify_message(text, bool(attachments), note_id is not None)
        stored = False
        if kind is MessageKind.NOTE:
            stored = (
                await self._store.add_note(
                    NoteDraft(
                        session_id=session.id,
                        step_index=session.step_index,
                        author_id=author_id,
                        author_name=author_name,
                        text=note_text(text),
                        source=NoteSource.MESSAGE,
                        created_at=created_at,
                        attachments=attachments,
                        message_id=message_id,
                    )
                )
                is not None
            )
        elif kind is MessageKind.COMMENT and note_id is not None:
            stored = (
                await self._store.add_comment(
                    CommentDraft(
                        note_id=note_id,
                        author_id=author_id,
                        author_name=author_name,
                        text=note_text(text),
                        created_at=created_at,
                        message_id=message_id,
                    )
                )
                is not None
            )
        else:
            await self._store.mark_seen(session.id, message_id)
        return MessageOutcome(kind, stored=stored, session=session)

    async def message_edited(self, message_id: int, text: str) -> bool:
        """Keep a note or comment in step with its edited message."""
        return await self._store.edit_by_message(message_id, note_text(text), self._clock.now())

    async def messages_deleted(self, message_ids: list[int]) -> int:
        """A deleted message takes its note or comment with it."""
        return await self._store.delete_by_message(message_ids)

    # -- the clock -----------------------------------------------------------------------

    async def step_due(self, session_id: int, step_index: int) -> None:
        """Timer callback: the step's time is up. Stale or repeated calls do nothing."""
        await self._quietly(session_id, lambda s, now: s.time_up(now, step_index))

    async def reminder_due(self, session_id: int, step_index: int) -> None:
        """Timer callback: post the "almost up" reminder, once per step."""
        await self._quietly(session_id, lambda s, now: s.remind(now, step_index))

    async def rearm(self) -> None:
        """On start-up: schedule every running session; overdue steps advance at once."""
        now = self._clock.now()
        for session in await self._store.active_sessions():
            if session.status is SessionStatus.RUNNING and session.due_at is not None:
                if session.due_at <= now:
                    log.info("session %s overdue, advancing", session.id)
                    await self.step_due(session.id, session.step_index)
                    continue
                self._arm(session)

    # -- facilitator controls ------------------------------------------------------------

    async def next_step(self, session_id: int, expected_step: int | None = None) -> Session:
        """Move on now, as if the time were up.

        ``expected_step`` is the step the facilitator saw: if the timer moved on first,
        the command is refused (STALE) instead of skipping a step.
        """
        return await self._transition(session_id, lambda s, now: s.advance(now, expected_step))

    async def go_back(self, session_id: int) -> Session:
        """Back to the previous step with its full time."""
        return await self._transition(session_id, lambda s, now: s.go_back(now))

    async def pause(self, session_id: int) -> Session:
        """Stop the clock."""
        return await self._transition(session_id, lambda s, now: s.pause(now))

    async def resume(self, session_id: int) -> Session:
        """Start the clock again."""
        return await self._transition(session_id, lambda s, now: s.resume(now))

    async def extend(self, session_id: int, added: timedelta) -> Session:
        """More time for the current step."""
        return await self._transition(session_id, lambda s, now: s.extend(now, added))

    async def end(self, session_id: int) -> Session:
        """Close the session now."""
        return await self._transition(session_id, lambda s, now: s.end(now))

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
            changed, events = change(session, self._clock.now())
            saved = await self._store.save_session(changed)
            if saved is None:
                # Another process moved the session since we loaded it.
                raise SessionRuleError(Refusal.STALE)
            if _clock_of(saved) != _clock_of(session):
                self._arm(saved)
            await self._announce(saved, events)
        if not saved.active:
            self._session_locks.pop(session_id, None)
        return saved

    def _arm(self, session: Session) -> None:
        self._timers.disarm(session.id)
        if session.status is not SessionStatus.RUNNING or session.due_at is None:
            return
        self._timers.arm_step(session.id, session.step_index, session.due_at)
        reminder_at = session.reminder_at()
        if reminder_at is not None:
            self._timers.arm_reminder(session.id, session.step_index, reminder_at)

    async def _announce(self, session: Session, events: list[SessionEvent]) -> None:
        for event in events:
            match event:
                case StepStarted(again=again):
                    await self._say(self._announcer.step_started(session, again))
                case StepEnded(step_index=index):
                    notes = await self._store.notes(session.id, index)
                    counts = await self._store.comment_counts(session.id)
                    summary = summarise_step(index, session.steps[index].kind, notes, counts)
                    await self._say(self._announcer.step_summary(session, summary))
                case ReminderDue():
                    await self._say(self._announcer.reminder(session))
                case SessionPaused():
                    await self._say(self._announcer.paused(session))
                case SessionResumed():
                    await self._say(self._announcer.resumed(session))
                case StepExtended(added=added):
                    await self._say(self._announcer.extended(session, added))
                case SessionEnded():
                    notes = await self._store.notes(session.id)
                    kinds = [step.kind for step in session.steps]
                    overall = summarise_session(session.topic, kinds, notes)
                    await self._say(self._announcer.session_summary(session, overall))

    @staticmethod
    async def _say(announcement: Awaitable[None]) -> None:
        # What is committed stays committed: a failed post is logged, not raised.
        try:
            await announcement
        except Exception:
            log.exception("posting to Discord failed")


def _clock_of(session: Session) -> tuple[object, ...]:
    """What the armed timers depend on; a transition that keeps it needs no re-arming."""
    return (session.status, session.step_index, session.due_at)
