"""``/template list`` and ``/template show`` in Dutch and English, the template
autocomplete of ``/template show`` and ``/session start``, and a library's broken
template file: its facilitators hear what is wrong with it, nobody else is bothered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.i18n import catalog
from bot.settings import Settings, TemplatesSettings
from bot.template_files import load_templates
from tests.e2e.conftest import Harness

TOPIC = "Hoe maken we de bieb tot ontmoetingsplek?"
BROKEN = """key = "mijn-sjabloon"

[[steps]]
kind = "brainstorm"
duration = "10m"
"""


async def choices(
    h: Harness, user: int, command: str, sub: str, focused: str, locale: str = "nl", **options: Any
) -> list[dict[str, Any]]:
    handle = await h.sb.autocomplete(
        h.guild_id,
        h.channel_id,
        user,
        command,
        focused=focused,
        subcommand=sub,
        options={**options, focused: options.get(focused, "")},
        locale=locale,
    )
    answer = await handle.response(timeout=10)
    assert answer.json is not None and answer.json["type"] == 8, answer.json
    return list(answer.json["data"]["choices"])


def with_own_templates(h: Harness, folder: Path) -> None:
    """The harness's bot reads a library's own templates from ``folder``."""
    plain = h.settings

    def settings() -> Settings:
        return plain().model_copy(update={"templates": TemplatesSettings(folder=folder)})

    h.settings = settings  # type: ignore[method-assign]


async def test_template_list_describes_every_template_in_the_users_language(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    dutch = await h.command(h.alice, "template", "list")
    english = await h.command(h.alice, "template", "list", locale="en-US")
    for key in load_templates():
        assert f"`{key}`" in dutch and f"`{key}`" in english
        assert catalog().t("nl", f"commands.templates.{key}") in dutch
        assert catalog().t("en", f"commands.templates.{key}") in english
    assert catalog().t("nl", "commands.templates_about.masterclass-dag-1") in dutch
    assert "1 stap," in dutch and "4 stappen," in dutch  # check-in; classic
    assert "1 step," in english and "Templates" in english
    assert "⚠️" not in dutch  # nothing broken


async def test_template_show_lists_steps_durations_canvases_votes_and_private(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    day1 = await h.command(h.bob, "template", "show", name="masterclass-dag-1")
    assert "Masterclass dag 1" in day1
    lines = day1.split("\n")
    first = next(line for line in lines if line.startswith("1. "))
    assert "Inleven" in first and "15 minuten" in first and "Stakeholder" in first
    assert any(line.startswith("3. ") and "Empathiekaart" in line for line in lines)
    assert "`/sessie start sjabloon: masterclass-dag-1`" in day1

    classic = await h.command(h.bob, "template", "show", name="classic", locale="en-GB")
    assert "Classic" in classic and "vote on the questions (3 minutes)" in classic
    assert "vote on the notes (4 minutes)" in classic and "starts with themes" in classic
    # A name in either language finds the template too.
    assert "Masterclass day 2" in await h.command(
        h.bob, "template", "show", name="Masterclass dag 2", locale="en-US"
    )
    unknown = await h.command(h.bob, "template", "show", name="bestaat-niet")
    assert unknown.startswith("Het sjabloon") or "Kies uit" in unknown


async def test_templates_autocomplete_by_name_in_the_users_language(harness: Harness) -> None:
    h = harness
    await h.start()
    offered = await choices(h, h.alice, "template", "show", "name")
    assert {c["value"] for c in offered} == set(load_templates())
    named = {c["value"]: c["name"] for c in offered}
    assert named["classic"] == catalog().t("nl", "commands.templates.classic")
    typed = await choices(h, h.alice, "template", "show", "name", locale="en-GB", name="day 1")
    day1 = catalog().t("en", "commands.templates.masterclass-dag-1")
    assert typed == [{"name": day1, "value": "masterclass-dag-1"}]
    start = await choices(h, h.facilitator, "session", "start", "template", topic=TOPIC)
    assert {c["value"] for c in start} == set(load_templates())
    # The value stays the key: a session starts with the template picked.
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC, template="check-in")
    assert "✅" in answer


async def test_a_broken_template_file_tells_facilitators_what_is_wrong(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    own = tmp_path / "sjablonen"
    own.mkdir()
    (own / "mijn-sjabloon.toml").write_text(BROKEN, encoding="utf-8")
    with_own_templates(h, own)
    await h.start()

    refused = await h.command(
        h.facilitator, "session", "start", topic=TOPIC, template="mijn-sjabloon"
    )
    assert refused.startswith("⚠️ Het sjabloon `mijn-sjabloon` kan niet worden gebruikt")
    assert "mijn-sjabloon.toml" in refused and "brainstorm" in refused and "line" in refused
    assert h.sb.threads == []
    shown = await h.command(h.facilitator, "template", "show", name="mijn-sjabloon")
    assert "brainstorm" in shown
    listed = await h.command(h.facilitator, "template", "list")
    assert "`mijn-sjabloon`" in listed and "⚠️" in listed
    offered = await choices(h, h.facilitator, "session", "start", "template", topic=TOPIC)
    assert {"name": "⚠️ mijn-sjabloon (kan niet worden geladen)", "value": "mijn-sjabloon"} in (
        offered
    )

    # Participants are not bothered with a library's broken files.
    assert "mijn-sjabloon" not in await h.command(h.alice, "template", "list")
    assert "brainstorm" not in await h.command(h.alice, "template", "show", name="mijn-sjabloon")
    offered = await choices(h, h.alice, "template", "show", "name")
    assert "mijn-sjabloon" not in {c["value"] for c in offered}
