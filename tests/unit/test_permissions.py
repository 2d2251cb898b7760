"""The permissions in the invite link: exactly the documented set, each with a reason."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import discord

from bot.permissions import BOT_PERMISSIONS, PERMISSION_REASONS, SCOPES, invite_url

# Discord's bit for each permission the bot asks for (developer docs, "Permissions"),
# written out here so the test does not trust discord.py's flag table alone.
EXPECTED_BITS = {
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "create_public_threads": 1 << 35,
    "send_messages_in_threads": 1 << 38,
    "read_message_history": 1 << 16,
    "add_reactions": 1 << 6,
    "attach_files": 1 << 15,
    "pin_messages": 1 << 51,
}
EXPECTED_VALUE = sum(EXPECTED_BITS.values())

NEVER = (
    "administrator",
    "mention_everyone",
    "manage_guild",
    "manage_roles",
    "manage_channels",
    "manage_messages",
    "manage_threads",
    "kick_members",
    "ban_members",
    "moderate_members",
    "create_instant_invite",
)


def test_the_integer_is_exactly_the_documented_set() -> None:
    assert BOT_PERMISSIONS.value == EXPECTED_VALUE == 2252109051432000
    assert list(PERMISSION_REASONS) == list(EXPECTED_BITS)  # the documented order too


def test_discord_py_agrees_on_every_bit() -> None:
    for name, bit in EXPECTED_BITS.items():
        assert getattr(discord.Permissions, name).flag == bit, name


def test_nothing_dangerous_is_asked_for() -> None:
    for name in NEVER:
        assert not getattr(BOT_PERMISSIONS, name), name
    for name in PERMISSION_REASONS:
        assert getattr(BOT_PERMISSIONS, name), name


def test_every_permission_has_a_one_line_reason() -> None:
    for name, reason in PERMISSION_REASONS.items():
        assert reason.strip(), name
        assert "\n" not in reason, name
        assert len(reason) <= 90, name


def test_the_invite_url_parses() -> None:
    url = invite_url(123456789012345678)
    assert url.startswith("https://discord.com/oauth2/authorize?")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    assert SCOPES == ("bot", "applications.commands")
    assert query["permissions"] == [str(EXPECTED_VALUE)]
    assert set(query) == {"client_id", "scope", "permissions"}
    assert "&scope=bot+applications.commands&" in url


def test_manage_messages_only_for_private_writing() -> None:
    from bot.permissions import PRIVATE_WRITING_PERMISSIONS, PRIVATE_WRITING_REASONS

    assert list(PRIVATE_WRITING_REASONS) == ["manage_messages"]
    assert PRIVATE_WRITING_PERMISSIONS.value == EXPECTED_VALUE | (1 << 13)
    query = parse_qs(urlsplit(invite_url(1, private_writing=True)).query)
    assert query["permissions"] == [str(EXPECTED_VALUE | (1 << 13))]
    for name in NEVER:
        if name != "manage_messages":
            assert not getattr(PRIVATE_WRITING_PERMISSIONS, name), name
