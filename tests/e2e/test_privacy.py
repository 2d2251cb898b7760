"""`/privacy` end to end: forget-me asks first and removes only after the click; my-data
attaches the member's own notes as a JSON file only they see."""

from __future__ import annotations

import json
from typing import Any

from bot.cogs.privacy import PrivacyCog
from bot.sandbox import RecordedCall
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import TOPIC, open_session

ALICE_NOTES = ["Jongeren zitten na school in de hal", "Er is geen stille plek om te leren"]
BOB_NOTES = ["Tieners willen samen gamen"]


async def authors(h: Harness) -> dict[int, list[str]]:
    """Who has which notes in the session, read from the database file."""
    db = await connect(h.db_path)
    try:
        found: dict[int, list[str]] = {}
        for note in await SqliteStore(db).notes(1):
            found.setdefault(note.author_id, []).append(note.text)
        return found
    finally:
        await db.close()


async def ask_to_forget(h: Harness, user: int, locale: str = "nl") -> tuple[dict[str, Any], int]:
    """Run /privacy forget-me; the private question and its message id."""
    handle = await h.sb.slash_command(
        h.guild_id, h.channel_id, user, "privacy", subcommand="forget-me", locale=locale
    )
    answer = await handle.response()
    assert answer.json is not None
    assert answer.json["type"] == 4
    data: dict[str, Any] = answer.json["data"]
    assert data["flags"] & 64, "the question is private"
    assert handle.original_message_id is not None
    return data, handle.original_message_id


def buttons(question: dict[str, Any]) -> dict[str, str]:
    """Button label -> custom id."""
    return {
        button["label"]: button["custom_id"]
        for row in question["components"]
        for button in row["components"]
    }


async def click(h: Harness, user: int, message_id: int, custom_id: str) -> RecordedCall:
    """Click a button; the content the message ends up with (edited in place)."""
    clicked = await h.sb.button_click(
        h.guild_id, h.channel_id, user, message_id, custom_id, locale="nl"
    )
    answer = await clicked.response()
    assert answer.json is not None
    if answer.json["type"] == 7:  # the message is updated in the answer itself
        return answer
    assert answer.json["type"] == 6, answer.json
    return await h.sb.wait_for_call(
        lambda c: (
            c.method == "PATCH"
            and c.path.startswith(f"/webhooks/{h.sb.application_id}/")
            and clicked.token in c.path
        ),
        timeout=10,
    )


def content_of(call: RecordedCall) -> str:
    assert call.json is not None
    data = call.json.get("data", call.json)
    return str(data.get("content", ""))


async def test_forget_me_asks_first_and_removes_only_after_the_click(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    for text in ALICE_NOTES:
        await h.say(thread, h.alice, text)
    for text in BOB_NOTES:
        await h.say(thread, h.bob, text)

    # Asked, then cancelled: nothing is removed.
    question, message_id = await ask_to_forget(h, h.alice)
    assert "Alles van jou verwijderen?" in question["content"]
    choices = buttons(question)
    assert set(choices) == {"Ja, verwijder alles", "Annuleren"}
    assert await authors(h) == {h.alice: ALICE_NOTES, h.bob: BOB_NOTES}
    cancelled = await click(h, h.alice, message_id, choices["Annuleren"])
    assert "niets verwijderd" in content_of(cancelled)
    assert await authors(h) == {h.alice: ALICE_NOTES, h.bob: BOB_NOTES}

    # Asked again: still nothing removed until the click.
    question, message_id = await ask_to_forget(h, h.alice)
    assert await authors(h) == {h.alice: ALICE_NOTES, h.bob: BOB_NOTES}
    done = content_of(await click(h, h.alice, message_id, buttons(question)["Ja, verwijder alles"]))
    assert "Klaar" in done
    assert "Notities: 2" in done
    assert "berichten op Discord blijven staan" in done
    assert await authors(h) == {h.bob: BOB_NOTES}
    # The thread messages are hers to delete: the bot removed none.
    assert not [c for c in h.sb.calls if c.method == "DELETE" and "/messages/" in c.path]

    # The session goes on: Bob still writes, and so may Alice again.
    await h.say(thread, h.bob, "Een bank bij het raam")
    await h.say(thread, h.alice, "Toch nog één idee")
    assert await authors(h) == {
        h.bob: [*BOB_NOTES, "Een bank bij het raam"],
        h.alice: ["Toch nog één idee"],
    }


async def test_my_data_attaches_the_members_own_notes_and_nobody_elses(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    for text in ALICE_NOTES:
        await h.say(thread, h.alice, text)
    for text in BOB_NOTES:
        await h.say(thread, h.bob, text)

    mark = h.mark()
    answer = await h.command(h.alice, "privacy", "my-data")
    assert "2 notities" in answer
    (call,) = [
        c
        for c in h.sb.calls[mark:]
        if c.method == "POST" and c.path.startswith(f"/webhooks/{h.sb.application_id}/") and c.files
    ]
    assert call.json is not None and call.json["flags"] & 64, "the file is private"
    ((name, data),) = call.files
    assert name == "mijn-gegevens.json"
    raw = data.decode("utf-8")
    document = json.loads(raw)
    assert [note["tekst"] for note in document["notities"]] == ALICE_NOTES
    assert {note["onderwerp"] for note in document["notities"]} == {TOPIC}
    assert {note["stapnaam"] for note in document["notities"]} == {"Inleven"}
    assert document["gebruiker"] == h.alice
    assert document["namen"] == ["Alice"]
    for text in BOB_NOTES:
        assert text not in raw
    assert "Bob" not in raw and str(h.bob) not in raw

    # In English for an English client.
    mark = h.mark()
    await h.command(h.bob, "privacy", "my-data", locale="en-GB")
    (call,) = [
        c
        for c in h.sb.calls[mark:]
        if c.method == "POST" and c.path.startswith(f"/webhooks/{h.sb.application_id}/") and c.files
    ]
    ((name, data),) = call.files
    assert name == "my-data.json"
    document = json.loads(data.decode("utf-8"))
    assert [note["text"] for note in document["notes"]] == BOB_NOTES
    assert "Alice" not in data.decode("utf-8")


async def test_an_unanswered_question_expires_and_removes_nothing(harness: Harness) -> None:
    h = harness
    bot = await h.start()
    thread = await open_session(h)
    await h.say(thread, h.alice, ALICE_NOTES[0])
    cog = bot.get_cog("PrivacyCog")
    assert isinstance(cog, PrivacyCog)
    cog._confirm_seconds = 0.2  # five minutes in real life
    handle = await h.sb.slash_command(
        h.guild_id, h.channel_id, h.alice, "privacy", subcommand="forget-me", locale="nl"
    )
    await handle.response()
    expired = await h.sb.wait_for_call(
        lambda c: c.method == "PATCH" and handle.token in c.path, timeout=10
    )
    assert "verlopen" in content_of(expired)
    assert await authors(h) == {h.alice: ALICE_NOTES[:1]}
