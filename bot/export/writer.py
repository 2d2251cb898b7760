"""The base of every format: follow the event stream and keep what a section needs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.export.model import (
    Board,
    BoardClosed,
    BoardEvent,
    BoardNote,
    BoardOpened,
    BoardRound,
    BoardStep,
    BoardTheme,
    GroupClosed,
    GroupOpened,
    StepClosed,
    StepOpened,
)
from bot.export.text import Words, local_time
from bot.i18n import Catalog

# Keys of the words for values stored as codes (a dict of literal keys, so the prompts
# test can check each one exists).
STATUS_KEYS = {
    "running": "export.status.running",
    "paused": "export.status.paused",
    "ended": "export.status.ended",
}
KIND_KEYS = {
    "note": "export.note_kind.note",
    "question": "export.note_kind.question",
    "point_of_view": "export.note_kind.point_of_view",
}
TARGET_KEYS = {
    "notes": "export.round.target_notes",
    "questions": "export.round.target_questions",
}


class TextSink(Protocol):
    """Where a writer writes: an open text file, a StringIO, a byte counter."""

    def write(self, text: str, /) -> int:
        """Write ``text``; how many characters were taken."""
        ...


class BoardWriter:
    """Writes one format to a text stream as events arrive.

    Subclasses override the ``on_*`` hooks; this class keeps the current board, step and
    theme, counts per step, and the texts of voted notes (for the results, which follow a
    step's notes). Memory stays bounded by the number of people and voted notes.
    """

    def __init__(self, out: TextSink, catalog: Catalog) -> None:
        self.out = out
        self.catalog = catalog
        self.words = Words(catalog, catalog.default)
        self._board: Board | None = None
        self._step: BoardStep | None = None
        self.theme: BoardTheme | None = None
        self.step_notes = 0
        self.step_comments = 0
        self.step_authors: set[str] = set()
        self.voted_texts: dict[int, str] = {}
        self._voted: set[int] = set()

    @property
    def board(self) -> Board:
        """The board being written (its header)."""
        assert self._board is not None, "no BoardOpened yet"
        return self._board

    @property
    def step(self) -> BoardStep:
        """The step being written (its header)."""
        assert self._step is not None, "no StepOpened yet"
        return self._step

    def round_number(self, round_id: int) -> int:
        """The session-wide number of a round of the current step."""
        for vote_round in self.step.rounds:
            if vote_round.id == round_id:
                return vote_round.number
        return 0

    def status_word(self, status: str) -> str:
        """running / paused / ended in words."""
        key = STATUS_KEYS.get(status)
        return self.words(key) if key else status

    def kind_word(self, kind: str) -> str:
        """note / question / point of view in words."""
        key = KIND_KEYS.get(kind)
        return self.words(key) if key else kind

    def target_word(self, vote_round: BoardRound) -> str:
        """What a round voted on, in words."""
        key = TARGET_KEYS.get(vote_round.target)
        return self.words(key) if key else vote_round.target

    def local(self, moment: datetime) -> str:
        """A time as people read it, in the board's timezone."""
        return local_time(moment, self.board.timezone)

    @property
    def step_people(self) -> int:
        """How many people wrote the current step's notes (a nameless step says so
        itself: its notes carry no names to count)."""
        step = self.step
        return step.people if step.people is not None else len(self.step_authors)

    def step_privacy(self) -> list[str]:
        """What anonymity did to the current step, in sentences (none for a plain step):
        notes left out while their private writing goes on, or notes without names."""
        step, w = self.step, self.words
        lines = []
        if step.withheld:
            lines.append(
                w("export.step.withheld", notes=w.plural("common.count.note", step.withheld))
            )
        elif not step.names_shown and step.people != 0:  # said once there are notes
            lines.append(w("export.step.nameless"))
        return lines

    def names_fact(self, board: Board) -> str:
        """Whose names the export shows, for the header."""
        w = self.words
        names = w("export.names.pseudonyms" if board.pseudonyms else "export.names.real")
        if board.anonymity == "always":
            return w("export.names.always")
        if board.anonymity == "while_writing":
            return names + " " + w("export.names.while_writing")
        return names

    def round_facts(self, vote_round: BoardRound) -> str:
        """What a round was about and how it went, in one line (no user text in it)."""
        w = self.words
        when = (
            w("export.round.closed", time=self.local(vote_round.closed_at))
            if vote_round.closed_at is not None
            else w("export.round.open")
        )
        return w(
            "export.round.facts",
            target=self.target_word(vote_round),
            options=vote_round.options,
            people=w.plural("common.count.person", vote_round.voters),
            budget=w.plural("common.count.dot", vote_round.budget),
            cap=vote_round.per_note_cap,
            when=when,
        )

    def feed(self, event: BoardEvent) -> None:
        """Write what this event adds."""
        match event:
            case BoardOpened(board=board):
                self._board = board
                self.words = Words(self.catalog, board.locale)
                self.on_board(board)
            case StepOpened(step=step):
                self._step = step
                self.step_notes, self.step_comments = 0, 0
                self.step_authors = set()
                self._voted = {r.note_id for v in step.rounds for r in v.results}
                self.voted_texts = {}
                self.on_step(step)
            case GroupOpened(theme=theme):
                self.theme = theme
                self.on_group(theme)
            case BoardNote():
                self.step_notes += 1
                self.step_comments += len(event.comments)
                if event.author is not None:
                    self.step_authors.add(event.author)
                if event.id in self._voted:
                    self.voted_texts[event.id] = event.text
                self.on_note(event)
            case GroupClosed():
                self.on_group_closed()
                self.theme = None
            case StepClosed():
                self.on_step_closed()
                self._step = None
            case BoardClosed():
                self.on_board_closed()

    def on_board(self, board: Board) -> None:
        """The header."""

    def on_step(self, step: BoardStep) -> None:
        """A step begins."""

    def on_group(self, theme: BoardTheme | None) -> None:
        """A theme (None: the notes in no theme) begins."""

    def on_note(self, note: BoardNote) -> None:
        """A note."""

    def on_group_closed(self) -> None:
        """A theme ends."""

    def on_step_closed(self) -> None:
        """A step ends."""

    def on_board_closed(self) -> None:
        """The board ends."""
