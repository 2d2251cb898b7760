"""The persistent "Add note" button and its modal.

The button has a fixed custom_id, so one view registered in ``setup_hook`` answers clicks
on every session message, also after a restart. On a canvas step the modal also offers a
lane picker (and a column picker, or a text field for open columns such as a new
persona's card), so people on a phone need not type prefixes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.domain.board import NOTE_MAX_CHARS
from bot.i18n import Catalog
from bot.ui.replies import user_locale

log = logging.getLogger(__name__)

ADD_NOTE_ID = "cocreate:add-note"
TEXT_ID = "cocreate:add-note:text"
LANE_ID = "cocreate:add-note:lane"
COLUMN_ID = "cocreate:add-note:column"

# Discord's limits for modal parts.
LABEL_MAX = 45
DESCRIPTION_MAX = 100
OPTION_MAX = 100
OPTIONS_MAX = 25
PLACEHOLDER_MAX = 100
COLUMN_MAX = 40  # as the canvas keeps an open column's name


@dataclass(frozen=True)
class LaneChoice:
    """One lane the modal offers: its key, its name and what to write there."""

    key: str
    name: str
    prompt: str


@dataclass(frozen=True)
class LanePicker:
    """What the modal offers on a canvas step (already in the clicker's language)."""

    lanes: tuple[LaneChoice, ...]
    columns: tuple[str, ...] = ()
    # Open columns (a card per persona, per idea): a text field to name a new one.
    open_columns: bool = False
    column_label: str = ""
    has_columns: bool = False


# (interaction, text, lane key or None, column or None)
NoteSubmitter = Callable[[discord.Interaction, str, str | None, str | None], Awaitable[None]]
PickerSource = Callable[[discord.Interaction], Awaitable[LanePicker | None]]


def _cut(text: str, limit: int) -> str:
    """One line within ``limit`` characters (an ellipsis marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class AddNoteModal(discord.ui.Modal):
    """A text box for one note, in the clicker's language; on a canvas step a lane picker
    and, when the canvas has columns, a column picker or field."""

    def __init__(
        self,
        sentences: Catalog,
        locale: str,
        submit: NoteSubmitter,
        picker: LanePicker | None = None,
    ) -> None:
        super().__init__(title=_cut(sentences.t(locale, "ui.modal.title"), LABEL_MAX), timeout=None)
        self._submit = submit
        self.text: discord.ui.TextInput[AddNoteModal] = discord.ui.TextInput(
            placeholder=_cut(sentences.t(locale, "ui.modal.placeholder"), PLACEHOLDER_MAX),
            style=discord.TextStyle.paragraph,
            max_length=NOTE_MAX_CHARS,
            required=True,
            custom_id=TEXT_ID,
        )
        self.add_item(
            discord.ui.Label(
                text=_cut(sentences.t(locale, "ui.modal.label"), LABEL_MAX), component=self.text
            )
        )
        self.lane: discord.ui.Select[AddNoteModal] | None = None
        self.column: discord.ui.Select[AddNoteModal] | None = None
        self.new_column: discord.ui.TextInput[AddNoteModal] | None = None
        if picker is not None and picker.lanes:
            self._add_pickers(sentences, locale, picker)

    def _add_pickers(self, sentences: Catalog, locale: str, picker: LanePicker) -> None:
        self.lane = discord.ui.Select(
            custom_id=LANE_ID,
            placeholder=_cut(sentences.t(locale, "replies.picker.lane_placeholder"), 150),
            min_values=0,
            max_values=1,
            required=False,
            options=[
                discord.SelectOption(
                    label=_cut(lane.name, OPTION_MAX),
                    value=lane.key,
                    description=_cut(lane.prompt, OPTION_MAX) or None,
                )
                for lane in picker.lanes[:OPTIONS_MAX]
            ],
        )
        self.add_item(
            discord.ui.Label(
                text=_cut(sentences.t(locale, "replies.picker.lane_label"), LABEL_MAX),
                description=_cut(sentences.t(locale, "replies.picker.lane_help"), DESCRIPTION_MAX),
                component=self.lane,
            )
        )
        if not picker.has_columns:
            return
        label = _cut(
            sentences.t(locale, "replies.picker.column_label", column=picker.column_label),
            LABEL_MAX,
        )
        if picker.open_columns or not picker.columns:
            known = ", ".join(picker.columns)
            help_key = (
                "replies.picker.column_open_known" if known else "replies.picker.column_open_help"
            )
            self.new_column = discord.ui.TextInput(
                style=discord.TextStyle.short,
                max_length=COLUMN_MAX,
                required=False,
                custom_id=COLUMN_ID,
                placeholder=_cut(
                    sentences.t(locale, "replies.picker.column_open_placeholder"),
                    PLACEHOLDER_MAX,
                ),
            )
            self.add_item(
                discord.ui.Label(
                    text=label,
                    description=_cut(sentences.t(locale, help_key, columns=known), DESCRIPTION_MAX),
                    component=self.new_column,
                )
            )
            return
        self.column = discord.ui.Select(
            custom_id=COLUMN_ID,
            placeholder=_cut(sentences.t(locale, "replies.picker.column_placeholder"), 150),
            min_values=0,
            max_values=1,
            required=False,
            options=[
                discord.SelectOption(label=_cut(name, OPTION_MAX), value=name[:OPTION_MAX])
                for name in dict.fromkeys(picker.columns[:OPTIONS_MAX])
            ],
        )
        self.add_item(discord.ui.Label(text=label, component=self.column))

    def chosen(self) -> tuple[str | None, str | None]:
        """The lane key and the column picked or typed (None: not given)."""
        lane = self.lane.values[0] if self.lane is not None and self.lane.values else None
        column: str | None = None
        if self.column is not None and self.column.values:
            column = self.column.values[0]
        elif self.new_column is not None and self.new_column.value.strip():
            column = " ".join(self.new_column.value.split())
        return lane, column

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand the text (and the lane and column picked) to the note use case."""
        lane, column = self.chosen()
        await self._submit(interaction, self.text.value, lane, column)


class AddNoteView(discord.ui.View):
    """Carries the "Add note" button; persistent (no timeout, fixed custom_id)."""

    def __init__(
        self,
        sentences: Catalog,
        locale: str,
        submit: NoteSubmitter,
        picker: PickerSource | None = None,
    ) -> None:
        super().__init__(timeout=None)
        self._catalog = sentences
        self._submit = submit
        self._picker = picker
        button: discord.ui.Button[AddNoteView] = discord.ui.Button(
            label=sentences.t(locale, "ui.add_note"),
            emoji="📝",
            style=discord.ButtonStyle.primary,
            custom_id=ADD_NOTE_ID,
        )
        button.callback = self._open  # type: ignore[method-assign]
        self.add_item(button)

    async def _open(self, interaction: discord.Interaction) -> None:
        # A modal must be the first response: no defer before it. The lane picker needs
        # the session (one quick read); without it the modal is a plain text box.
        locale = user_locale(self._catalog, interaction)
        picker: LanePicker | None = None
        if self._picker is not None:
            try:
                picker = await self._picker(interaction)
            except Exception:
                log.warning("no lane picker for the Add note modal", exc_info=True)
        await interaction.response.send_modal(
            AddNoteModal(self._catalog, locale, self._submit, picker)
        )
