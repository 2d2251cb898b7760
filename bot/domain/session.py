"""The session state machine: steps, deadlines, pause, reminders. Pure; no I/O.

Every transition returns the events it caused, or raises :class:`SessionRuleError` with a
:class:`Refusal` the edge turns into a friendly sentence. Time is passed in, never read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.deadlines import add_wall_clock
from bot.domain.durations import MAX_DURATION
from bot.domain.events import (
    ReminderDue,
    SessionEnded,
    SessionEvent,
    SessionPaused,
    SessionResumed,
    StepEnded,
    StepExtended,
    StepStarted,
    VotingOpened,
)
from bot.domain.templates import StepPlan

# How early a step's timer may fire and still end the step: the scheduler runs on the
# wall clock, which can be a hair behind the injected clock when the deadline is translated.
TIMER_SLACK = timedelta(seconds=1)

# A step planned this long or longer runs asynchronously, between workshop days: it gets
# the long reminders (24 h, 1 h), a pinned prompt, a nudge at half-time and daily recaps.
# Live workshop steps (up to an hour or two) keep the short reminder.
ASYNC_FROM = timedelta(hours=3)

# A deadline closer than this when its step starts has been overtaken (the group moved
# slower than planned): the step gets its planned duration instead of ending at once.
MIN_DEADLINE_LEFT = timedelta(minutes=1)

DEFAULT_ZONE = "Europe/Amsterdam"

# Repeating steps makes a session longer; past this many steps, start a new session.
MAX_STEPS = 20


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Anonymity(StrEnum):
    """Whose names the bot shows, chosen per session.

    ``OFF``: names as usual. ``WHILE_WRITING``: notes written in a private step never
    carry a name in anything the bot shows; what people write in the open steps does.
    ``ALWAYS``: no name in anything the bot shows; every writing step runs privately,
    since Discord shows who typed a message that stays in the thread.
    """

    OFF = "off"
    WHILE_WRITING = "while_writing"
    ALWAYS = "always"


class TypedInPrivate(StrEnum):
    """What happens to a message typed in the thread during a private step: it is
    removed from the thread either way, then taken as a note or handed back with a hint."""

    TAKE = "take"
    REFUSE = "refuse"


class Phase(StrEnum):
    """Within a step: writing notes, or choosing among them by dot voting."""

    WRITING = "writing"
    VOTING = "voting"


class Refusal(StrEnum):
    """Why a transition is not allowed right now."""

    ENDED = "ended"
    PAUSED = "paused"
    NOT_PAUSED = "not_paused"
    FIRST_STEP = "first_step"
    TOO_LONG = "too_long"
    STALE = "stale"
    VOTING = "voting"
    NOT_PRIVATE = "not_private"
    NO_SUCH_STEP = "no_such_step"
    TOO_MANY_STEPS = "too_many_steps"


class SessionRuleError(Exception):
    """A transition that the session's current state does not allow."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Session:
    """A co-creation session in one thread: its plan and where the clock stands.

    ``due_at`` is set while running; ``remaining`` while paused; both are None once ended.
    ``version`` is bumped by the store on every save, for optimistic concurrency.
    Reminders: ``reminder_before`` for live steps, ``async_reminders`` (longest lead
    first) for async ones; ``reminders_done`` counts the leads handled in step
    ``reminded_step``. ``zone`` is the server's timezone: whole days are wall-clock days.
    """

    id: int
    guild_id: int
    channel_id: int
    thread_id: int
    facilitator_id: int
    topic: str
    locale: str
    template: str
    steps: tuple[StepPlan, ...]
    step_index: int
    status: SessionStatus
    step_started_at: datetime
    due_at: datetime | None
    remaining: timedelta | None
    reminder_before: timedelta
    reminded_step: int
    created_at: datetime
    ended_at: datetime | None = None
    last_message_id: int | None = None
    version: int = 0
    phase: Phase = Phase.WRITING
    chosen_question: str | None = None
    async_reminders: tuple[timedelta, ...] = ()
    reminders_done: int = 0
    zone: str = DEFAULT_ZONE
    nudges: bool = True
    anonymity: Anonymity = Anonymity.OFF
    typed_in_private: TypedInPrivate = TypedInPrivate.TAKE
    end_when_all_done: bool = True
    # Random, set at the start: keys the reveal order (bot/domain/private_writing.py).
    reveal_salt: str = ""

    @classmethod
    def begin(
        cls,
        *,
        guild_id: int,
        channel_id: int,
        thread_id: int,
        facilitator_id: int,
        topic: str,
        locale: str,
        template: str,
        steps: tuple[StepPlan, ...],
        reminder_before: timedelta,
        now: datetime,
        async_reminders: tuple[timedelta, ...] = (),
        zone: str = DEFAULT_ZONE,
        nudges: bool = True,
        anonymity: Anonymity = Anonymity.OFF,
        typed_in_private: TypedInPrivate = TypedInPrivate.TAKE,
        end_when_all_done: bool = True,
        reveal_salt: str = "",
    ) -> tuple[Session, list[SessionEvent]]:
        """A new running session at its first step (id 0 until the store assigns one)."""
        if not steps:
            raise ValueError("a session needs at least one step")
        session = cls(
            id=0,
            guild_id=guild_id,
            channel_id=channel_id,
            thread_id=thread_id,
            facilitator_id=facilitator_id,
            topic=topic,
            locale=locale,
            template=template,
            steps=steps,
            step_index=0,
            status=SessionStatus.RUNNING,
            step_started_at=now,
            due_at=None,
            remaining=None,
            reminder_before=reminder_before,
            reminded_step=-1,
            created_at=now,
            async_reminders=tuple(sorted(async_reminders, reverse=True)),
            zone=zone,
            nudges=nudges,
            anonymity=anonymity,
            typed_in_private=typed_in_private,
            end_when_all_done=end_when_all_done,
            reveal_salt=reveal_salt,
        )
        due_at = session._due(0, now)
        return replace(session, due_at=due_at), [StepStarted(0, due_at)]

    # -- queries -------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Running or paused: the session still takes notes and owns its channel."""
        return self.status is not SessionStatus.ENDED

    @property
    def current_step(self) -> StepPlan:
        """The plan of the step the session is in."""
        return self.steps[self.step_index]

    @property
    def is_last_step(self) -> bool:
        """Whether moving on ends the session."""
        return self.step_index == len(self.steps) - 1

    def is_private(self, step_index: int) -> bool:
        """Whether people write alone in step ``step_index``: notes stay out of sight
        until the step's writing ends (the template says so, or names are never shown)."""
        return self.steps[step_index].private or self.anonymity is Anonymity.ALWAYS

    @property
    def writing_privately(self) -> bool:
        """Whether the session is now in the writing part of a private step: what people
        add is kept out of the thread until the reveal."""
        return self.active and self.phase is Phase.WRITING and self.is_private(self.step_index)

    def shows_names(self, step_index: int) -> bool:
        """Whether anything the bot shows may name the writers of step ``step_index``."""
        if self.anonymity is Anonymity.ALWAYS:
            return False
        if self.anonymity is Anonymity.WHILE_WRITING:
            return not self.is_private(step_index)
        return True

    def hidden(self, step_index: int) -> bool:
        """Whether step ``step_index``'s notes are still unrevealed (its private writing
        is going on now)."""
        return self.writing_privately and step_index == self.step_index

    def time_left(self, now: datetime) -> timedelta:
        """What is left on the current step (zero when overdue or ended)."""
        if self.status is SessionStatus.PAUSED and self.remaining is not None:
            return self.remaining
        if self.status is SessionStatus.RUNNING and self.due_at is not None:
            return max(self.due_at - now, timedelta(0))
        return timedelta(0)

    def _due(self, index: int, now: datetime) -> datetime:
        """When step ``index``, starting now, is due: its deadline, or its duration on
        (whole days on the server's wall clock, so ``2d`` ends at the same local time)."""
        step = self.steps[index]
        if step.deadline is not None and step.deadline - now >= MIN_DEADLINE_LEFT:
            return step.deadline
        return add_wall_clock(now, step.duration, ZoneInfo(self.zone))

    def planned_length(self) -> timedelta:
        """How long the current step was planned to run from its start."""
        step = self.current_step
        if step.deadline is not None and step.deadline - self.step_started_at >= MIN_DEADLINE_LEFT:
            return step.deadline - self.step_started_at
        return step.duration

    @property
    def step_is_async(self) -> bool:
        """Whether the current step lasts hours or days (see :data:`ASYNC_FROM`)."""
        return self.planned_length() >= ASYNC_FROM

    @property
    def has_async_steps(self) -> bool:
        """Whether any step is planned to last hours or days (or ends at a set time)."""
        return any(step.deadline is not None or step.duration >= ASYNC_FROM for step in self.steps)

    def reminder_leads(self) -> tuple[timedelta, ...]:
        """The current step's reminder lead times, longest first.

        Only leads at most half the planned step (a reminder halfway through a short step
        helps nobody): live steps use ``reminder_before``, async steps ``async_reminders``.
        """
        leads = self.async_reminders if self.step_is_async else (self.reminder_before,)
        planned = self.planned_length()
        return tuple(lead for lead in leads if timedelta(0) < lead and 2 * lead <= planned)

    def _reminders_done(self) -> int:
        return self.reminders_done if self.reminded_step == self.step_index else 0

    def reminder_at(self) -> datetime | None:
        """When to post the next "almost up" reminder for the current step, if at all
        (each lead at most once per step)."""
        if (
            self.status is not SessionStatus.RUNNING
            or self.phase is Phase.VOTING
            or self.due_at is None
        ):
            return None
        leads = self.reminder_leads()
        done = self._reminders_done()
        if done >= len(leads):
            return None
        return self.due_at - leads[done]

    def nudge_at(self) -> datetime | None:
        """When to nudge quiet participants: half-time of a running async writing step."""
        if (
            not self.nudges
            or self.status is not SessionStatus.RUNNING
            or self.phase is Phase.VOTING
            or self.due_at is None
            or not self.step_is_async
        ):
            return None
        return self.step_started_at + (self.due_at - self.step_started_at) / 2

    # -- transitions ---------------------------------------------------------------

    def _require_active(self) -> None:
        if self.status is SessionStatus.ENDED:
            raise SessionRuleError(Refusal.ENDED)

    def _require_step(self, expected_step: int | None) -> None:
        if expected_step is not None and expected_step != self.step_index:
            raise SessionRuleError(Refusal.STALE)

    def advance(
        self, now: datetime, expected_step: int | None = None
    ) -> tuple[Session, list[SessionEvent]]:
        """Close the current step and start the next, or end after the last.

        ``expected_step`` makes it idempotent: a timer that fires for a step the session
        has already left gets :data:`Refusal.STALE` and changes nothing.
        """
        self._require_active()
        self._require_step(expected_step)
        if self.is_last_step:
            return self.end(now)
        following = self.step_index + 1
        moved, due_at = self._entering(following, now)
        return moved, [StepEnded(self.step_index), StepStarted(following, due_at)]

    def _entering(self, index: int, now: datetime) -> tuple[Session, datetime]:
        """The session running step ``index`` from ``now`` with its planned time, and
        when that step is due."""
        due_at = self._due(index, now)
        moved = replace(
            self,
            step_index=index,
            status=SessionStatus.RUNNING,
            step_started_at=now,
            due_at=due_at,
            remaining=None,
            phase=Phase.WRITING,
        )
        return moved, due_at

    def open_vote(
        self, now: datetime, duration: timedelta, expected_step: int | None = None
    ) -> tuple[Session, list[SessionEvent]]:
        """End the writing part of the step and let people vote for ``duration``."""
        self._require_active()
        self._require_step(expected_step)
        if self.status is not SessionStatus.RUNNING:
            raise SessionRuleError(Refusal.PAUSED)
        if self.phase is Phase.VOTING:
            raise SessionRuleError(Refusal.VOTING)
        due_at = now + duration
        voting = replace(self, phase=Phase.VOTING, due_at=due_at)
        return voting, [VotingOpened(self.step_index, due_at)]

    def choose_question(self, question: str) -> Session:
        """Remember the question the group chose; ideate's prompt names it."""
        return replace(self, chosen_question=question)

    def time_up(
        self, now: datetime, expected_step: int, vote_options: int = 0
    ) -> tuple[Session, list[SessionEvent]]:
        """The timer says the phase's time is over: move on as :meth:`move_on` does.

        A timer job may already be running when a facilitator pauses or extends the step;
        that job then finds the step paused or due later and refuses (STALE) instead of
        cutting the step short. The re-armed job ends it at the right moment.
        """
        self._require_active()
        self._require_step(expected_step)
        if (
            self.status is not SessionStatus.RUNNING
            or self.due_at is None
            or self.due_at - now > TIMER_SLACK
        ):
            raise SessionRuleError(Refusal.STALE)
        return self.move_on(now, expected_step, vote_options)

    def move_on(
        self, now: datetime, expected_step: int | None = None, vote_options: int = 0
    ) -> tuple[Session, list[SessionEvent]]:
        """The next thing in the flow: from writing to voting when the step has a vote and
        there are at least two options to choose from; otherwise to the next step."""
        self._require_active()
        self._require_step(expected_step)
        wants_vote = self.current_step.vote is not None and vote_options >= 2
        if self.phase is Phase.WRITING and wants_vote and self.status is SessionStatus.RUNNING:
            return self.open_vote(now, self.current_step.vote_duration, expected_step)
        return self.advance(now, expected_step)

    def reveal(self, now: datetime, vote_options: int = 0) -> tuple[Session, list[SessionEvent]]:
        """End a private step's writing now: the notes are revealed, then the flow goes on
        as when its time is up (to its vote, or to the next step)."""
        self._require_active()
        if not self.writing_privately:
            raise SessionRuleError(Refusal.NOT_PRIVATE)
        return self.move_on(now, self.step_index, vote_options)

    def repeat(self, now: datetime, step_index: int) -> tuple[Session, list[SessionEvent]]:
        """Run step ``step_index`` (its canvas too) once more, right after the current one:
        another diverge/converge cycle. The copy starts now with its planned time; the
        steps after it move one place on."""
        self._require_active()
        if not 0 <= step_index < len(self.steps):
            raise SessionRuleError(Refusal.NO_SUCH_STEP)
        if len(self.steps) >= MAX_STEPS:
            raise SessionRuleError(Refusal.TOO_MANY_STEPS)
        again = replace(self.steps[step_index], deadline=None)
        following = self.step_index + 1
        steps = (*self.steps[:following], again, *self.steps[following:])
        moved, due_at = replace(self, steps=steps)._entering(following, now)
        return moved, [StepEnded(self.step_index), StepStarted(following, due_at)]

    def go_back(self, now: datetime) -> tuple[Session, list[SessionEvent]]:
        """Return to the previous step with its full planned time."""
        self._require_active()
        if self.step_index == 0:
            raise SessionRuleError(Refusal.FIRST_STEP)
        previous = self.step_index - 1
        moved, due_at = self._entering(previous, now)
        # Going back re-opens the step; it may be reminded again.
        return replace(moved, reminded_step=-1), [StepStarted(previous, due_at, again=True)]

    def pause(self, now: datetime) -> tuple[Session, list[SessionEvent]]:
        """Stop the clock, keeping what is left (a deadline would be wrong after a pause)."""
        self._require_active()
        if self.status is SessionStatus.PAUSED:
            raise SessionRuleError(Refusal.PAUSED)
        remaining = self.time_left(now)
        paused = replace(self, status=SessionStatus.PAUSED, due_at=None, remaining=remaining)
        return paused, [SessionPaused(remaining)]

    def resume(self, now: datetime) -> tuple[Session, list[SessionEvent]]:
        """Start the clock again with the time that was left."""
        self._require_active()
        if self.status is not SessionStatus.PAUSED or self.remaining is None:
            raise SessionRuleError(Refusal.NOT_PAUSED)
        due_at = now + self.remaining
        resumed = replace(self, status=SessionStatus.RUNNING, due_at=due_at, remaining=None)
        return resumed, [SessionResumed(due_at)]

    def extend(self, now: datetime, added: timedelta) -> tuple[Session, list[SessionEvent]]:
        """Give the current step more time (works while paused too)."""
        self._require_active()
        if added <= timedelta(0):
            raise ValueError("an extension must be positive")
        if self.time_left(now) + added > MAX_DURATION:
            raise SessionRuleError(Refusal.TOO_LONG)
        if self.status is SessionStatus.PAUSED:
            assert self.remaining is not None
            extended = replace(self, remaining=self.remaining + added)
            return extended, [StepExtended(added, None, extended.remaining)]
        # An overdue step (timer not yet handled) extends from now, not from the past.
        base = max(self.due_at or now, now)
        extended = replace(self, due_at=base + added)
        return extended, [StepExtended(added, extended.due_at, None)]

    def end(self, now: datetime) -> tuple[Session, list[SessionEvent]]:
        """Close the current step and the session."""
        self._require_active()
        ended = replace(
            self,
            status=SessionStatus.ENDED,
            due_at=None,
            remaining=None,
            ended_at=now,
            phase=Phase.WRITING,
        )
        return ended, [StepEnded(self.step_index), SessionEnded(now)]

    def remind(
        self, now: datetime, expected_step: int | None = None
    ) -> tuple[Session, list[SessionEvent]]:
        """Post the reminder that is due, each lead at most once per step; stale or
        repeated calls refuse. After downtime only the latest lead due is posted."""
        self._require_active()
        self._require_step(expected_step)
        if self.status is not SessionStatus.RUNNING or self.due_at is None:
            raise SessionRuleError(Refusal.PAUSED)
        if self.phase is Phase.VOTING or now >= self.due_at:
            # Never after the deadline (e.g. both due after downtime), nor while voting
            # (a writing reminder in flight when the vote opened).
            raise SessionRuleError(Refusal.STALE)
        leads = self.reminder_leads()
        done = self._reminders_done()
        due = [i for i in range(done, len(leads)) if self.due_at - leads[i] <= now + TIMER_SLACK]
        if not due:
            raise SessionRuleError(Refusal.STALE)
        reminded = replace(self, reminded_step=self.step_index, reminders_done=due[-1] + 1)
        return reminded, [ReminderDue(self.step_index, self.due_at)]

    def with_nudges(self, wanted: bool) -> Session:
        """Half-time nudges on or off for this session."""
        self._require_active()
        return replace(self, nudges=wanted)

    def saw_message(self, message_id: int) -> Session:
        """Remember the newest thread message handled, for catch-up after downtime."""
        if self.last_message_id is not None and message_id <= self.last_message_id:
            return self
        return replace(self, last_message_id=message_id)
