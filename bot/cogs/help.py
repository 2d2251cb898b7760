"""``/help``: what cocreate does and the commands this member can use, in their language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.access import is_facilitator
from bot.cogs.settings import may_change_settings
from bot.i18n import Catalog
from bot.settings import Settings
from bot.ui.replies import reply, user_locale
from bot.ui.translator import command_text as ct

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000

# The facilitator role that applies in a server (by guild id; None outside a server).
FacilitatorRoleFor = Callable[[int | None], Awaitable[str]]

# Placeholder -> command path (keys under ``commands.`` in commands.toml).
_EVERYONE = {
    "note": ("note",),
    "status": ("session", "status"),
    "nudges": ("session", "nudges"),
    "my_data": ("privacy", "my_data"),
    "forget_me": ("privacy", "forget_me"),
}
_FACILITATORS = {
    "start": ("session", "start"),
    "next": ("session", "next"),
    "back": ("session", "back"),
    "pause": ("session", "pause"),
    "resume": ("session", "resume"),
    "extend": ("session", "extend"),
    "vote": ("session", "vote"),
    "end": ("session", "end"),
    "themes": ("board", "themes"),
    "rename": ("board", "rename"),
    "move": ("board", "move"),
    "merge": ("board", "merge"),
    "export": ("board", "export"),
    "reveal": ("session", "reveal"),
    "repeat": ("session", "repeat"),
    "lane": ("board", "lane"),
    "templates": ("template", "list"),
}
_ADMINS = {
    "show": ("settings", "show"),
    "set": ("settings", "set"),
    "check": ("settings", "check"),
}


def slash(sentences: Catalog, locale: str, *path: str) -> str:
    """A command as a member types it in ``locale``: ``slash(c, "nl", "session", "start")``
    is ``/sessie start``. A name the catalogue lacks (a command that is not there yet)
    keeps the path's own word."""
    words: list[str] = []
    for depth in range(1, len(path) + 1):
        key = ".".join(("commands", *path[:depth], "name"))
        try:
            words.append(sentences.raw(locale, key))
        except KeyError:
            log.debug("no command name %s in the catalogue", key)
            words.append(path[depth - 1])
    return "/" + " ".join(words)


def slashes(
    sentences: Catalog, locale: str, paths: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """``slash`` for every placeholder of a sentence."""
    return {name: slash(sentences, locale, *path) for name, path in paths.items()}


def help_text(sentences: Catalog, locale: str, *, facilitator: bool, admin: bool) -> list[str]:
    """The answer to ``/help``, as sections (each within one message)."""
    sections = [
        sentences.t(locale, "admin.help.intro"),
        sentences.t(
            locale,
            "admin.help.take_part",
            button=sentences.t(locale, "ui.add_note"),
            **slashes(sentences, locale, _EVERYONE),
        ),
    ]
    if facilitator:
        sections.append(
            sentences.t(
                locale, "admin.help.facilitator", **slashes(sentences, locale, _FACILITATORS)
            )
        )
    elif not admin:  # an admin can give themselves the role
        sections.append(sentences.t(locale, "admin.help.become_facilitator"))
    if admin:
        sections.append(
            sentences.t(locale, "admin.help.admin", **slashes(sentences, locale, _ADMINS))
        )
    sections.append(sentences.t(locale, "admin.help.guide"))
    return sections


def messages(sections: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Sections joined into as few messages as fit Discord's limit."""
    out: list[str] = []
    for section in sections:
        if out and len(out[-1]) + 2 + len(section) <= limit:
            out[-1] += "\n\n" + section
        else:
            out.append(section)
    return out


async def _deployment_role(settings: Settings) -> str:
    return settings.facilitation.facilitator_role


class HelpCog(commands.Cog):
    """``/help`` for everyone; what it lists depends on who asks."""

    def __init__(
        self,
        sentences: Catalog,
        settings: Settings,
        facilitator_role_for: FacilitatorRoleFor | None = None,
    ) -> None:
        """``facilitator_role_for(guild_id)`` gives the facilitator role that applies in a
        server; by default the deployment's (``[facilitation] facilitator_role``)."""
        self._catalog = sentences
        self._settings = settings
        self._facilitator_role_for = facilitator_role_for or (
            lambda _guild_id: _deployment_role(settings)
        )
        super().__init__()

    @app_commands.command(name=ct("help.name"), description=ct("help.description"))
    @app_commands.guild_only()
    async def help_command(self, interaction: discord.Interaction) -> None:
        """What cocreate does and the commands you can use (privately)."""
        locale = user_locale(self._catalog, interaction)
        role = await self._facilitator_role_for(interaction.guild_id)
        sections = help_text(
            self._catalog,
            locale,
            facilitator=is_facilitator(interaction, role),
            admin=may_change_settings(interaction, self._settings.discord.admin_role),
        )
        for message in messages(sections):
            await reply(interaction, message)
