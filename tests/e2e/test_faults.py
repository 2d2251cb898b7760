"""Discord failing, end to end: refusals for missing permissions, 429 storms, server
errors, a gateway that drops mid-step, and acknowledgements Discord would not take.

Faults are injected in the sandbox (``fail_next``), so the real discord.py client meets
them exactly as it would meet Discord's: it waits out 429s and retries 5xx itself, and
what it gives up on reaches the bot as an exception.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from bot.i18n import catalog
from bot.permissions import BOT_PERMISSIONS
from bot.sandbox import RecordedCall
from tests.e2e.conftest import MESSAGES_ROUTE, Harness
from tests.e2e.test_session_flow import TOPIC, open_session

THREADS_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"
REACTION_ROUTE = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
SUMMARY_EMPATHISE = "Samenvatting Inleven"
DEFINE = "Definiëren"


def rows(h: Harness, query: str, *args: object) -> list[tuple[object, ...]]:
    """Read the bot's database as it is on disk (WAL readers see committed data)."""
    db = sqlite3.connect(f"file:{h.db_path}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def note_texts(h: Harness) -> list[str]:
    return [str(row[0]) for row in rows(h, "SELECT text FROM notes ORDER BY id")]


def posted(h: Harness, thread: int, needle: str) -> int:
    """How many of the bot's messages in the thread contain ``needle``."""
    return sum(needle in str(m.get("content", "")) for m in h.bot_posts(thread))


async def advance_until_posted(
    h: Harness, thread: int, needle: str, since: int, step: timedelta = timedelta(minutes=1)
) -> RecordedCall:
    """Move the clock a step at a time until the bot posts ``needle`` (retries back off,
    and when the bot re-arms one is not visible from outside)."""
    for _ in range(10):
        await h.advance(step)
        try:
            return await h.wait_for_post(thread, needle, since=since, timeout=1)
        except TimeoutError:
            continue
    raise AssertionError(f"never posted: {needle}")


async def next_step_is_clean(h: Harness, thread: int, summary: str) -> None:
    """Run the next step out: its transition waits for the drain before it (one lock per
    session), so a post still owed would go out again here and be counted twice."""
    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    await h.wait_for_post(thread, "Samenvatting Definiëren", since=mark)
    assert posted(h, thread, summary) == 1


async def reaction_tries(h: Harness, count: int, since: int) -> None:
    """Wait until the bot tried to react ``count`` times (it stores each note first)."""
    for _ in range(count):
        call = await h.sb.wait_for_call(
            lambda c: c.method == "PUT" and c.route == REACTION_ROUTE, since=since
        )
        since = h.sb.calls.index(call) + 1


# -- missing permissions ----------------------------------------------------------------


async def test_a_refused_thread_names_the_permission_and_leaves_nothing_behind(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    h.sb.fail_next("POST", THREADS_ROUTE, 403)
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC)

    name = catalog().raw("nl", "admin.permission.create_public_threads.name")
    assert f"**{name}**" in answer
    assert catalog().t("nl", "errors.post_refused.refused_start") in answer
    assert rows(h, "SELECT id FROM sessions") == []
    # The session card the thread would have hung from is gone again.
    assert h.bot_posts(h.channel_id) == []


async def test_a_permission_taken_away_mid_session_is_told_and_nothing_is_lost(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.say(thread, h.alice, "Een leeshoek met koffie")

    # The admin takes "Send Messages in Threads" away; Discord refuses the bot's posts.
    without = BOT_PERMISSIONS.value & ~(1 << 38)  # send_messages_in_threads
    h.sb.set_bot_permissions(h.guild_id, without)
    h.sb.fail_next("POST", MESSAGES_ROUTE, 403, times=1000, where={"channel_id": thread})
    mark = h.mark()
    await h.advance(timedelta(minutes=16))

    # The facilitator hears, privately, exactly which permission is missing (the DM
    # channel may be open already: the step's hint card went there at the start).
    dm = await h.sb.wait_for_call(lambda c: c.method == "POST" and c.route == "/users/@me/channels")
    assert dm.json is not None and str(dm.json["recipient_id"]) == str(h.facilitator)
    told = await h.sb.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and "Berichten versturen in threads" in str((c.json or {}).get("content"))
        ),
        since=mark,
    )
    assert f"<#{thread}>" in str((told.json or {}).get("content"))
    assert (told.json or {}).get("allowed_mentions") == {"parse": []}
    assert rows(h, "SELECT COUNT(*) FROM outbox")[0][0] == 2  # the summary, the prompt
    assert rows(h, "SELECT step_index FROM sessions")[0][0] == 1  # the step did move on

    # Permission back: at the next try the summary and the prompt arrive, once, in order.
    h.sb.clear_faults()
    h.sb.set_bot_permissions(h.guild_id, BOT_PERMISSIONS.value)
    mark = h.mark()
    await h.advance(timedelta(seconds=30))
    summary = await h.wait_for_post(thread, SUMMARY_EMPATHISE, since=mark)
    prompt = await h.wait_for_post(thread, DEFINE, since=mark)
    assert h.sb.calls.index(summary) < h.sb.calls.index(prompt)
    assert "1 notitie" in str((summary.json or {}).get("content"))
    await next_step_is_clean(h, thread, SUMMARY_EMPATHISE)
    # Told once, not at every try.
    dms = [c for c in h.sb.calls if c.method == "POST" and c.route == "/users/@me/channels"]
    assert len(dms) == 1


# -- rate limits and server errors ----------------------------------------------------------


async def test_a_429_storm_loses_and_doubles_nothing(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    for number, writer in enumerate((h.alice, h.bob, h.carol)):
        await h.say(thread, writer, f"Idee {number}")
    # Longer than discord.py waits out (5 tries a request): it gives up twice.
    h.sb.fail_next("POST", MESSAGES_ROUTE, 429, times=12, where={"channel_id": thread})
    mark = h.mark()
    await h.advance(timedelta(minutes=16))
    await advance_until_posted(h, thread, DEFINE, since=mark)

    limited = [c for c in h.sb.calls[mark:] if c.status == 429]
    assert len(limited) == 12
    assert posted(h, thread, SUMMARY_EMPATHISE) == 1
    assert posted(h, thread, f"· {DEFINE}**") == 1
    assert "3 notities" in h.bot_text(thread)
    assert note_texts(h) == ["Idee 0", "Idee 1", "Idee 2"]
    await next_step_is_clean(h, thread, SUMMARY_EMPATHISE)


async def test_a_server_error_is_retried_and_posted_once(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    h.sb.fail_next("POST", MESSAGES_ROUTE, 502, where={"channel_id": thread})
    mark = h.mark()
    await h.advance(timedelta(minutes=16))
    # discord.py itself waits a second and tries again.
    await h.wait_for_post(thread, DEFINE, since=mark, timeout=15)
    failed = [c for c in h.sb.calls[mark:] if c.status == 502]
    assert len(failed) == 1
    await next_step_is_clean(h, thread, SUMMARY_EMPATHISE)


# -- the gateway ------------------------------------------------------------------------------


async def test_a_gateway_drop_mid_step_keeps_timers_and_posts_going(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.say(thread, h.alice, "Voor de onderbreking")
    resumes = h.sb.resume_count
    assert await h.sb.drop_gateway_connections() == 1
    # Written while the bot's socket is down: Discord replays it on RESUME.
    await h.sb.user_message(thread, h.bob, "Tijdens de onderbreking")
    mark = h.mark()
    await h.advance(timedelta(minutes=16))
    # Timers and REST do not need the socket: the step ends on time.
    await h.wait_for_post(thread, SUMMARY_EMPATHISE, since=mark)
    await h.sb.wait_for_resume(resumes + 1, timeout=15)
    await reaction_tries(h, 1, since=mark)
    assert "Tijdens de onderbreking" in note_texts(h)
    assert h.sb.identify_count == 1, "a dropped socket resumes, it does not identify again"

    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    await h.wait_for_post(thread, "Samenvatting Definiëren", since=mark)
    assert posted(h, thread, SUMMARY_EMPATHISE) == 1


# -- acknowledgements Discord would not take ----------------------------------------------------


async def test_a_note_stays_when_its_reaction_is_refused(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    for status in (403, 404, 400):
        h.sb.fail_next("PUT", REACTION_ROUTE, status)
    mark = h.mark()
    for number in range(3):
        await h.sb.user_message(thread, h.alice, f"Zonder vinkje {number}")
    await reaction_tries(h, 3, since=mark)
    assert [c.status for c in h.sb.calls[mark:] if c.route == REACTION_ROUTE] == [403, 404, 400]
    assert note_texts(h) == [f"Zonder vinkje {n}" for n in range(3)]


async def test_a_note_command_whose_answer_is_lost_keeps_the_note(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    # As when the three seconds passed: Discord no longer knows the interaction.
    h.sb.fail_next(
        "POST", CALLBACK_ROUTE, 404, body={"message": "Unknown interaction", "code": 10062}
    )
    handle = await h.sb.slash_command(
        h.guild_id, thread, h.bob, "note", options={"text": "Via het commando"}, locale="nl"
    )
    callback = await handle.response(timeout=10)
    assert callback.status == 404
    assert note_texts(h) == ["Via het commando"]
