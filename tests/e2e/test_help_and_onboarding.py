"""``/help`` lists what each member can use, in their language; a server the bot joins
gets one welcome for its admins, only where the bot may post, and pinging no one."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import pytest

from bot.cogs.help import MESSAGE_LIMIT, HelpCog, help_text, messages, slash
from bot.i18n import LOCALES, catalog
from bot.sandbox import payloads
from bot.sandbox.permissions import Overwrite
from bot.sandbox.state import Guild
from tests.e2e.conftest import MESSAGES_ROUTE, Harness

VIEW = discord.Permissions(view_channel=True, read_message_history=True).value
SEND = discord.Permissions(send_messages=True).value


# -- /help -------------------------------------------------------------------------------------


async def test_a_participant_sees_how_to_take_part(harness: Harness) -> None:
    h = harness
    await h.start()
    text = await h.command(h.alice, "help", locale="nl")
    assert "co-creatiesessies" in text
    assert "**Zo doe je mee**" in text
    assert "`/notitie`" in text
    assert "**Notitie toevoegen**" in text
    assert "*Beantwoorden*" in text
    assert "`//`" in text
    assert "`/sessie status`" in text
    assert "`/sessie duwtjes`" in text
    assert "begeleidersrol" in text  # how to become a facilitator
    assert "/sessie start" not in text
    assert "/bord" not in text
    assert "Voor beheerders" not in text


async def test_a_facilitator_also_sees_the_session_and_board_commands(harness: Harness) -> None:
    h = harness
    await h.start()
    text = await h.command(h.facilitator, "help", locale="nl")
    assert "**Zo doe je mee**" in text
    assert "**Voor begeleiders**" in text
    for command in (
        "/sessie start",
        "/sessie volgende",
        "/sessie terug",
        "/sessie pauze",
        "/sessie verder",
        "/sessie verlengen",
        "/sessie stemmen",
        "/sessie einde",
        "/bord themas",
        "/bord hernoemen",
        "/bord verplaatsen",
        "/bord samenvoegen",
        "/bord exporteren",
    ):
        assert f"`{command}`" in text, command
    assert "Voor beheerders" not in text


async def test_an_admin_also_sees_the_settings_commands_in_english(harness: Harness) -> None:
    h = harness
    admin = h.sb.add_member(h.guild_id, "beheer", permissions_admin=True).id
    await h.start()
    text = await h.command(admin, "help", locale="en-GB")
    assert "**How to take part**" in text
    assert "**For facilitators**" in text  # Administrator includes Manage Threads
    assert "**For admins**" in text
    names = {name: slash(catalog(), "en", "settings", name) for name in ("show", "set", "check")}
    for command in names.values():
        assert f"`{command}`" in text
    assert "`/session start`" in text
    assert "`/note`" in text
    assert "**Add note**" in text
    assert "docs/facilitator-guide.md" in text


async def test_the_facilitator_role_comes_from_the_callable(harness: Harness) -> None:
    h = harness
    youth_role = h.sb.add_role(h.guild_id, "Jongerenwerker").id
    youth_worker = h.sb.add_member(h.guild_id, "sanne", roles=[youth_role]).id
    bot = await h.start()
    asked: list[int | None] = []

    async def role_for(guild_id: int | None) -> str:
        asked.append(guild_id)
        return "jongerenwerker"

    await bot.remove_cog("HelpCog")
    await bot.add_cog(HelpCog(bot.catalog, bot.settings, role_for))

    assert "**Voor begeleiders**" in await h.command(youth_worker, "help", locale="nl")
    assert "**Voor begeleiders**" not in await h.command(h.facilitator, "help", locale="nl")
    assert asked == [h.guild_id, h.guild_id]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_longest_help_fits_one_message(locale: str) -> None:
    sections = help_text(catalog(), locale, facilitator=True, admin=True)
    assert len(messages(sections)) == 1
    assert len(messages(sections)[0]) <= MESSAGE_LIMIT


def test_sections_too_long_together_go_in_separate_messages() -> None:
    assert messages(["a" * 1500, "b" * 400, "c" * 200]) == [
        "a" * 1500 + "\n\n" + "b" * 400,
        "c" * 200,
    ]


# -- the welcome -------------------------------------------------------------------------------


def new_guild(
    h: Harness,
    name: str,
    *,
    locale: str,
    channels: list[tuple[str, list[Overwrite]]],
    everyone: int | None = None,
    bot_role: int | None = None,
) -> tuple[Guild, list[int]]:
    """A server with its channels, made without events (announce it with join())."""
    world = h.sb.world
    guild = world.add_guild(name, locale=locale)
    if everyone is not None:
        guild.roles[guild.id].permissions = everyone
    if bot_role is not None:
        guild.roles[guild.bot_role_id].permissions = bot_role
    ids = [world.add_channel(guild.id, channel, overwrites=o).id for channel, o in channels]
    return guild, ids


def deny_bot_sending(guild: Guild) -> list[Overwrite]:
    return [Overwrite(id=guild.bot_role_id, type=0, deny=SEND)]


def posts_in(h: Harness, channel_ids: list[int]) -> list[Any]:
    wanted = {str(c) for c in channel_ids}
    return [
        c
        for c in h.sb.calls
        if c.method == "POST" and c.route == MESSAGES_ROUTE and c.params.get("channel_id") in wanted
    ]


async def test_a_new_server_gets_a_dutch_welcome_where_the_bot_may_post(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    world = h.sb.world
    guild = world.add_guild("Bibliotheek Zuid", locale="nl")
    locked = world.add_channel(guild.id, "mededelingen", overwrites=deny_bot_sending(guild)).id
    hall = world.add_channel(guild.id, "algemeen").id
    later = world.add_channel(guild.id, "zzz-later").id
    h.sb.engine.announce_guild(guild)

    call = await h.wait_for_post(hall, "cocreate")
    text = call.json["content"]
    assert "Klaarzetten, in drie stappen" in text
    assert "1. Typ `" in text and "check`" in text
    assert "`/sessie start`" in text
    assert "docs/setup.md" in text
    assert "docs/facilitator-guide.md" in text
    assert "`/hulp`" in text
    assert call.json["allowed_mentions"] == {"parse": []}
    await asyncio.sleep(0.1)
    assert len(posts_in(h, [locked, hall, later])) == 1
    # The server the bot was already in when it connected gets nothing.
    assert posts_in(h, [h.channel_id, h.other_channel_id]) == []


async def test_the_system_channel_comes_first_in_english(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    guild, (general, welcome) = new_guild(
        h, "Library East", locale="en-GB", channels=[("general", []), ("welcome", [])]
    )
    real = payloads.guild_create

    def with_system_channel(g: Guild, *args: Any, **kwargs: Any) -> Any:
        data = real(g, *args, **kwargs)
        if g.id == guild.id:
            data["system_channel_id"] = str(welcome)
        return data

    monkeypatch.setattr(payloads, "guild_create", with_system_channel)
    await h.start()
    h.sb.engine.announce_guild(guild)

    call = await h.wait_for_post(welcome, "cocreate")
    text = call.json["content"]
    assert "Getting ready, in three steps" in text
    assert "`/session start`" in text
    assert "`/help`" in text
    assert posts_in(h, [general]) == []


async def test_a_system_channel_it_may_not_post_in_is_skipped_and_other_languages_get_dutch(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    world = h.sb.world
    guild = world.add_guild("Stadtbibliothek", locale="de")
    system = world.add_channel(guild.id, "system", overwrites=deny_bot_sending(guild)).id
    first = world.add_channel(guild.id, "allgemein").id
    real = payloads.guild_create

    def with_system_channel(g: Guild, *args: Any, **kwargs: Any) -> Any:
        data = real(g, *args, **kwargs)
        if g.id == guild.id:
            data["system_channel_id"] = str(system)
        return data

    monkeypatch.setattr(payloads, "guild_create", with_system_channel)
    await h.start()
    h.sb.engine.announce_guild(guild)

    call = await h.wait_for_post(first, "cocreate")
    assert "Klaarzetten" in call.json["content"]
    assert posts_in(h, [system]) == []


async def test_a_server_where_the_bot_may_post_nowhere_gets_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await h.start()
    caplog.set_level(logging.WARNING, logger="bot.cogs.onboarding")
    guild, channels = new_guild(
        h,
        "Bibliotheek Dicht",
        locale="nl",
        channels=[("algemeen", []), ("mededelingen", []), ("co-creatie", [])],
        everyone=VIEW,
        bot_role=VIEW,
    )
    # One channel lets everyone send except the bot.
    h.sb.world.channels[channels[2]].overwrites = [
        Overwrite(id=guild.id, type=0, allow=SEND),
        *deny_bot_sending(guild),
    ]
    h.sb.engine.announce_guild(guild)

    for _ in range(100):
        if any("no welcome" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert any(
        "no welcome" in r.getMessage() and str(guild.id) in r.getMessage() for r in caplog.records
    )
    assert posts_in(h, channels) == []
