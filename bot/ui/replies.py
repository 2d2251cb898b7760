"""Ephemeral replies to interactions, in the user's language, never pinging anyone."""

from __future__ import annotations

import discord

from bot.i18n import Catalog

NO_PINGS = discord.AllowedMentions.none()


def user_locale(sentences: Catalog, interaction: discord.Interaction) -> str:
    """The language to answer this person in: theirs, else the server's, else ours."""
    for candidate in (interaction.locale, interaction.guild_locale):
        if candidate is not None:
            resolved = sentences.resolve(str(candidate))
            if str(candidate).lower().startswith(resolved):
                return resolved
    return sentences.default


async def reply(interaction: discord.Interaction, text: str) -> None:
    """Answer privately, whether or not the interaction was deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
