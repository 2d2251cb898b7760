"""Choosing a format and writing a board (or its event stream) in it."""

from __future__ import annotations

import io
from collections.abc import Iterable
from enum import StrEnum

from bot.export.build import events_of
from bot.export.fmt_csv import CsvWriter
from bot.export.fmt_html import HtmlWriter
from bot.export.fmt_json import JsonWriter
from bot.export.fmt_markdown import MarkdownWriter
from bot.export.model import Board, BoardEvent
from bot.export.writer import BoardWriter, TextSink
from bot.i18n import Catalog


class ExportFormat(StrEnum):
    """The formats a board can be exported in."""

    MARKDOWN = "markdown"
    CSV = "csv"
    JSON = "json"
    HTML = "html"

    @property
    def extension(self) -> str:
        """The file name extension, without the dot."""
        return _EXTENSIONS[self]


_EXTENSIONS = {
    ExportFormat.MARKDOWN: "md",
    ExportFormat.CSV: "csv",
    ExportFormat.JSON: "json",
    ExportFormat.HTML: "html",
}

_WRITERS: dict[ExportFormat, type[BoardWriter]] = {
    ExportFormat.MARKDOWN: MarkdownWriter,
    ExportFormat.CSV: CsvWriter,
    ExportFormat.JSON: JsonWriter,
    ExportFormat.HTML: HtmlWriter,
}


def writer_for(export_format: ExportFormat, out: TextSink, catalog: Catalog) -> BoardWriter:
    """A writer of ``export_format`` into ``out`` (open files with ``newline=""``)."""
    return _WRITERS[export_format](out, catalog)


def write_events(
    events: Iterable[BoardEvent], export_format: ExportFormat, out: TextSink, catalog: Catalog
) -> None:
    """Write an event stream as it comes."""
    writer = writer_for(export_format, out, catalog)
    for event in events:
        writer.feed(event)


def render_text(board: Board, export_format: ExportFormat, catalog: Catalog) -> str:
    """The whole export of ``board`` as text."""
    out = io.StringIO(newline="")
    write_events(events_of(board), export_format, out, catalog)
    return out.getvalue()


def render_board(board: Board, export_format: ExportFormat, catalog: Catalog) -> bytes:
    """The whole export of ``board`` as the bytes of a UTF-8 file."""
    return render_text(board, export_format, catalog).encode("utf-8")


def board_to_json(board: Board, catalog: Catalog) -> str:
    """The JSON export of ``board`` (read it back with ``board_from_json``)."""
    return render_text(board, ExportFormat.JSON, catalog)
