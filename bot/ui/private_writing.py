"""The "I'm done" button under a private step's counter post.

A DynamicItem whose custom_id carries the session and the step, so it keeps working after
a restart, and a click on the counter of a step that is over is answered kindly.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.domain.session import Refusal, SessionRuleError
from bot.ui.replies import reply, user_locale
from bot.ui.voting import _services

log = logging.getLogger(__name__)


class DoneButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cocreate:done:(?P<session>\d+):(?P<step>\d+)",
):
    """A participant says they are done writing in this private step."""

    def __init__(self, session_id: int, step_index: int, label: str = "✅") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="✅",
                style=discord.ButtonStyle.secondary,
                custom_id=f"cocreate:done:{session_id}:{step_index}",
            )
        )
        self.session_id = session_id
        self.step_index = step_index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> DoneButton:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["session"]), int(match["step"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Mark the clicker done; the counter shows it, and the reveal comes when all are."""
        services = _services(interaction)
        sentences = services.catalog
        locale = user_locale(sentences, interaction)
        session = await services.facilitation.store_session(self.session_id)
        if session is None or session.thread_id != interaction.channel_id:
            # A copied or forged custom_id (another channel, server or a DM): untouched.
            await reply(interaction, sentences.t(locale, "private.done.over"))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            progress = await services.facilitation.done_writing(
                self.session_id, self.step_index, interaction.user.id
            )
        except SessionRuleError as error:
            over = error.refusal in (Refusal.STALE, Refusal.NOT_PRIVATE, Refusal.ENDED)
            key = "private.done.over" if over else f"errors.session.{error.refusal.value}"
            await reply(interaction, sentences.t(locale, key))
            return
        if progress.everyone_done:
            await reply(interaction, sentences.t(locale, "private.done.last"))
            return
        await reply(
            interaction,
            sentences.t(
                locale, "private.done.marked", done=progress.done, expected=progress.expected
            ),
        )
