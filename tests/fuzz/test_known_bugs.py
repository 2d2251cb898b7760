"""Bugs the fuzz tests found (and that were fixed), each pinned down by the input that hit
it: a duration under half a second, superscript digits, blank theme names and note
values, a note of attachments only in autocomplete, a note of invisible characters."""

from __future__ import annotations

import pytest

from bot.domain.board import is_blank
from tests.fuzz.checks import assert_clear_answer
from tests.fuzz.conftest import FuzzWorld
from tests.fuzz.test_bot_fuzz import open_stage, query, submit_modal, wait_until_read

pytestmark = pytest.mark.fuzz_e2e


async def test_a_duration_under_half_a_second_is_refused_clearly(world: FuzzWorld) -> None:
    stage = await open_stage(world)
    answer = await world.command(
        world.facilitator, "session", "extend", channel=stage.thread, duration="0.4s"
    )
    assert assert_clear_answer(answer, "nl").startswith("errors.duration")


async def test_superscript_digits_for_a_theme_or_note_are_refused_clearly(
    world: FuzzWorld,
) -> None:
    stage = await open_stage(world, themes=True)
    theme = str(stage.theme_ids[0])
    answer = await world.command(
        world.facilitator, "board", "rename", channel=stage.thread, theme="²", name="x"
    )
    assert assert_clear_answer(answer, "nl") == "errors.unknown_theme"
    answer = await world.command(
        world.facilitator, "board", "move", channel=stage.thread, note="²", theme=theme
    )
    assert assert_clear_answer(answer, "nl") == "errors.unknown_note"


@pytest.mark.parametrize(
    ("setting", "value"),
    [("retention_days", "²"), ("recap_channel", "<#²>"), ("facilitator_role", "²")],
)
async def test_superscript_digits_in_a_setting_are_refused_clearly(
    world: FuzzWorld, setting: str, value: str
) -> None:
    await world.start()
    answer = await world.command(world.admin, "settings", "set", setting=setting, value=value)
    assert assert_clear_answer(answer, "nl").startswith("settings.refused")


async def test_a_theme_cannot_be_renamed_to_nothing(world: FuzzWorld) -> None:
    stage = await open_stage(world, themes=True)
    theme = str(stage.theme_ids[0])
    answer = await world.command(
        world.facilitator, "board", "rename", channel=stage.thread, theme=theme, name="   "
    )
    assert_clear_answer(answer, "nl")
    names = [str(row[0]) for row in await query(world, "SELECT name FROM themes")]
    assert not any(is_blank(name) for name in names), names


async def test_a_blank_note_value_matches_no_note(world: FuzzWorld) -> None:
    stage = await open_stage(world, themes=True)
    theme = str(stage.theme_ids[0])
    answer = await world.command(
        world.facilitator, "board", "move", channel=stage.thread, note=" ", theme=theme
    )
    assert assert_clear_answer(answer, "nl") == "errors.unknown_note"


async def test_note_autocomplete_never_offers_a_nameless_choice(world: FuzzWorld) -> None:
    stage = await open_stage(world, themes=True)
    photo = await world.sb.user_message(
        stage.thread, world.carol, "", attachments=[{"filename": "foto.jpg", "size": 3}]
    )
    await wait_until_read(world, stage.thread, int(photo["id"]))
    handle = await world.sb.autocomplete(
        world.guild_id,
        stage.thread,
        world.facilitator,
        "board",
        focused="note",
        subcommand="move",
        options={"note": ""},
    )
    answer = await handle.response(timeout=10)
    assert answer.json is not None
    assert all(choice["name"] for choice in answer.json["data"]["choices"])


async def test_a_note_of_only_invisible_characters_is_refused_as_empty(
    world: FuzzWorld,
) -> None:
    stage = await open_stage(world)
    answer = await world.command(world.alice, "note", channel=stage.thread, text="\u200b")
    assert assert_clear_answer(answer, "nl") == "errors.note_empty"
    answer = await submit_modal(world, stage, world.bob, "\u200b\u200f", "en-US")
    assert assert_clear_answer(answer, "en-US") == "errors.note_empty"
