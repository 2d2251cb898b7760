"""The session state machine: steps, deadlines, pause, reminders. Pure; no I/O.

Every transition returns the events it caused, or raises :class:`SessionRuleError` with a
:class:`Refusal` the edge turns into a friendly sentence. Time is passed in, never read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

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


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


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
            due_at=now + steps[0].duration,
            remaining=None,
            reminder_before=reminder_before,
            reminded_step=-1,
            created_at=now,
        )
        assert session.due_at is not None
        return session, [StepStarted(0, session.due_at)]

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

    def time_left(self, now: datetime) -> timedelta:
        """What is left on the current step (zero when overdue or ended)."""
        if self.status is SessionStatus.PAUSED and self.remaining is not None:
            return self.remaining
        if self.status is SessionStatus.RUNNING and self.due_at is not None:
            return max(self.due_at - now, timedelta(0))
        return timedelta(0)

    def reminder_at(self) -> datetime | None:
        """When to post the "almost up" reminder for the current step, if at all.

        Only for running steps planned at least twice as long as the lead time (a
        reminder halfway through a short step helps nobody), and only once per step.
        """
        if (
            self.status is not SessionStatus.RUNNING
            or self.phase is Phase.VOTING
            or self.due_at is None
            or self.reminder_before <= timedelta(0)
            or self.reminded_step == self.step_index
            or self.current_step.duration < 2 * self.reminder_before
        ):
            return None
        return self.due_at - self.reminder_before

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
        due_at = now + self.steps[following].duration
        moved = replace(
            self,
            step_index=following,
            status=SessionStatus.RUNNING,
            step_started_at=now,
            due_at=due_at,
            remaining=None,
            phase=Phase.WRITING,
        )
        return moved, [StepEnded(self.step_index), StepStarted(following, due_at)]

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

    def go_back(self, now: datetime) -> tuple[Session, list[SessionEvent]]:
        """Return to the previous step with its full planned time."""
        self._require_active()
        if self.step_index == 0:
            raise SessionRuleError(Refusal.FIRST_STEP)
        previous = self.step_index - 1
        due_at = now + self.steps[previous].duration
        moved = replace(
            self,
            step_index=previous,
            status=SessionStatus.RUNNING,
            step_started_at=now,
            due_at=due_at,
            remaining=None,
            # Going back re-opens the step; it may be reminded again.
            reminded_step=-1,
            phase=Phase.WRITING,
        )
        return moved, [StepStarted(previous, due_at, again=True)]

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
        """Post the "almost up" reminder once per step; stale or repeated calls refuse."""
        self._require_active()
        self._require_step(expected_step)
        if self.status is not SessionStatus.RUNNING or self.due_at is None:
            raise SessionRuleError(Refusal.PAUSED)
        if self.reminded_step == self.step_index or now >= self.due_at:
            # Once per step, and never after the deadline (e.g. both due after downtime).
            raise SessionRuleError(Refusal.STALE)
        if self.phase is Phase.VOTING:
            # A writing reminder in flight when the vote opened (reminder_at plans none).
            raise SessionRuleError(Refusal.STALE)
        reminded = replace(self, reminded_step=self.step_index)
        return reminded, [ReminderDue(self.step_index, self.due_at)]

    def saw_message(self, message_id: int) -> Session:
        """Remember the newest thread message handled, for catch-up after downtime."""
        if self.last_message_id is not None and message_id <= self.last_message_id:
            return self
        return replace(self, last_message_id=message_id)
