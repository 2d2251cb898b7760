"""A welcome for the admins when the bot joins a server: what it is and how to set it up."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.cogs.help import slash
from bot.i18n import Catalog
from bot.ui.replies import NO_PINGS

log = logging.getLogger(__name__)


def may_post(channel: discord.TextChannel, me: discord.Member) -> bool:
    """Whether the bot may see ``channel`` and send messages there."""
    permissions = channel.permissions_for(me)
    return permissions.view_channel and permissions.send_messages


def welcome_channel(guild: discord.Guild) -> discord.TextChannel | None:
    """The server's system channel if the bot may post there, else the first text channel
    (by position) where it may; None when there is no such channel."""
    me = guild.me
    if me is None:
        return None
    system = guild.system_channel
    if system is not None and may_post(system, me):
        return system
    return next((c for c in guild.text_channels if may_post(c, me)), None)


def server_locale(sentences: Catalog, guild: discord.Guild) -> str:
    """The server's preferred language if we speak it, else the catalogue's default."""
    return sentences.resolve(str(guild.preferred_locale))


def welcome_text(sentences: Catalog, locale: str) -> str:
    """The welcome, with the command names in ``locale``."""
    return sentences.t(
        locale,
        "admin.welcome.text",
        check=slash(sentences, locale, "settings", "check"),
        set=slash(sentences, locale, "settings", "set"),
        start=slash(sentences, locale, "session", "start"),
        help=slash(sentences, locale, "help"),
    )


class OnboardingCog(commands.Cog):
    """Says hello (once, without pinging anyone) in a server the bot was just added to."""

    def __init__(self, sentences: Catalog) -> None:
        self._catalog = sentences
        super().__init__()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Post the welcome where the bot may; never where it may not."""
        channel = welcome_channel(guild)
        if channel is None:
            log.warning(
                "joined server %s (%s) but may post in none of its channels: no welcome",
                guild.name,
                guild.id,
            )
            return
        text = welcome_text(self._catalog, server_locale(self._catalog, guild))
        try:
            await channel.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not post the welcome in %s (server %s)", channel.id, guild.id)
            return
        log.info("joined server %s (%s); welcome posted in %s", guild.name, guild.id, channel.id)
