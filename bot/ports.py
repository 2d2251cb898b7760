"""The ports the use cases talk through. Adapters: storage/, timers.py, ui/announcer.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.board import Comment, CommentDraft, Note, NoteDraft
from bot.domain.session import Session
from bot.domain.summary import SessionSummary, StepSummary


class Clock(Protocol):
    """Tells the time (UTC, aware). Tests use a fake one."""

    def now(self) -> datetime: ...


class ChannelBusyError(Exception):
    """A channel already has an active session; ``session`` is that one."""

    def __init__(self, session: Session) -> None:
        super().__init__(f"channel {session.channel_id} has session {session.id}")
        self.session = session


class Store(Protocol):
    """Sessions, notes and comments, persisted. Every write is committed on return."""

    async def create_session(self, session: Session) -> Session:
        """Insert and return it with its id; raise ChannelBusyError if the channel is taken."""
        ...

    async def get_session(self, session_id: int) -> Session | None: ...

    async def session_by_thread(self, thread_id: int) -> Session | None: ...

    async def active_session_in_channel(self, channel_id: int) -> Session | None: ...

    async def active_sessions(self) -> list[Session]: ...

    async def save_session(self, session: Session) -> Session | None:
        """Save if nobody saved since it was loaded (its version); else return None."""
        ...

    async def add_note(self, draft: NoteDraft) -> Note | None:
        """Insert; None when a note for the same message is already stored."""
        ...

    async def add_comment(self, draft: CommentDraft) -> Comment | None: ...

    async def note_id_for_message(self, message_id: int) -> int | None:
        """The note a message is, or the note a comment-message belongs to."""
        ...

    async def edit_by_message(self, message_id: int, text: str, at: datetime) -> bool:
        """Update the note or comment that came from a message; False if none."""
        ...

    async def delete_by_message(self, message_ids: list[int]) -> int:
        """Remove notes and comments that came from these messages; how many."""
        ...

    async def notes(self, session_id: int, step_index: int | None = None) -> list[Note]: ...

    async def comment_counts(self, session_id: int) -> dict[int, int]: ...

    async def mark_seen(self, session_id: int, message_id: int) -> None:
        """Remember the newest thread message handled (monotonic)."""
        ...


DueHandler = Callable[[int, int], Awaitable[None]]


class Timers(Protocol):
    """An alarm clock for step deadlines and reminders; the database owns the times."""

    def bind(self, on_step_due: DueHandler, on_reminder_due: DueHandler) -> None: ...

    def arm_step(self, session_id: int, step_index: int, at: datetime) -> None: ...

    def arm_reminder(self, session_id: int, step_index: int, at: datetime) -> None: ...

    def disarm(self, session_id: int) -> None: ...


@dataclass(frozen=True)
class ThreadRef:
    """The thread a session lives in, and the card message it hangs from."""

    thread_id: int
    card_message_id: int


class Announcer(Protocol):
    """Everything the bot says in a session thread."""

    async def open_thread(
        self, channel_id: int, topic: str, locale: str, facilitator_id: int
    ) -> ThreadRef: ...

    async def welcome(self, session: Session, retention_days: int) -> None: ...

    async def step_started(self, session: Session, again: bool) -> None: ...

    async def step_summary(self, session: Session, summary: StepSummary) -> None: ...

    async def reminder(self, session: Session) -> None: ...

    async def paused(self, session: Session) -> None: ...

    async def resumed(self, session: Session) -> None: ...

    async def extended(self, session: Session, added: timedelta) -> None: ...

    async def session_summary(self, session: Session, summary: SessionSummary) -> None: ...
