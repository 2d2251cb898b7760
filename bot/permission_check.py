"""The bot checks itself: does it have, in a channel, every permission a session needs
(:data:`bot.permissions.PERMISSION_REASONS`), and is the Message Content intent on?

The answer names exactly what is missing, as Discord's own screens name it, and how to
fix it. ``/settings check`` shows it, and ``/session start`` can check first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import discord

from bot.i18n import Catalog
from bot.permissions import PERMISSION_REASONS, PRIVATE_WRITING_REASONS

# Not needed when no step of the session runs for days (nothing gets pinned then).
PIN_PERMISSION: Final = "pin_messages"
# Needed only when a session writes privately (typed messages are removed from sight).
MANAGE_PERMISSION: Final = "manage_messages"

# Per permission: the catalogue keys of its name (as in Discord's channel settings) and of
# why the bot needs it. Written out so every key is a literal the prompts tests can check.
_TEXT_KEYS: Final[dict[str, tuple[str, str]]] = {
    "view_channel": (
        "admin.permission.view_channel.name",
        "admin.permission.view_channel.why",
    ),
    "send_messages": (
        "admin.permission.send_messages.name",
        "admin.permission.send_messages.why",
    ),
    "create_public_threads": (
        "admin.permission.create_public_threads.name",
        "admin.permission.create_public_threads.why",
    ),
    "send_messages_in_threads": (
        "admin.permission.send_messages_in_threads.name",
        "admin.permission.send_messages_in_threads.why",
    ),
    "read_message_history": (
        "admin.permission.read_message_history.name",
        "admin.permission.read_message_history.why",
    ),
    "add_reactions": (
        "admin.permission.add_reactions.name",
        "admin.permission.add_reactions.why",
    ),
    "attach_files": (
        "admin.permission.attach_files.name",
        "admin.permission.attach_files.why",
    ),
    "pin_messages": (
        "admin.permission.pin_messages.name",
        "admin.permission.pin_messages.why",
    ),
    "manage_messages": (
        "admin.permission.manage_messages.name",
        "admin.permission.manage_messages.why",
    ),
}


@dataclass(frozen=True)
class PermissionReport:
    """What the bot lacks: permissions in one channel (PERMISSION_REASONS names, in that
    order) and whether the Message Content intent is on (None: not known)."""

    missing: tuple[str, ...]
    message_content: bool | None

    @property
    def ok(self) -> bool:
        """Nothing missing (an unknown intent state counts as fine)."""
        return not self.missing and self.message_content is not False


def missing_from(
    permissions: discord.Permissions, *, needs_pins: bool = True, needs_manage: bool = False
) -> tuple[str, ...]:
    """The needed permissions ``permissions`` lacks, in PERMISSION_REASONS order (then
    Manage Messages, when private steps need it)."""
    wanted = [*PERMISSION_REASONS, *(PRIVATE_WRITING_REASONS if needs_manage else ())]
    return tuple(
        name
        for name in wanted
        if (needs_pins or name != PIN_PERMISSION) and not getattr(permissions, name)
    )


def check_channel(
    channel: discord.abc.GuildChannel,
    me: discord.Member,
    *,
    needs_pins: bool = True,
    needs_manage: bool = False,
) -> tuple[str, ...]:
    """The needed permissions the bot (``me``) lacks in ``channel``."""
    return missing_from(
        channel.permissions_for(me), needs_pins=needs_pins, needs_manage=needs_manage
    )


def message_content_enabled(client: discord.Client) -> bool | None:
    """Whether the application may receive message text (the portal's Message Content
    switch, as the application flags discord.py read at login say); None when unknown."""
    flags = client.application_flags
    if not isinstance(flags, discord.ApplicationFlags):
        return None  # not logged in yet
    return bool(flags.gateway_message_content or flags.gateway_message_content_limited)


def render_report(
    catalog: Catalog, locale: str, report: PermissionReport, channel_mention: str
) -> str:
    """Either "all good", or each missing permission by name with why it is needed, then
    how to fix it; and where to switch Message Content on when it is off."""
    if report.ok:
        return catalog.t(locale, "admin.check.all_good", channel=channel_mention)
    parts: list[str] = []
    if report.missing:
        lines = [catalog.t(locale, "admin.check.missing", channel=channel_mention)]
        for name in report.missing:
            lines.append(
                catalog.t(
                    locale,
                    "admin.check.line",
                    name=catalog.raw(locale, _TEXT_KEYS[name][0]),
                    why=catalog.raw(locale, _TEXT_KEYS[name][1]),
                )
            )
        lines.append(catalog.t(locale, "admin.check.fix", channel=channel_mention))
        parts.append("\n".join(lines))
    if report.message_content is False:
        parts.append(
            catalog.t(locale, "admin.check.intent")
            + "\n"
            + catalog.t(locale, "admin.check.intent_fix")
        )
    return "\n\n".join(parts)


def _channel_to_check(interaction: discord.Interaction) -> discord.abc.GuildChannel | None:
    """The channel a session would start in: the interaction's, or a thread's parent."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        return channel.parent
    if isinstance(channel, discord.abc.GuildChannel):
        return channel
    return None


async def report_for(
    interaction: discord.Interaction,
    catalog: Catalog,
    locale: str,
    *,
    needs_pins: bool = True,
    needs_manage: bool = False,
) -> tuple[PermissionReport, str]:
    """Check the interaction's channel (a thread's parent channel) with the bot's member
    and the client's intent flag; return the report and its text in ``locale``.

    When the channel or the bot's member is not in the cache, the permissions Discord sent
    with the interaction (``app_permissions``) are checked instead.
    """
    channel = _channel_to_check(interaction)
    me = interaction.guild.me if interaction.guild is not None else None
    if channel is not None and me is not None:
        missing = check_channel(channel, me, needs_pins=needs_pins, needs_manage=needs_manage)
        mention = channel.mention
    else:
        missing = missing_from(
            interaction.app_permissions, needs_pins=needs_pins, needs_manage=needs_manage
        )
        mention = f"<#{interaction.channel_id}>"
    report = PermissionReport(missing, message_content_enabled(interaction.client))
    return report, render_report(catalog, locale, report, mention)
