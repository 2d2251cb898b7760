"""The slash commands Discord learns from the bot: localised, and synced only on request."""

from __future__ import annotations

from tests.e2e.conftest import Harness


def _sync_calls(h: Harness) -> list[object]:
    return [c for c in h.sb.calls if c.method == "PUT" and c.route.endswith("/commands")]


async def test_commands_are_synced_with_dutch_names_and_descriptions(harness: Harness) -> None:
    h = harness
    await h.start(sync=True)
    commands = {c["name"]: c for c in h.sb.commands()}
    session = commands["session"]
    assert session["name_localizations"]["nl"] == "sessie"
    assert session["description_localizations"]["nl"]
    subcommands = {o["name"]: o for o in session["options"]}
    assert set(subcommands) == {
        "start",
        "next",
        "back",
        "pause",
        "resume",
        "extend",
        "end",
        "status",
        "vote",
        "nudges",
        "reveal",
        "repeat",
    }
    assert subcommands["repeat"]["name_localizations"]["nl"] == "herhaal"
    assert subcommands["vote"]["name_localizations"]["nl"] == "stemmen"
    assert subcommands["reveal"]["name_localizations"]["nl"] == "onthullen"
    assert subcommands["nudges"]["name_localizations"]["nl"] == "duwtjes"
    board = {o["name"] for o in commands["board"]["options"]}
    assert board == {"themes", "rename", "move", "merge", "lane", "export"}
    assert commands["board"]["name_localizations"]["nl"] == "bord"
    assert subcommands["resume"]["name_localizations"]["nl"] == "verder"
    start_options = {o["name"]: o for o in subcommands["start"]["options"]}
    assert start_options["topic"]["name_localizations"]["nl"] == "onderwerp"
    assert start_options["topic"]["required"] is True
    assert start_options["private"]["name_localizations"]["nl"] == "privé"
    assert start_options["anonymous"]["name_localizations"]["nl"] == "anoniem"
    assert {c["value"] for c in start_options["language"]["choices"]} == {"nl", "en"}
    assert commands["note"]["name_localizations"]["nl"] == "notitie"
    settings = commands["settings"]
    assert settings["name_localizations"]["nl"] == "instellingen"
    settings_subcommands = {o["name"]: o for o in settings["options"]}
    assert {"show", "set"} <= set(settings_subcommands)
    assert settings_subcommands["show"]["name_localizations"]["nl"] == "toon"
    assert settings_subcommands["set"]["name_localizations"]["nl"] == "zet"
    set_options = {o["name"]: o for o in settings_subcommands["set"]["options"]}
    assert set_options["setting"]["name_localizations"]["nl"] == "instelling"
    assert set_options["value"]["name_localizations"]["nl"] == "waarde"
    assert set_options["value"]["autocomplete"] is True
    keys = {c["value"]: c for c in set_options["setting"]["choices"]}
    assert set(keys) == {
        "language",
        "timezone",
        "facilitator_role",
        "template",
        "durations",
        "recap_time",
        "recap_channel",
        "retention_days",
        "nudges",
        "reminders",
    }
    assert {"show", "set", "check"} == set(settings_subcommands)
    assert keys["timezone"]["name_localizations"]["nl"] == "Tijdzone"
    assert commands["help"]["name_localizations"]["nl"] == "hulp"
    assert commands["help"]["description_localizations"]["nl"]
    assert "options" not in commands["help"] or not commands["help"]["options"]
    privacy = commands["privacy"]
    assert privacy["description_localizations"]["nl"]
    privacy_subcommands = {o["name"]: o for o in privacy["options"]}
    assert set(privacy_subcommands) == {"forget-me", "my-data"}
    assert privacy_subcommands["forget-me"]["name_localizations"]["nl"] == "vergeet-mij"
    assert privacy_subcommands["my-data"]["name_localizations"]["nl"] == "mijn-gegevens"
    for command in commands.values():
        assert command.get("contexts") in (None, [0]), "commands are for servers only"


async def test_no_sync_on_an_ordinary_start(harness: Harness) -> None:
    h = harness
    await h.start(sync=False)
    assert _sync_calls(h) == []
