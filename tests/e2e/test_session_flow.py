"""A whole session through the real discord.py client and the sandbox."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.e2e.conftest import Harness

TOPIC = "Hoe wordt de bibliotheek een ontmoetingsplek voor jongeren?"


async def open_session(h: Harness, **options: str) -> int:
    """Start a session as the facilitator; return the thread id."""
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC, **options)
    threads = [t for t in h.sb.threads if str(t["parent_id"]) == str(h.channel_id)]
    assert len(threads) == 1
    thread_id = int(threads[0]["id"])
    assert f"<#{thread_id}>" in answer
    return thread_id


async def test_start_opens_a_public_thread_with_welcome_and_first_prompt(harness: Harness) -> None:
    h = harness
    await h.start()
    thread_id = await open_session(h)
    thread = h.sb.channel(thread_id)
    assert thread["type"] == 11  # public thread
    card = h.bot_posts(h.channel_id)[0]
    assert TOPIC in card["content"]
    assert card["components"], "the card carries the Add note button"
    posts = h.bot_text(thread_id)
    assert "Welkom" in posts and "Inleven" in posts
    due = int((h.clock.now() + timedelta(minutes=15)).timestamp())
    assert f"<t:{due}:R>" in posts and f"<t:{due}:t>" in posts
    for call in h.sb.calls:
        if call.method == "POST" and call.route == "/channels/{channel_id}/messages":
            assert call.json is not None
            assert call.json.get("allowed_mentions") == {"parse": []}, call.json


async def notes_in_db(h: Harness) -> list[tuple[int, str, int]]:
    """(step, text, author) of every stored note, read straight from the SQLite file."""
    db = await connect(h.db_path)
    try:
        store = SqliteStore(db)
        sessions = await store.active_sessions()
        rows = []
        for session_id in {s.id for s in sessions} | {1}:
            rows += [(n.step_index, n.text, n.author_id) for n in await store.notes(session_id)]
        return rows
    finally:
        await db.close()


async def test_full_four_step_session_with_three_participants(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)

    # Empathise: three participants write; each note is acknowledged after its commit.
    first = await h.sb.user_message(thread, h.alice, "Jongeren zitten na school in de hal")
    await h.sb.user_message(thread, h.bob, "“Er is hier niks voor ons”, zei een meisje van 15")
    await h.sb.user_message(thread, h.carol, "De studieplekken zijn in de examentijd vol")
    await h.sb.user_message(thread, h.alice, "   ")  # nothing
    await h.sb.user_message(thread, h.bob, "// wie neemt de koffie mee?")  # an aside
    reply = await h.sb.user_message(thread, h.carol, "Welke hal bedoel je?", reply_to=first["id"])
    await h.sb.wait_for_call(
        lambda c: c.method == "PUT" and str(reply["id"]) in c.path and "reactions" in c.path
    )
    stored = await notes_in_db(h)
    assert sorted(text for _, text, _ in stored) == sorted(
        [
            "Jongeren zitten na school in de hal",
            "“Er is hier niks voor ons”, zei een meisje van 15",
            "De studieplekken zijn in de examentijd vol",
        ]
    )
    assert {step for step, _, _ in stored} == {0}

    # The step's time runs out: summary of empathise, then the define prompt.
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    summary = await h.wait_for_post(thread, "Inleven", since=mark)
    content = str(summary.json["content"])  # type: ignore[index]
    assert "3 notities" in content and "3 deelnemers" in content
    assert "De studieplekken zijn in de examentijd vol" in content
    assert "1 reactie" in content
    await h.wait_for_post(thread, "Definiëren", since=mark)

    # Define: a note by /note, then the facilitator moves on by hand.
    answer = await h.command(h.bob, "note", text="Jongeren hebben een eigen plek nodig")
    assert "📝" in answer
    mark = h.mark()
    assert "⏭️" in await h.command(h.facilitator, "session", "next", channel=thread)
    await h.wait_for_post(thread, "Ideeën bedenken", since=mark)

    # Ideate: extend, pause (time is kept), resume, reminder at 2 minutes left.
    await h.sb.user_message(thread, h.carol, "Een gameavond met de bieb als gastheer")
    await h.command(h.facilitator, "session", "extend", channel=thread, duration="5m")
    await h.advance(timedelta(minutes=3))
    await h.command(h.facilitator, "session", "pause", channel=thread)
    await h.advance(timedelta(hours=1))  # nothing may fire while paused
    status = await h.command(h.alice, "session", "status", channel=thread)
    assert "12 minuten" in status  # 10 + 5 - 3
    mark = h.mark()
    await h.command(h.facilitator, "session", "resume", channel=thread)
    await h.advance(timedelta(minutes=10))
    await h.wait_for_post(thread, "⏳", since=mark)
    await h.advance(timedelta(minutes=2))
    await h.wait_for_post(thread, "Prototypen", since=mark)

    # Prototype, then the facilitator ends: step summary and session summary.
    await h.sb.user_message(thread, h.alice, "Pop-up gamehoek op vrijdagmiddag, 4 weken proef")
    mark = h.mark()
    assert "🏁" in await h.command(h.facilitator, "session", "end", channel=thread)
    final = await h.wait_for_post(thread, "De sessie is afgelopen", since=mark)
    text = str(final.json["content"])  # type: ignore[index]
    assert "**Totaal:** 6 notities van 3 deelnemers" in text

    steps = sorted(step for step, _, _ in await notes_in_db(h))
    assert steps == [0, 0, 0, 1, 2, 3]
    # Each kind of post appeared exactly once: no step was skipped or doubled.
    posts = h.bot_text(thread)
    for name in ("Inleven", "Definiëren", "Ideeën bedenken", "Prototypen"):
        assert posts.count(f"· {name}**") == 1, name
    assert posts.count("⏳") == 1
