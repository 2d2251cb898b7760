"""CSV: one row per note, for spreadsheets.

Written with the csv module, UTF-8 with a byte-order mark (so spreadsheet programs pick
the right encoding; read it with ``encoding="utf-8-sig"``). No cell can start a formula.
"""

from __future__ import annotations

import csv

from bot.export.model import Board, BoardNote
from bot.export.text import csv_cell, local_iso, utc_iso
from bot.export.writer import BoardWriter, TextSink
from bot.i18n import Catalog

BYTE_ORDER_MARK = "\ufeff"

# The columns in order, by the key of their heading in export.toml.
COLUMN_KEYS = (
    "export.csv.step",
    "export.csv.step_name",
    "export.csv.step_kind",
    "export.csv.theme",
    "export.csv.note_id",
    "export.csv.kind",
    "export.csv.text",
    "export.csv.author",
    "export.csv.time_utc",
    "export.csv.time_local",
    "export.csv.edited_utc",
    "export.csv.votes",
    "export.csv.votes_per_round",
    "export.csv.comments",
    "export.csv.takers",
    "export.csv.attachments",
    "export.csv.chosen",
)


class CsvWriter(BoardWriter):
    """A heading row, then one row per note as the notes arrive."""

    def __init__(self, out: TextSink, catalog: Catalog) -> None:
        super().__init__(out, catalog)
        self._csv = csv.writer(out)

    def columns(self, board: Board) -> list[str]:
        """The column headings in the export's language."""
        return [self.words(key, timezone=board.timezone) for key in COLUMN_KEYS]

    def on_board(self, board: Board) -> None:
        """The byte-order mark and the heading row."""
        self.out.write(BYTE_ORDER_MARK)
        self._csv.writerow([csv_cell(column) for column in self.columns(board)])
        self._chosen = set(board.chosen_notes)

    def on_note(self, note: BoardNote) -> None:
        """One row."""
        step = self.step
        per_round = "; ".join(
            f"{self.round_number(v.round_id)}: {v.votes}" for v in note.votes if v.votes
        )
        row = [
            step.index + 1,
            step.name,
            step.kind,
            "" if self.theme is None else self.theme.name,
            note.id,
            self.kind_word(note.kind),
            note.text,
            note.author or "",  # nobody named in a nameless step
            "" if note.created_at is None else utc_iso(note.created_at),
            "" if note.created_at is None else local_iso(note.created_at, self.board.timezone),
            "" if note.edited_at is None else utc_iso(note.edited_at),
            note.vote_total,
            per_round,
            len(note.comments),
            "; ".join(note.takers),
            " ".join(note.attachments),
            self.words("export.csv.yes") if note.id in self._chosen else "",
        ]
        self._csv.writerow([csv_cell(value) for value in row])
