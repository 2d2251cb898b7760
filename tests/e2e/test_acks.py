"""Acknowledging notes in a busy thread: reactions while the budget lasts, then a tally."""

from __future__ import annotations

from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.ui.acks import AckPace
from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import open_session


async def test_a_burst_gets_a_few_reactions_and_one_tally_and_loses_nothing(
    harness: Harness,
) -> None:
    h = harness
    # Slower than the default, so a burst of 12 overflows at once; a quick tally.
    h.ack_pace = AckPace(reactions_per_second=0.1, burst=2, flush_delay=0.2)
    await h.start()
    thread = await open_session(h)
    mark = h.mark()
    writers = [h.alice, h.bob, h.carol]
    for number in range(12):
        await h.sb.user_message(thread, writers[number % 3], f"Idee nummer {number}")
    tally = await h.wait_for_post(thread, "📝 Opgeslagen", since=mark)
    calls = h.sb.calls[mark:]
    reactions = [c for c in calls if c.method == "PUT" and "reactions" in c.path]
    assert len(reactions) == 2
    # The tally may still be edited as the last notes come in; wait for the final count.
    final = str((tally.json or {}).get("content"))
    if "10 notities" not in final:
        edit = await h.sb.wait_for_call(
            lambda c: c.method == "PATCH" and "10 notities" in str((c.json or {}).get("content")),
            since=mark,
        )
        final = str((edit.json or {}).get("content"))
    assert "3 deelnemers" in final
    assert final.count("@") == 0
    db = await connect(h.db_path)
    try:
        stored = await SqliteStore(db).notes(1)
    finally:
        await db.close()
    assert len(stored) == 12
    rest_calls = [c for c in h.sb.calls[mark:] if c.method in ("PUT", "POST", "PATCH")]
    assert len(rest_calls) <= 12, "never more than one call per note"


async def test_a_flood_from_one_person_is_slowed_down_without_losing_earlier_notes(
    harness: Harness,
) -> None:
    from bot.domain.flood import DEFAULT_NOTES_PER_MINUTE
    from bot.storage.db import connect
    from bot.storage.sqlite_store import SqliteStore
    from tests.e2e.test_session_flow import open_session

    h = harness
    await h.start()
    thread = await open_session(h)
    mark = h.mark()
    for number in range(DEFAULT_NOTES_PER_MINUTE + 3):
        await h.sb.user_message(thread, h.alice, f"regel {number}")
    notice = await h.wait_for_post(thread, "sneller dan het bord", since=mark)
    assert notice.json is not None
    assert f"<@{h.alice}>" in notice.json["content"]
    assert notice.json["allowed_mentions"]["parse"] == []
    await h.say(thread, h.bob, "Bob schrijft gewoon verder")
    db = await connect(h.db_path)
    try:
        texts = [n.text for n in await SqliteStore(db).notes(1)]
    finally:
        await db.close()
    assert texts[:DEFAULT_NOTES_PER_MINUTE] == [
        f"regel {i}" for i in range(DEFAULT_NOTES_PER_MINUTE)
    ]
    assert (
        f"regel {DEFAULT_NOTES_PER_MINUTE}" not in texts and "Bob schrijft gewoon verder" in texts
    )
    notices = [c for c in h.sb.calls[mark:] if "sneller dan het bord" in str(c.json)]
    assert len(notices) == 1  # once a minute, not once per refused message
