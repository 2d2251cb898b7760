"""Bugs the fuzz tests found (and that were fixed), each pinned down by the input that hit
it: a duration under half a second, superscript digits, blank theme names and note
values, a note of attachments only in autocomplete, a note of invisible characters;
markdown and direction controls in a note that changed the rest of a bot post, a
sticker-only message ignored in silence, and an edit to invisible characters that left an
empty note on the board."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.board import is_blank
from tests.fuzz.checks import (
    as_shown,
    assert_clear_answer,
    direction_leaks,
    layout_problems,
    post_layout_problems,
)
from tests.fuzz.conftest import FuzzWorld
from tests.fuzz.test_bot_fuzz import (
    blank_notes,
    open_stage,
    post_sticker,
    query,
    sticker_answer,
    stored_text,
    submit_modal,
    wait_until_read,
)

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


async def step_summary(world: FuzzWorld, thread: int) -> str:
    """Move to the next step; the step summary as posted (all its parts)."""
    mark = world.mark()
    answer = await world.command(world.facilitator, "session", "next", channel=thread)
    assert_clear_answer(answer, "nl")
    await world.wait_for_post(thread, "Stap 2", since=mark)
    return "\n".join(
        str((c.json or {}).get("content", ""))
        for c in world.sb.calls[mark:]
        if c.method == "POST" and c.route == "/channels/{channel_id}/messages"
    )


MARKDOWN_NOTES = (
    "```py\nprint('nooit gesloten')",
    "||spoiler zonder eind",
    "> citaat dat doorloopt",
    "# Kop",
    "-# klein",
    "[klik hier](https://example.com)",
    "**vet zonder eind",
)


async def test_markdown_in_a_note_changes_nothing_else_in_the_summary(world: FuzzWorld) -> None:
    stage = await open_stage(world)
    for body in MARKDOWN_NOTES:
        await world.say(stage.thread, world.next_writer(), body)
    summary = await step_summary(world, stage.thread)
    # The bot's own heading and everyone's notes keep their layout...
    assert summary.startswith("📋 **Samenvatting"), summary[:80]
    assert not (problems := layout_problems(summary)), problems
    assert "```" not in summary and "||" not in summary
    # ...and each note shows as typed (on one line), stored unchanged.
    shown = as_shown(summary)
    for body in MARKDOWN_NOTES:
        assert " ".join(body.split()) in shown, body
    texts = {str(row[0]) for row in await query(world, "SELECT text FROM notes")}
    assert set(MARKDOWN_NOTES) <= texts


async def test_a_direction_override_in_a_note_stays_inside_it(world: FuzzWorld) -> None:
    stage = await open_stage(world)
    bodies = ("\u202eomgaruen sdrawkcab", "العدد 3 في المكتبة", "\u2069\u202bnog een\u200f")
    for body in bodies:
        await world.say(stage.thread, world.next_writer(), body)
    summary = await step_summary(world, stage.thread)
    assert not (leaks := direction_leaks(summary)), leaks
    assert "\u202e" not in summary and "\u202b" not in summary
    assert "العدد 3 في المكتبة" in summary  # right-to-left text itself is left whole
    texts = {str(row[0]) for row in await query(world, "SELECT text FROM notes")}
    assert set(bodies) <= texts, "stored as typed"


async def test_a_sticker_alone_gets_a_kind_answer_once_a_minute(world: FuzzWorld) -> None:
    stage = await open_stage(world)
    mark = world.mark()
    first = await post_sticker(world, stage.thread, world.carol, "")
    await wait_until_read(world, stage.thread, first)
    answer = await sticker_answer(world, stage.thread, world.carol, mark)
    assert assert_clear_answer(answer, "nl") == "replies.sticker_only"
    # Again within the minute: the board stays quiet (a sticker spree floods nothing).
    again = await post_sticker(world, stage.thread, world.carol, "\u200b")
    await wait_until_read(world, stage.thread, again)
    await world.say(stage.thread, world.alice, "Een gewone notitie erna")
    await asyncio.sleep(0.1)
    answers = [
        c
        for c in world.sb.calls[mark:]
        if c.method == "POST"
        and c.route == "/channels/{channel_id}/messages"
        and f"<@{world.carol}>" in str((c.json or {}).get("content", ""))
    ]
    assert len(answers) == 1, [c.json for c in answers]
    assert await stored_text(world, again) is None
    assert not post_layout_problems(world.sb.calls[mark:])


async def test_a_sticker_alone_is_answered_in_the_sessions_language(world: FuzzWorld) -> None:
    await world.start()
    answer = await world.command(
        world.facilitator,
        "session",
        "start",
        channel=world.other_channel_id,
        topic="How might the library welcome teenagers?",
        language="en",
    )
    assert "<#" in answer, answer
    thread = int(answer.split("<#")[1].split(">")[0])
    mark = world.mark()
    sticker = await post_sticker(world, thread, world.bob, "")
    await wait_until_read(world, thread, sticker)
    answer = await sticker_answer(world, thread, world.bob, mark)
    assert assert_clear_answer(answer, "en-US") == "replies.sticker_only"


async def test_an_edit_to_invisible_characters_takes_the_note_away(world: FuzzWorld) -> None:
    stage = await open_stage(world)
    note = await world.say(stage.thread, world.alice, "Een notitie die straks leeg wordt")
    photo = await world.sb.user_message(
        stage.thread, world.bob, "Met foto", attachments=[{"filename": "foto.jpg", "size": 3}]
    )
    await wait_until_read(world, stage.thread, int(photo["id"]))
    comment = await world.sb.user_message(
        stage.thread, world.carol, "Een reactie", reply_to=int(note["id"])
    )
    await wait_until_read(world, stage.thread, int(comment["id"]))
    for message in (note, photo, comment):
        await world.sb.edit_user_message(stage.thread, int(message["id"]), "\u200b \u2060\u200f")
    for _ in range(2000):
        gone = [await stored_text(world, int(m["id"])) is None for m in (note, comment)]
        if all(gone):
            break
        await asyncio.sleep(0.005)
    # As if the message were deleted: the note goes (its comment with it).
    assert await stored_text(world, int(note["id"])) is None
    assert await stored_text(world, int(comment["id"])) is None
    # A photo is still something to show: that note stays, with its picture.
    kept = await stored_text(world, int(photo["id"]))
    assert kept is not None and kept[1], kept
    assert not (blank := await blank_notes(world)), blank
