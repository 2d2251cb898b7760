"""The permission self-check against the sandbox: the real discord.py client computes the
bot's permissions from roles and channel overwrites, and the report names what is missing.

``/settings check`` is wired elsewhere; here a test-only command calls ``report_for`` so
the check runs on a real interaction.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import CocreateBot
from bot.permission_check import PermissionReport, report_for
from bot.permissions import BOT_PERMISSIONS
from bot.sandbox.permissions import Overwrite
from bot.ui.replies import user_locale
from tests.e2e.conftest import Harness

CHECK = "permission-check"


async def install_check(bot: CocreateBot) -> list[PermissionReport]:
    """Add and sync a command that answers with ``report_for``; return its reports."""
    reports: list[PermissionReport] = []

    @app_commands.command(name=CHECK, description="test only: the permission check")
    async def check(interaction: discord.Interaction) -> None:
        locale = user_locale(bot.catalog, interaction)
        report, text = await report_for(interaction, bot.catalog, locale)
        reports.append(report)
        await interaction.response.send_message(text, ephemeral=True)

    bot.tree.add_command(check)
    await bot.tree.sync()
    return reports


def without(*names: str) -> int:
    permissions = discord.Permissions(BOT_PERMISSIONS.value)
    for name in names:
        setattr(permissions, name, False)
    return permissions.value


async def test_all_good_with_exactly_the_invite_permissions(harness: Harness) -> None:
    h = harness
    h.sb.set_bot_permissions(h.guild_id, BOT_PERMISSIONS.value)
    reports = await install_check(await h.start())
    text = await h.command(h.facilitator, CHECK, locale="nl")
    assert reports == [PermissionReport((), True)]
    assert "Alles in orde" in text
    assert f"<#{h.channel_id}>" in text


async def test_a_bot_invited_without_pin_messages_is_told_so(harness: Harness) -> None:
    # An invite from before Discord split pinning off Manage Messages (February 2026).
    h = harness
    h.sb.set_bot_permissions(h.guild_id, without("pin_messages") | (1 << 13))
    reports = await install_check(await h.start())
    text = await h.command(h.facilitator, CHECK, locale="nl")
    assert reports[-1].missing == ("pin_messages",)
    assert "**Berichten vastmaken**" in text
    assert "Machtigingen" in text
    assert "Openbare threads maken" not in text


async def test_restricted_permissions_are_named_in_english(harness: Harness) -> None:
    h = harness
    h.sb.set_bot_permissions(h.guild_id, without("create_public_threads", "pin_messages"))
    reports = await install_check(await h.start())
    text = await h.command(h.alice, CHECK, locale="en-GB")
    assert reports[-1].missing == ("create_public_threads", "pin_messages")
    assert "**Create Public Threads**" in text
    assert "**Pin Messages**" in text
    assert "Send Messages" not in text
    assert "Permissions" in text


async def test_a_channel_overwrite_counts_in_that_channel_only(harness: Harness) -> None:
    h = harness
    guild = h.sb.world.guild(h.guild_id)
    h.sb.set_role_permissions(h.guild_id, guild.bot_role_id, BOT_PERMISSIONS.value)
    channel = h.sb.world.channels[h.channel_id]
    denied = discord.Permissions(create_public_threads=True, add_reactions=True).value
    channel.overwrites.append(Overwrite(id=guild.bot_role_id, type=0, deny=denied))
    reports = await install_check(await h.start())

    text = await h.command(h.facilitator, CHECK, channel=h.channel_id, locale="nl")
    assert reports[-1].missing == ("create_public_threads", "add_reactions")
    assert "**Openbare threads maken**" in text
    assert "**Reacties toevoegen**" in text

    text = await h.command(h.facilitator, CHECK, channel=h.other_channel_id, locale="nl")
    assert reports[-1] == PermissionReport((), True)
    assert "Alles in orde" in text


async def test_in_a_thread_the_channel_it_hangs_from_is_checked(harness: Harness) -> None:
    h = harness
    h.sb.set_bot_permissions(h.guild_id, without("attach_files"))
    thread = h.sb.add_thread(h.channel_id, "oude sessie")
    reports = await install_check(await h.start())
    text = await h.command(h.facilitator, CHECK, channel=thread.id, locale="nl")
    assert reports[-1].missing == ("attach_files",)
    assert f"<#{h.channel_id}>" in text
    assert "**Bestanden bijvoegen**" in text


async def test_message_content_switched_off_in_the_portal_is_reported(harness: Harness) -> None:
    h = harness
    h.sb.set_bot_permissions(h.guild_id, BOT_PERMISSIONS.value)
    h.sb.world.application.flags = 1 << 23  # APPLICATION_COMMAND_BADGE only
    reports = await install_check(await h.start())
    text = await h.command(h.facilitator, CHECK, locale="en-US")
    assert reports[-1] == PermissionReport((), False)
    assert "Message Content Intent" in text
    assert "Privileged Gateway Intents" in text
    assert "All good" not in text
