"""Exports that must fit a size limit per file (Discord attachments): numbered parts.

A board that fits is one file. Otherwise each step becomes a part of its own, and a step
that is still too big is cut into consecutive ranges of its notes. Every part is a
complete document of its format (a JSON part reads back as a board holding that part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.export.build import events_of
from bot.export.model import (
    Board,
    BoardNote,
    BoardStep,
    ExportPart,
    GroupClosed,
    GroupOpened,
)
from bot.export.render import ExportFormat, render_board, writer_for
from bot.export.text import Words
from bot.i18n import Catalog

MIB = 1024 * 1024
# Discord's default is 10 MiB a file; stay well under it.
EXPORT_FILE_LIMIT = 8 * MIB
# Discord takes at most this many files in one message.
FILES_PER_MESSAGE = 10
# Discord's default upload limit, which bounds a message's files together as well.
MESSAGE_UPLOAD_LIMIT = 10 * MIB
# Part labels are measured at their longest, so numbering a part never makes it bigger.
_PROBE = ExportPart(999_999, 999_999)


@dataclass(frozen=True)
class ExportFile:
    """One file to hand over: its name and its bytes."""

    name: str
    data: bytes


class _Meter:
    """A text sink that only counts the UTF-8 bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text.encode("utf-8"))
        return len(text)


def _size(board: Board, export_format: ExportFormat, catalog: Catalog) -> int:
    meter = _Meter()
    writer = writer_for(export_format, meter, catalog)
    for event in events_of(board):
        writer.feed(event)
    return meter.size


def _with_notes(board: Board, step: BoardStep, notes: Sequence[BoardNote]) -> Board:
    """The board with only ``step``, holding only ``notes`` (and the themes they are in)."""
    wanted = {note.id for note in notes}
    themes = []
    for theme in step.themes:
        kept = tuple(note for note in theme.notes if note.id in wanted)
        if kept:
            themes.append(replace(theme, notes=kept))
    other = tuple(note for note in step.other if note.id in wanted)
    return replace(board, steps=(replace(step, themes=tuple(themes), other=other),))


def _costs(
    board: Board, export_format: ExportFormat, catalog: Catalog
) -> tuple[int, int, list[int]]:
    """Measure a one-step board in one pass: (bytes around the notes, the largest theme
    frame, bytes per note). A note's cost includes its theme's opening when it is the
    theme's first note and the closing when it is the last; a "frame" is a theme's
    opening plus closing, which a range starting or ending inside the theme repeats."""
    meter = _Meter()
    writer = writer_for(export_format, meter, catalog)
    overhead = 0
    frame = 0
    opening = 0
    costs: list[int] = []
    first_in_group = False
    group_notes = 0
    for event in events_of(board):
        before = meter.size
        writer.feed(event)
        spent = meter.size - before
        if isinstance(event, BoardNote):
            costs.append(spent + (opening if first_in_group else 0))
            first_in_group = False
            group_notes += 1
        elif isinstance(event, GroupOpened):
            opening, first_in_group, group_notes = spent, True, 0
        elif isinstance(event, GroupClosed):
            frame = max(frame, opening + spent)
            if group_notes:
                costs[-1] += spent
            else:
                overhead += opening + spent  # an empty theme; range parts leave it out
        else:
            overhead += spent
    return overhead, frame, costs


def _ranges(
    board: Board, step: BoardStep, export_format: ExportFormat, catalog: Catalog, limit: int
) -> list[Board]:
    """A too-big step as consecutive ranges of its notes, each under ``limit`` if it can
    be (a part always holds at least one note)."""
    notes = list(step.notes)
    overhead, frame, costs = _costs(replace(board, steps=(step,)), export_format, catalog)
    budget = limit - overhead - frame
    ranges: list[list[BoardNote]] = []
    current: list[BoardNote] = []
    used = 0
    for note, cost in zip(notes, costs, strict=True):
        if current and used + cost > budget:
            ranges.append(current)
            current, used = [], 0
        current.append(note)
        used += cost
    if current:
        ranges.append(current)
    parts: list[Board] = []
    for chunk in ranges:
        parts.extend(_fitted(board, step, chunk, export_format, catalog, limit))
    return parts


def _fitted(
    board: Board,
    step: BoardStep,
    notes: list[BoardNote],
    export_format: ExportFormat,
    catalog: Catalog,
    limit: int,
) -> list[Board]:
    """Check a range by rendering it; halve it while it is still too big."""
    part = _with_notes(board, step, notes)
    if len(notes) <= 1 or _size(part, export_format, catalog) <= limit:
        return [part]
    middle = len(notes) // 2
    return _fitted(board, step, notes[:middle], export_format, catalog, limit) + _fitted(
        board, step, notes[middle:], export_format, catalog, limit
    )


def file_name(board: Board, export_format: ExportFormat, catalog: Catalog) -> str:
    """``bord-sessie-12.html``, or ``bord-sessie-12-deel-02-van-05.html`` for a part."""
    words = Words(catalog, board.locale)
    name = words("export.file_name", session=board.session_id)
    if board.part is not None:
        width = len(str(board.part.total))
        name += words(
            "export.part_suffix",
            number=str(board.part.number).zfill(width),
            total=board.part.total,
        )
    return f"{name}.{export_format.extension}"


def split_board(
    board: Board, export_format: ExportFormat, catalog: Catalog, limit: int = EXPORT_FILE_LIMIT
) -> list[Board]:
    """The parts of a board too big for one file of ``limit`` bytes: a step each, and
    ranges of notes for a step still too big (part numbers are set by the caller)."""
    pieces: list[Board] = []
    for step in board.steps:
        single = replace(board, steps=(step,), part=_PROBE)
        if _size(single, export_format, catalog) <= limit:
            pieces.append(single)
        else:
            pieces.extend(_ranges(single, step, export_format, catalog, limit))
    return pieces


def split_export(
    board: Board, export_format: ExportFormat, catalog: Catalog, limit: int = EXPORT_FILE_LIMIT
) -> list[ExportFile]:
    """The export of ``board`` as files of at most ``limit`` bytes each: one file when it
    fits, else numbered parts (by step, then by ranges of notes)."""
    whole = render_board(board, export_format, catalog)
    if len(whole) <= limit:
        return [ExportFile(file_name(board, export_format, catalog), whole)]
    pieces = split_board(board, export_format, catalog, limit)
    files = []
    for number, piece in enumerate(pieces, start=1):
        numbered = replace(piece, part=ExportPart(number, len(pieces)))
        data = render_board(numbered, export_format, catalog)
        files.append(ExportFile(file_name(numbered, export_format, catalog), data))
    return files


def message_batches(
    files: Sequence[ExportFile],
    max_files: int = FILES_PER_MESSAGE,
    max_bytes: int = MESSAGE_UPLOAD_LIMIT,
) -> list[list[ExportFile]]:
    """Files grouped into messages, in order: at most ``max_files`` a message, and
    together at most ``max_bytes`` (Discord limits the whole upload, not only each
    file); a file larger than that on its own still gets a message of its own."""
    batches: list[list[ExportFile]] = []
    current: list[ExportFile] = []
    size = 0
    for file in files:
        if current and (len(current) >= max_files or size + len(file.data) > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(file)
        size += len(file.data)
    if current:
        batches.append(current)
    return batches
