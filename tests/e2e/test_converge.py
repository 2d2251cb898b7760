"""From notes to themes to a question vote to an ideas vote to the summary, end to end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.render.text import quote
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import open_session

EMPATHISE = [
    ("alice", "Jongeren zitten na school in de hal omdat er geen plek voor ze is"),
    ("bob", "Teenagers hang around the entrance after school, nowhere else to go"),
    ("carol", "Een meisje zei: er is hier niks voor ons, alleen voor kleine kinderen"),
    ("alice", "Tijdens de examens zijn alle studieplekken al om negen uur bezet"),
    ("bob", "Students can't find a quiet desk during exam weeks"),
    ("carol", "In de examentijd zitten scholieren zelfs op de grond te leren"),
]
QUESTIONS = [
    ("alice", "Hoe kunnen we jongeren een eigen plek in de bieb geven?"),
    ("bob", "Hoe kunnen we in de examentijd meer rustige studieplekken bieden?"),
]
IDEAS = [
    ("alice", "Een jongerenhoek met banken, muziek en gamen op vrijdag"),
    ("bob", "Jongeren zelf de inrichting laten ontwerpen"),
    ("carol", "Een avond per week open alleen voor tieners"),
]


def posted(h: Harness, since: int, needle: str) -> list[dict[str, Any]]:
    return [
        c.json
        for c in h.sb.calls[since:]
        if c.method in ("POST", "PATCH") and c.json and needle in str(c.json.get("content", ""))
    ]


async def vote(h: Harness, thread: int, post_id: int, user: int, note_ids: list[int]) -> str:
    """Open a ballot with the vote button, pick notes in its menu; the ballot's new text."""
    post = h.sb.message(post_id)
    assert post is not None
    button = post["components"][0]["components"][0]["custom_id"]
    opened = await h.sb.button_click(h.guild_id, thread, user, post_id, button, locale="nl")
    ballot = await opened.response()
    assert ballot.json is not None
    assert ballot.json["type"] == 4
    assert ballot.json["data"]["flags"] & 64, "a ballot is private"
    ballot_id = opened.original_message_id
    assert ballot_id is not None
    menu = ballot.json["data"]["components"][0]["components"][0]
    offered = {int(option["value"]) for option in menu["options"]}
    assert set(note_ids) <= offered
    picked = await h.sb.select_option(
        h.guild_id,
        thread,
        user,
        ballot_id,
        menu["custom_id"],
        [str(i) for i in note_ids],
        locale="nl",
    )
    update = await picked.response()
    assert update.json is not None
    assert update.json["type"] == 7  # the ballot is redrawn in place
    return str(update.json["data"]["content"])


async def note_ids(h: Harness, texts: list[str]) -> list[int]:
    db = await connect(h.db_path)
    try:
        by_text = {n.text: n.id for n in await SqliteStore(db).notes(1)}
    finally:
        await db.close()
    return [by_text[text] for text in texts]


async def test_converge_from_notes_to_chosen_question_and_prototype_candidates(
    harness: Harness,
) -> None:
    h = harness
    h.embedder = "auto"  # the bundled multilingual model, as in production
    await h.start()
    thread = await open_session(h)
    people = {"alice": h.alice, "bob": h.bob, "carol": h.carol}
    for who, text in EMPATHISE:
        await h.say(thread, people[who], text)

    # Empathise ends: summary, define prompt, then the themes of empathise's notes.
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    themes_post = await h.wait_for_post(thread, "Thema's in Inleven", since=mark)
    assert "Hoe kunnen we" in h.bot_text(thread)  # the prompt to write questions per theme

    # Define: two questions and a point of view; time-up opens the question vote.
    for who, text in QUESTIONS:
        await h.say(thread, people[who], text)
    await h.say(thread, h.carol, "Scholieren hebben behoefte aan rust, omdat het thuis te druk is")
    mark = h.mark()
    await h.advance(timedelta(minutes=10))
    vote_post = await h.wait_for_post(thread, "Tijd om te kiezen", since=mark)
    assert vote_post.response is not None
    post_id = int(vote_post.response["id"])
    q1, q2 = await note_ids(h, [text for _, text in QUESTIONS])
    assert "2 stippen" in str(vote_post.json["content"])  # type: ignore[index]

    ballot = await vote(h, thread, post_id, h.alice, [q1])
    assert "nog 1 stip " in ballot
    await vote(h, thread, post_id, h.bob, [q1, q2])
    await vote(h, thread, post_id, h.carol, [q2])
    await vote(h, thread, post_id, h.alice, [q1])
    # The thread only learns how many voted, never who chose what.
    count = await h.sb.wait_for_call(
        lambda c: c.method == "PATCH" and str(post_id) in c.path, since=mark, timeout=5
    )
    assert "3 deelnemers" in str((count.json or {}).get("content"))

    # Time-up: results (q1 3 votes, q2 2), then ideate names the chosen question.
    mark = h.mark()
    await h.advance(timedelta(minutes=3))
    results = await h.wait_for_post(thread, "Uitslag", since=mark)
    text = str(results.json["content"])  # type: ignore[index]
    assert text.index(QUESTIONS[0][1]) < text.index(QUESTIONS[1][1])
    prompt = await h.wait_for_post(thread, "Ideeën bedenken", since=mark)
    # The chosen question is quoted (isolated, markdown escaped) inside the bot's bold.
    chosen = f"We werken aan: **{quote(QUESTIONS[0][1])}**"
    assert chosen in str(prompt.json["content"])  # type: ignore[index]

    # Ideate: three ideas, the facilitator opens the vote with /session next.
    for who, text in IDEAS:
        await h.say(thread, people[who], text)
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=thread)
    idea_post = await h.wait_for_post(thread, "Tijd om te kiezen", since=mark)
    assert idea_post.response is not None
    _, i2, i3 = await note_ids(h, [text for _, text in IDEAS])
    await vote(h, thread, int(idea_post.response["id"]), h.alice, [i2, i3])
    await vote(h, thread, int(idea_post.response["id"]), h.bob, [i2])
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=thread)
    await h.wait_for_post(thread, "Uitslag", since=mark)
    await h.wait_for_post(thread, "Prototypen", since=mark)

    # End: the summary names the question, lists candidates with take buttons, has a picture.
    mark = h.mark()
    await h.command(h.facilitator, "session", "end", channel=thread)
    summary = await h.wait_for_post(thread, "De sessie is afgelopen", since=mark)
    assert summary.json is not None
    content = str(summary.json["content"])
    assert "De gekozen vraag" in content
    assert content.index(IDEAS[1][1]) < content.index(IDEAS[2][1])
    assert summary.files
    assert summary.files[0][1].startswith(b"\x89PNG")
    take = summary.json["components"][0]["components"][0]["custom_id"]
    assert summary.response is not None
    clicked = await h.sb.button_click(
        h.guild_id, thread, h.carol, int(summary.response["id"]), take, locale="nl"
    )
    answer = await clicked.response()
    assert answer.json is not None
    assert answer.json["data"]["flags"] & 64
    await h.wait_for_post(thread, "pakt", since=mark)
    assert themes_post.files == [] or themes_post.files is not None


async def test_a_ballot_and_a_renamed_theme_survive_a_restart(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    people = {"alice": h.alice, "bob": h.bob, "carol": h.carol}
    for who, text in EMPATHISE:
        await h.say(thread, people[who], text)

    # The facilitator groups the notes and names a theme the group's own way.
    mark = h.mark()
    await h.command(h.facilitator, "board", "themes", channel=thread, step=1)
    await h.wait_for_post(thread, "Thema's in Inleven", since=mark)
    db = await connect(h.db_path)
    try:
        themes = await SqliteStore(db).themes(1, 0)
    finally:
        await db.close()
    assert themes
    answer = await h.command(
        h.facilitator, "board", "rename", channel=thread, theme=str(themes[0].id), name="Onze plek"
    )
    assert "Onze plek" in answer

    # A manual vote on this step; Alice opens her ballot, then the bot restarts.
    mark = h.mark()
    await h.command(h.facilitator, "session", "vote", channel=thread, budget=3)
    post = await h.wait_for_post(thread, "Tijd om te kiezen", since=mark)
    assert post.response is not None
    post_id = int(post.response["id"])
    button = h.sb.message(post_id)["components"][0]["components"][0]["custom_id"]  # type: ignore[index]
    opened = await h.sb.button_click(h.guild_id, thread, h.alice, post_id, button, locale="nl")
    ballot = await opened.response()
    assert ballot.json is not None
    menu = ballot.json["data"]["components"][0]["components"][0]
    first = menu["options"][0]["value"]
    await h.restart()

    # The old ballot still counts votes after the restart.
    picked = await h.sb.select_option(
        h.guild_id,
        thread,
        h.alice,
        opened.original_message_id or 0,
        menu["custom_id"],
        [first],
        locale="nl",
    )
    update = await picked.response()
    assert update.json is not None
    assert update.json["type"] == 7
    assert "nog 2 stippen" in update.json["data"]["content"]

    # Closing reveals it; re-running the themes keeps the facilitator's name.
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=thread)
    results = await h.wait_for_post(thread, "Uitslag", since=mark)
    assert "1 stem" in str(results.json["content"])  # type: ignore[index]
    mark = h.mark()
    await h.command(h.facilitator, "board", "themes", channel=thread, step=1)
    again = await h.wait_for_post(thread, "Thema's in Inleven", since=mark)
    assert "Onze plek" in str(again.json["content"])  # type: ignore[index]
