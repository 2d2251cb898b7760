"""``/settings`` end to end through the sandbox: only admins, every answer private, each
value checked against the server, shown as the server's own, and kept across a restart."""

from __future__ import annotations

from typing import Any

import discord

from bot.domain.server_settings import ServerSettings
from bot.sandbox.permissions import SEND_MESSAGES, Overwrite
from tests.e2e.conftest import Harness

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


class Server:
    """The harness's server plus what /settings needs: an admin, a role, a channel."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.admin_role = h.sb.add_role(h.guild_id, "Beheer", permissions=MANAGE_GUILD).id
        self.admin = h.sb.add_member(h.guild_id, "beheerder", roles=[self.admin_role]).id
        self.hosts = h.sb.add_role(h.guild_id, "Begeleiders").id
        self.recaps = h.sb.add_text_channel(h.guild_id, "dagoverzicht").id
        self.closed = h.sb.add_text_channel(h.guild_id, "mededelingen").id
        # The bot may read #mededelingen but not post there.
        h.sb.world.channels[self.closed].overwrites.append(
            Overwrite(id=h.sb.bot_id, type=1, deny=SEND_MESSAGES)
        )

    async def set(self, setting: str, value: str, *, user: int | None = None, **kw: Any) -> str:
        return await self.h.command(
            user or self.admin, "settings", "set", setting=setting, value=value, **kw
        )

    async def show(self, *, user: int | None = None, **kw: Any) -> str:
        return await self.h.command(user or self.admin, "settings", "show", **kw)

    async def suggest(self, setting: str, typed: str, *, user: int | None = None) -> list[Any]:
        handle = await self.h.sb.autocomplete(
            self.h.guild_id,
            self.h.channel_id,
            user or self.admin,
            "settings",
            subcommand="set",
            focused="value",
            options={"setting": setting, "value": typed},
            locale="nl",
        )
        answer = await handle.response(timeout=10)
        assert answer.json is not None
        assert answer.json["type"] == 8
        return list(answer.json["data"]["choices"])


def line(text: str, name: str) -> str:
    """The line of /settings show for the setting called ``name``."""
    found = [row for row in text.splitlines() if row.startswith(f"**{name}:**")]
    assert len(found) == 1, text
    return found[0]


async def test_members_without_manage_server_are_refused_kindly(harness: Harness) -> None:
    h = harness
    server = Server(h)
    await h.start()
    for user in (h.alice, h.facilitator):
        answer = await server.show(user=user)
        assert "Alleen beheerders" in answer
        answer = await server.set("language", "en", user=user)
        assert "Alleen beheerders" in answer
    english = await server.set("nudges", "off", user=h.alice, locale="en-GB")
    assert "Only this server's admins" in english
    assert await server.suggest("timezone", "amst", user=h.alice) == []
    assert await h.bot.store.server_settings(h.guild_id) == ServerSettings()  # type: ignore[union-attr]


async def test_an_admin_sets_the_servers_own_values_and_they_stay(harness: Harness) -> None:
    h = harness
    server = Server(h)
    await h.start()

    before = await server.show()
    assert "Instellingen van cocreate" in before
    assert line(before, "Taal") == "**Taal:** Nederlands · _standaard_"
    assert line(before, "Tijdzone") == "**Tijdzone:** Europe/Amsterdam · _standaard_"
    assert f"<@&{h.facilitator_role}>" in line(before, "Begeleidersrol")  # found by name
    assert "in de thread van elke sessie" in line(before, "Kanaal voor dagoverzichten")

    assert await server.set("language", "en") == "✅ **Taal** is nu: English"

    refused = await server.set("timezone", "amsterdam")
    assert "tijdzone “amsterdam” ken ik niet" in refused
    assert "Bedoel je `Europe/Amsterdam`?" in refused
    assert "Europe/London" in await server.set("timezone", "Europe/London")

    assert f"<@&{server.hosts}>" in await server.set("facilitator_role", "begeleiders")
    missing = await server.set("facilitator_role", "Bestuur")
    assert "De rol “Bestuur” vind ik niet" in missing
    unseen = await server.set("facilitator_role", "123456789012345678")  # not in this server
    assert "vind ik niet" in unseen
    assert "@everyone" in await server.set("facilitator_role", str(h.guild_id))

    assert f"<#{server.recaps}>" in await server.set("recap_channel", "#dagoverzicht")
    assert "uit" in await server.set("nudges", "uit")

    shown = await server.show()
    assert line(shown, "Taal") == "**Taal:** English · _eigen instelling_"
    assert line(shown, "Tijdzone") == "**Tijdzone:** Europe/London · _eigen instelling_"
    assert (
        line(shown, "Begeleidersrol")
        == f"**Begeleidersrol:** <@&{server.hosts}> · _eigen instelling_"
    )
    assert line(shown, "Kanaal voor dagoverzichten").startswith(
        f"**Kanaal voor dagoverzichten:** <#{server.recaps}> · _eigen"
    )
    assert line(shown, "Duwtjes") == "**Duwtjes:** uit · _eigen instelling_"
    assert line(shown, "Sjabloon").endswith("_standaard_")
    assert (
        line(shown, "Bewaartermijn notities")
        == "**Bewaartermijn notities:** 180 dagen · _standaard_"
    )
    assert line(shown, "Tijdstip dagoverzicht") == "**Tijdstip dagoverzicht:** 17:00 · _standaard_"
    # An admin reading in English sees the same values in English.
    english = await server.show(locale="en-GB")
    assert line(english, "Nudges") == "**Nudges:** off · _this server's own_"
    assert line(english, "Keep notes for") == "**Keep notes for:** 180 days · _default_"

    await h.restart()
    assert await server.show() == shown
    own = await h.bot.store.server_settings(h.guild_id)  # type: ignore[union-attr]
    assert own == ServerSettings(
        language="en",
        timezone="Europe/London",
        facilitator_role=str(server.hosts),
        recap_channel=server.recaps,
        nudges=False,
    )


async def test_values_are_checked_against_the_server(harness: Harness) -> None:
    h = harness
    server = Server(h)
    await h.start()

    # The classic template has four steps.
    count = await server.set("durations", "10m,10m")
    assert "heeft 4 stappen" in count
    assert "`15m,10m,10m,15m`" in count
    assert "15m,,10m,20m" in await server.set("durations", "15m,,10m,20m")
    assert "kan ik niet lezen" in await server.set("durations", "kwartier")

    known = "`check-in`, `classic`, `masterclass-dag-1`, `masterclass-dag-2`"
    assert f"Kies uit: {known}" in await server.set("template", "klassiek")
    assert "Klassiek" in await server.set("template", "classic")

    cannot = await server.set("recap_channel", f"<#{server.closed}>")
    assert f"In <#{server.closed}> mag ik geen berichten plaatsen" in cannot
    assert "is geen kanaal" in await server.set("recap_channel", "bestaat-niet")
    thread_like = await server.set("recap_channel", str(h.facilitator))  # an id, not a channel
    assert "vind ik niet in deze server" in thread_like

    assert "17:30" in await server.set("recap_time", "17.30")
    assert "geen tijdstip" in await server.set("recap_time", "half zes")
    assert "van 0 tot en met 3650" in await server.set("retention_days", "-1")
    assert "30 dagen" in await server.set("retention_days", "30")
    assert "Kies `aan` of `uit`" in await server.set("nudges", "misschien")
    assert "Kies `nl` (Nederlands) of `en` (English)" in await server.set("language", "fries")
    assert "English" in await server.set("language", "English")  # the name works too

    # Back to the deployment's value: "standaard", "default" or "reset".
    assert (
        await server.set("retention_days", "standaard")
        == "↩️ **Bewaartermijn notities** staat weer op de standaard: 180 dagen"
    )
    assert "Nederlands" in await server.set("language", "reset")
    assert "zoals het sjabloon" in await server.set("durations", "default")
    own = await h.bot.store.server_settings(h.guild_id)  # type: ignore[union-attr]
    assert own == ServerSettings(template="classic", recap_time="17:30")


async def test_replies_are_private_and_ping_nobody(harness: Harness) -> None:
    h = harness
    server = Server(h)
    await h.start()
    handle = await h.sb.slash_command(
        h.guild_id,
        h.channel_id,
        server.admin,
        "settings",
        subcommand="set",
        options={"setting": "facilitator_role", "value": f"<@&{server.hosts}>"},
        locale="nl",
    )
    callback = await handle.response(timeout=10)
    assert callback.json is not None
    data = callback.json["data"]
    assert data["flags"] & 64
    assert f"<@&{server.hosts}>" in data["content"]
    assert data["allowed_mentions"] == {"parse": []}
    assert h.bot_posts(h.channel_id) == []


async def test_the_configured_admin_role_may_too(harness: Harness) -> None:
    h = harness
    team = h.sb.add_role(h.guild_id, "Bibliotheekteam").id
    member = h.sb.add_member(h.guild_id, "teamlid", roles=[team]).id
    plain = h.settings

    def with_admin_role() -> Any:
        settings = plain()
        return settings.model_copy(
            update={
                "discord": settings.discord.model_copy(update={"admin_role": "bibliotheekteam"})
            }
        )

    h.settings = with_admin_role  # type: ignore[method-assign]
    await h.start()
    server = Server(h)
    assert "Instellingen van cocreate" in await server.show(user=member)
    assert "Alleen beheerders" in await server.show(user=h.alice)


async def test_suggestions_while_typing_a_value(harness: Harness) -> None:
    h = harness
    server = Server(h)
    await h.start()

    zones = await server.suggest("timezone", "amster")
    assert zones[0] == {"name": "Europe/Amsterdam", "value": "Europe/Amsterdam"}
    assert len(await server.suggest("timezone", "a")) == 25
    assert (await server.suggest("timezone", ""))[0]["value"] == "Europe/Amsterdam"

    assert [c["value"] for c in await server.suggest("language", "")] == ["nl", "en"]
    assert [c["value"] for c in await server.suggest("language", "eng")] == ["en"]
    assert [c["name"] for c in await server.suggest("nudges", "")] == ["aan", "uit"]
    suggested = [c["value"] for c in await server.suggest("template", "")]
    assert suggested == ["check-in", "classic", "masterclass-dag-1", "masterclass-dag-2"]
    assert [c["value"] for c in await server.suggest("durations", "")] == ["15m,10m,10m,15m"]

    roles = await server.suggest("facilitator_role", "begel")
    assert roles == [{"name": "@Begeleiders", "value": str(server.hosts)}]
    channels = {c["name"] for c in await server.suggest("recap_channel", "")}
    assert "#dagoverzicht" in channels
    assert "#mededelingen" not in channels  # the bot may not post there

    # Once the server has its own value, "standaard" is offered to go back.
    await server.set("nudges", "uit")
    nudges = await server.suggest("nudges", "")
    assert nudges[-1]["value"] == "default"
    assert nudges[-1]["name"].startswith("standaard")
    assert [c["value"] for c in await server.suggest("nudges", "stan")] == ["default"]
