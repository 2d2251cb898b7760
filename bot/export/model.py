"""The board snapshot an export is made from: plain frozen data, no I/O.

A :class:`Board` holds everything a session left behind, already in the words of the
export's language and with authors already named (or pseudonymised), so every format
renders the same board and JSON can give it back whole (:func:`bot.export.board_from_json`).

In a step whose writers stay unnamed (the session's anonymity), a note has no author
(None), no times, and a number that is its place in the reveal order, not its id in the
database (see ``docs/exports.md``); the notes of a step whose private writing is still
going on are not on the board at all, only counted (``BoardStep.withheld``).

The same data also travels as a stream of events (:data:`BoardEvent`): the command line
writes huge boards page by page without ever holding a whole :class:`Board`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BoardComment:
    """A reply to a note (``author`` and times None when its writer stays unnamed)."""

    id: int
    author: str | None
    text: str
    created_at: datetime | None
    edited_at: datetime | None = None


@dataclass(frozen=True)
class NoteVotes:
    """What one vote round gave one note."""

    round_id: int
    votes: int
    voters: int


@dataclass(frozen=True)
class BoardNote:
    """A sticky note with everything hanging from it.

    ``author`` and ``created_at`` are None when the note's writer stays unnamed.
    """

    id: int
    step_index: int
    kind: str  # note, question or point_of_view
    author: str | None
    text: str
    created_at: datetime | None
    edited_at: datetime | None = None
    source: str = "message"
    attachments: tuple[str, ...] = ()
    theme_id: int | None = None
    comments: tuple[BoardComment, ...] = ()
    votes: tuple[NoteVotes, ...] = ()
    takers: tuple[str, ...] = ()

    @property
    def vote_total(self) -> int:
        """Votes over every round."""
        return sum(tally.votes for tally in self.votes)


@dataclass(frozen=True)
class RoundResult:
    """A voted note's place in a round (ties share a place)."""

    note_id: int
    place: int
    votes: int
    voters: int


@dataclass(frozen=True)
class BoardRound:
    """One dot-voting round; ``number`` counts the session's rounds from 1."""

    id: int
    number: int
    step_index: int
    target: str  # notes or questions
    budget: int
    per_note_cap: int
    status: str  # open or closed
    opened_at: datetime
    closed_at: datetime | None
    options: int
    voters: int
    results: tuple[RoundResult, ...] = ()  # notes with at least one vote, best first


@dataclass(frozen=True)
class BoardTheme:
    """A theme of a step and its notes."""

    id: int
    name: str
    keywords: tuple[str, ...] = ()
    notes: tuple[BoardNote, ...] = ()


@dataclass(frozen=True)
class BoardStep:
    """A step: what was asked, and what the group wrote, grouped by theme.

    ``other`` holds the notes in no theme of this step. ``names_shown`` False: the step's
    writers stay unnamed (its notes come in their reveal order, without names or times)
    and ``people`` says how many wrote. ``withheld``: notes left out because the step's
    private writing is still going on (they are on the board once revealed).
    """

    index: int
    kind: str
    name: str
    prompt: str
    duration_seconds: float
    rounds: tuple[BoardRound, ...] = ()
    themes: tuple[BoardTheme, ...] = ()
    other: tuple[BoardNote, ...] = ()
    names_shown: bool = True
    people: int | None = None
    withheld: int = 0

    @property
    def notes(self) -> tuple[BoardNote, ...]:
        """Every note of the step in board order: theme by theme, then the rest."""
        return tuple(note for _, note in self.placed_notes())

    def placed_notes(self) -> Iterator[tuple[BoardTheme | None, BoardNote]]:
        """Each note with its theme (None for the rest), in board order."""
        for theme in self.themes:
            for note in theme.notes:
                yield theme, note
        for note in self.other:
            yield None, note


@dataclass(frozen=True)
class ExportPart:
    """Which part of a split export a file is (numbered from 1)."""

    number: int
    total: int


@dataclass(frozen=True)
class Board:
    """A session's whole board as exported.

    ``pseudonyms``: authors are "Participant 1", "Participant 2"… by first appearance.
    ``timezone``: the IANA zone local times are shown in. ``chosen_notes``: the notes
    that won the last question vote (several on a tie). ``anonymity``: the session's
    choice (``off``, ``while_writing``, ``always``); each step says what it did there.
    """

    session_id: int
    guild_id: int
    topic: str
    locale: str
    template: str
    status: str
    created_at: datetime
    ended_at: datetime | None
    exported_at: datetime
    timezone: str
    pseudonyms: bool
    chosen_question: str | None = None
    chosen_notes: tuple[int, ...] = ()
    steps: tuple[BoardStep, ...] = ()
    part: ExportPart | None = None
    anonymity: str = "off"

    @property
    def notes(self) -> tuple[BoardNote, ...]:
        """Every note, step by step, in board order."""
        return tuple(note for step in self.steps for note in step.notes)


# -- the same board as a stream -------------------------------------------------------------


@dataclass(frozen=True)
class BoardOpened:
    """The board's header (its ``steps`` are empty)."""

    board: Board


@dataclass(frozen=True)
class StepOpened:
    """A step's header (its themes carry no notes, ``other`` is empty)."""

    step: BoardStep


@dataclass(frozen=True)
class GroupOpened:
    """The notes that follow belong to this theme (None: to no theme)."""

    theme: BoardTheme | None


@dataclass(frozen=True)
class GroupClosed:
    """The end of a theme's notes."""


@dataclass(frozen=True)
class StepClosed:
    """The end of a step."""


@dataclass(frozen=True)
class BoardClosed:
    """The end of the board."""


BoardEvent = (
    BoardOpened | StepOpened | GroupOpened | BoardNote | GroupClosed | StepClosed | BoardClosed
)
