"""What an export reads, as plain records, and the port it reads them through.

``bot/storage/export_reader.py`` implements :class:`BoardSource` on SQLite; the builder
(:mod:`bot.export.build`) only knows this protocol, so it stays free of I/O libraries.
Records still carry real names and user ids: pseudonyms are applied while building.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StepRecord:
    """A step as the session planned it (``private``: people write alone in it)."""

    kind: str
    seconds: float
    private: bool = False


@dataclass(frozen=True)
class SessionRecord:
    """A session's header, with what decides whose names an export may show.

    ``anonymity`` is ``off``, ``while_writing`` or ``always``; ``step_index`` and
    ``phase`` say where the session stands. The three questions below answer exactly as
    :class:`bot.domain.session.Session` does (a test holds them to it).
    """

    id: int
    guild_id: int
    channel_id: int
    thread_id: int
    topic: str
    locale: str
    template: str
    status: str
    created_at: datetime
    ended_at: datetime | None
    chosen_question: str | None
    steps: tuple[StepRecord, ...]
    anonymity: str = "off"
    reveal_salt: str = ""
    step_index: int = 0
    phase: str = "writing"

    def is_private(self, step_index: int) -> bool:
        """Whether people wrote alone in this step."""
        return self.steps[step_index].private or self.anonymity == "always"

    def shows_names(self, step_index: int) -> bool:
        """Whether an export may name the writers of this step."""
        if self.anonymity == "always":
            return False
        if self.anonymity == "while_writing":
            return not self.is_private(step_index)
        return True

    def hidden(self, step_index: int) -> bool:
        """Whether this step's private writing is going on now (its notes unrevealed)."""
        return (
            self.status != "ended"
            and self.phase == "writing"
            and step_index == self.step_index
            and self.is_private(step_index)
        )


@dataclass(frozen=True)
class SessionListing:
    """One line of ``cocreate sessions``."""

    id: int
    guild_id: int
    topic: str
    status: str
    created_at: datetime
    notes: int


@dataclass(frozen=True)
class ThemeRecord:
    """A theme of a step, in board order."""

    id: int
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class TallyRecord:
    """Votes one note got in one round."""

    round_id: int
    note_id: int
    votes: int
    voters: int


@dataclass(frozen=True)
class RoundRecord:
    """A vote round with the tallies of the notes that got votes."""

    id: int
    step_index: int
    target: str
    budget: int
    per_note_cap: int
    status: str
    opened_at: datetime
    closed_at: datetime | None
    options: int
    voters: int
    tallies: tuple[TallyRecord, ...]


@dataclass(frozen=True)
class CommentRecord:
    """A stored comment."""

    id: int
    author_id: int
    author_name: str
    text: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True)
class TakerRecord:
    """Someone who takes an idea further."""

    user_id: int
    user_name: str


@dataclass(frozen=True)
class NoteRecord:
    """A stored note with its comments, tallies and takers."""

    id: int
    step_index: int
    kind: str
    author_id: int
    author_name: str
    text: str
    created_at: datetime
    edited_at: datetime | None
    source: str
    attachments: tuple[str, ...]
    theme_id: int | None
    comments: tuple[CommentRecord, ...]
    tallies: tuple[TallyRecord, ...]
    takers: tuple[TakerRecord, ...]


class BoardSource(Protocol):
    """Read-only access to one database's boards."""

    async def themes(self, session_id: int, step_index: int) -> list[ThemeRecord]:
        """A step's themes in board order."""
        ...

    async def rounds(self, session_id: int) -> list[RoundRecord]:
        """The session's vote rounds, oldest first."""
        ...

    def note_pages(
        self, session_id: int, step_index: int, theme_id: int | None
    ) -> AsyncIterator[list[NoteRecord]]:
        """A step's notes in one theme (None: in no theme of the step), oldest first,
        a page at a time."""
        ...

    async def step_writers(self, session_id: int, step_index: int) -> list[tuple[int, int]]:
        """(note id, author id) of every note of a step: what an anonymous step's order,
        numbers and counts are made from (ids only, never a text)."""
        ...
