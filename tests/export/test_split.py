"""Exports larger than a file may be (Discord's attachment limit) come in numbered parts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from bot.export import (
    EXPORT_FILE_LIMIT,
    Board,
    ExportFile,
    ExportFormat,
    board_from_json,
    build_board,
    message_batches,
    render_board,
    split_export,
)
from bot.i18n import catalog
from bot.storage.export_reader import ExportReader
from tests.export.conftest import BoardFacts, options
from tests.export.test_formats import parsed

SENTENCES = catalog()


async def board_of(reader: ExportReader, facts: BoardFacts) -> Board:
    session = await reader.session(facts.session_id)
    assert session is not None
    return await build_board(reader, session, SENTENCES, options())


def notes_in_part(data: bytes, export_format: ExportFormat) -> list[int]:
    """The note ids a part holds, read back the way a person's program would."""
    if export_format is ExportFormat.JSON:
        return [note.id for note in board_from_json(data.decode("utf-8")).notes]
    if export_format is ExportFormat.CSV:
        rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        return [int(row["Notitie-id"]) for row in rows]
    text = data.decode("utf-8")
    if export_format is ExportFormat.HTML:
        parsed(data)
        return [int(n) for n in _ids(text, 'id="note-', '"')]
    return [int(n) for n in _ids(text, "- **#", "**")]


def _ids(text: str, start: str, end: str) -> list[str]:
    found = []
    at = text.find(start)
    while at >= 0:
        close = text.index(end, at + len(start))
        found.append(text[at + len(start) : close])
        at = text.find(start, close)
    return found


@pytest.mark.parametrize("export_format", list(ExportFormat))
async def test_a_board_that_fits_is_one_file(
    reader: ExportReader, board_db: BoardFacts, export_format: ExportFormat
) -> None:
    board = await board_of(reader, board_db)
    (single,) = split_export(board, export_format, SENTENCES)
    assert single.name == f"bord-sessie-{board.session_id}.{export_format.extension}"
    assert single.data == render_board(board, export_format, SENTENCES)
    assert len(single.data) < EXPORT_FILE_LIMIT


@pytest.mark.parametrize("export_format", list(ExportFormat))
async def test_a_board_too_large_for_one_file_is_split_by_step_then_by_notes(
    reader: ExportReader, board_db: BoardFacts, export_format: ExportFormat
) -> None:
    board = await board_of(reader, board_db)
    whole = len(render_board(board, export_format, SENTENCES))
    steps = [
        len(render_board(replace(board, steps=(s,)), export_format, SENTENCES)) for s in board.steps
    ]

    # Just too small for the whole board, large enough for every step: a part per step.
    per_step = max(steps) + 200
    assert per_step < whole
    files = split_export(board, export_format, SENTENCES, limit=per_step)
    assert len(files) == len(board.steps)
    assert all(len(f.data) <= per_step for f in files)

    # Smaller than the biggest step (empathise): that step is cut into ranges of notes.
    empty_step = min(steps)
    limit = empty_step + (max(steps) - empty_step) // 2
    files = split_export(board, export_format, SENTENCES, limit=limit)
    assert len(files) > len(board.steps)
    for file in files:
        assert len(file.data) <= limit, (file.name, len(file.data), limit)
    total = len(files)
    width = len(str(total))
    assert [f.name for f in files] == [
        f"bord-sessie-{board.session_id}-deel-{str(n).zfill(width)}-van-{total}"
        f".{export_format.extension}"
        for n in range(1, total + 1)
    ]
    # Together the parts hold every note once, in board order.
    ids = [note_id for f in files for note_id in notes_in_part(f.data, export_format)]
    assert ids == [note.id for note in board.notes]


async def test_json_parts_say_which_part_they_are(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    files = split_export(board, ExportFormat.JSON, SENTENCES, limit=2500)
    parts = [board_from_json(f.data.decode("utf-8")) for f in files]
    assert [(p.part.number, p.part.total) for p in parts if p.part] == [
        (n, len(files)) for n in range(1, len(files) + 1)
    ]
    # Every part carries the session's header and its step's prompt and rounds.
    assert {p.topic for p in parts} == {board.topic}
    define = [p for p in parts if p.steps[0].kind == "define"]
    assert define and all(p.steps[0].rounds == board.steps[1].rounds for p in define)


async def test_a_single_huge_note_still_makes_a_part(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    # A limit below one note's page: each part holds one note and says so by its size.
    files = split_export(board, ExportFormat.MARKDOWN, SENTENCES, limit=200)
    ids = [i for f in files for i in notes_in_part(f.data, ExportFormat.MARKDOWN)]
    assert ids == [note.id for note in board.notes]


def test_files_go_out_at_most_ten_a_message_and_within_the_upload_limit() -> None:
    files = [ExportFile(f"deel-{n}.md", b"x" * 100) for n in range(23)]
    batches = message_batches(files, max_files=10, max_bytes=10_000)
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [f for b in batches for f in b] == files
    # The upload limit counts the message's files together.
    assert [len(b) for b in message_batches(files[:5], max_bytes=250)] == [2, 2, 1]
    # A file bigger than the whole budget still goes, alone.
    big = [ExportFile("a", b"x" * 10), ExportFile("b", b"x" * 500), ExportFile("c", b"x")]
    assert [[f.name for f in b] for b in message_batches(big, max_bytes=100)] == [
        ["a"],
        ["b"],
        ["c"],
    ]
