"""Board exports for the library's archive: Markdown, CSV, JSON and printable HTML.

Pure: no Discord, no SQLite. Storage implements :class:`BoardSource`
(``bot/storage/export_reader.py``); the command line and ``/board export`` wire them up.
"""

from bot.export.build import (
    AuthorNames,
    BoardCollector,
    ExportOptions,
    board_events,
    build_board,
    collect_board,
    events_of,
)
from bot.export.fmt_json import board_from_json
from bot.export.model import (
    Board,
    BoardComment,
    BoardEvent,
    BoardNote,
    BoardRound,
    BoardStep,
    BoardTheme,
    ExportPart,
    NoteVotes,
    RoundResult,
)
from bot.export.render import (
    ExportFormat,
    board_to_json,
    render_board,
    render_text,
    write_events,
    writer_for,
)
from bot.export.source import BoardSource, SessionListing, SessionRecord
from bot.export.split import (
    EXPORT_FILE_LIMIT,
    FILES_PER_MESSAGE,
    MESSAGE_UPLOAD_LIMIT,
    ExportFile,
    file_name,
    message_batches,
    split_board,
    split_export,
)

__all__ = [
    "EXPORT_FILE_LIMIT",
    "FILES_PER_MESSAGE",
    "MESSAGE_UPLOAD_LIMIT",
    "AuthorNames",
    "Board",
    "BoardCollector",
    "BoardComment",
    "BoardEvent",
    "BoardNote",
    "BoardRound",
    "BoardSource",
    "BoardStep",
    "BoardTheme",
    "ExportFile",
    "ExportFormat",
    "ExportOptions",
    "ExportPart",
    "NoteVotes",
    "RoundResult",
    "SessionListing",
    "SessionRecord",
    "board_events",
    "board_from_json",
    "board_to_json",
    "build_board",
    "collect_board",
    "events_of",
    "file_name",
    "message_batches",
    "render_board",
    "render_text",
    "split_board",
    "split_export",
    "write_events",
    "writer_for",
]
