"""The permission self-check: what is missing, in order, and how it is explained."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.i18n import LOCALES, catalog
from bot.permission_check import (
    PermissionReport,
    check_channel,
    message_content_enabled,
    missing_from,
    render_report,
    report_for,
)
from bot.permissions import BOT_PERMISSIONS, PERMISSION_REASONS

CHANNEL = "<#123>"


def all_but(*names: str) -> discord.Permissions:
    permissions = discord.Permissions(BOT_PERMISSIONS.value)
    for name in names:
        setattr(permissions, name, False)
    return permissions


def test_nothing_is_missing_with_the_invite_permissions() -> None:
    assert missing_from(BOT_PERMISSIONS) == ()
    assert missing_from(discord.Permissions.all()) == ()


def test_everything_is_missing_without_permissions_in_the_documented_order() -> None:
    assert missing_from(discord.Permissions.none()) == tuple(PERMISSION_REASONS)


def test_only_what_is_missing_is_named_in_order() -> None:
    missing = missing_from(all_but("pin_messages", "create_public_threads"))
    assert missing == ("create_public_threads", "pin_messages")


def test_permissions_the_bot_does_not_need_do_not_count() -> None:
    # Administrator-like extras are irrelevant; only the needed set is looked at.
    permissions = discord.Permissions(BOT_PERMISSIONS.value)
    permissions.manage_messages = False
    permissions.mention_everyone = False
    assert missing_from(permissions) == ()


def test_pins_can_be_left_out_for_sessions_without_multi_day_steps() -> None:
    assert missing_from(all_but("pin_messages"), needs_pins=False) == ()
    assert missing_from(all_but("pin_messages", "add_reactions"), needs_pins=False) == (
        "add_reactions",
    )


def test_manage_messages_counts_only_for_private_writing() -> None:
    assert missing_from(BOT_PERMISSIONS) == ()
    assert missing_from(BOT_PERMISSIONS, needs_manage=True) == ("manage_messages",)
    with_manage = discord.Permissions(BOT_PERMISSIONS.value | (1 << 13))
    assert missing_from(with_manage, needs_manage=True) == ()
    text = render_report(catalog(), "nl", PermissionReport(("manage_messages",), True), CHANNEL)
    assert "**Berichten beheren**" in text


class FakeChannel:
    """Just enough of a guild channel: permissions for one member."""

    def __init__(self, permissions: discord.Permissions) -> None:
        self._permissions = permissions
        self.asked: list[object] = []

    def permissions_for(self, member: object) -> discord.Permissions:
        self.asked.append(member)
        return self._permissions


def test_check_channel_asks_the_channel_about_the_bot() -> None:
    channel = FakeChannel(all_but("attach_files"))
    me: Any = object()
    fake: Any = channel
    assert check_channel(fake, me) == ("attach_files",)
    assert channel.asked == [me]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (discord.ApplicationFlags(gateway_message_content=True), True),
        (discord.ApplicationFlags(gateway_message_content_limited=True), True),
        (discord.ApplicationFlags(gateway_presence=True, app_commands_badge=True), False),
        (discord.ApplicationFlags(), False),
        (discord.utils.MISSING, None),  # before login
        (None, None),
    ],
)
def test_message_content_comes_from_the_application_flags(
    flags: object, expected: bool | None
) -> None:
    client: Any = SimpleNamespace(application_flags=flags)
    assert message_content_enabled(client) is expected


def test_the_report_is_ok_only_without_gaps() -> None:
    assert PermissionReport((), True).ok
    assert PermissionReport((), None).ok  # unknown intent: nothing to complain about
    assert not PermissionReport(("pin_messages",), True).ok
    assert not PermissionReport((), False).ok


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_all_good_says_so_and_names_the_channel(locale: str) -> None:
    text = render_report(catalog(), locale, PermissionReport((), True), CHANNEL)
    assert CHANNEL in text
    assert "✅" in text
    for name in PERMISSION_REASONS:
        assert catalog().raw(locale, f"admin.permission.{name}.name") not in text


def test_a_missing_permission_is_named_as_discord_names_it_in_dutch() -> None:
    text = render_report(catalog(), "nl", PermissionReport(("pin_messages",), True), CHANNEL)
    assert "**Berichten vastmaken**" in text
    assert "vast te maken" in text  # why it is needed
    assert "Machtigingen" in text  # where to fix it
    assert "rol van de bot" in text
    assert CHANNEL in text
    assert "Openbare threads maken" not in text  # only what is missing
    assert "Message Content" not in text


def test_a_missing_permission_is_named_as_discord_names_it_in_english() -> None:
    report = PermissionReport(("create_public_threads", "pin_messages"), True)
    text = render_report(catalog(), "en", report, CHANNEL)
    assert "**Create Public Threads**" in text
    assert "**Pin Messages**" in text
    assert text.index("Create Public Threads") < text.index("Pin Messages")
    assert "Permissions" in text
    assert "bot's role" in text
    assert "Send Messages" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_permission_has_a_name_and_a_reason(locale: str) -> None:
    text = render_report(
        catalog(), locale, PermissionReport(tuple(PERMISSION_REASONS), True), CHANNEL
    )
    for name in PERMISSION_REASONS:
        assert f"**{catalog().raw(locale, f'admin.permission.{name}.name')}**" in text
        assert catalog().raw(locale, f"admin.permission.{name}.why") in text
    assert len(text) <= 2000


@pytest.mark.parametrize(("locale", "switch"), [("nl", "zet"), ("en", "switch on")])
def test_the_intent_says_where_to_switch_it_on(locale: str, switch: str) -> None:
    text = render_report(catalog(), locale, PermissionReport((), False), CHANNEL)
    assert "Message Content Intent" in text
    assert "Developer Portal" in text
    assert "https://discord.com/developers/applications" in text
    assert "Privileged Gateway Intents" in text
    assert switch in text
    assert "✅ " not in text.splitlines()[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_both_problems_together(locale: str) -> None:
    text = render_report(catalog(), locale, PermissionReport(("send_messages",), False), CHANNEL)
    assert catalog().raw(locale, "admin.permission.send_messages.name") in text
    assert "Message Content Intent" in text


async def test_without_the_channel_in_the_cache_discords_own_answer_is_checked() -> None:
    # report_for falls back to the app_permissions Discord sends with every interaction.
    interaction: Any = SimpleNamespace(
        channel=None,
        guild=None,
        channel_id=42,
        app_permissions=all_but("send_messages_in_threads"),
        client=SimpleNamespace(
            application_flags=discord.ApplicationFlags(gateway_message_content=True)
        ),
    )
    report, text = await report_for(interaction, catalog(), "en")
    assert report == PermissionReport(("send_messages_in_threads",), True)
    assert "<#42>" in text
    assert "**Send Messages in Threads**" in text
