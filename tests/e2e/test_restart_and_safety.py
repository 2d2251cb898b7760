"""Restart safety, permissions, refusals and mention safety, end to end."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.heartbeat import heartbeat_path, is_fresh
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import TOPIC, open_session


async def stored_notes(h: Harness) -> list[str]:
    db = await connect(h.db_path)
    try:
        return [note.text for note in await SqliteStore(db).notes(1)]
    finally:
        await db.close()


async def test_restart_rearms_the_timer_and_backfills_missed_messages(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.sb.user_message(thread, h.alice, "Voor de herstart")
    await h.sb.wait_for_call(lambda c: c.method == "PUT" and "reactions" in c.path)
    await h.stop()

    # While the bot is away: two messages in the thread, and the step runs out.
    h.sb.store_user_message(thread, h.bob, "Tijdens de storing geschreven")
    h.sb.store_user_message(thread, h.carol, "Ik ook, net voor de deadline")
    h.clock.advance(timedelta(minutes=16))
    mark = h.mark()
    await h.start(sync=False)

    # Missed messages were stored in order, in the step they were written in...
    assert await stored_notes(h) == [
        "Voor de herstart",
        "Tijdens de storing geschreven",
        "Ik ook, net voor de deadline",
    ]
    # ...and the overdue step advanced once, at start-up, with all three in its summary.
    summary = await h.wait_for_post(thread, "Samenvatting Inleven", since=mark)
    assert "3 notities" in str(summary.json["content"])  # type: ignore[index]
    await h.wait_for_post(thread, "Definiëren", since=mark)

    # The new step's timer is armed in the restarted bot and fires on time.
    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    await h.wait_for_post(thread, "Samenvatting Definiëren", since=mark)
    assert h.bot_text(thread).count("Samenvatting Inleven") == 1


async def test_pause_survives_a_restart(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.advance(timedelta(minutes=5))
    await h.command(h.facilitator, "session", "pause", channel=thread)
    await h.stop()
    h.clock.advance(timedelta(hours=3))
    await h.start(sync=False)
    status = await h.command(h.alice, "session", "status", channel=thread)
    assert "10 minuten" in status and "⏸️" in status
    mark = h.mark()
    await h.command(h.facilitator, "session", "resume", channel=thread)
    await h.advance(timedelta(minutes=10))
    await h.wait_for_post(thread, "Samenvatting Inleven", since=mark)


async def test_the_add_note_button_works_after_a_restart(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    prompt = next(m for m in h.bot_posts(thread) if m.get("components"))
    await h.restart()
    custom_id = prompt["components"][0]["components"][0]["custom_id"]
    click = await h.sb.button_click(h.guild_id, thread, h.alice, int(prompt["id"]), custom_id)
    modal = await click.response()
    assert modal.json is not None and modal.json["type"] == 9
    fields = modal.json["data"]
    field_id = _text_input_id(fields)
    submit = await h.sb.modal_submit(
        h.guild_id, thread, h.alice, fields["custom_id"], {field_id: "Via de knop"}
    )
    answer = await submit.response()
    assert answer.json is not None and answer.json["data"]["flags"] & 64
    assert "Via de knop" in await stored_notes(h)


def _text_input_id(modal: dict[str, object]) -> str:
    for row in modal["components"]:  # type: ignore[attr-defined]
        inner = row.get("components") or [row.get("component")]
        for component in inner:
            if component and component.get("type") == 4:
                return str(component["custom_id"])
    raise AssertionError("no text input in the modal")


async def test_participants_cannot_steer_and_are_told_kindly(harness: Harness) -> None:
    h = harness
    await h.start()
    refused = await h.command(h.alice, "session", "start", topic=TOPIC)
    assert "begeleiders" in refused
    assert h.sb.threads == []
    english = await h.command(h.alice, "session", "start", topic=TOPIC, locale="en-GB")
    assert "Only facilitators" in english
    thread = await open_session(h)
    for sub in ("next", "back", "pause", "resume", "end"):
        answer = await h.command(h.bob, "session", sub, channel=thread)
        assert "begeleiders" in answer, sub
    assert "Stap 1 van 4" in await h.command(h.bob, "session", "status", channel=thread)


async def test_second_start_in_a_channel_links_to_the_running_session(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    answer = await h.command(h.facilitator, "session", "start", topic="Nog een sessie")
    assert f"<#{thread}>" in answer
    assert len(h.sb.threads) == 1
    # Another channel may run its own session at the same time.
    other = await h.command(
        h.facilitator, "session", "start", channel=h.other_channel_id, topic="Leesclub"
    )
    assert "✅" in other and len(h.sb.threads) == 2


async def test_bad_durations_get_a_clear_error(harness: Harness) -> None:
    h = harness
    await h.start()
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC, durations="10m,lang")
    assert "4 tijden" in answer
    answer = await h.command(
        h.facilitator, "session", "start", topic=TOPIC, durations="10m,10m,0,10m"
    )
    assert "groter dan nul" in answer and "1u30" in answer
    assert h.sb.threads == []
    thread = await open_session(h, durations="10m,,15m,20 min")
    answer = await h.command(h.facilitator, "session", "extend", channel=thread, duration="3 weken")
    assert "3 weken" in answer and "90s" in answer


async def test_everyone_mentions_are_echoed_without_pinging(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.sb.user_message(
        thread, h.alice, "@everyone kom allemaal naar de bieb!", mentions_everyone=True
    )
    await h.sb.user_message(thread, h.bob, f"<@{h.carol}> wat vind jij?")
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=thread)
    summary = await h.wait_for_post(thread, "Samenvatting", since=mark)
    assert summary.json is not None
    assert "@everyone kom allemaal naar de bieb!" in summary.json["content"]
    assert summary.json["allowed_mentions"] == {"parse": []}
    for call in h.sb.calls:
        if call.method in ("POST", "PATCH") and call.json and "content" in call.json:
            assert call.json.get("allowed_mentions") == {"parse": []}, (call.path, call.json)


async def test_edits_and_deletions_follow_the_message(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    message = await h.sb.user_message(thread, h.alice, "Eerste versie")
    gone = await h.sb.user_message(thread, h.bob, "Wordt verwijderd")
    await h.sb.wait_for_call(
        lambda c: c.method == "PUT" and str(gone["id"]) in c.path and "reactions" in c.path
    )
    await h.sb.edit_user_message(thread, int(message["id"]), "Tweede versie")
    await h.sb.delete_user_message(thread, int(gone["id"]))
    # Status is answered after the edit and delete events were handled (one gateway stream).
    await h.command(h.alice, "session", "status", channel=thread)
    assert await stored_notes(h) == ["Tweede versie"]


async def test_note_command_outside_a_session_is_refused(harness: Harness) -> None:
    h = harness
    await h.start()
    answer = await h.command(h.alice, "note", channel=h.other_channel_id, text="Los idee")
    assert "geen sessie" in answer


async def test_manage_threads_makes_a_facilitator_and_servers_are_separate(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    # A second server with its own moderator (Manage Threads, no Facilitator role).
    guild = h.sb.add_guild("Bibliotheek Zuid", locale="en-GB")
    moderators = h.sb.add_role(guild.id, "Moderator", permissions=1 << 34)
    channel = h.sb.add_text_channel(guild.id, "co-creation").id
    moderator = h.sb.add_member(guild.id, "sam", roles=[moderators.id]).id
    answer = await h.command(
        moderator,
        "session",
        "start",
        guild=guild.id,
        channel=channel,
        locale="en-GB",
        topic="A library for everyone",
        language="en",
    )
    assert "✅" in answer
    # Both servers now run a session; a command in one never reaches the other's.
    ours = await open_session(h)
    theirs = next(int(t["id"]) for t in h.sb.threads if str(t["parent_id"]) == str(channel))
    assert "Empathise" in h.bot_text(theirs)
    assert "Inleven" in h.bot_text(ours)
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=ours)
    await h.wait_for_post(ours, "Definiëren", since=mark)
    assert "Step 2" not in h.bot_text(theirs)
    assert "Stap 2 van 4" in h.bot_text(ours)


async def test_system_messages_and_attachments(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.sb.user_message(
        thread, h.alice, "", attachments=[{"filename": "plattegrond.jpg", "size": 2048}]
    )
    await h.sb.wait_for_call(lambda c: c.method == "PUT" and "reactions" in c.path)
    db = await connect(h.db_path)
    try:
        notes = await SqliteStore(db).notes(1)
    finally:
        await db.close()
    assert len(notes) == 1
    assert notes[0].attachments
    assert notes[0].attachments[0].endswith("plattegrond.jpg")


async def test_the_connected_bot_keeps_a_heartbeat_next_to_its_database(
    harness: Harness,
) -> None:
    await harness.start()
    path = heartbeat_path(harness.db_path)
    for _ in range(100):
        if path.exists():
            break
        await asyncio.sleep(0.02)
    assert is_fresh(path)
