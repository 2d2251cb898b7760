"""An async session over simulated days, end to end through the sandbox: deadlines in
the server's timezone, a pinned prompt, reminders, the 17:00 recap with its board
picture, quiet days, a restart at 16:59, a nudge by DM, and the export for the archive."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.export import board_from_json
from tests.e2e.conftest import MESSAGES_ROUTE, Harness

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def next_local(h: Harness, hour: int, minute: int = 0) -> datetime:
    """The next ``hour:minute`` in Amsterdam after the harness clock, as aware UTC."""
    now = h.clock.now().astimezone(AMS)
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= now:
        moment = (now + DAY).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment


def recap_posts(h: Harness, thread: int) -> list[str]:
    return [p["content"] for p in h.bot_posts(thread) if "Dagoverzicht" in p["content"]]


async def test_an_async_session_over_two_days(harness: Harness) -> None:
    h = harness
    await h.start()
    answer = await h.command(
        h.facilitator,
        "session",
        "start",
        topic="Wat heeft de wijk nodig van de bieb?",
        durations="2d,2d,1d,1d",
    )
    assert "gestart" in answer
    thread = int([t for t in h.sb.threads if str(t["parent_id"]) == str(h.channel_id)][-1]["id"])
    text = h.bot_text(thread)
    assert "duwtje" in text  # the welcome says nudges exist
    assert "Je hebt de tijd" in text  # the async prompt
    assert "<t:" in text and ":f>" in text  # the deadline with its date, everyone's own time
    pins = [c for c in h.sb.calls if c.method == "PUT" and "/pins/" in c.path]
    assert len(pins) == 1

    await h.say(thread, h.alice, "Een stille studieplek na schooltijd")
    await h.say(thread, h.bob, "Hulp bij formulieren van de gemeente")

    # 17:00 local: the recap, with the board picture because the board changed.
    five = next_local(h, 17)
    mark = h.mark()
    await h.advance(five - h.clock.now() + timedelta(seconds=1))
    recap = await h.wait_for_post(thread, "Dagoverzicht", since=mark)
    assert "Een stille studieplek na schooltijd" in recap.json["content"]  # type: ignore[index]
    assert recap.files and recap.files[0][1].startswith(b"\x89PNG")

    # The next day nobody writes: no recap. A restart at 16:59 changes nothing.
    await h.advance(DAY - 2 * timedelta(minutes=1))
    await h.restart()
    mark = h.mark()
    await h.advance(2 * timedelta(minutes=1))
    assert len(recap_posts(h, thread)) == 1

    # Day two of the step: a /note from a phone, then the reminders before the deadline.
    await h.command(h.alice, "note", channel=thread, text="Voorlezen in het Arabisch")

    # The next 17:00 is past the end of step one: its summary, step two's prompt (pinned
    # in place of step one's), then one recap with the new note.
    five_again = next_local(h, 17)
    mark = h.mark()
    await h.advance(five_again - h.clock.now() + timedelta(seconds=1))
    second = await h.wait_for_post(thread, "Dagoverzicht", since=mark)
    assert "Voorlezen in het Arabisch" in second.json["content"]  # type: ignore[index]
    assert len(recap_posts(h, thread)) == 2
    assert "Stap 2 van 4" in h.bot_text(thread)
    unpinned = [c for c in h.sb.calls if c.method == "DELETE" and "/pins/" in c.path]
    assert len(unpinned) == 1

    # Step two: Alice writes, Bob (who wrote in step one) does not: at half-time Bob alone
    # gets a private nudge.
    await h.command(h.alice, "note", channel=thread, text="Een buurtkamer in de bieb")
    mark = h.mark()
    await h.advance(DAY + timedelta(minutes=1))
    dm_open = await h.sb.wait_for_call(
        lambda c: c.method == "POST" and c.route == "/users/@me/channels", timeout=10, since=mark
    )
    assert dm_open.json is not None and str(dm_open.json["recipient_id"]) == str(h.bob)
    nudge = await h.sb.wait_for_call(
        lambda c: c.method == "POST" and c.route == MESSAGES_ROUTE and "sessie" in str(c.json),
        timeout=10,
        since=mark,
    )
    assert nudge.json is not None and f"<#{thread}>" in nudge.json["content"]
    reminders = [p["content"] for p in h.bot_posts(thread) if p["content"].startswith("⏳")]
    # The clock jumped over both reminder times of step one: one reminder (the latest
    # due), never both at once and never after the deadline (tests/unit cover each lead).
    assert len(reminders) == 1

    # For the archive: the whole board as JSON, attached privately, every note in it.
    mark = h.mark()
    await h.command(h.facilitator, "board", "export", channel=thread, format="json")
    upload = next(c for c in h.sb.calls[mark:] if c.files and c.path.startswith("/webhooks/"))
    ((name, data),) = upload.files
    assert name.endswith(".json")
    board = board_from_json(data.decode("utf-8"))
    texts = {
        note.text
        for step in board.steps
        for note in (*step.other, *(n for theme in step.themes for n in theme.notes))
    }
    assert {
        "Een stille studieplek na schooltijd",
        "Hulp bij formulieren van de gemeente",
        "Voorlezen in het Arabisch",
        "Een buurtkamer in de bieb",
    } <= texts
