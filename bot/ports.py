"""The ports the use cases talk through. Adapters: storage/, timers.py, ui/announcer.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.board import Comment, CommentDraft, Note, NoteDraft
from bot.domain.canvas import Canvas
from bot.domain.private_writing import PrivateProgress
from bot.domain.recap import DailyRecap
from bot.domain.session import Session
from bot.domain.summary import RankedNote, SessionSummary, StepSummary, ThemeGroup
from bot.domain.themes import Theme, ThemePlan
from bot.domain.voting import VoteRound


class Clock(Protocol):
    """Tells the time (UTC, aware). Tests use a fake one."""

    def now(self) -> datetime: ...


class ChannelBusyError(Exception):
    """A channel already has an active session; ``session`` is that one."""

    def __init__(self, session: Session) -> None:
        super().__init__(f"channel {session.channel_id} has session {session.id}")
        self.session = session


class PostRefusedError(Exception):
    """Discord refused a post or a thread for lack of permissions.

    ``missing`` names the permissions (:data:`bot.permissions.PERMISSION_REASONS` names),
    ``channel_id`` is the channel whose settings grant them (a thread's parent).
    """

    def __init__(self, missing: tuple[str, ...], channel_id: int) -> None:
        super().__init__(f"missing {', '.join(missing)} in channel {channel_id}")
        self.missing = missing
        self.channel_id = channel_id


class DiscordUnavailableError(Exception):
    """Discord could not take a post now (server errors, a rate-limit storm, the network);
    nothing says it never will, so the post is worth another try later."""


class Store(Protocol):
    """Sessions, notes and comments, persisted. Every write is committed on return."""

    async def create_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session:
        """Insert and return it with its id, committing ``owed`` (encoded events) with it;
        raise ChannelBusyError if the channel is taken."""
        ...

    async def get_session(self, session_id: int) -> Session | None: ...

    async def session_by_thread(self, thread_id: int) -> Session | None: ...

    async def active_session_in_channel(self, channel_id: int) -> Session | None: ...

    async def active_sessions(self) -> list[Session]: ...

    async def save_session(
        self, session: Session, owed: list[dict[str, object]] | None = None
    ) -> Session | None:
        """Save if nobody saved since it was loaded (its version); else return None.

        ``owed`` (encoded events) is committed with it and kept until ``announced``.
        """
        ...

    async def owed_announcements(
        self, session_id: int
    ) -> list[tuple[int, list[dict[str, object]]]]: ...

    async def announced_one(self, session_id: int) -> None:
        """The oldest owed announcement was posted (progress, event by event)."""
        ...

    async def announced(self, session_id: int) -> None: ...

    async def add_note(self, draft: NoteDraft) -> Note | None:
        """Insert; None when a note for the same message is already stored."""
        ...

    async def add_comment(self, draft: CommentDraft) -> Comment | None: ...

    async def set_lane(self, note_id: int, lane: str | None, column: str | None) -> bool:
        """Put a note in a canvas lane (and column); False if there is no such note."""
        ...

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

    async def note(self, note_id: int) -> Note | None: ...

    async def step_counts(self, session_id: int, step_index: int) -> tuple[int, int]:
        """(notes, people) of one step."""
        ...

    async def comment_counts(self, session_id: int) -> dict[int, int]: ...

    async def mark_seen(self, session_id: int, message_id: int) -> None:
        """Remember the newest thread message handled (monotonic)."""
        ...

    # -- dot voting --

    async def open_round(self, draft: VoteRound) -> VoteRound: ...

    async def get_round(self, round_id: int) -> VoteRound | None: ...

    async def open_round_of(self, session_id: int) -> VoteRound | None: ...

    async def rounds_of(self, session_id: int) -> list[VoteRound]: ...

    async def set_round_message(self, round_id: int, message_id: int) -> None: ...

    async def allocation(self, round_id: int, voter_id: int) -> dict[int, int]: ...

    async def cast_vote(self, round_id: int, voter_id: int, note_id: int) -> dict[int, int]:
        """Check the round's rules and add one vote atomically (BallotError if refused)."""
        ...

    async def clear_votes(self, round_id: int, voter_id: int) -> None: ...

    async def voter_count(self, round_id: int) -> int: ...

    async def round_votes(self, round_id: int) -> list[tuple[int, int, int]]: ...

    async def close_round(self, round_id: int, at: datetime) -> VoteRound | None: ...

    # -- themes --

    async def themes(self, session_id: int, step_index: int) -> list[Theme]: ...

    async def save_theme_run(
        self, session_id: int, step_index: int, plans: Sequence[ThemePlan], at: datetime
    ) -> list[Theme]: ...

    async def rename_theme(self, theme_id: int, name: str) -> bool: ...

    async def move_note(self, note_id: int, theme_id: int) -> bool: ...

    async def merge_themes(self, source_id: int, target_id: int) -> bool: ...

    async def add_taker(self, note_id: int, user_id: int, user_name: str, at: datetime) -> bool: ...

    async def takers(self, note_ids: Sequence[int]) -> dict[int, list[str]]: ...

    # -- private writing --

    async def mark_done(self, session_id: int, step_index: int, user_id: int, at: datetime) -> bool:
        """Record that someone is done writing in a step; False if they had said so."""
        ...

    async def done_in_step(self, session_id: int, step_index: int) -> set[int]: ...

    async def session_writers(self, session_id: int) -> set[int]:
        """Everyone who has a note in the session, in any step."""
        ...


class ThemeFinder(Protocol):
    """Groups notes into themes (the text work runs off the event loop)."""

    async def plan(self, notes: Sequence[Note], kept: Sequence[Theme]) -> list[ThemePlan]:
        """New themes for ``notes``; notes close to a ``kept`` theme join it."""
        ...

    def note_added(self, note: Note) -> None:
        """A note was stored: prepare it (e.g. embed it in the background)."""
        ...


DueHandler = Callable[[int, int], Awaitable[None]]


class Timers(Protocol):
    """An alarm clock for step deadlines and reminders; the database owns the times."""

    def bind(
        self,
        on_step_due: DueHandler,
        on_reminder_due: DueHandler,
        on_nudge_due: DueHandler | None = None,
    ) -> None: ...

    def arm_step(self, session_id: int, step_index: int, at: datetime) -> None: ...

    def arm_reminder(self, session_id: int, step_index: int, at: datetime) -> None: ...

    def arm_nudge(self, session_id: int, step_index: int, at: datetime) -> None: ...

    def disarm(self, session_id: int) -> None: ...

    def arm_call(self, job_id: str, at: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        """Call ``callback`` at ``at`` (a job with the same id is replaced)."""
        ...


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

    async def themes(
        self, session: Session, step_index: int, groups: Sequence[ThemeGroup], other: int
    ) -> None:
        """The themes found in a step's notes, with a prompt to write questions per theme."""
        ...

    async def vote_opened(self, session: Session, vote: VoteRound) -> int:
        """Post the vote button; return the post's message id."""
        ...

    async def voters_changed(self, session: Session, vote: VoteRound, voters: int) -> None:
        """Show how many people have voted so far (never who voted for what)."""
        ...

    async def vote_results(
        self, session: Session, vote: VoteRound, ranking: Sequence[RankedNote], voters: int
    ) -> None:
        """Reveal the ranking (ties share a place) once the round has closed."""
        ...

    async def daily_recap(
        self,
        session: Session,
        recap: DailyRecap,
        board: StepSummary | None,
        channel_id: int | None,
    ) -> None:
        """The end-of-day recap (or morning digest), with the board picture when the board
        changed; in ``channel_id`` instead of the thread when one is configured."""
        ...

    async def nudge(self, session: Session, user_id: int) -> bool:
        """A private, friendly nudge to write along; False when it could not be sent."""
        ...

    async def private_progress(self, session: Session, progress: PrivateProgress) -> None:
        """Show how a private step is going (notes, writers, who is done; never contents)
        on its counter post, at most every few seconds."""
        ...

    async def coaching(self, session: Session, canvas: Canvas | None) -> None:
        """The facilitator's private hint card for the step that just started: what it is
        for, what to watch for, a typical timebox, a question for when it goes quiet."""
        ...

    async def post_refused(self, session: Session, error: PostRefusedError) -> None:
        """Tell the facilitator, privately, which permission keeps the bot from posting
        in the session's thread and how to grant it."""
        ...
