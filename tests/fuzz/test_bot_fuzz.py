"""The running bot against hostile input: thread messages, attachments, stickers, the Add
note modal, every command argument and autocomplete, driven by hypothesis.

One bot per test serves all its examples: hypothesis runs in a worker thread and hands each
example (a *plan*, drawn up front) to the test's event loop, so the bot, the sandbox and
the session live on between examples and the test can check the board afterwards. After
every example:

(a) nothing was logged at ERROR and every interaction was answered;
(b) no request the bot made could ping anyone, and the sandbox saw no ping;
(c) every answer is a sentence of the catalogue in the user's language (not the generic
    apology); and Discord refused no request (too long, empty...);
(d) a note is stored whole: never cut, whatever its length; an edit that leaves nothing
    visible takes the note away, so no empty note is ever on the board;
(e) no bot post in a thread or channel lets quoted text (notes, names, the topic) change
    its layout: markdown shows as typed, direction controls stay inside the quote;
(f) a sticker-only message gets a kind answer in the session's language, once a minute
    per writer at most.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.domain.board import NOTE_MAX_CHARS, MessageKind, classify_message, is_blank, note_text
from bot.domain.server_settings import SettingKey
from bot.render.text import MAX_LISTED_NOTES, MESSAGE_LIMIT
from bot.sandbox.engine import public_message
from tests.fuzz.checks import as_shown, as_typed, assert_all_well, assert_clear_answer
from tests.fuzz.conftest import E2E_EXAMPLES, FuzzWorld
from tests.fuzz.strategies import Ids, fit, hostile_text, time_text, within

pytestmark = pytest.mark.fuzz_e2e

Plan = TypeVar("Plan")
LOCALES = ("nl", "en-US", "en-GB", "de")  # de: cocreate does not speak it, so the server's
TOPIC = "Hoe wordt de bibliotheek een ontmoetingsplek voor jongeren?"
SEED_NOTES = (
    "Jongeren zitten na school in de hal omdat er geen plek voor ze is",
    "Teenagers hang around the entrance after school, nowhere else to go",
    "Tijdens de examens zijn alle studieplekken al om negen uur bezet",
    "Students can't find a quiet desk during exam weeks",
    "In de examentijd zitten scholieren zelfs op de grond te leren",
    "Een meisje zei: er is hier niks voor ons, alleen voor kleine kinderen",
)


def explore(
    strategy: st.SearchStrategy[Plan],
    check: Callable[[Plan], Awaitable[None]],
    *,
    keep: Callable[[Plan], bool] = lambda plan: True,
    examples: int = E2E_EXAMPLES,
) -> Callable[[], None]:
    """A hypothesis test that runs ``check`` for each plan on the caller's event loop.

    Call the result in a worker thread (``asyncio.to_thread``): hypothesis draws and
    shrinks there while the loop keeps the bot and the sandbox running. ``keep`` can pass
    over plans that hit a known, not yet fixed bug (none now: ``test_known_bugs.py`` pins
    the ones found, all fixed).
    """
    loop = asyncio.get_running_loop()

    # No example database: an example depends on the ones before it (one bot for all),
    # so replaying it alone proves little; a failure prints its plan instead.
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(plan=strategy)
    def run(plan: Plan) -> None:
        assume(keep(plan))
        asyncio.run_coroutine_threadsafe(check(plan), loop).result(timeout=120)

    return run


# -- the world's state, read as the tests may: from Discord and the SQLite file ----------------


@dataclass
class Stage:
    """What the session looks like to a test: its thread, notes, themes."""

    thread: int
    prompt_id: int
    stored: list[int] = field(default_factory=list)  # message ids of notes and comments
    with_files: set[int] = field(default_factory=set)  # those of them with attachments
    theme_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)


async def query(world: FuzzWorld, sql: str, *args: object) -> list[tuple[Any, ...]]:
    async with aiosqlite.connect(world.db_path) as db:
        return list(await db.execute_fetchall(sql, args))


async def stored_text(world: FuzzWorld, message_id: int) -> tuple[str, list[str]] | None:
    """The note or comment a message became: its text and attachments."""
    rows = await query(
        world,
        "SELECT text, attachments FROM notes WHERE message_id = ?"
        " UNION ALL SELECT text, '[]' FROM comments WHERE message_id = ?",
        message_id,
        message_id,
    )
    return None if not rows else (str(rows[0][0]), json.loads(rows[0][1]))


async def blank_notes(world: FuzzWorld) -> list[str]:
    """Notes on the board that show nothing: no visible text and no attachment."""
    rows = await query(world, "SELECT text FROM notes WHERE attachments = '[]'")
    return [str(row[0]) for row in rows if is_blank(str(row[0]))]


async def wait_until_read(world: FuzzWorld, thread: int, message_id: int) -> None:
    """Until the bot has handled a thread message (it remembers the newest it read)."""
    for _ in range(2000):
        rows = await query(
            world, "SELECT last_message_id FROM sessions WHERE thread_id = ?", thread
        )
        if rows and rows[0][0] is not None and int(rows[0][0]) >= message_id:
            return
        await asyncio.sleep(0.005)
    raise TimeoutError(f"message {message_id} was never handled")


async def open_stage(world: FuzzWorld, *, themes: bool = False) -> Stage:
    """Start the bot and a session with a few ordinary notes (and themes, if asked)."""
    bot = await world.start()
    # The safety net under every send: the client itself pings nobody unless told to.
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}
    answer = await world.command(world.facilitator, "session", "start", topic=TOPIC)
    assert "<#" in answer, answer
    thread = int(
        next(t for t in world.sb.threads if str(t["parent_id"]) == str(world.channel_id))["id"]
    )
    prompt = next(m for m in world.bot_posts(thread) if m.get("components"))
    stage = Stage(thread=thread, prompt_id=int(prompt["id"]))
    for body in SEED_NOTES:
        message = await world.say(thread, world.next_writer(), body)
        stage.stored.append(int(message["id"]))
    if themes:
        answer = await world.command(world.facilitator, "board", "themes", channel=thread)
        assert_clear_answer(answer, "nl")
        stage.theme_ids = [int(r[0]) for r in await query(world, "SELECT id FROM themes")]
        assert stage.theme_ids, "the seed notes make themes"
    stage.note_ids = [int(r[0]) for r in await query(world, "SELECT id FROM notes")]
    return stage


def ids_of(world: FuzzWorld, stage: Stage | None = None) -> Ids:
    """Real people, roles and channels of the sandbox, so a ping would really land."""
    return Ids(
        users=[world.facilitator, world.admin, *world.writers, world.sb.bot_id],
        roles=[world.facilitator_role, world.guild_id],
        channels=[world.channel_id] + ([stage.thread] if stage else []),
    )


class Watch:
    """Where an example starts in the call log and the log records."""

    def __init__(self, world: FuzzWorld, caplog: pytest.LogCaptureFixture) -> None:
        self.world = world
        self.caplog = caplog
        self.calls = len(world.sb.calls)
        self.records = len(caplog.records)

    def check(self) -> None:
        assert_all_well(self.world.sb, self.calls, self.caplog.records[self.records :])


# -- thread messages, attachments, stickers, replies, edits and the modal -----------------------


@dataclass(frozen=True)
class Post:
    action: str
    content: str
    files: tuple[str, ...]
    pick: int
    locale: str
    everyone: bool


FILENAMES = ("foto.jpg", "notities.pdf", "<@1>.png", "‮gpj.exe", "schets 1.png", "@everyone.txt")


def posts(ids: Ids) -> st.SearchStrategy[Post]:
    return st.builds(
        Post,
        action=st.sampled_from(
            ["message", "message", "message", "reply", "attachments", "sticker", "modal", "edit"]
        ),
        content=hostile_text(ids),
        files=st.lists(st.sampled_from(FILENAMES), max_size=3).map(tuple),
        pick=st.integers(0, 10_000),
        locale=st.sampled_from(LOCALES),
        everyone=st.booleans(),
    )


async def post_sticker(world: FuzzWorld, thread: int, author: int, content: str) -> int:
    """A message carrying a sticker (the sandbox has no helper: build the event by hand)."""
    sb = world.sb
    message = sb.engine.post_message(thread, sb.world.user(author), content=content, dispatch=False)
    message["sticker_items"] = [{"id": "749054660769218631", "name": "Wumpus", "format_type": 3}]
    sb.hub.dispatch("MESSAGE_CREATE", public_message(message))
    await asyncio.sleep(0)
    return int(message["id"])


async def sticker_answer(world: FuzzWorld, thread: int, author: int, since: int) -> str:
    """The bot's answer in the thread to someone's sticker (it names them)."""
    call = await world.sb.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == "/channels/{channel_id}/messages"
            and c.params.get("channel_id") == str(thread)
            and f"<@{author}>" in str((c.json or {}).get("content", ""))
        ),
        timeout=10,
        since=since,
    )
    return str((call.json or {}).get("content", ""))


async def submit_modal(world: FuzzWorld, stage: Stage, user: int, value: str, locale: str) -> str:
    """Click Add note, fill in the modal, send it; the private answer."""
    sb = world.sb
    post = sb.message(stage.prompt_id)
    assert post is not None
    button = post["components"][0]["components"][0]["custom_id"]
    click = await sb.button_click(
        world.guild_id, stage.thread, user, stage.prompt_id, button, locale=locale
    )
    modal = await click.response(timeout=10)
    assert modal.json is not None and modal.json["type"] == 9, modal.json
    form = modal.json["data"]
    field_id = next(
        inner["custom_id"]
        for row in form["components"]
        for inner in (row.get("components") or [row.get("component")])
        if inner and inner.get("type") == 4
    )
    submit = await sb.modal_submit(
        world.guild_id, stage.thread, user, form["custom_id"], {field_id: value}, locale=locale
    )
    answer = await submit.response(timeout=10)
    assert answer.json is not None
    if answer.json["type"] == 4:
        return str(answer.json["data"].get("content", ""))
    follow = await sb.wait_for_call(
        lambda c: (
            c.method in ("POST", "PATCH")
            and c.path.startswith(f"/webhooks/{sb.application_id}/{submit.token}")
        ),
        timeout=10,
    )
    return str((follow.json or {}).get("content", ""))


def modal_text(plan: Post) -> str:
    """What Discord lets through the Add note text box: 1..NOTE_MAX_CHARS characters."""
    return fit(plan.content, 1, NOTE_MAX_CHARS)


async def vote_on_everything(world: FuzzWorld, stage: Stage) -> None:
    """Open a vote on the step's notes; two people vote through their private ballots."""
    sb = world.sb
    answer = await world.command(world.facilitator, "session", "vote", channel=stage.thread)
    if assert_clear_answer(answer, "nl") != "replies.vote_opened":
        return
    post = next(
        m
        for m in reversed(world.bot_posts(stage.thread))
        if m.get("components")
        and str(m["components"][0]["components"][0]["custom_id"]).startswith("cocreate:vote:")
    )
    button = post["components"][0]["components"][0]["custom_id"]
    for voter, locale in ((world.alice, "nl"), (world.bob, "en-GB")):
        opened = await sb.button_click(
            world.guild_id, stage.thread, voter, int(post["id"]), button, locale=locale
        )
        ballot = await opened.response(timeout=10)
        assert ballot.json is not None and ballot.json["type"] == 4, ballot.json
        assert_clear_answer(str(ballot.json["data"]["content"]), locale)
        menu = ballot.json["data"]["components"][0]["components"][0]
        for option in menu["options"]:
            assert 1 <= len(option["label"]) <= 100 and len(option["value"]) <= 100, option
        assert opened.original_message_id is not None
        picked = [option["value"] for option in menu["options"]][: int(menu["max_values"])]
        chosen = await sb.select_option(
            world.guild_id,
            stage.thread,
            voter,
            opened.original_message_id,
            menu["custom_id"],
            picked,
            locale=locale,
        )
        update = await chosen.response(timeout=10)
        assert update.json is not None and update.json["type"] == 7, update.json
        assert_clear_answer(str(update.json["data"]["content"]), locale)


async def test_thread_messages_are_stored_whole_and_never_ping(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture
) -> None:
    stage = await open_stage(world)
    thread = stage.thread
    sb = world.sb
    told: dict[int, float] = {}  # when each writer was answered about a sticker

    async def one(plan: Post) -> None:
        watch = Watch(world, caplog)
        author = world.next_writer()
        if plan.action == "modal":
            value = modal_text(plan)
            answer = await submit_modal(world, stage, author, value, plan.locale)
            key = assert_clear_answer(answer, plan.locale)
            if is_blank(value):
                assert key == "errors.note_empty", answer
            else:
                assert key == "replies.note_added", answer
                newest = await query(world, "SELECT text FROM notes ORDER BY id DESC LIMIT 1")
                assert newest[0][0] == note_text(value), "stored whole"
            watch.check()
            return
        if plan.action == "edit" and stage.stored:
            target = stage.stored[plan.pick % len(stage.stored)]
            await sb.edit_user_message(thread, target, plan.content)
            # Nothing visible left (and no attachment): the note goes, as if deleted.
            gone = is_blank(plan.content) and target not in stage.with_files
            wanted = note_text(plan.content)
            for _ in range(2000):
                found = await stored_text(world, target)
                if (found is None) if gone else (found is not None and found[0] == wanted):
                    break
                await asyncio.sleep(0.005)
            else:
                raise AssertionError(f"the edit of {target} did not reach the board: {found!r}")
            if gone:
                stage.stored.remove(target)
            assert not (blank := await blank_notes(world)), blank
            watch.check()
            return
        files: tuple[str, ...] = ()
        if plan.action == "sticker":
            message_id = await post_sticker(world, thread, author, plan.content)
            kind = classify_message(plan.content, False, False)
        else:
            reply_to = (
                stage.stored[plan.pick % len(stage.stored)] if plan.action == "reply" else None
            )
            content = "" if plan.action == "attachments" else plan.content
            files = plan.files or (("foto.jpg",) if plan.action == "attachments" else ())
            message = await sb.user_message(
                thread,
                author,
                content,
                reply_to=reply_to,
                attachments=[{"filename": name, "size": 10} for name in files],
                mentions_everyone=plan.everyone and "@everyone" in content,
            )
            message_id = int(message["id"])
            kind = classify_message(content, bool(files), reply_to is not None)
        await wait_until_read(world, thread, message_id)
        found = await stored_text(world, message_id)
        if kind in (MessageKind.NOTE, MessageKind.COMMENT):
            # (d) stored whole, however long; acknowledged once committed.
            assert found is not None, f"{kind} not stored: {plan.content[:80]!r}"
            assert found[0] == note_text("" if plan.action == "attachments" else plan.content)
            await sb.wait_for_call(
                lambda c: (
                    c.method == "PUT"
                    and "reactions" in c.path
                    and c.params.get("message_id") == str(message_id)
                ),
                timeout=10,
                since=watch.calls,
            )
            stage.stored.append(message_id)
            if files:
                stage.with_files.add(message_id)
        else:
            assert found is None, f"{kind} stored as {found!r}"
        if plan.action == "sticker" and kind is MessageKind.EMPTY:
            # (f) told kindly, in the session's language (nl), unless told a minute ago.
            last = told.get(author)
            if last is None or time.monotonic() - last > 65:
                answer = await sticker_answer(world, thread, author, watch.calls)
                assert assert_clear_answer(answer, "nl") == "replies.sticker_only", answer
                told[author] = time.monotonic()
        assert not (blank := await blank_notes(world)), blank
        watch.check()

    await asyncio.to_thread(explore(posts(ids_of(world, stage)), one))

    # A vote on these notes: the ballots quote them, privately, pinging nobody.
    watch = Watch(world, caplog)
    await vote_on_everything(world, stage)
    watch.check()

    # Every note ends up in the step summary, whole, in messages Discord accepts.
    watch = Watch(world, caplog)
    answer = await world.command(world.facilitator, "session", "next", channel=thread)
    assert_clear_answer(answer, "nl")
    await world.wait_for_post(thread, "Samenvatting", since=watch.calls)
    await world.wait_for_post(thread, "Stap 2", since=watch.calls)
    summary = "".join(
        str((c.json or {}).get("content", ""))
        for c in sb.calls[watch.calls :]
        if c.method == "POST" and c.route == "/channels/{channel_id}/messages"
    )
    # As Discord shows it: escapes taken out, direction controls invisible.
    squeezed = "".join(as_shown(summary).split()).replace("\\", "")
    rows = await query(world, "SELECT author_id, text FROM notes WHERE step_index = 0")
    per_author = Counter(author for author, _ in rows)
    # A summary lists MAX_LISTED_NOTES notes at most, shared out over the people (the
    # rest are counted); everyone's notes within their share are listed whole.
    share = max(MAX_LISTED_NOTES // len(per_author), 3)
    for author, body in rows:
        if per_author[author] <= share:
            typed = "".join(as_typed(str(body)).split()).replace("\\", "")
            assert typed in squeezed, str(body)[:80]
    watch.check()


# -- every command argument ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    strings: tuple[str, ...]
    times: tuple[str, ...]
    numbers: tuple[int, ...]
    picks: tuple[int, ...]
    real: tuple[bool, ...]
    who: str
    locale: str


COMMANDS = (
    "note",
    "start",
    "start_elsewhere",
    "extend",
    "vote",
    "rename",
    "move",
    "merge",
    "settings",
    "settings_reset",
    "status",
    "pause",
    "resume",
    "back",
)


def commands_with(ids: Ids) -> st.SearchStrategy[Command]:
    return st.builds(
        Command,
        name=st.sampled_from(COMMANDS),
        strings=st.tuples(hostile_text(ids), hostile_text(ids), hostile_text(ids)),
        times=st.tuples(time_text(ids), time_text(ids)),
        numbers=st.tuples(st.integers(1, 25), st.integers(1, 10)),
        picks=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
        real=st.tuples(st.booleans(), st.booleans()),
        who=st.sampled_from(["facilitator", "facilitator", "admin", "participant"]),
        locale=st.sampled_from(LOCALES),
    )


def some(values: list[int], pick: int) -> int:
    return values[pick % len(values)]


async def test_every_command_argument_gets_a_clear_answer(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture
) -> None:
    stage = await open_stage(world, themes=True)
    people = {"facilitator": world.facilitator, "admin": world.admin}

    def option_text(plan: Command, index: int, low: int = 1, high: int = 6000) -> str:
        return fit(plan.strings[index], low, high)

    def theme(plan: Command, index: int) -> str:
        if plan.real[index] and stage.theme_ids:
            return str(some(stage.theme_ids, plan.picks[index]))
        return option_text(plan, index)

    def build(plan: Command) -> tuple[str, str | None, int, dict[str, Any]]:
        thread = stage.thread
        match plan.name:
            case "note":
                return "note", None, thread, {"text": option_text(plan, 0, 1, NOTE_MAX_CHARS)}
            case "start" | "start_elsewhere":
                options: dict[str, Any] = {"topic": option_text(plan, 0, 3, 300)}
                if plan.real[0]:
                    options["durations"] = fit(plan.times[0], 1, 6000)
                if plan.real[1]:
                    options["reminders"] = fit(plan.times[1], 1, 6000)
                where = (
                    world.other_channel_id if plan.name == "start_elsewhere" else world.channel_id
                )
                return "session", "start", where, options
            case "extend":
                return "session", "extend", thread, {"duration": fit(plan.times[0], 1, 6000)}
            case "vote":
                options = {"dots": plan.numbers[0], "max-per-note": plan.numbers[1]}
                if plan.real[0]:
                    options["duration"] = fit(plan.times[0], 1, 6000)
                return "session", "vote", thread, options
            case "rename":
                new_name = option_text(plan, 1, 1, 100)
                return "board", "rename", thread, {"theme": theme(plan, 0), "name": new_name}
            case "move":
                note = (
                    str(some(stage.note_ids, plan.picks[1]))
                    if plan.real[1]
                    else option_text(plan, 1)
                )
                return "board", "move", thread, {"note": note, "theme": theme(plan, 0)}
            case "merge":
                return (
                    "board",
                    "merge",
                    thread,
                    {"theme": theme(plan, 0), "into": theme(plan, 1)},
                )
            case "settings" | "settings_reset":
                key = list(SettingKey)[plan.picks[0] % len(SettingKey)]
                value = (
                    "standaard" if plan.name == "settings_reset" else option_text(plan, 0, 1, 200)
                )
                return "settings", "set", world.channel_id, {"setting": key.value, "value": value}
            case "pause" | "resume" | "back":
                return "session", plan.name, thread, {}
        return "session", "status", thread, {}

    async def one(plan: Command) -> None:
        command, sub, channel, options = build(plan)
        user = people.get(plan.who) or world.next_writer()
        if command == "note":
            user = world.next_writer()  # nobody adds 20 notes a minute
        if command == "settings":
            user = world.admin if plan.who != "participant" else world.next_writer()
        watch = Watch(world, caplog)
        answer = await world.command(
            user, command, sub, channel=channel, locale=plan.locale, **options
        )
        key = assert_clear_answer(answer, plan.locale)
        if key == "replies.started":  # free the other channel for the next start there
            started = int(answer.split("<#")[1].split(">")[0])
            ended = await world.command(world.facilitator, "session", "end", channel=started)
            assert_clear_answer(ended, "nl")
        # Nothing nameless or empty-looking got onto the board.
        names = [str(row[0]) for row in await query(world, "SELECT name FROM themes")]
        assert not any(is_blank(name) for name in names), names
        assert not (blank := await blank_notes(world)), blank
        watch.check()

    await asyncio.to_thread(explore(commands_with(ids_of(world, stage)), one))


# -- autocomplete ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typing:
    where: str
    typed: str
    setting: str
    locale: str


async def test_autocomplete_offers_only_choices_discord_accepts(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture
) -> None:
    stage = await open_stage(world, themes=True)
    ids = ids_of(world, stage)
    typing = st.builds(
        Typing,
        where=st.sampled_from(["rename", "move_note", "move_theme", "merge", "settings"]),
        typed=within(ids, 0, 100),
        setting=st.sampled_from([key.value for key in SettingKey]),
        locale=st.sampled_from(LOCALES),
    )

    async def one(plan: Typing) -> None:
        watch = Watch(world, caplog)
        sb = world.sb
        name, sub, focused, options, user = {
            "rename": ("board", "rename", "theme", {"theme": plan.typed}, world.facilitator),
            "move_note": ("board", "move", "note", {"note": plan.typed}, world.facilitator),
            "move_theme": ("board", "move", "theme", {"theme": plan.typed}, world.facilitator),
            "merge": ("board", "merge", "into", {"into": plan.typed}, world.facilitator),
            "settings": (
                "settings",
                "set",
                "value",
                {"setting": plan.setting, "value": plan.typed},
                world.admin,
            ),
        }[plan.where]
        handle = await sb.autocomplete(
            world.guild_id,
            stage.thread,
            user,
            name,
            focused=focused,
            subcommand=sub,
            options=options,
            locale=plan.locale,
        )
        answer = await handle.response(timeout=10)
        assert answer.json is not None and answer.json["type"] == 8, answer.json
        choices = answer.json["data"]["choices"]
        assert len(choices) <= 25
        for choice in choices:
            assert 1 <= len(str(choice["name"])) <= 100, choice
            assert 1 <= len(str(choice["value"])) <= 100, choice
        watch.check()

    await asyncio.to_thread(explore(typing, one))


# -- (d) long notes: stored whole, listed whole -------------------------------------------------


def spaced(size: int) -> str:
    words = " ".join(f"woord{i:04d}" for i in range(size))
    return words[:size].rstrip() + "."


@pytest.mark.parametrize("size", [NOTE_MAX_CHARS + 1, MESSAGE_LIMIT, MESSAGE_LIMIT + 1, 4000])
async def test_a_long_thread_message_is_stored_and_summarised_whole(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture, size: int
) -> None:
    stage = await open_stage(world)
    watch = Watch(world, caplog)
    bodies = [spaced(size), "x" * size]  # words, and one unbreakable word
    sent = [await world.say(stage.thread, world.next_writer(), body) for body in bodies]
    for message, body in zip(sent, bodies, strict=True):
        found = await stored_text(world, int(message["id"]))
        assert found is not None and found[0] == body, "a long message is stored whole"
    mark = world.mark()
    await world.command(world.facilitator, "session", "next", channel=stage.thread)
    await world.wait_for_post(stage.thread, "Stap 2", since=mark)
    parts = [
        str((c.json or {}).get("content", ""))
        for c in world.sb.calls[mark:]
        if c.method == "POST" and c.route == "/channels/{channel_id}/messages"
    ]
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    squeezed = "".join("".join(parts).split())
    for body in bodies:
        assert "".join(body.split()) in squeezed, "the summary lists the whole note"
    watch.check()


async def test_the_longest_note_the_modal_and_note_allow_is_stored_whole(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture
) -> None:
    stage = await open_stage(world)
    watch = Watch(world, caplog)
    body = spaced(NOTE_MAX_CHARS)
    answer = await world.command(world.alice, "note", channel=stage.thread, text=body)
    assert assert_clear_answer(answer, "nl") == "replies.note_added"
    answer = await submit_modal(world, stage, world.bob, body.upper(), "en-GB")
    assert assert_clear_answer(answer, "en-GB") == "replies.note_added"
    texts = {str(r[0]) for r in await query(world, "SELECT text FROM notes")}
    assert {body, body.upper()} <= texts
    watch.check()


@pytest.mark.parametrize("locale", ["nl", "en-US"])
async def test_an_empty_note_is_refused_in_the_users_language(
    world: FuzzWorld, caplog: pytest.LogCaptureFixture, locale: str
) -> None:
    stage = await open_stage(world)
    watch = Watch(world, caplog)
    for blank in (" ", "\n\t", "\u3000"):
        answer = await world.command(
            world.alice, "note", channel=stage.thread, locale=locale, text=blank
        )
        assert assert_clear_answer(answer, locale) == "errors.note_empty"
        answer = await submit_modal(world, stage, world.bob, blank, locale)
        assert assert_clear_answer(answer, locale) == "errors.note_empty"
    watch.check()
