"""Private writing (silent brainstorming) and anonymity, end to end (issue 9).

During a private step people write alone: by ``/note``, the Add note button, a direct
message to the bot, or a message typed in the thread (removed at once). The thread shows
counts only, each writer sees their own running list privately, and at the step's end
(or when everyone is done, or the facilitator reveals) all notes appear together, in the
reveal order and not grouped by writer. With ``anonymous: always`` no participant's name
or id appears in anything the bot produces, exports included.

Everything is read from the REST calls the bot made to the sandbox and from the SQLite
file, never from the bot's private state.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.board import Note
from bot.domain.private_writing import reveal_order
from bot.permissions import BOT_PERMISSIONS, PRIVATE_WRITING_PERMISSIONS
from bot.sandbox import InteractionHandle, RecordedCall
from bot.sandbox.engine import public_message
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.ui.views import ADD_NOTE_ID
from tests.e2e.conftest import MESSAGES_ROUTE, Harness

TOPIC = "Hoe wordt de bibliotheek een fijne plek om te leren?"
MESSAGE_ROUTE = "/channels/{channel_id}/messages/{message_id}"
DM_OPEN_ROUTE = "/users/@me/channels"

# What each participant writes, one way each; no word in them looks like a name.
BY_NOTE = "Stille studieplekken tijdens de examenweken"
BY_BUTTON = "Een leesclub voor tieners op zaterdagmiddag"
BY_DM = "Koffie en thee bij de ingang voor iedereen"
TYPED = "Langere openingstijden in het weekend graag"


def allow_private_writing(h: Harness) -> None:
    """The bot's role gets Manage Messages too (what the private-writing invite asks)."""
    guild = h.sb.world.guild(h.guild_id)
    h.sb.set_role_permissions(h.guild_id, guild.bot_role_id, PRIVATE_WRITING_PERMISSIONS.value)


async def start_private(h: Harness, **options: Any) -> int:
    """Start a session whose steps all run privately; return its thread."""
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC, **options)
    threads = [t for t in h.sb.threads if str(t["parent_id"]) == str(h.channel_id)]
    assert threads, answer
    thread = int(threads[-1]["id"])
    assert f"<#{thread}>" in answer, answer
    return thread


async def stored_notes(h: Harness) -> list[Note]:
    """Every note of the first session, straight from the SQLite file."""
    db = await connect(h.db_path)
    try:
        return await SqliteStore(db).notes(1)
    finally:
        await db.close()


def read_one(h: Harness, query: str, *args: object) -> object:
    """One value from the bot's database as it is on disk."""
    db = sqlite3.connect(f"file:{h.db_path}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchone()[0]
    finally:
        db.close()


def channel_of(call: RecordedCall) -> int | None:
    channel = call.params.get("channel_id")
    return int(channel) if channel is not None else None


def call_text(call: RecordedCall) -> str:
    """Everything a call carries that someone could read: its body (content, embeds,
    component labels, attachment names) and its files."""
    parts = [json.dumps(call.json, ensure_ascii=False)] if call.json is not None else []
    parts += [data.decode("utf-8", "replace") for _, data in call.files]
    parts += [name for name, _ in call.files]
    return "\n".join(parts)


def calls_to(h: Harness, channels: Iterable[int], since: int = 0, until: int | None = None) -> str:
    """What the bot sent to these channels or threads (posts, edits, reactions)."""
    wanted = set(channels)
    return "\n".join(
        call_text(c) + "\n" + c.path for c in h.sb.calls[since:until] if channel_of(c) in wanted
    )


async def dm_answer(h: Harness, user: int, since: int, contains: str = "") -> str:
    """The bot's next direct message to ``user`` (after ``since``)."""
    dm = h.sb.dm_channel(user).id
    call = await h.sb.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and channel_of(c) == dm
            and contains in str((c.json or {}).get("content", ""))
        ),
        since=since,
        timeout=10,
    )
    return str((call.json or {}).get("content", ""))


def dms_to(h: Harness, user: int, since: int = 0) -> list[str]:
    dm = h.sb.dm_channel(user).id
    return [
        str((c.json or {}).get("content", ""))
        for c in h.sb.calls[since:]
        if c.method == "POST" and c.route == MESSAGES_ROUTE and channel_of(c) == dm
    ]


async def removed(h: Harness, message: Mapping[str, Any], since: int) -> RecordedCall:
    """The bot's deletion of a typed message (waits for it)."""
    return await h.sb.wait_for_call(
        lambda c: (
            c.method == "DELETE"
            and c.route == MESSAGE_ROUTE
            and c.params.get("message_id") == str(message["id"])
        ),
        since=since,
        timeout=10,
    )


def counter_post(h: Harness, thread: int) -> dict[str, Any]:
    """The private step's counter post (the newest one), with its buttons."""
    posts = [p for p in h.bot_posts(thread) if "🤫" in str(p.get("content", ""))]
    assert posts, "no counter post in the thread"
    return posts[-1]


def custom_ids(message: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    stack = list(message.get("components") or [])
    while stack:
        component = stack.pop(0)
        if "custom_id" in component:
            found.append(str(component["custom_id"]))
        stack += component.get("components") or []
    return found


async def private_answer(h: Harness, handle: InteractionHandle) -> str:
    """What the bot answered this interaction privately (at once, or after a defer)."""
    callback = await handle.response(timeout=10)
    assert callback.json is not None
    if callback.json["type"] == 4:
        assert callback.json["data"]["flags"] & 64, "the answer is private"
        return str(callback.json["data"].get("content", ""))
    assert callback.json["type"] == 5, callback.json
    followup = await h.sb.wait_for_call(
        lambda c: (
            c.method in ("POST", "PATCH")
            and c.path.startswith(f"/webhooks/{h.sb.application_id}/{handle.token}")
        ),
        timeout=10,
    )
    return str((followup.json or {}).get("content", ""))


async def add_by_button(h: Harness, thread: int, user: int, text: str) -> str:
    """Click Add note on the counter post, fill in the modal; the private answer."""
    counter = counter_post(h, thread)
    assert ADD_NOTE_ID in custom_ids(counter)
    click = await h.sb.button_click(
        h.guild_id, thread, user, int(counter["id"]), ADD_NOTE_ID, locale="nl"
    )
    modal = await click.response()
    assert modal.json is not None and modal.json["type"] == 9, modal.json
    data = modal.json["data"]
    field = next(
        str(component["custom_id"])
        for row in data["components"]
        for component in (row.get("components") or [row.get("component")])
        if component and component.get("type") == 4
    )
    submit = await h.sb.modal_submit(h.guild_id, thread, user, data["custom_id"], {field: text})
    return await private_answer(h, submit)


async def wait_for_counter(h: Harness, thread: int, contains: str, since: int = 0) -> str:
    """The counter post or its (debounced) edit showing ``contains``."""
    call = await h.sb.wait_for_call(
        lambda c: (
            c.method in ("POST", "PATCH")
            and channel_of(c) == thread
            and "🤫" in str((c.json or {}).get("content", ""))
            and contains in str((c.json or {}).get("content", ""))
        ),
        since=since,
        timeout=10,
    )
    return str((call.json or {}).get("content", ""))


def names_and_ids(h: Harness) -> dict[str, str]:
    """Each participant's user id, user name and global (display) name."""
    found: dict[str, str] = {}
    for user in (h.alice, h.bob, h.carol):
        info = h.sb.world.user(user)
        found[str(user)] = "id"
        found[info.username] = "username"
        if info.global_name:
            found[info.global_name] = "global_name"
    return found


# -- the acceptance test ------------------------------------------------------------------------


async def test_private_step_shows_nothing_until_the_reveal(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all", anonymous="while_writing")
    everyone = [BY_NOTE, BY_BUTTON, BY_DM, TYPED]

    # Alice by /note: a private answer with her running list.
    answer = await h.command(h.alice, "note", channel=thread, text=BY_NOTE)
    assert "🤫" in answer and f"1. \u2068{BY_NOTE}\u2069" in answer, answer

    # Bob by the Add note button on the counter post.
    answer = await add_by_button(h, thread, h.bob, BY_BUTTON)
    assert "🤫" in answer and BY_BUTTON in answer, answer
    assert not {BY_NOTE, BY_DM, TYPED} & {t for t in everyone if t in answer}

    # Carol by a direct message to the bot: stored, confirmed in the DM.
    mark = h.mark()
    await h.sb.user_message(h.sb.dm_channel(h.carol).id, h.carol, BY_DM)
    answer = await dm_answer(h, h.carol, mark, "🤫")
    assert BY_DM in answer and f"<#{thread}>" in answer
    assert not [t for t in everyone if t != BY_DM and t in answer]

    # Alice types in the thread: the bot removes it at once and confirms by DM.
    mark = h.mark()
    typed = await h.sb.user_message(thread, h.alice, TYPED)
    deleted = await removed(h, typed, mark)
    assert channel_of(deleted) == thread
    answer = await dm_answer(h, h.alice, mark, "🤫")
    # Her running list, numbered: both of her notes, nobody else's.
    assert f"1. \u2068{BY_NOTE}\u2069" in answer and f"2. \u2068{TYPED}\u2069" in answer, answer
    assert BY_BUTTON not in answer and BY_DM not in answer
    assert all(int(m["id"]) != int(typed["id"]) for m in h.sb.messages(thread))

    # The counter shows counts only (its edit is debounced).
    counted = await wait_for_counter(h, thread, "4 notities van 3 deelnemers")
    assert not [t for t in everyone if t in counted]

    notes = await stored_notes(h)
    assert sorted(n.text for n in notes) == sorted(everyone)
    by_text = {n.text: n for n in notes}
    assert by_text[TYPED].author_id == h.alice and by_text[BY_DM].author_id == h.carol
    # The bot's own removal did not take the note with it.
    assert by_text[TYPED].message_id == int(typed["id"])

    # Nothing anyone wrote reached the thread or the channel before the reveal; no 📝 on
    # the typed message, no reply to it, no mention of its writer.
    before = calls_to(h, [thread, h.channel_id])
    assert not [t for t in everyone if t in before]
    for call in h.sb.calls:
        if channel_of(call) in (thread, h.channel_id):
            assert "reactions" not in call.path, call.path
            assert "message_reference" not in (call.json or {}), call.json
            assert f"<@{h.alice}>" not in call_text(call)

    # Time is up: the reveal, all notes together, in the reveal order, without names.
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    await h.wait_for_post(thread, "Inleven", since=mark)
    await h.wait_for_post(thread, "Definiëren", since=mark)
    revealed = "\n".join(
        str((c.json or {}).get("content", ""))
        for c in h.sb.calls[mark:]
        if c.method == "POST" and channel_of(c) == thread and "Inleven" in call_text(c)
    )
    assert all(text in revealed for text in everyone), revealed
    salt = str(read_one(h, "SELECT reveal_salt FROM sessions WHERE id = ?", notes[0].session_id))
    assert len(salt) == 32, "every session has its own random reveal key"
    order = [n.text for n in reveal_order(notes, notes[0].session_id, 0, salt)]
    assert sorted(everyone, key=revealed.index) == order
    shown = calls_to(h, [thread, h.channel_id], since=mark)
    leaked = [name for name in names_and_ids(h) if name in shown]
    assert not leaked, f"a writer is named in the reveal: {leaked}"


# -- "I'm done" -----------------------------------------------------------------------------------


async def test_everyone_done_reveals_without_waiting(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    for user, text in ((h.alice, BY_NOTE), (h.bob, BY_BUTTON), (h.carol, BY_DM)):
        await h.command(user, "note", channel=thread, text=text)
    await wait_for_counter(h, thread, "3 notities van 3 deelnemers")
    counter = counter_post(h, thread)
    done = next(cid for cid in custom_ids(counter) if cid.startswith("cocreate:done:"))

    answers = []
    mark = h.mark()
    for user in (h.alice, h.bob, h.carol):
        click = await h.sb.button_click(
            h.guild_id, thread, user, int(counter["id"]), done, locale="nl"
        )
        answers.append(await private_answer(h, click))
    assert "1 van 3" in answers[0] and "2 van 3" in answers[1], answers
    assert "laatste" in answers[2], answers
    # No clock moved: the reveal came because everyone was done.
    summary = await h.wait_for_post(thread, "Inleven", since=mark)
    assert all(text in str(summary.json) for text in (BY_NOTE, BY_BUTTON, BY_DM))
    await h.wait_for_post(thread, "Definiëren", since=mark)

    # The old step's button, clicked again: it is over, kindly.
    click = await h.sb.button_click(h.guild_id, thread, h.alice, int(counter["id"]), done)
    assert "This round of silent writing is over already." in await private_answer(h, click)

    # A forged button naming this session, clicked in another server: "over", nothing done.
    other = h.sb.add_guild("Library South", locale="en-GB").id
    h.sb.set_role_permissions(other, h.sb.world.guild(other).bot_role_id, BOT_PERMISSIONS.value)
    channel = h.sb.add_text_channel(other, "lobby").id
    stranger = h.sb.add_member(other, "sam", global_name="Sam").id
    session_id = done.split(":")[2]
    forged_id = f"cocreate:done:{session_id}:1"
    carrier = h.sb.engine.post_message(
        channel,
        h.sb.world.user(stranger),
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": "…", "custom_id": forged_id}],
            }
        ],
        dispatch=False,
    )
    before = await _done_rows(h)
    click = await h.sb.button_click(other, channel, stranger, int(carrier["id"]), forged_id)
    assert "This round of silent writing is over already." in await private_answer(h, click)
    assert await _done_rows(h) == before


async def _done_rows(h: Harness) -> list[tuple[Any, ...]]:
    """Who said they are done, per step, straight from the SQLite file."""
    db = await connect(h.db_path)
    try:
        return [tuple(row) async for row in await db.execute("SELECT * FROM step_done")]
    finally:
        await db.close()


# -- the facilitator: reveal early, per-person counts ----------------------------------------------


async def test_facilitator_reveals_early_and_sees_counts_not_texts(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    await h.command(h.alice, "note", channel=thread, text=BY_NOTE)
    await h.command(h.alice, "note", channel=thread, text=BY_BUTTON)
    await h.command(h.bob, "note", channel=thread, text=BY_DM)

    status = await h.command(h.facilitator, "session", "status", channel=thread)
    assert "Alice" in status and "2 notities" in status and "Bob" in status, status
    assert not [t for t in (BY_NOTE, BY_BUTTON, BY_DM) if t in status]
    theirs = await h.command(h.bob, "session", "status", channel=thread)
    assert "Alice" not in theirs and BY_NOTE not in theirs, theirs

    mark = h.mark()
    refused = await h.command(h.bob, "session", "reveal", channel=thread)
    assert "begeleiders" in refused, refused
    assert not [c for c in h.sb.calls[mark:] if channel_of(c) == thread and c.method == "POST"]

    assert "🔓" in await h.command(h.facilitator, "session", "reveal", channel=thread)
    summary = await h.wait_for_post(thread, "Inleven", since=mark)
    assert all(t in str(summary.json) for t in (BY_NOTE, BY_BUTTON, BY_DM))
    # The next step writes privately too: its own counter, from zero.
    await wait_for_counter(h, thread, "0 notities", since=mark)


# -- direct messages -------------------------------------------------------------------------------


async def test_a_dm_outside_silent_writing_is_answered_and_stores_nothing(
    harness: Harness,
) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    # No session at all.
    mark = h.mark()
    await h.sb.user_message(h.sb.dm_channel(h.alice).id, h.alice, BY_DM)
    answer = await dm_answer(h, h.alice, mark)
    assert "👋" in answer and BY_DM not in answer

    # A session that writes in the open: a DM still does not become a note.
    await start_private(h, private="none")
    mark = h.mark()
    await h.sb.user_message(h.sb.dm_channel(h.bob).id, h.bob, BY_NOTE)
    assert "👋" in await dm_answer(h, h.bob, mark)

    # Someone outside the server while the server writes silently: no note either.
    outsider_guild = h.sb.add_guild("Elders", locale="nl").id
    outsider = h.sb.add_member(outsider_guild, "olaf", global_name="Olaf").id
    await h.command(h.facilitator, "session", "end", channel=h.channel_id)
    await start_private(h, private="all")
    mark = h.mark()
    await h.sb.user_message(h.sb.dm_channel(outsider).id, outsider, TYPED)
    assert "👋" in await dm_answer(h, outsider, mark)
    assert await _all_note_texts(h) == []
    # Nothing of it reached any thread or channel.
    posted = "\n".join(call_text(c) for c in h.sb.calls if c.route == MESSAGES_ROUTE)
    assert "👋" in posted
    for text in (BY_DM, BY_NOTE, TYPED):
        assert [call for call in h.sb.calls if text in call_text(call)] == []


async def _all_note_texts(h: Harness) -> list[str]:
    db = await connect(h.db_path)
    try:
        return [str(row[0]) async for row in await db.execute("SELECT text FROM notes")]
    finally:
        await db.close()


async def test_a_dm_for_two_silent_sessions_asks_which_one(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    first = await start_private(h, private="all")
    await h.command(
        h.facilitator, "session", "start", topic=TOPIC, private="all", channel=h.other_channel_id
    )
    second = next(
        int(t["id"]) for t in h.sb.threads if str(t["parent_id"]) == str(h.other_channel_id)
    )
    mark = h.mark()
    await h.sb.user_message(h.sb.dm_channel(h.alice).id, h.alice, BY_DM)
    answer = await dm_answer(h, h.alice, mark)
    assert f"<#{first}>" in answer and f"<#{second}>" in answer, answer
    assert await _all_note_texts(h) == []


# -- typed in the thread: refused, or the bot cannot remove it -------------------------------------


async def test_typed_refused_is_removed_and_handed_back(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all", typed="refuse")
    mark = h.mark()
    typed = await h.sb.user_message(thread, h.bob, TYPED)
    await removed(h, typed, mark)
    hint = await dm_answer(h, h.bob, mark, "🤫")
    assert "/notitie" in hint
    handed_back = await dm_answer(h, h.bob, mark, TYPED)
    assert handed_back == TYPED, "the text comes back exactly as typed"
    assert await _all_note_texts(h) == []
    assert TYPED not in calls_to(h, [thread, h.channel_id])


async def test_a_message_the_bot_cannot_remove_is_kept_and_the_facilitator_told(
    harness: Harness,
) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    # Manage Messages was taken away after the start.
    h.sb.fail_next("DELETE", MESSAGE_ROUTE, 403, times=2)
    mark = h.mark()
    await h.sb.user_message(thread, h.carol, TYPED)
    warned = await dm_answer(h, h.carol, mark, "⚠️")
    assert f"2. \u2068{TYPED}\u2069" not in warned and TYPED in warned
    told = await dm_answer(h, h.facilitator, mark, "⚠️")
    assert f"<#{thread}>" in told and "Berichten beheren" in told
    assert TYPED in await _all_note_texts(h)
    # A second one: the writer hears again, the facilitator not (once an hour).
    mark = h.mark()
    await h.sb.user_message(thread, h.carol, BY_NOTE)
    await dm_answer(h, h.carol, mark, "⚠️")
    assert dms_to(h, h.facilitator, mark) == []
    assert sorted(await _all_note_texts(h)) == sorted([TYPED, BY_NOTE])


# -- after a restart -------------------------------------------------------------------------------


async def test_messages_typed_while_the_bot_was_down_are_removed_once_stored(
    harness: Harness,
) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    await h.stop()
    typed = h.sb.store_user_message(thread, h.bob, TYPED)
    another = h.sb.store_user_message(thread, h.carol, BY_DM)
    mark = h.mark()
    await h.start(sync=False)
    for message in (typed, another):
        await removed(h, message, mark)
    answer = await dm_answer(h, h.bob, mark, "🤫")
    assert f"1. \u2068{TYPED}\u2069" in answer and BY_DM not in answer
    assert BY_DM in await dm_answer(h, h.carol, mark, "🤫")
    assert sorted(await _all_note_texts(h)) == sorted([TYPED, BY_DM])
    assert not {TYPED, BY_DM} & {t for t in (TYPED, BY_DM) if t in calls_to(h, [thread])}

    # Down again, past the step's end this time: caught up first, then revealed with it.
    await h.stop()
    late = h.sb.store_user_message(thread, h.alice, BY_NOTE)
    h.clock.advance(timedelta(minutes=20))
    mark = h.mark()
    await h.start(sync=False)
    summary = await h.wait_for_post(thread, "Inleven", since=mark)
    assert all(t in str(summary.json) for t in (TYPED, BY_DM, BY_NOTE))
    deleted = [
        c
        for c in h.sb.calls[mark:]
        if c.method == "DELETE" and c.params.get("message_id") == str(late["id"])
    ]
    assert deleted and h.sb.calls.index(deleted[0]) < h.sb.calls.index(summary)


# -- notices that would name the writer ------------------------------------------------------------


async def test_slow_down_goes_by_dm_and_hands_the_text_back(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    assert h.bot is not None
    per_minute = h.bot.facilitation.notes_per_minute
    assert per_minute > 0
    mark = h.mark()
    sent = []
    for number in range(per_minute + 1):
        sent.append(await h.sb.user_message(thread, h.alice, f"Idee nummer {number} van vandaag"))
    last = f"Idee nummer {per_minute} van vandaag"
    notice = await dm_answer(h, h.alice, mark, "⏳")
    assert f"<#{thread}>" in notice
    assert await dm_answer(h, h.alice, mark, last) == last
    for message in sent:
        await removed(h, message, mark)
    assert last not in await _all_note_texts(h)
    assert len(await _all_note_texts(h)) == per_minute
    thread_calls = calls_to(h, [thread], since=mark)
    assert "⏳" not in thread_calls and f"<@{h.alice}>" not in thread_calls


async def test_a_sticker_is_answered_by_dm_not_in_the_thread(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, private="all")
    mark = h.mark()
    sticker = h.sb.engine.post_message(thread, h.sb.world.user(h.bob), content="", dispatch=False)
    sticker["sticker_items"] = [{"id": "749054660769218631", "name": "Wumpus", "format_type": 3}]
    h.sb.hub.dispatch("MESSAGE_CREATE", public_message(sticker))
    answer = await dm_answer(h, h.bob, mark, "🙂")
    assert f"<#{thread}>" in answer and "/notitie" in answer
    assert [c for c in h.sb.calls[mark:] if channel_of(c) == thread] == []


# -- anonymous always: no name anywhere ------------------------------------------------------------


async def test_anonymous_always_names_nobody_anywhere(harness: Harness) -> None:
    h = harness
    allow_private_writing(h)
    await h.start()
    thread = await start_private(h, anonymous="always")
    people = (h.alice, h.bob, h.carol)

    # Empathise, silently; one note typed in the thread.
    for user, text in zip(people, (BY_NOTE, BY_BUTTON, BY_DM), strict=True):
        await h.command(user, "note", channel=thread, text=text)
    await h.sb.user_message(thread, h.alice, TYPED)
    await wait_for_counter(h, thread, "4 notities")
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    await h.wait_for_post(thread, "Definiëren", since=mark)

    # Define: two questions, then the question vote.
    questions = (
        "Hoe kunnen we scholieren een rustige plek geven?",
        "Hoe kunnen we de ingang gezelliger maken?",
    )
    for user, text in zip(people, questions, strict=False):
        await h.command(user, "note", channel=thread, text=text)
    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    vote_post = await h.wait_for_post(thread, "Tijd om te kiezen", since=mark)
    assert vote_post.response is not None
    ids = {n.text: n.id for n in await stored_notes(h)}
    await _vote(h, thread, int(vote_post.response["id"]), h.bob, [ids[questions[0]]])
    mark = h.mark()
    await h.advance(timedelta(minutes=3))
    await h.wait_for_post(thread, "Ideeën bedenken", since=mark)

    # Ideate: ideas, then the ideas vote.
    ideas = (
        "Een huiswerkhoek met vrijwilligers",
        "Een muurkrant met wensen van bezoekers",
        "Een avond per week alleen voor tieners",
    )
    for user, text in zip(people, ideas, strict=True):
        await h.command(user, "note", channel=thread, text=text)
    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    vote_post = await h.wait_for_post(thread, "Tijd om te kiezen", since=mark)
    assert vote_post.response is not None
    ids = {n.text: n.id for n in await stored_notes(h)}
    for user in people:
        await _vote(h, thread, int(vote_post.response["id"]), user, [ids[ideas[1]]])
    mark = h.mark()
    await h.advance(timedelta(minutes=4))
    await h.wait_for_post(thread, "Prototypen", since=mark)

    # Prototype, the end, someone takes an idea on.
    await h.command(h.carol, "note", channel=thread, text="Proef van vier weken in de leeszaal")
    mark = h.mark()
    await h.command(h.facilitator, "session", "end", channel=thread)
    summary = await h.wait_for_post(thread, "De sessie is afgelopen", since=mark)
    assert summary.json is not None and summary.response is not None
    take = next(cid for cid in custom_ids(summary.json) if cid.startswith("cocreate:take:"))
    click = await h.sb.button_click(
        h.guild_id, thread, h.carol, int(summary.response["id"]), take, locale="nl"
    )
    await click.response(timeout=10)
    await h.wait_for_post(thread, "🙌 Iemand pakt", since=mark)

    # Every export format.
    exports_from = h.mark()
    for file_format in ("html", "markdown", "csv", "json"):
        await h.command(h.facilitator, "board", "export", channel=thread, format=file_format)
    exports = [c for c in h.sb.calls[exports_from:] if c.files]
    assert len(exports) >= 4, [c.path for c in h.sb.calls[exports_from:]]

    names = names_and_ids(h)
    assert {"Alice", "alice", str(h.alice), "Carol", str(h.carol)} <= set(names)
    for call in exports:
        for file_name, data in call.files:
            assert ideas[1] in data.decode("utf-8", "replace"), f"{file_name} lacks the notes"
    # Opening a DM names its recipient to Discord; that is no message anyone reads.
    produced = [c for c in h.sb.calls[:exports_from] if c.route != DM_OPEN_ROUTE]
    leaks = {
        f"{c.method} {c.path}: {name}" for c in produced for name in names if name in call_text(c)
    }
    assert not leaks, f"names in messages: {sorted(leaks)}"
    export_leaks = {
        f"{file_name}: {name}"
        for c in exports
        for file_name, data in c.files
        for name in names
        if name in data.decode("utf-8", "replace")
    }
    assert not export_leaks, f"names in exports: {sorted(export_leaks)}"


async def _vote(h: Harness, thread: int, post_id: int, user: int, note_ids: list[int]) -> None:
    post = h.sb.message(post_id)
    assert post is not None
    button = next(cid for cid in custom_ids(post) if cid.startswith("cocreate:vote:"))
    opened = await h.sb.button_click(h.guild_id, thread, user, post_id, button, locale="nl")
    ballot = await opened.response(timeout=10)
    assert ballot.json is not None and ballot.json["type"] == 4, ballot.json
    ballot_id = opened.original_message_id
    assert ballot_id is not None
    menu = ballot.json["data"]["components"][0]["components"][0]
    picked = await h.sb.select_option(
        h.guild_id, thread, user, ballot_id, menu["custom_id"], [str(i) for i in note_ids]
    )
    await picked.response(timeout=10)


@pytest.fixture(autouse=True)
def _quick_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter post's edit waits to gather notes; tests need not wait two seconds."""
    monkeypatch.setattr("bot.ui.announcer.PROGRESS_EDIT_DELAY", 0.1)
