"""Canvas steps through the real bot and the sandbox: notes land in lanes by prefix (Dutch
and English), by ``/note lane:``, by the Add note modal's lane picker; the facilitator
sorts the rest with ``/board lane``; steps run again with ``/session repeat``; the
facilitator's hint card arrives by DM at each step and again in ``/session status``."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from typing import Any

from bot.canvas_files import load_canvases
from bot.i18n import catalog
from bot.permissions import PRIVATE_WRITING_PERMISSIONS
from bot.sandbox import RecordedCall
from bot.ui.views import ADD_NOTE_ID, COLUMN_ID, LANE_ID, TEXT_ID
from tests.e2e.conftest import MESSAGES_ROUTE, Harness

TOPIC = "Hoe wordt de bibliotheek een ontmoetingsplek voor de hele wijk?"
CANVASES = load_canvases()
HINT_NL = "Tip voor de begeleider"
HINT_EN = "Facilitator's hint"


# -- helpers -----------------------------------------------------------------------------------


async def open_session(h: Harness, template: str = "masterclass-dag-1") -> int:
    answer = await h.command(h.facilitator, "session", "start", topic=TOPIC, template=template)
    threads = [int(t["id"]) for t in h.sb.threads if str(t["parent_id"]) == str(h.channel_id)]
    assert len(threads) == 1, threads
    assert f"<#{threads[0]}>" in answer
    return threads[0]


def notes_table(h: Harness) -> list[tuple[int, str, str | None, str | None]]:
    """(step, text, lane, column) of every note, read straight from the SQLite file."""
    db = sqlite3.connect(f"{h.db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT step_index, text, lane, lane_column FROM notes ORDER BY id")
        return [(int(s), str(t), lane, column) for s, t, lane, column in rows]
    finally:
        db.close()


def placed(h: Harness) -> dict[str, tuple[int, str | None, str | None]]:
    """Each note's text → (step, lane, column)."""
    return {text: (step, lane, column) for step, text, lane, column in notes_table(h)}


def note_id(h: Harness, text: str) -> int:
    db = sqlite3.connect(f"{h.db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        ((found,),) = db.execute("SELECT id FROM notes WHERE text = ?", (text,))
        return int(found)
    finally:
        db.close()


def dms_to(h: Harness, user: int, since: int = 0) -> list[str]:
    dm = str(h.sb.dm_channel(user).id)
    return [
        str((c.json or {}).get("content", ""))
        for c in h.sb.calls[since:]
        if c.method == "POST" and c.route == MESSAGES_ROUTE and c.params.get("channel_id") == dm
    ]


async def hint_card(h: Harness, since: int, contains: str = HINT_NL) -> str:
    dm = str(h.sb.dm_channel(h.facilitator).id)
    call = await h.sb.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and c.params.get("channel_id") == dm
            and contains in str((c.json or {}).get("content", ""))
        ),
        since=since,
        timeout=10,
    )
    return str((call.json or {}).get("content", ""))


async def answers(h: Harness, handle: Any) -> list[str]:
    """Every private answer to an interaction: the callback, then its followups (once the
    bot has been quiet for a moment)."""
    callback = await handle.response(timeout=10)
    assert callback.json is not None
    texts = []
    if callback.json["type"] == 4:
        assert callback.json["data"]["flags"] & 64
        texts.append(str(callback.json["data"].get("content", "")))
    webhook = f"/webhooks/{h.sb.application_id}/{handle.token}"
    seen = -1
    while seen != len(h.sb.calls):
        seen = len(h.sb.calls)
        await asyncio.sleep(0.1)
    for call in handle.calls():
        if call.path.startswith(webhook) and call.method in ("POST", "PATCH") and call.json:
            texts.append(str(call.json.get("content", "")))
    return texts


async def status_texts(h: Harness, user: int, thread: int, locale: str = "nl") -> str:
    handle = await h.sb.slash_command(
        h.guild_id, thread, user, "session", subcommand="status", options={}, locale=locale
    )
    return "\n".join(await answers(h, handle))


async def choices(
    h: Harness,
    thread: int,
    user: int,
    name: str,
    focused: str,
    *,
    subcommand: str | None = None,
    locale: str = "nl",
    **options: Any,
) -> list[dict[str, Any]]:
    handle = await h.sb.autocomplete(
        h.guild_id,
        thread,
        user,
        name,
        focused=focused,
        subcommand=subcommand,
        options=options,
        locale=locale,
    )
    answer = await handle.response(timeout=10)
    assert answer.json is not None and answer.json["type"] == 8, answer.json
    return list(answer.json["data"]["choices"])


def prompt_post(h: Harness, thread: int) -> dict[str, Any]:
    """The newest post in the thread with the Add note button."""
    for message in reversed(h.bot_posts(thread)):
        found = [
            c
            for row in message.get("components") or []
            for c in row.get("components") or []
            if c.get("custom_id") == ADD_NOTE_ID
        ]
        if found:
            return dict(message)
    raise AssertionError("no Add note button in the thread")


def modal_parts(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's inputs by custom_id (inside labels or action rows)."""
    found = {}
    for row in modal["components"]:
        for inner in row.get("components") or [row.get("component")]:
            if inner and "custom_id" in inner:
                found[str(inner["custom_id"])] = {**inner, "label": row.get("label")}
    return found


async def open_modal(h: Harness, thread: int, user: int, locale: str = "nl") -> dict[str, Any]:
    post = prompt_post(h, thread)
    click = await h.sb.button_click(
        h.guild_id, thread, user, int(post["id"]), ADD_NOTE_ID, locale=locale
    )
    opened = await click.response(timeout=10)
    assert opened.json is not None and opened.json["type"] == 9, opened.json
    return dict(opened.json["data"])


async def submit_modal(
    h: Harness,
    thread: int,
    user: int,
    modal: dict[str, Any],
    values: dict[str, str | list[str]],
    locale: str = "nl",
) -> str:
    handle = await h.sb.modal_submit(
        h.guild_id, thread, user, modal["custom_id"], values, locale=locale
    )
    return "\n".join(await answers(h, handle))


async def step_summary(h: Harness, thread: int, since: int, contains: str) -> RecordedCall:
    return await h.wait_for_post(thread, contains, since=since, timeout=15)


def pngs(call: RecordedCall) -> list[str]:
    return [name for name, data in call.files if name.endswith(".png") and data[:4] == b"\x89PNG"]


async def summary_pictures(h: Harness, thread: int, since: int, next_step: str) -> list[str]:
    """The PNG files posted in the thread between ``since`` and the next step's prompt (a
    long summary comes in parts; the last carries the picture)."""
    following = await h.wait_for_post(thread, next_step, since=since, timeout=15)
    end = h.sb.calls.index(following)
    return [
        name
        for call in h.sb.calls[since:end]
        if call.method == "POST"
        and call.route == MESSAGES_ROUTE
        and call.params.get("channel_id") == str(thread)
        for name in pngs(call)
    ]


# -- a whole masterclass day -------------------------------------------------------------------


async def test_a_masterclass_day_1_session_runs_lane_by_lane(harness: Harness) -> None:
    h = harness
    await h.start()
    mark = h.mark()
    thread = await open_session(h)
    stakeholders = CANVASES["stakeholders"]

    # The facilitator's hint card for step 1, by DM: the canvas's own coaching.
    card = await hint_card(h, mark)
    assert "1 van 4" in card and stakeholders.name("nl") in card
    assert catalog().t("nl", "coaching.canvas.stakeholders.quiet") in card
    assert not [text for text in h.bot_text(thread).split("\n") if HINT_NL in text]

    # Step 1: by prefix in Dutch and in English, without one (unsorted), by /note lane:.
    await h.say(thread, h.alice, "nauw betrekken: de wijkraad")
    await h.say(thread, h.bob, "keep informed: the school board")
    await h.say(thread, h.carol, "De buurtvereniging Noord")
    added = await h.command(h.bob, "note", channel=thread, text="Het jongerenwerk", lane="tevreden")
    assert "Tevreden houden" in added
    english = await h.command(
        h.alice, "note", channel=thread, text="The council", lane="manage-closely", locale="en-GB"
    )
    assert "Manage closely" in english

    # Autocomplete names the lanes in the typer's language; the value is the lane's key.
    offered = await choices(h, thread, h.bob, "note", "lane", text="x", lane="tev")
    assert offered == [{"name": "Tevreden houden", "value": "keep-satisfied"}]
    offered = await choices(h, thread, h.bob, "note", "lane", locale="en-US", text="x", lane="")
    assert [c["value"] for c in offered] == [lane.key for lane in stakeholders.lanes]
    assert offered[0]["name"] == "Manage closely"

    # The modal: a lane picker on a canvas step (no columns on this canvas).
    modal = await open_modal(h, thread, h.carol)
    parts = modal_parts(modal)
    assert set(parts) == {TEXT_ID, LANE_ID}
    assert parts[LANE_ID]["type"] == 3 and parts[LANE_ID]["label"] == "Vak"
    assert [o["value"] for o in parts[LANE_ID]["options"]] == [
        lane.key for lane in stakeholders.lanes
    ]
    assert parts[LANE_ID]["options"][3]["label"] == "Volgen"
    answer = await submit_modal(
        h, thread, h.carol, modal, {TEXT_ID: "Bibliotheekmedewerkers", LANE_ID: ["monitor"]}
    )
    assert "Volgen" in answer
    # Sent without picking: the prefix in the text decides, else unsorted.
    modal = await open_modal(h, thread, h.carol)
    answer = await submit_modal(h, thread, h.carol, modal, {TEXT_ID: "krijgt: meer bezoekers"})
    assert "Krijgt" in answer

    # An unknown lane: the lanes there are, in the user's language.
    refused = await h.command(h.alice, "note", channel=thread, text="Iets", lane="onzin")
    assert "onzin" in refused and "Nauw betrekken" in refused and "Krijgt" in refused
    refused = await h.command(
        h.alice, "note", channel=thread, text="Something", lane="nonsense", locale="en-US"
    )
    assert "Manage closely" in refused and "Gets" in refused

    # The unsorted note: participants may not sort; the facilitator moves it.
    unsorted = note_id(h, "De buurtvereniging Noord")
    lanes_choices = await choices(
        h, thread, h.facilitator, "board", "note", subcommand="lane", note="", lane="x"
    )
    assert lanes_choices[0]["value"] == str(unsorted)
    assert lanes_choices[0]["name"].startswith("[Nog niet ingedeeld]")
    refused = await h.command(
        h.alice, "board", "lane", channel=thread, note=str(unsorted), lane="informeren"
    )
    assert "begeleiders" in refused
    moved = await h.command(
        h.facilitator, "board", "lane", channel=thread, note=str(unsorted), lane="informeren"
    )
    assert "Informeren" in moved
    lane_options = await choices(
        h, thread, h.facilitator, "board", "lane", subcommand="lane", note=str(unsorted), lane="n"
    )
    assert {"name": "Nog niet ingedeeld", "value": "unsorted"} in lane_options

    where = placed(h)
    assert where["de wijkraad"] == (0, "manage-closely", None)
    assert where["the school board"] == (0, "keep-informed", None)
    assert where["De buurtvereniging Noord"] == (0, "keep-informed", None)
    assert where["Het jongerenwerk"] == (0, "keep-satisfied", None)
    assert where["The council"] == (0, "manage-closely", None)
    assert where["Bibliotheekmedewerkers"] == (0, "monitor", None)
    assert where["meer bezoekers"] == (0, "gets", None)

    # Status: the facilitator sees the hint card again with the lanes' figures.
    facilitator_view = await status_texts(h, h.facilitator, thread)
    assert HINT_NL in facilitator_view and "7 notities" in facilitator_view
    assert "• Nauw betrekken: 2" in facilitator_view
    participant_view = await status_texts(h, h.alice, thread)
    assert HINT_NL not in participant_view and "Nauw betrekken" not in participant_view

    # The time is up: the summary goes lane by lane.
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    summary = await step_summary(h, thread, mark, "Nauw betrekken")
    content = str((summary.json or {}).get("content", ""))
    assert content.index("Nauw betrekken") < content.index("Informeren") < content.index("Krijgt")
    card = await hint_card(h, mark, "2 van 4")
    assert CANVASES["context"].name("nl") in card

    # Step 2 (context): only Alice writes; the facilitator sees who has not yet.
    await h.say(thread, h.alice, "economie: minder subsidie voor buurthuizen")
    view = await status_texts(h, h.facilitator, thread)
    silent = next(line for line in view.split("\n") if "in deze stap nog niet" in line)
    assert "Bob" in silent and "Carol" in silent and "Alice" not in silent
    assert "in deze stap nog niet" not in await status_texts(h, h.bob, thread)

    # Step 3 (empathy map): prefixes in both languages; the summary brings the canvas.
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    await hint_card(h, mark, "3 van 4")
    await h.say(thread, h.alice, "zegt: ik weet nooit wat er te doen is")
    await h.say(thread, h.bob, "thinks: this is not for people like me")
    await h.say(thread, h.carol, "voelt: een beetje buitengesloten")
    mark = h.mark()
    await h.advance(timedelta(minutes=20))
    await step_summary(h, thread, mark, "Zegt")
    assert await summary_pictures(h, thread, mark, "Stap 4 van 4"), "no empathy map picture"

    # Step 4 (persona, open columns: a card per persona).
    card = await hint_card(h, mark, "4 van 4")
    assert CANVASES["persona"].name("nl") in card
    await h.say(thread, h.alice, "doel/Fatima: een rustige plek om te leren")
    await h.say(thread, h.bob, "frustration/Fatima: the library closes at five")
    modal = await open_modal(h, thread, h.carol)
    parts = modal_parts(modal)
    assert set(parts) == {TEXT_ID, LANE_ID, COLUMN_ID}
    assert parts[COLUMN_ID]["type"] == 4  # open columns: a name to type
    answer = await submit_modal(
        h,
        thread,
        h.carol,
        modal,
        {TEXT_ID: "Werkt in ploegendienst", LANE_ID: ["situation"], COLUMN_ID: "Henk"},
    )
    assert "Henk" in answer
    columns = await choices(h, thread, h.alice, "note", "column", text="x", lane="doel", column="")
    assert [c["value"] for c in columns] == ["Fatima", "Henk"]
    columns = await choices(h, thread, h.alice, "note", "column", text="x", column="Ans")
    assert columns[0] == {"name": "Nieuw: Ans", "value": "Ans"}
    await h.command(
        h.alice, "note", channel=thread, text="Gepensioneerd", lane="situatie", column="fat"
    )

    # The facilitator runs the empathy map once more, after the persona.
    steps = await choices(h, thread, h.facilitator, "session", "step", subcommand="repeat", step="")
    assert [c["value"] for c in steps] == [1, 2, 3, 4]
    assert steps[2]["name"].startswith("3. Empathiekaart")
    assert steps[3]["name"].endswith("(nu)")
    mark_repeat = h.mark()
    repeated = await h.command(h.facilitator, "session", "repeat", channel=thread, step=3)
    assert "3. Empathiekaart" in repeated

    where = placed(h)
    assert where["minder subsidie voor buurthuizen"] == (1, "economic", None)
    assert where["ik weet nooit wat er te doen is"] == (2, "says", None)
    assert where["this is not for people like me"] == (2, "thinks", None)
    assert where["een beetje buitengesloten"] == (2, "feels", None)
    assert where["een rustige plek om te leren"] == (3, "goals", "Fatima")
    assert where["the library closes at five"] == (3, "frustrations", "Fatima")
    assert where["Werkt in ploegendienst"] == (3, "situation", "Henk")
    assert where["Gepensioneerd"] == (3, "situation", "Fatima")

    # The persona's summary (with its card) came out; the empathy map runs again (5 of 5).
    await step_summary(h, thread, mark_repeat, "Fatima")
    assert await summary_pictures(h, thread, mark_repeat, "Stap 5 van 5"), "no persona picture"
    card = await hint_card(h, mark_repeat, "5 van 5")
    assert CANVASES["empathy-map"].name("nl") in card
    await h.say(thread, h.bob, "doet: komt alleen om boeken terug te brengen")
    assert placed(h)["komt alleen om boeken terug te brengen"] == (4, "does", None)
    mark = h.mark()
    assert "🏁" in await h.command(h.facilitator, "session", "end", channel=thread)
    await h.wait_for_post(thread, "De sessie is afgelopen", since=mark, timeout=15)


# -- the modal, status and hint cards elsewhere -------------------------------------------------


async def test_a_step_without_canvas_keeps_the_plain_modal_and_refuses_lanes(
    harness: Harness,
) -> None:
    h = harness
    await h.start()
    thread = await open_session(h, "classic")
    modal = await open_modal(h, thread, h.alice)
    assert set(modal_parts(modal)) == {TEXT_ID}
    assert await choices(h, thread, h.alice, "note", "lane", text="x", lane="") == []
    # A lane given where there is no canvas is no reason to lose the note.
    added = await h.command(h.alice, "note", channel=thread, text="Iets", lane="zegt")
    assert added.startswith("📝")
    assert placed(h)["Iets"] == (0, None, None)
    answer = await submit_modal(h, thread, h.alice, modal, {TEXT_ID: "zegt: gewoon een notitie"})
    assert "📝" in answer
    assert placed(h)["zegt: gewoon een notitie"] == (0, None, None)


async def test_the_hint_card_comes_per_step_in_the_sessions_language(harness: Harness) -> None:
    h = harness
    await h.start()
    mark = h.mark()
    thread = await open_session(h, "classic")
    card = await hint_card(h, mark)
    assert catalog().t("nl", "coaching.kind.empathise.purpose") in card
    assert "15 minuten" in card
    assert dms_to(h, h.alice) == []  # only the facilitator
    mark = h.mark()
    await h.command(h.facilitator, "session", "next", channel=thread)
    card = await hint_card(h, mark, "2 van 4")
    assert catalog().t("nl", "coaching.kind.define.quiet") in card
    # A session in English: the card too.
    other = await h.command(
        h.facilitator,
        "session",
        "start",
        channel=h.other_channel_id,
        topic="Teenagers after school",
        language="en",
    )
    assert "<#" in other
    english = await hint_card(h, mark, HINT_EN)
    assert catalog().t("en", "coaching.kind.empathise.watch") in english


async def test_closed_direct_messages_do_not_stop_the_session(harness: Harness) -> None:
    h = harness
    await h.start()
    dm = h.sb.dm_channel(h.facilitator).id
    h.sb.fail_next(
        "POST",
        MESSAGES_ROUTE,
        403,
        {"code": 50007, "message": "Cannot send messages to this user"},
        times=100,
        where={"channel_id": dm},
    )
    thread = await open_session(h, "classic")
    await h.say(thread, h.alice, "Een observatie")
    mark = h.mark()
    await h.advance(timedelta(minutes=15))
    await h.wait_for_post(thread, "Definiëren", since=mark)
    # The hint card stays available in status.
    assert HINT_NL in await status_texts(h, h.facilitator, thread)


async def test_repeat_refuses_outsiders_and_steps_that_do_not_exist(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h, "classic")
    assert "begeleiders" in await h.command(h.alice, "session", "repeat", channel=thread, step=1)
    refused = await h.command(h.facilitator, "session", "repeat", channel=thread, step=9)
    assert refused == catalog().t("nl", "errors.session.no_such_step")
    english = await h.command(
        h.facilitator, "session", "repeat", channel=thread, step=1, locale="en-GB"
    )
    assert english == catalog().t("en", "replies.repeated", step="1. Empathise")
    status = await h.command(h.alice, "session", "status", channel=thread)
    assert "2 van 5" in status


async def test_notes_written_alone_are_not_offered_while_people_write(harness: Harness) -> None:
    h = harness
    guild = h.sb.world.guild(h.guild_id)
    h.sb.set_role_permissions(h.guild_id, guild.bot_role_id, PRIVATE_WRITING_PERMISSIONS.value)
    await h.start()
    answer = await h.command(
        h.facilitator, "session", "start", topic=TOPIC, template="masterclass-dag-1", private="all"
    )
    (thread,) = [int(t["id"]) for t in h.sb.threads]
    assert f"<#{thread}>" in answer
    await h.command(h.alice, "note", channel=thread, text="Mijn geheime notitie", lane="volgen")
    assert placed(h)["Mijn geheime notitie"] == (0, "monitor", None)
    for sub, option in (("move", "note"), ("lane", "note")):
        offered = await choices(
            h, thread, h.facilitator, "board", option, subcommand=sub, **{option: "", "theme": "1"}
        )
        assert offered == [], (sub, offered)
