"""Board pictures for summaries: build the picture's data, render it off the event loop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.domain.board import Note
from bot.domain.summary import ThemeGroup
from bot.i18n import Catalog

if TYPE_CHECKING:  # Pillow loads with the first picture, not at start-up
    from bot.render.board_image import BoardGroup, BoardNote, BoardPicture
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
