"""What happened to a session. The domain returns these; the use cases announce them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StepStarted:
    """A step began: post its prompt and deadline. ``again`` when reached by going back."""

    step_index: int
    due_at: datetime
    again: bool = False


@dataclass(frozen=True)
class StepEnded:
    """A step's time is over (or the facilitator moved on): post its summary."""

    step_index: int


@dataclass(frozen=True)
class SessionPaused:
    """The clock stopped with ``remaining`` left on the current step."""

    remaining: timedelta


@dataclass(frozen=True)
class SessionResumed:
    """The clock runs again; the step is now due at ``due_at``."""

    due_at: datetime


@dataclass(frozen=True)
class StepExtended:
    """The current step got ``added`` more time."""

    added: timedelta
    due_at: datetime | None
    remaining: timedelta | None


@dataclass(frozen=True)
class ReminderDue:
    """Time is almost up on the current step."""

    step_index: int
    due_at: datetime


@dataclass(frozen=True)
class VotingOpened:
    """The step's writing is over; a dot-voting round runs until ``due_at``."""

    step_index: int
    due_at: datetime


@dataclass(frozen=True)
class SessionEnded:
    """The session is over: post the session summary."""

    ended_at: datetime


SessionEvent = (
    StepStarted
    | StepEnded
    | SessionPaused
    | SessionResumed
    | StepExtended
    | ReminderDue
    | VotingOpened
    | SessionEnded
)
