"""What happened to a session. The domain returns these; the use cases announce them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionOpened:
    """A new session's thread is open: post the welcome (what is stored, and for how long:
    ``retention_days``, the server's when the session started)."""

    retention_days: int


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
    SessionOpened
    | StepStarted
    | StepEnded
    | SessionPaused
    | SessionResumed
    | StepExtended
    | ReminderDue
    | VotingOpened
    | SessionEnded
)


_EVENT_TYPES: dict[str, type[SessionEvent]] = {
    cls.__name__: cls
    for cls in (
        SessionOpened,
        StepStarted,
        StepEnded,
        SessionPaused,
        SessionResumed,
        StepExtended,
        ReminderDue,
        VotingOpened,
        SessionEnded,
    )
}


def encode_events(events: list[SessionEvent]) -> list[dict[str, object]]:
    """Events as plain data (times as ISO text, spans as seconds) for the outbox."""
    encoded: list[dict[str, object]] = []
    for event in events:
        data: dict[str, object] = {"type": type(event).__name__}
        for name, value in vars(event).items():
            if isinstance(value, datetime):
                data[name] = {"at": value.isoformat()}
            elif isinstance(value, timedelta):
                data[name] = {"seconds": value.total_seconds()}
            else:
                data[name] = value
        encoded.append(data)
    return encoded


def decode_events(encoded: list[dict[str, object]]) -> list[SessionEvent]:
    """The inverse of :func:`encode_events`."""
    events: list[SessionEvent] = []
    for data in encoded:
        fields = dict(data)
        cls = _EVENT_TYPES[str(fields.pop("type"))]
        for name, value in list(fields.items()):
            if isinstance(value, dict) and "at" in value:
                fields[name] = datetime.fromisoformat(str(value["at"]))
            elif isinstance(value, dict) and "seconds" in value:
                fields[name] = timedelta(seconds=float(value["seconds"]))
        events.append(cls(**fields))  # type: ignore[arg-type]
    return events
