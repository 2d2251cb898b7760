"""One deployment, two libraries: each server runs sessions by its own settings — language,
timezone, facilitator role, step times — side by side, after a restart too; a missing
permission is named before a session start would fail halfway."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.permissions import BOT_PERMISSIONS
from bot.sandbox.permissions import Overwrite
from tests.e2e.conftest import Harness

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value


def thread_of(h: Harness, channel: int) -> int:
    threads = [t for t in h.sb.threads if str(t["parent_id"]) == str(channel)]
    assert len(threads) == 1
    return int(threads[0]["id"])


async def test_two_libraries_each_run_by_their_own_settings(harness: Harness) -> None:
    h = harness
    sb = h.sb
    # Bibliotheek Noord (the harness's server) keeps the deployment's defaults, plus an
    # admin. Library South, a second server on the same bot, sets everything itself.
    beheer = sb.add_role(h.guild_id, "Beheer", permissions=MANAGE_GUILD).id
    noord_admin = sb.add_member(h.guild_id, "noord-admin", roles=[beheer]).id
    south = sb.add_guild("Library South", locale="en-GB")
    sb.set_role_permissions(south.id, sb.world.guild(south.id).bot_role_id, BOT_PERMISSIONS.value)
    south_admins = sb.add_role(south.id, "Admins", permissions=MANAGE_GUILD).id
    leads = sb.add_role(south.id, "Workshop lead").id
    south_admin = sb.add_member(south.id, "south-admin", roles=[south_admins]).id
    lead = sb.add_member(south.id, "lead", global_name="Lead", roles=[leads]).id
    visitor = sb.add_member(south.id, "visitor", global_name="Visitor").id
    sb.add_member(south.id, h.facilitator)  # Noord's facilitator is only a member here
    south_channel = sb.add_text_channel(south.id, "co-design").id
    no_threads = sb.add_text_channel(south.id, "announcements").id
    sb.world.channels[no_threads].overwrites.append(
        Overwrite(id=sb.world.guild(south.id).bot_role_id, type=0, deny=CREATE_PUBLIC_THREADS)
    )
    await h.start()

    async def south_set(setting: str, value: str, user: int = south_admin) -> str:
        return await h.command(
            user,
            "settings",
            "set",
            guild=south.id,
            channel=south_channel,
            locale="en-GB",
            setting=setting,
            value=value,
        )

    # Only admins change settings.
    refused = await south_set("language", "en", user=visitor)
    assert "Manage Server" in refused or "admin" in refused.casefold()
    for setting, value, shown in (
        ("language", "en", "English"),
        ("timezone", "Europe/London", "Europe/London"),
        ("facilitator_role", "Workshop lead", f"<@&{leads}>"),
        ("durations", "5m,5m,5m,5m", "5m,5m,5m,5m"),
        ("reminders", "1h,12h", "12h, 1h"),
    ):
        answer = await south_set(setting, value)
        assert answer.startswith("✅") and shown in answer, answer

    # South: the lead starts; the welcome speaks English and step one lasts 5 minutes.
    # Noord's facilitator role means nothing there.
    refused = await h.command(
        h.facilitator, "session", "start", guild=south.id, channel=south_channel,
        locale="en-GB", topic="A library for every age",
    )  # fmt: skip
    assert "facilitator" in refused.casefold()
    started = await h.command(
        lead, "session", "start", guild=south.id, channel=south_channel,
        locale="en-GB", topic="A library for every age",
    )  # fmt: skip
    assert "started" in started
    south_thread = thread_of(h, south_channel)
    south_text = h.bot_text(south_thread)
    assert "Welcome" in south_text and "5 minutes" in south_text

    # Noord, side by side: Dutch, the template's own 15 minutes, its own facilitator role.
    started = await h.command(h.facilitator, "session", "start", topic="Een bieb voor iedereen")
    assert "gestart" in started
    noord_thread = thread_of(h, h.channel_id)
    noord_text = h.bot_text(noord_thread)
    assert "Welkom" in noord_text and "15 minuten" in noord_text

    # Each server's clock: after 5 minutes South moved on, Noord did not.
    mark = h.mark()
    await h.advance(timedelta(minutes=5, seconds=1))
    await h.wait_for_post(south_thread, "Step 2 of 4", since=mark)
    assert "Stap 2" not in h.bot_text(noord_thread)

    # A channel where the bot may not open threads: refused before anything is posted,
    # naming exactly what is missing.
    before = len(sb.messages(no_threads))
    refused = await h.command(
        lead, "session", "start", guild=south.id, channel=no_threads,
        locale="en-GB", topic="Nowhere to go",
    )  # fmt: skip
    assert "Create Public Threads" in refused
    assert len(sb.messages(no_threads)) == before
    check = await h.command(
        south_admin, "settings", "check", guild=south.id, channel=no_threads, locale="en-GB"
    )
    assert "Create Public Threads" in check

    # Settings survive a restart, and Noord's admin sees Noord's, not South's.
    await h.restart()
    shown = await h.command(
        south_admin, "settings", "show", guild=south.id, channel=south_channel, locale="en-GB"
    )
    assert "Europe/London" in shown and "5m,5m,5m,5m" in shown
    noord_shown = await h.command(noord_admin, "settings", "show")
    assert "Europe/London" not in noord_shown and "Europe/Amsterdam" in noord_shown
