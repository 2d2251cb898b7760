"""The persistent "Add note" button and its modal.

The button has a fixed custom_id, so one view registered in ``setup_hook`` answers clicks
on every session message, also after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.domain.board import NOTE_MAX_CHARS
from bot.i18n import Catalog
from bot.ui.replies import user_locale

ADD_NOTE_ID = "cocreate:add-note"

NoteSubmitter = Callable[[discord.Interaction, str], Awaitable[None]]


class AddNoteModal(discord.ui.Modal):
    """A text box for one note, in the clicker's language."""

    def __init__(self, sentences: Catalog, locale: str, submit: NoteSubmitter) -> None:
        super().__init__(title=sentences.t(locale, "ui.modal.title"), timeout=None)
        self._submit = submit
        self.text: discord.ui.TextInput[AddNoteModal] = discord.ui.TextInput(
            label=sentences.t(locale, "ui.modal.label"),
            placeholder=sentences.t(locale, "ui.modal.placeholder"),
            style=discord.TextStyle.paragraph,
            max_length=NOTE_MAX_CHARS,
            required=True,
            custom_id="cocreate:add-note:text",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand the text to the note use case."""
        await self._submit(interaction, self.text.value)


class AddNoteView(discord.ui.View):
    """Carries the "Add note" button; persistent (no timeout, fixed custom_id)."""

    def __init__(self, sentences: Catalog, locale: str, submit: NoteSubmitter) -> None:
        super().__init__(timeout=None)
        self._catalog = sentences
        self._submit = submit
        button: discord.ui.Button[AddNoteView] = discord.ui.Button(
            label=sentences.t(locale, "ui.add_note"),
            emoji="📝",
            style=discord.ButtonStyle.primary,
            custom_id=ADD_NOTE_ID,
        )
        button.callback = self._open  # type: ignore[method-assign]
        self.add_item(button)

    async def _open(self, interaction: discord.Interaction) -> None:
        # A modal must be the first response: no defer before it.
        locale = user_locale(self._catalog, interaction)
        await interaction.response.send_modal(AddNoteModal(self._catalog, locale, self._submit))
