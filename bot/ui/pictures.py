"""Board and canvas pictures for summaries: build the picture's data, render it off the
event loop."""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.domain.board import Note
from bot.domain.canvas import Canvas
from bot.domain.summary import StepSummary, ThemeGroup
from bot.i18n import Catalog

if TYPE_CHECKING:  # Pillow loads with the first picture, not at start-up
    from bot.render.board_image import BoardGroup, BoardNote, BoardPicture
    from bot.render.canvas_image import CanvasPicture
from bot.render.text import one_line


def local_date(sentences: Catalog, locale: str, moment: datetime, timezone: str) -> str:
    """``24 november 2026`` in the session's language and the server's timezone."""
    local = moment.astimezone(ZoneInfo(timezone))
    month = sentences.t(locale, f"common.month.m{local.month}")
    return f"{local.day} {month} {local.year}"


def board_groups(
    themes: Sequence[ThemeGroup],
    other: Sequence[Note],
    other_title: str,
    votes: dict[int, int] | None = None,
) -> tuple[BoardGroup, ...]:
    """Themes (and the notes in none) as picture groups; votes shown where given. A note
    without a writer's name (an anonymous session's) gets no name line at all."""
    from bot.render.board_image import BoardGroup, BoardNote

    counts = votes or {}

    def card(note: Note) -> BoardNote:
        author = one_line(note.author_name) or None
        return BoardNote(one_line(note.text), author, counts.get(note.id, 0))

    groups = [BoardGroup(theme.name, tuple(card(n) for n in theme.notes)) for theme in themes]
    if other:
        groups.append(BoardGroup(other_title, tuple(card(n) for n in other)))
    return tuple(groups)


# Pages attached to one summary: enough for a big board, few enough to scroll on a phone.
MAX_PAGES = 4


async def render_files(
    picture: BoardPicture, name: str, max_bytes: int = 8 * 1024 * 1024
) -> list[discord.File]:
    """PNG pages as Discord files; rendering runs in a worker thread."""
    from bot.render.board_image import render_board

    pages = await asyncio.to_thread(render_board, picture, max_bytes=max_bytes, max_pages=MAX_PAGES)
    return [
        discord.File(io.BytesIO(page.png), filename=f"{name}-{number}.png")
        for number, page in enumerate(pages, start=1)
    ]


def canvas_picture(
    sentences: Catalog,
    locale: str,
    canvas: Canvas,
    summary: StepSummary,
    title: str,
    subtitle: str,
    votes: Mapping[int, int] | None = None,
) -> CanvasPicture:
    """A canvas step's notes as the canvas picture's lanes and cells. Notes in a lane but
    in none of its columns get a column of their own (``Zonder fase``), last. The cards
    carry no writers' names (small cards, and a canvas is the group's): the step
    summary's text names them where the session shows names."""
    from bot.render.board_image import BoardNote
    from bot.render.canvas_image import CanvasCell, CanvasLane, CanvasPicture

    counts = votes or {}
    columns = list(summary.columns)
    place = {column: number for number, column in enumerate(columns)}
    loose = bool(columns) and any(
        group.lane is not None and group.column not in place and group.notes
        for group in summary.lanes
    )
    if loose and canvas.columns is not None:
        label = canvas.columns.label(locale)
        columns.append(sentences.t(locale, "canvas.picture.no_column", label=label))
    cells = []
    for group in summary.lanes:
        column = place.get(group.column) if group.column is not None else None
        if column is None and loose and group.lane is not None:
            column = len(columns) - 1
        cards = tuple(BoardNote(one_line(n.text), None, counts.get(n.id, 0)) for n in group.notes)
        cells.append(CanvasCell(group.lane, column, cards))
    return CanvasPicture(
        title=title,
        subtitle=subtitle,
        lanes=tuple(
            CanvasLane(lane.key, lane.name(locale), lane.row, lane.column, lane.below_line)
            for lane in canvas.lanes
        ),
        cells=tuple(cells),
        columns=tuple(columns),
        grid=canvas.grid,
        unsorted_title=sentences.t(locale, "canvas.picture.unsorted"),
        line_text=sentences.t(locale, "canvas.picture.line"),
        more_text=sentences.raw(locale, "canvas.picture.more"),
    )


def file_slug(text: str) -> str:
    """``Klantreis`` -> ``klantreis``, ``Oriënteren & kiezen`` -> ``orienteren-kiezen``:
    a file name part without accents, spaces or marks."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "canvas"


async def render_canvas_files(
    picture: CanvasPicture, name: str, max_bytes: int = 8 * 1024 * 1024
) -> list[discord.File]:
    """The canvas as one PNG file; rendering runs in a worker thread."""
    from bot.render.canvas_image import render_canvas

    page = await asyncio.to_thread(render_canvas, picture, max_bytes=max_bytes)
    return [discord.File(io.BytesIO(page.png), filename=f"{name}.png")]
