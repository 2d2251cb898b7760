"""``/board …``: themes on demand, the facilitator's corrections to them, and exports."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.access import facilitator_role, require_facilitator
from bot.cogs.errors import LaneRefusedError, UnknownColumnError, WrongPlaceError
from bot.cogs.lanes import UNSORTED, column_choices, lane_choices
from bot.domain.board import is_blank
from bot.domain.canvas import Canvas, all_columns, find_column, fold, step_columns
from bot.domain.session import Session
from bot.facilitation import Facilitation, UnknownLaneError
from bot.i18n import Catalog
from bot.render.text import one_line, quote
from bot.server_config import ServerConfig
from bot.settings import Settings
from bot.ui.replies import NO_PINGS, reply, user_locale
from bot.ui.translator import command_text as ct

if TYPE_CHECKING:
    from bot.export import ExportFile
    from bot.storage.export_reader import ExportReader


def _open_reader(path: str | Path) -> AbstractAsyncContextManager[ExportReader]:
    from bot.storage.export_reader import open_reader

    return open_reader(path)


AUTOCOMPLETE_LIMIT = 25
MIB = 1024 * 1024

# The export package loads when someone exports (bench/memory.py: a bot that never
# exports should not carry it); the format values are ExportFormat's (a test holds them).
# Format value -> its name's key, written out so the prompts tests can check each key.
_FORMAT_KEYS = {
    "html": "formats.html",
    "markdown": "formats.markdown",
    "csv": "formats.csv",
    "json": "formats.json",
}
_FORMAT_CHOICES = [
    app_commands.Choice(name=ct(key), value=value) for value, key in _FORMAT_KEYS.items()
]

ReaderOpener = Callable[[], AbstractAsyncContextManager["ExportReader"]]


@app_commands.guild_only()
class BoardCog(
    commands.GroupCog,
    group_name=ct("board.name"),
    group_description=ct("board.description"),
):
    """Themes: show or re-run them, rename, move a note, merge two; put a note in a
    canvas lane; export the board."""

    def __init__(
        self,
        facilitation: Facilitation,
        sentences: Catalog,
        settings: Settings,
        *,
        export_reader: ReaderOpener | None = None,
        export_file_limit: int | None = None,
        server_config: ServerConfig | None = None,
    ) -> None:
        """``export_reader`` opens a read-only reader for an export; by default a
        connection of its own to the configured database file, so a long export never
        holds up the bot's own connection. ``export_file_limit``: bytes per file
        (default ``bot.export.EXPORT_FILE_LIMIT``, and never above what Discord allows)."""
        self._facilitation = facilitation
        self._catalog = sentences
        self._settings = settings
        self._open_reader: ReaderOpener = export_reader or (
            lambda: _open_reader(settings.storage.path)
        )
        self._file_limit = export_file_limit
        self._config = server_config
        super().__init__()

    async def _here(self, interaction: discord.Interaction) -> Session | None:
        """The session of the channel an autocomplete is typed in, if any."""
        try:
            return await self._facilitation.find_session(interaction.channel_id or 0)
        except LookupError:
            return None

    async def _session(self, interaction: discord.Interaction) -> Session:
        role = await facilitator_role(self._config, self._settings, interaction.guild_id)
        require_facilitator(interaction, role)
        return await self._facilitation.find_session(interaction.channel_id or 0)

    def _t(self, interaction: discord.Interaction, key: str, **values: object) -> str:
        return self._catalog.t(user_locale(self._catalog, interaction), key, **values)

    @app_commands.command(name=ct("board.themes.name"), description=ct("board.themes.description"))
    @app_commands.rename(step=ct("board.themes.step.name"))
    @app_commands.describe(step=ct("board.themes.step.description"))
    async def themes(
        self, interaction: discord.Interaction, step: app_commands.Range[int, 1, 20] | None = None
    ) -> None:
        """Group a step's notes into themes (again) and post them in the thread."""
        session = await self._session(interaction)
        if step is None:
            index = session.step_index
            if session.current_step.themes and index > 0:
                index -= 1  # define works on the themes of what came before
        else:
            index = step - 1
        if index >= len(session.steps):
            raise WrongPlaceError("no_such_step")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._facilitation.show_themes(session, index, rerun=True)
        await reply(interaction, self._t(interaction, "replies.themes_posted"))

    @app_commands.command(name=ct("board.rename.name"), description=ct("board.rename.description"))
    @app_commands.rename(
        theme=ct("board.rename.theme.name"), new_name=ct("board.rename.new_name.name")
    )
    @app_commands.describe(
        theme=ct("board.rename.theme.description"),
        new_name=ct("board.rename.new_name.description"),
    )
    async def rename(
        self,
        interaction: discord.Interaction,
        theme: str,
        new_name: app_commands.Range[str, 1, 100],
    ) -> None:
        """Give a theme a name of the group's own."""
        session = await self._session(interaction)
        if is_blank(new_name):
            raise WrongPlaceError("theme_name_empty")
        theme_id = await self._theme_id(session, theme)
        await self._facilitation.rename_theme(theme_id, new_name)
        await reply(interaction, self._t(interaction, "replies.theme_renamed", name=new_name))

    @app_commands.command(name=ct("board.move.name"), description=ct("board.move.description"))
    @app_commands.rename(note=ct("board.move.note.name"), theme=ct("board.move.theme.name"))
    @app_commands.describe(
        note=ct("board.move.note.description"), theme=ct("board.move.theme.description")
    )
    async def move(self, interaction: discord.Interaction, note: str, theme: str) -> None:
        """Put a note in another theme; re-runs keep it there."""
        session = await self._session(interaction)
        theme_id = await self._theme_id(session, theme)
        note_id = await self._note_id(session, note)
        await self._facilitation.move_note(note_id, theme_id)
        await reply(interaction, self._t(interaction, "replies.note_moved"))

    @app_commands.command(name=ct("board.lane.name"), description=ct("board.lane.description"))
    @app_commands.rename(
        note=ct("board.lane.note.name"),
        lane=ct("board.lane.lane.name"),
        column=ct("board.lane.column.name"),
    )
    @app_commands.describe(
        note=ct("board.lane.note.description"),
        lane=ct("board.lane.lane.description"),
        column=ct("board.lane.column.description"),
    )
    async def lane(
        self,
        interaction: discord.Interaction,
        note: str,
        lane: app_commands.Range[str, 1, 100],
        column: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Put a note in a lane of its step's canvas (or back among the unsorted)."""
        session = await self._session(interaction)
        note_id = await self._note_id(session, note)
        found = next(n for n in await self._facilitation.notes_of(session.id) if n.id == note_id)
        locale = user_locale(self._catalog, interaction)
        canvas = self._facilitation.canvas_of(session, found.step_index)
        if canvas is None:
            raise LaneRefusedError(lane, [])
        unsorted = fold(lane) in {UNSORTED} | {
            fold(self._catalog.t(other, "replies.lanes.unsorted"))
            for other in self._catalog.locales
        }
        key: str | None = None
        if not unsorted:
            picked = canvas.lane(lane.strip()) or canvas.find_lane(lane)
            if picked is None:
                raise LaneRefusedError(lane, [item.name(locale) for item in canvas.lanes])
            key = picked.key
        chosen: str | None = None
        if key is not None and column and not is_blank(column) and canvas.columns is not None:
            chosen = await self._column(session, found.step_index, canvas, column)
        try:
            moved = await self._facilitation.move_to_lane(note_id, key, chosen)
        except UnknownLaneError as error:  # the canvas changed under us: name its lanes
            names = [item.name(locale) for item in canvas.lanes]
            raise LaneRefusedError(error.lane, names) from error
        if moved.lane is None:
            await reply(interaction, self._t(interaction, "replies.note_unsorted"))
            return
        where = canvas.lane(moved.lane)
        shown = where.name(locale) if where is not None else moved.lane
        if moved.column:
            shown = self._t(
                interaction, "replies.lane_and_column", lane=shown, column=quote(moved.column)
            )
        await reply(interaction, self._t(interaction, "replies.note_to_lane", lane=shown))

    async def _column(self, session: Session, step_index: int, canvas: Canvas, typed: str) -> str:
        """The column a typed word names in a step (a new one on an open canvas)."""
        columns = await self._columns(session, step_index, canvas)
        found = find_column(typed, columns)
        if found is not None:
            return found
        if canvas.columns is not None and canvas.columns.open:
            return " ".join(typed.split())[:40]
        raise UnknownColumnError(typed, list(columns))

    async def _columns(self, session: Session, step_index: int, canvas: Canvas) -> tuple[str, ...]:
        """A canvas step's columns: the planned ones, then those its notes named."""
        fixed = step_columns(canvas, session.steps[step_index].columns, session.locale)
        notes = await self._facilitation.notes_of(session.id)
        return all_columns(fixed, (n.column for n in notes if n.step_index == step_index))

    @app_commands.command(name=ct("board.merge.name"), description=ct("board.merge.description"))
    @app_commands.rename(source=ct("board.merge.source.name"), target=ct("board.merge.target.name"))
    @app_commands.describe(
        source=ct("board.merge.source.description"), target=ct("board.merge.target.description")
    )
    async def merge(self, interaction: discord.Interaction, source: str, target: str) -> None:
        """Two themes become one (the second keeps its name)."""
        session = await self._session(interaction)
        source_id = await self._theme_id(session, source)
        target_id = await self._theme_id(session, target)
        if source_id == target_id or not await self._facilitation.merge_themes(
            source_id, target_id
        ):
            raise WrongPlaceError("same_theme")
        await reply(interaction, self._t(interaction, "replies.themes_merged"))

    @app_commands.command(name=ct("board.export.name"), description=ct("board.export.description"))
    @app_commands.rename(
        file_format=ct("board.export.format.name"),
        pseudonyms=ct("board.export.pseudonyms.name"),
    )
    @app_commands.describe(
        file_format=ct("board.export.format.description"),
        pseudonyms=ct("board.export.pseudonyms.description"),
    )
    @app_commands.choices(file_format=_FORMAT_CHOICES)
    async def export(
        self, interaction: discord.Interaction, file_format: str, pseudonyms: bool = False
    ) -> None:
        """Attach the whole board of this thread's session (or of the channel's latest
        session) as files, privately to the facilitator."""
        role = await facilitator_role(self._config, self._settings, interaction.guild_id)
        require_facilitator(interaction, role)
        from bot.export import (
            EXPORT_FILE_LIMIT,
            ExportFormat,
            ExportOptions,
            build_board,
            split_export,
        )
        from bot.export.text import Words

        export_format = ExportFormat(file_format)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._open_reader() as reader:
            session = await reader.session_for_channel(interaction.channel_id or 0)
            if session is None:
                await reply(interaction, self._t(interaction, "export.reply.no_session"))
                return
            options = ExportOptions(
                # The file speaks the session's language, as its prompts did in the thread.
                locale=self._catalog.resolve(session.locale),
                timezone=self._settings.locale.timezone,
                pseudonyms=pseudonyms,
            )
            board = await build_board(reader, session, self._catalog, options)
        limit = self._file_limit or EXPORT_FILE_LIMIT
        limit = min(limit, interaction.filesize_limit or limit)
        # Rendering a big board is seconds of CPU: off the event loop, or the heartbeat stalls.
        files = await asyncio.to_thread(split_export, board, export_format, self._catalog, limit)
        words = Words(self._catalog, user_locale(self._catalog, interaction))
        lines = [
            self._t(
                interaction,
                "export.reply.done",
                topic=board.topic,
                format=self._t(interaction, "commands." + _FORMAT_KEYS[export_format.value]),
                notes=words.plural("common.count.note", len(board.notes)),
                steps=words.plural("export.count.step", len(board.steps)),
            )
        ]
        if len(files) > 1:
            lines.append(
                self._t(
                    interaction,
                    "export.reply.parts",
                    parts=len(files),
                    limit=f"{limit / MIB:g}",
                )
            )
        if pseudonyms:
            lines.append(self._t(interaction, "export.reply.pseudonyms"))
        await self._send_files(interaction, "\n".join(lines), files)

    async def _send_files(
        self, interaction: discord.Interaction, text: str, files: list[ExportFile]
    ) -> None:
        """At most ten files a message, within Discord's upload limit: the first message
        explains, the next say which parts they carry."""
        from bot.export import MESSAGE_UPLOAD_LIMIT, message_batches

        start = 0
        budget = interaction.filesize_limit or MESSAGE_UPLOAD_LIMIT
        for batch in message_batches(files, max_bytes=budget):
            content = text
            if start:
                content = self._t(
                    interaction,
                    "export.reply.more",
                    first=start + 1,
                    last=start + len(batch),
                    total=len(files),
                )
            start += len(batch)
            await interaction.followup.send(
                content,
                files=[discord.File(io.BytesIO(f.data), filename=f.name) for f in batch],
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )

    # -- choosing themes and notes by name ---------------------------------------------

    async def _all_themes(self, session: Session) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for index in range(len(session.steps)):
            for theme in await self._facilitation.themes_of(session.id, index):
                found.append((theme.id, theme.name))
        return found

    async def _theme_id(self, session: Session, value: str) -> int:
        themes = await self._all_themes(session)
        if value.isdecimal() and any(theme_id == int(value) for theme_id, _ in themes):
            return int(value)
        for theme_id, name in themes:
            if name.casefold() == value.strip().casefold():
                return theme_id
        raise WrongPlaceError("unknown_theme")

    async def _note_id(self, session: Session, value: str) -> int:
        notes = await self._facilitation.notes_of(session.id)
        if value.isdecimal() and any(note.id == int(value) for note in notes):
            return int(value)
        wanted = value.strip().casefold()
        if is_blank(wanted):
            raise WrongPlaceError("unknown_note")  # '' would match every note's start
        for note in notes:
            if one_line(note.text).casefold().startswith(wanted):
                return note.id
        raise WrongPlaceError("unknown_note")

    @rename.autocomplete("theme")
    @move.autocomplete("theme")
    @merge.autocomplete("source")
    @merge.autocomplete("target")
    async def _theme_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        session = await self._here(interaction)
        if session is None:
            return []
        wanted = current.casefold()
        return [
            app_commands.Choice(name=name[:100], value=str(theme_id))
            for theme_id, name in await self._all_themes(session)
            if wanted in name.casefold()
        ][:AUTOCOMPLETE_LIMIT]

    @lane.autocomplete("note")
    async def _canvas_note_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Notes on canvas steps, the unsorted ones first, each with where it is now."""
        session = await self._here(interaction)
        if session is None:
            return []
        locale = user_locale(self._catalog, interaction)
        wanted = current.casefold()
        untitled = self._t(interaction, "common.untitled_note")
        unsorted = self._t(interaction, "replies.lanes.unsorted")
        # Notes written alone stay unseen until the reveal, by anyone.
        hidden = session.step_index if session.writing_privately else None
        notes = [
            note
            for note in await self._facilitation.notes_of(session.id)
            if note.step_index < len(session.steps)
            and note.step_index != hidden
            and self._facilitation.canvas_of(session, note.step_index) is not None
            and wanted in note.text.casefold()
        ]
        # Unsorted first, then the current step's, then the newest.
        notes.sort(key=lambda n: (n.lane is not None, n.step_index != session.step_index, -n.id))
        choices = []
        for note in notes[:AUTOCOMPLETE_LIMIT]:
            canvas = self._facilitation.canvas_of(session, note.step_index)
            lane = canvas.lane(note.lane) if canvas is not None else None
            where = lane.name(locale) if lane is not None else unsorted
            text = one_line(note.text) or f"{untitled} #{note.id}"
            choices.append(app_commands.Choice(name=f"[{where}] {text}"[:100], value=str(note.id)))
        return choices

    async def _canvas_for_choices(self, interaction: discord.Interaction) -> Canvas | None:
        """The canvas of the note already picked in /board lane, else of the current step."""
        session = await self._here(interaction)
        if session is None:
            return None
        picked = str(getattr(interaction.namespace, "note", "") or "")
        if picked.isdecimal():
            for note in await self._facilitation.notes_of(session.id):
                if note.id == int(picked) and note.step_index < len(session.steps):
                    return self._facilitation.canvas_of(session, note.step_index)
        return self._facilitation.canvas_of(session)

    @lane.autocomplete("lane")
    async def _lane_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        canvas = await self._canvas_for_choices(interaction)
        if canvas is None:
            return []
        locale = user_locale(self._catalog, interaction)
        unsorted = self._t(interaction, "replies.lanes.unsorted")
        return lane_choices(canvas, locale, current, unsorted=unsorted)

    @lane.autocomplete("column")
    async def _column_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        session = await self._here(interaction)
        if session is None:
            return []
        step_index = session.step_index
        picked = str(getattr(interaction.namespace, "note", "") or "")
        if picked.isdecimal():
            for note in await self._facilitation.notes_of(session.id):
                if note.id == int(picked) and note.step_index < len(session.steps):
                    step_index = note.step_index
        canvas = self._facilitation.canvas_of(session, step_index)
        if canvas is None or canvas.columns is None:
            return []
        columns = await self._columns(session, step_index, canvas)
        locale = user_locale(self._catalog, interaction)
        return column_choices(self._catalog, locale, columns, current, canvas.columns.open)

    @move.autocomplete("note")
    async def _note_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        session = await self._here(interaction)
        if session is None:
            return []
        wanted = current.casefold()
        # Discord refuses the whole list if one name is empty (a note of attachments only).
        untitled = self._t(interaction, "common.untitled_note")
        # Notes written alone stay unseen until the reveal, by anyone.
        hidden = session.step_index if session.writing_privately else None
        return [
            app_commands.Choice(
                name=(one_line(note.text) or f"{untitled} #{note.id}")[:100], value=str(note.id)
            )
            for note in await self._facilitation.notes_of(session.id)
            if wanted in note.text.casefold() and note.step_index != hidden
        ][:AUTOCOMPLETE_LIMIT]
