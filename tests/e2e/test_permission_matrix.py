"""The permission matrix: every actor × every command, autocomplete, button and modal of
the bot → exactly the designed outcome.

**Rows** are what the bot offers, derived from what it synced to the sandbox and from its
UI classes (``test_the_matrix_covers_everything_the_bot_offers`` fails when something new
has no row): each slash command and subcommand, each autocompleted option, the Add note
button and its modal, the vote button and the ballot (select, page, clear), the "I'll
take this" button, the forget-me confirmation, and a plain message.

**Columns** are six actors, who act in this order in one fresh world per row (server A
with a running session: notes and themes in its first step; server B likewise):

* **outsider** — a member of A whose VIEW_CHANNEL is denied on the session's channel (a
  member overwrite). Discord never delivers an interaction from a channel the member
  cannot see, so they act from one they can see (#jongeren); a button there names the
  session's ids in its custom_id (forged).
* **dm** — a member of A (with notes in A's session) in a direct message with the bot: a
  DM text, slash commands in a DM context (the commands are guild-only, so only a forged
  client sends them) and forged buttons on a DM message.
* **stranger** — facilitator *and* admin of server B, where the bot runs a session of its
  own; not a member of A. Their commands act on B's session, never on A's; options and
  custom_ids that name A's themes, notes, vote round or ideas are refused.
* **admin** — Manage Server in A, not a facilitator: settings yes, steering no.
* **participant** — an ordinary member of A, in the session's thread.
* **facilitator** — the Facilitator role in A, in the session's thread.

An **outcome** is the private answer (a catalogue sentence in the actor's client
language, compared through ``bot.i18n``; a ballot; autocomplete choices; help text; a
file; silence) and which data changed, read from the SQLite file: server A's rows, server
B's rows, or per-person rows. Every other row must stay exactly as it was, and the bot may
write only in the channels of the server whose data was meant to change. For the
outsider, the DM and the stranger, nothing the bot sends may contain A's topic or a note
someone else wrote in A.

The designed outcomes, in brief:

* Steering (``/session`` start … end, reveal, nudges for the session; ``/board`` themes,
  rename, move, merge, export): A's facilitator acts on A, the stranger on B (and is told "unknown
  theme" when the options name A's themes); everyone else is told only facilitators steer.
* ``/session status``, ``/note``, the Add note modal, a message, board autocomplete: A's
  members get A's session, the stranger B's; the outsider and the DM "no session" (or no
  choices, no 📝).
* The vote button, the ballot's select, page and clear, "I'll take this", "I'm done": in
  A's thread for A's members; anywhere else refused ("gone", "no session", "over") with
  nothing counted.
* ``/settings`` (and its autocomplete): each server's admins for their own server; all
  others "only admins".
* ``/help``: the sections each may use. ``/privacy``: each person's own data, wherever
  asked; only the asker's click removes anything (others' clicks get no answer).

A cell that shows a bug outside the files this test may fix is listed in ``KNOWN_BUGS``:
the row's test leaves it out and ``test_known_bug`` runs the row's listed cells as a
strict xfail, so the fix turns it into a failure that asks for the entry to go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import discord
import pytest

from bot.cogs.help import help_text, messages
from bot.export import ExportFormat
from bot.i18n import catalog
from bot.permissions import BOT_PERMISSIONS, PRIVATE_WRITING_PERMISSIONS
from bot.render.text import count, human_duration, quote
from bot.sandbox import RecordedCall
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
)
from bot.sandbox.permissions import VIEW_CHANNEL, Overwrite
from bot.template_files import load_templates
from bot.ui.announcer import VOTER_EDIT_DELAY
from bot.ui.views import ADD_NOTE_ID
from tests.e2e.conftest import Harness

MANAGE_GUILD = discord.Permissions(manage_guild=True).value

Actor = Literal["outsider", "dm", "stranger", "admin", "participant", "facilitator"]
Scope = Literal["A", "B", "people"]

# Refusals first: what the allowed actions cause later (a vote count edited a second
# after a vote) then lands after them.
ACTORS: tuple[Actor, ...] = ("outsider", "dm", "stranger", "admin", "participant", "facilitator")
CLIENT_LOCALE: dict[Actor, str] = {
    "outsider": "en-US",
    "dm": "nl",
    "stranger": "en-GB",
    "admin": "nl",
    "participant": "en-GB",
    "facilitator": "nl",
}
IN_A: tuple[Actor, ...] = ("admin", "participant", "facilitator")
FROM_ELSEWHERE: frozenset[Actor] = frozenset({"outsider", "dm", "stranger"})
SCOPES: tuple[Scope, ...] = ("A", "B", "people")

TOPIC_A = "Hoe wordt de bibliotheek een ontmoetingsplek voor jongeren?"
TOPIC_B = "How can the library welcome teenagers after school?"
# Two kinds of notes in each server, so that they make two themes.
NOTES_A: dict[Actor, str] = {
    "participant": "Stille studieplekken zijn in de examentijd altijd bezet",
    "dm": "Meer stille studieplekken voor de examens",
    "facilitator": "Gamen op vrijdagmiddag met vrienden in de bieb",
    "admin": "Een gameavond op vrijdag voor tieners",
}
NOTES_B = (
    "Quiet desks are always taken in exam weeks",
    "More quiet desks for the exams",
    "Board games on Friday nights with friends",
    "A games night on Friday for teenagers",
)
NEW_NAME = "Onze eigen naam"

SILENCE = 0.25  # seconds without an answer that count as no answer
QUIET = 0.04  # seconds without a REST call that count as "the bot is done"


def lang(actor: Actor) -> str:
    """The catalogue language the bot answers this actor in (their client's)."""
    return catalog().resolve(CLIENT_LOCALE[actor])


@contextlib.contextmanager
def readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """The bot's database file, opened read-only next to the running bot."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


# -- the world -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an actor acts: a server (None in a DM) and a channel or thread."""

    guild: int | None
    channel: int


@dataclass
class World:
    """Two servers with a running session each, a DM, and the six actors."""

    h: Harness
    users: dict[Actor, int]
    a_free: int  # a channel of A without a session
    a_elsewhere: int  # a channel of A the outsider can see
    b_guild: int
    b_channel: int
    b_free: int
    b_member: int  # writes B's notes
    dm: int
    a_thread: int = 0
    b_thread: int = 0
    forget_buttons: tuple[str, str] = ("", "")  # the facilitator's confirm, cancel
    take_note: int = 0  # A's top idea, with its button under A's summary

    @property
    def a_guild(self) -> int:
        return self.h.guild_id

    def channels_of(self, scope: Scope) -> set[int]:
        guild = {"A": self.a_guild, "B": self.b_guild}.get(scope)
        return {c.id for c in self.h.sb.world.channels.values() if guild and c.guild_id == guild}

    # What the SQLite file holds (never the bot's private state).

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with readonly(self.h.db_path) as db:
            return list(db.execute(sql, args))

    def notes(self, guild_id: int) -> list[tuple[int, int, str]]:
        """(id, author, text) of a server's notes, oldest first."""
        return [
            (int(i), int(a), str(t))
            for i, a, t in self.query(
                "SELECT n.id, n.author_id, n.text FROM notes n JOIN sessions s"
                " ON s.id = n.session_id WHERE s.guild_id = ? ORDER BY n.id",
                guild_id,
            )
        ]

    def session_notes(self, guild_id: int) -> set[str]:
        """Ids of the notes of a server's running session (what autocomplete offers)."""
        return {
            str(i)
            for (i,) in self.query(
                "SELECT n.id FROM notes n JOIN sessions s ON s.id = n.session_id"
                " WHERE s.guild_id = ? AND s.status != 'ended'",
                guild_id,
            )
        }

    def themes(self, guild_id: int) -> list[int]:
        return [
            int(i)
            for (i,) in self.query(
                "SELECT t.id FROM themes t JOIN sessions s ON s.id = t.session_id"
                " WHERE s.guild_id = ? AND s.status != 'ended' ORDER BY t.step_index, t.position",
                guild_id,
            )
        ]

    def note_in_theme(self, theme_id: int) -> int:
        rows = self.query("SELECT note_id FROM note_themes WHERE theme_id = ?", theme_id)
        return int(rows[0][0])

    def open_round(self) -> int:
        ((round_id,),) = self.query(
            "SELECT r.id FROM vote_rounds r JOIN sessions s ON s.id = r.session_id"
            " WHERE s.guild_id = ? AND r.status = 'open'",
            self.a_guild,
        )
        return int(round_id)

    def round_options(self) -> list[int]:
        ((options,),) = self.query(
            "SELECT options FROM vote_rounds WHERE id = ?", self.open_round()
        )
        return [int(i) for i in json.loads(options)]

    def roles(self, guild_id: int) -> set[str]:
        """The roles /settings set offers as facilitator role in a server."""
        guild = self.h.sb.world.guild(guild_id)
        return {
            str(r.id)
            for r in guild.roles.values()
            if r.id != guild_id and r.id != guild.bot_role_id
        }

    def secrets(self, actor: Actor) -> set[str]:
        """What of A this actor must never be shown: notes others wrote, and the topic
        to those who never wrote in A."""
        mine = self.users[actor]
        notes = self.notes(self.a_guild)
        found = {text for _, author, text in notes if author != mine}
        if all(author != mine for _, author, _ in notes):
            found.add(TOPIC_A)
        return found


# Which rows of which table belong to a server; the rest are per person.
_OF_SESSIONS = "session_id IN (SELECT id FROM sessions WHERE guild_id = :g)"
_OF_NOTES = (
    "note_id IN (SELECT n.id FROM notes n JOIN sessions s ON s.id = n.session_id"
    " WHERE s.guild_id = :g)"
)
_OF_ROUNDS = (
    "round_id IN (SELECT r.id FROM vote_rounds r JOIN sessions s ON s.id = r.session_id"
    " WHERE s.guild_id = :g)"
)
SERVER_ROWS = {
    "sessions": "guild_id = :g",
    "server_settings": "guild_id = :g",
    "notes": _OF_SESSIONS,
    "vote_rounds": _OF_SESSIONS,
    "themes": _OF_SESSIONS,
    "outbox": _OF_SESSIONS,
    "step_done": _OF_SESSIONS,
    "recaps": _OF_SESSIONS,
    "nudges": _OF_SESSIONS,
    "comments": _OF_NOTES,
    "note_themes": _OF_NOTES,
    "note_vectors": _OF_NOTES,
    "takers": _OF_NOTES,
    "votes": _OF_ROUNDS,
}
PERSON_ROWS = {"nudge_optouts": "1"}

Snapshot = dict[Scope, dict[str, list[tuple[Any, ...]]]]


def snapshot(w: World) -> Snapshot:
    """Every row of the database, by the server it belongs to (or "people")."""
    with readonly(w.h.db_path) as db:
        tables = {
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        }
        assert tables == set(SERVER_ROWS) | set(PERSON_ROWS), (
            "a table the matrix does not know: say whose rows it holds in SERVER_ROWS or "
            f"PERSON_ROWS ({sorted(tables ^ (set(SERVER_ROWS) | set(PERSON_ROWS)))})"
        )

        def rows(table: str, where: str, guild: int = 0) -> list[tuple[Any, ...]]:
            found = db.execute(f"SELECT * FROM {table} WHERE {where}", {"g": guild})  # noqa: S608
            return sorted(found, key=repr)

        return {
            "A": {t: rows(t, where, w.a_guild) for t, where in SERVER_ROWS.items()},
            "B": {t: rows(t, where, w.b_guild) for t, where in SERVER_ROWS.items()},
            "people": {t: rows(t, where) for t, where in PERSON_ROWS.items()},
        }


def changed_tables(before: Snapshot, after: Snapshot, scope: Scope) -> list[str]:
    return [t for t in before[scope] if before[scope][t] != after[scope][t]]


async def settle(h: Harness) -> None:
    """Wait until the bot made no REST call for a moment (at most a few seconds)."""
    seen = len(h.sb.calls)
    for _ in range(100):
        await asyncio.sleep(QUIET)
        if len(h.sb.calls) == seen:
            return
        seen = len(h.sb.calls)


async def thread_of(h: Harness, channel: int) -> int:
    threads = [int(t["id"]) for t in h.sb.threads if str(t["parent_id"]) == str(channel)]
    assert len(threads) == 1, threads
    return threads[0]


async def themes_ready(w: World, guild_id: int) -> None:
    for _ in range(200):
        if len(w.themes(guild_id)) >= 2:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"server {guild_id}'s notes never made two themes")


async def build(h: Harness, *, private: bool = False) -> World:
    """Server A (the harness's), server B, the actors; a running session in each, with
    notes and themes in its first step. ``private``: sessions where everyone writes alone
    first (their notes added with /note, no themes before the reveal)."""
    sb = h.sb
    a = h.guild_id
    beheer = sb.add_role(a, "Beheer", permissions=MANAGE_GUILD).id
    admin = sb.add_member(a, "noor", global_name="Noor", roles=[beheer]).id
    outsider = sb.add_member(a, "olaf", global_name="Olaf").id
    dm_user = sb.add_member(a, "dana", global_name="Dana").id
    # The outsider cannot see the session's channel, nor so its thread.
    sb.world.channels[h.channel_id].overwrites.append(
        Overwrite(id=outsider, type=1, deny=VIEW_CHANNEL)
    )
    a_free = sb.add_text_channel(a, "werkplaats").id
    b = sb.add_guild("Library South", locale="en-GB").id
    # What the invite asks for (with Manage Messages where people write alone).
    granted = (PRIVATE_WRITING_PERMISSIONS if private else BOT_PERMISSIONS).value
    for guild in (a, b):
        sb.set_role_permissions(guild, sb.world.guild(guild).bot_role_id, granted)
    b_roles = [
        sb.add_role(b, "Facilitator").id,
        sb.add_role(b, "Admins", permissions=MANAGE_GUILD).id,
    ]
    stranger = sb.add_member(b, "sam", global_name="Sam", roles=b_roles).id
    b_member = sb.add_member(b, "pat", global_name="Pat").id
    w = World(
        h=h,
        users={
            "outsider": outsider,
            "dm": dm_user,
            "stranger": stranger,
            "admin": admin,
            "participant": h.alice,
            "facilitator": h.facilitator,
        },
        a_free=a_free,
        a_elsewhere=h.other_channel_id,
        b_guild=b,
        b_channel=sb.add_text_channel(b, "co-design").id,
        b_free=sb.add_text_channel(b, "lobby").id,
        b_member=b_member,
        dm=sb.dm_channel(dm_user).id,
    )
    await h.start()

    alone: dict[str, Any] = {"private": "all"} if private else {}
    await h.command(h.facilitator, "session", "start", topic=TOPIC_A, **alone)
    w.a_thread = await thread_of(h, h.channel_id)
    for actor, text in NOTES_A.items():
        if private:
            await h.command(w.users[actor], "note", channel=w.a_thread, text=text)
        else:
            await h.say(w.a_thread, w.users[actor], text)

    def in_b(channel: int) -> dict[str, Any]:
        return {"guild": b, "channel": channel, "locale": "en-GB"}

    await h.command(
        stranger, "session", "start", **in_b(w.b_channel), topic=TOPIC_B, language="en", **alone
    )
    w.b_thread = await thread_of(h, w.b_channel)
    for text in NOTES_B:
        if private:
            await h.command(b_member, "note", **in_b(w.b_thread), text=text)
        else:
            await h.say(w.b_thread, b_member, text)
    if not private:
        await h.command(h.facilitator, "board", "themes", channel=w.a_thread, step=1)
        await themes_ready(w, a)
        await h.command(stranger, "board", "themes", **in_b(w.b_thread), step=1)
        await themes_ready(w, b)
    await h.command(
        stranger, "settings", "set", **in_b(w.b_channel), setting="timezone", value="Europe/London"
    )
    await settle(h)
    return w


# -- acting ------------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the actor got back."""

    kind: int | None  # the interaction callback type; None: no answer at all
    texts: list[str] = field(default_factory=list)  # the answer, then further messages
    files: list[tuple[str, bytes]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # the callback's data
    reaction: str | None = None  # on a posted message

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


async def interact(
    w: World,
    actor: Actor,
    place: Place,
    kind: int,
    data: dict[str, Any],
    *,
    message_id: int | None = None,
    command_name: str | None = None,
) -> InteractionHandle:
    """Send an INTERACTION_CREATE as ``actor`` at ``place`` (a DM when guild is None)."""
    sb = w.h.sb
    since = len(sb.calls)
    stored = sb.interactions.create(
        type_=kind,
        guild_id=place.guild,
        channel_id=place.channel,
        user_id=w.users[actor],
        data=data,
        locale=CLIENT_LOCALE[actor],
        message_id=message_id,
        command_name=command_name,
    )
    await asyncio.sleep(0)
    return InteractionHandle(stored, sb.recorder, since)


async def answer_of(w: World, handle: InteractionHandle, *, silent: bool) -> Answer:
    """The callback, and for a deferred one what followed on the interaction's webhook."""
    try:
        callback = await handle.response(timeout=SILENCE if silent else 10)
    except TimeoutError:
        await settle(w.h)
        return Answer(None)
    body = callback.json or {}
    kind = int(body["type"])
    data: dict[str, Any] = dict(body.get("data") or {})
    if kind in (5, 6):
        await w.h.sb.wait_for_call(
            lambda c: (
                c.route != callback.route
                and c.method in ("POST", "PATCH")
                and c.params.get("webhook_token") == handle.token
            ),
            timeout=10,
        )
    await settle(w.h)
    answer = Answer(kind, data=data, files=list(callback.files))
    if kind in (4, 7):
        answer.texts.append(str(data.get("content", "")))
    if kind in (4, 5):
        assert int(data.get("flags", 0)) & 64, f"a private answer, not {body}"
    for call in handle.calls():
        if call.route != callback.route and call.method in ("POST", "PATCH") and call.json:
            answer.texts.append(str(call.json.get("content", "")))
            answer.files += call.files
    return answer


def custom_ids(message: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    stack = list(message.get("components") or [])
    while stack:
        component = stack.pop()
        if "custom_id" in component:
            found.add(str(component["custom_id"]))
        stack += component.get("components") or []
    return found


def carrier(w: World, actor: Actor, place: Place, custom_id: str, values: list[str] | None) -> int:
    """The newest message at ``place`` with this component; where there is none, a
    message made to carry it (a forged custom_id)."""
    sb = w.h.sb
    for message in reversed([*sb.messages(place.channel), *sb.ephemeral_messages(place.channel)]):
        if custom_id in custom_ids(message):
            return int(message["id"])
    component: dict[str, Any] = {"type": 2, "style": 1, "label": "…", "custom_id": custom_id}
    if values is not None:
        options = [{"label": v, "value": v} for v in values]
        component = {"type": 3, "custom_id": custom_id, "options": options}
    made = sb.engine.post_message(
        place.channel,
        sb.world.user(w.users[actor]),
        components=[{"type": 1, "components": [component]}],
        dispatch=False,
    )
    return int(made["id"])


async def use(
    w: World,
    actor: Actor,
    place: Place,
    custom_id: str,
    *,
    values: list[str] | None = None,
    silent: bool = False,
) -> Answer:
    """Click a button (or pick ``values`` in a select menu)."""
    message_id = carrier(w, actor, place, custom_id, values)
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
    if values is not None:
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
    handle = await interact(w, actor, place, MESSAGE_COMPONENT, data, message_id=message_id)
    return await answer_of(w, handle, silent=silent)


Value = Any  # a value, or a function of (world, actor) giving it


def resolve(value: Value, w: World, actor: Actor) -> Any:
    return value(w, actor) if callable(value) else value


Act = Callable[[World, Actor, Place, bool], Awaitable[Answer]]


def command(name: str, subcommand: str | None = None, /, **options: Value) -> Act:
    """Run ``/name subcommand`` with ``options`` (English option names)."""

    async def act(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
        values = {key: resolve(value, w, actor) for key, value in options.items()}
        data = w.h.sb.interactions.command_data(
            place.guild, place.channel, name, subcommand=subcommand, options=values
        )
        full = " ".join(part for part in (name, subcommand) if part)
        handle = await interact(w, actor, place, APPLICATION_COMMAND, data, command_name=full)
        return await answer_of(w, handle, silent=silent)

    return act


def autocomplete(name: str, subcommand: str, focused: str, /, **options: Value) -> Act:
    """Type nothing yet in option ``focused``: the choices the bot offers."""

    async def act(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
        values = {key: resolve(value, w, actor) for key, value in options.items()}
        values[focused] = ""
        data = w.h.sb.interactions.command_data(
            place.guild, place.channel, name, subcommand=subcommand, options=values, focused=focused
        )
        handle = await interact(w, actor, place, AUTOCOMPLETE, data, command_name=name)
        return await answer_of(w, handle, silent=silent)

    return act


def note_text(w: World, actor: Actor) -> str:
    return f"Een notitie van {actor}"


async def add_note(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
    """The Add note button opens the modal (for anyone: it is only a text box); what
    happens to the note is decided when it is sent."""
    opened = await use(w, actor, place, ADD_NOTE_ID)
    assert opened.kind == 9, f"the Add note modal, not {opened}"
    modal = opened.data
    (field_id,) = [
        inner["custom_id"]
        for row in modal["components"]
        for inner in row.get("components") or [row.get("component")]
        if inner and inner.get("type") == 4
    ]
    data = w.h.sb.interactions.modal_data(modal["custom_id"], {field_id: note_text(w, actor)})
    handle = await interact(w, actor, place, MODAL_SUBMIT, data)
    return await answer_of(w, handle, silent=silent)


def ballot(kind: Literal["vote", "select", "page", "clear"]) -> Act:
    """The vote button on A's vote post, or a component of the ballot it opens. In A's
    thread the actor opens their own ballot first, as on Discord; anywhere else the
    custom_id naming A's round is forged."""

    async def act(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
        round_id = w.open_round()
        custom_id = {
            "vote": f"cocreate:vote:{round_id}",
            "select": f"cocreate:ballot:{round_id}:0",
            "page": f"cocreate:ballot-page:{round_id}:0",
            "clear": f"cocreate:ballot-clear:{round_id}",
        }[kind]
        if kind != "vote" and place.channel == w.a_thread:
            opened = await use(w, actor, place, f"cocreate:vote:{round_id}")
            assert opened.kind == 4, opened
        values = [str(w.round_options()[0])] if kind == "select" else None
        return await use(w, actor, place, custom_id, values=values, silent=silent)

    return act


async def done(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
    """ "I'm done" on A's private step (its first)."""
    ((session_id,),) = w.query(
        "SELECT id FROM sessions WHERE guild_id = ? AND status != 'ended'", w.a_guild
    )
    return await use(w, actor, place, f"cocreate:done:{session_id}:0", silent=silent)


async def take(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
    return await use(w, actor, place, f"cocreate:take:{w.take_note}", silent=silent)


def forget(button: Literal[0, 1]) -> Act:
    """A click on the facilitator's forget-me question: 0 confirms, 1 cancels."""

    async def act(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
        return await use(w, actor, place, w.forget_buttons[button], silent=silent)

    return act


async def post(w: World, actor: Actor, place: Place, silent: bool) -> Answer:
    """Write a message; the answer is the bot's reaction to it, if any."""
    sb = w.h.sb
    since = len(sb.calls)
    message = await sb.user_message(place.channel, w.users[actor], f"Een bericht van {actor}")
    if place.guild is None:
        # A direct message is answered where it was sent (during silent writing it would
        # become a note; here no session writes silently).
        try:
            answer = await sb.wait_for_call(
                lambda c: (
                    c.method == "POST"
                    and c.route == "/channels/{channel_id}/messages"
                    and c.params.get("channel_id") == str(place.channel)
                ),
                timeout=SILENCE if silent else 10,
                since=since,
            )
        except TimeoutError:
            await settle(w.h)
            return Answer(None)
        await settle(w.h)
        return Answer(0, texts=[str((answer.json or {}).get("content", ""))])
    try:
        acked = await sb.wait_for_call(
            lambda c: (
                c.method == "PUT"
                and "reactions" in c.path
                and c.params.get("message_id") == str(message["id"])
            ),
            timeout=SILENCE if silent else 10,
            since=since,
        )
    except TimeoutError:
        await settle(w.h)
        return Answer(None)
    await settle(w.h)
    return Answer(None, reaction=str(acked.params.get("emoji")))


# -- where ---------------------------------------------------------------------------------------

Where = Callable[[World, Actor], Place]


def home(w: World, actor: Actor) -> Place:
    """A's session thread for A's members; the outsider's channel; B's session thread;
    the DM."""
    if actor == "outsider":
        return Place(w.a_guild, w.a_elsewhere)
    if actor == "dm":
        return Place(None, w.dm)
    if actor == "stranger":
        return Place(w.b_guild, w.b_thread)
    return Place(w.a_guild, w.a_thread)


def free(w: World, actor: Actor) -> Place:
    """A channel without a session (where a session starts)."""
    if actor == "stranger":
        return Place(w.b_guild, w.b_free)
    if actor in IN_A:
        return Place(w.a_guild, w.a_free)
    return home(w, actor)


# -- before a row: the state its commands act on ------------------------------------------------

Setup = Callable[[World], Awaitable[None]]


async def paused(w: World) -> None:
    h = w.h
    await h.command(h.facilitator, "session", "pause", channel=w.a_thread)
    await h.command(
        w.users["stranger"], "session", "pause", guild=w.b_guild, channel=w.b_thread, locale="en-GB"
    )


async def moved_on(w: World) -> None:
    """Both sessions are at their second step."""
    h = w.h
    await h.command(h.facilitator, "session", "next", channel=w.a_thread)
    await h.command(
        w.users["stranger"], "session", "next", guild=w.b_guild, channel=w.b_thread, locale="en-GB"
    )
    await settle(h)


async def voting(w: World) -> None:
    await w.h.command(w.h.facilitator, "session", "vote", channel=w.a_thread)
    await settle(w.h)


async def vote_as(w: World, actor: Actor) -> None:
    round_id = w.open_round()
    place = Place(w.a_guild, w.a_thread)
    assert (await use(w, actor, place, f"cocreate:vote:{round_id}")).kind == 4
    picked = await use(
        w, actor, place, f"cocreate:ballot:{round_id}:0", values=[str(w.round_options()[0])]
    )
    assert picked.kind == 7, picked


async def until_vote_counts_are_shown() -> None:
    """The vote post's voter count is edited a moment after a vote; let it happen."""
    await asyncio.sleep(VOTER_EDIT_DELAY + 0.2)


async def voted(w: World) -> None:
    """A vote is open and A's members each put a dot on its first option."""
    await voting(w)
    for actor in IN_A:
        await vote_as(w, actor)
    await until_vote_counts_are_shown()
    await settle(w.h)


async def ended(w: World) -> None:
    """A's session ended after a vote: its summary offers the winner to take further."""
    await voting(w)
    await vote_as(w, "participant")
    await until_vote_counts_are_shown()
    await w.h.command(w.h.facilitator, "session", "end", channel=w.a_thread)
    await settle(w.h)
    taken = [
        int(cid.rsplit(":", 1)[1])
        for message in w.h.sb.messages(w.a_thread)
        for cid in custom_ids(message)
        if cid.startswith("cocreate:take:")
    ]
    assert taken, "A's summary has a take button"
    w.take_note = taken[0]


async def asked_to_forget(w: World) -> None:
    """The facilitator asked /privacy forget-me in A's thread and has not answered yet."""
    place = Place(w.a_guild, w.a_thread)
    asked = await command("privacy", "forget-me")(w, "facilitator", place, False)
    confirm, cancel = (
        str(button["custom_id"]) for row in asked.data["components"] for button in row["components"]
    )
    w.forget_buttons = (confirm, cancel)


# -- expected answers ------------------------------------------------------------------------------


class Expect(Protocol):
    @property
    def silent(self) -> bool:
        """Whether no answer is what is expected (then waiting for one is short)."""
        ...

    def check(self, w: World, actor: Actor, answer: Answer) -> None: ...


@dataclass(frozen=True)
class Says:
    """Exactly this catalogue sentence, in the actor's language."""

    key: str
    values: Mapping[str, Value] = field(default_factory=dict)
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        values = {name: resolve(value, w, actor) for name, value in self.values.items()}
        wanted = catalog().t(lang(actor), self.key, **values)
        assert answer.kind is not None, f"no answer; wanted {self.key}: {wanted!r}"
        assert answer.text == wanted, f"wanted {self.key}: {wanted!r}, got {answer.text!r}"


@dataclass(frozen=True)
class Begins:
    """The catalogue sentence up to its first placeholder, in the actor's language."""

    key: str
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        start = catalog().raw(lang(actor), self.key).split("{", 1)[0]
        assert answer.text.startswith(start), f"wanted {self.key} ({start!r}…), got {answer}"


@dataclass(frozen=True)
class Silent:
    """No answer at all (Discord tells the clicker the interaction failed)."""

    silent: bool = True

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        assert answer.kind is None and answer.reaction is None, f"expected silence: {answer}"


@dataclass(frozen=True)
class Reacts:
    """A posted message is acknowledged with this reaction (it became a note)."""

    emoji: str
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        assert answer.reaction == self.emoji, answer


@dataclass(frozen=True)
class Ballot:
    """The actor's private ballot for A's round (new, or redrawn in place)."""

    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        assert answer.kind in (4, 7), answer
        Begins("vote.ballot.header").check(w, actor, answer)
        ids = custom_ids(answer.data)
        assert f"cocreate:ballot:{w.open_round()}:0" in ids, ids


@dataclass(frozen=True)
class Choices:
    """Autocomplete choices with exactly these values."""

    values: Callable[[World, Actor], set[str]]
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        assert answer.kind == 8, answer
        offered = {str(choice["value"]) for choice in answer.data["choices"]}
        assert offered == self.values(w, actor), offered


def nothing_offered(w: World, actor: Actor) -> set[str]:
    return set()


@dataclass(frozen=True)
class Status:
    """/session status of the session of this server's thread."""

    server: Literal["A", "B"]
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        thread, topic = (w.a_thread, TOPIC_A) if self.server == "A" else (w.b_thread, TOPIC_B)
        heading = catalog().raw(lang(actor), "status.body").split("\n", 1)[0]
        wanted = heading.format(topic=quote(topic), thread=f"<#{thread}>")
        assert answer.text.split("\n", 1)[0] == wanted, answer.text


@dataclass(frozen=True)
class Exported:
    """A file of this server's board: all its session's notes, nobody else's."""

    server: Literal["A", "B"]
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        Begins("export.reply.done").check(w, actor, answer)
        assert (TOPIC_A if self.server == "A" else TOPIC_B) in answer.text, answer.text
        content = b"".join(data for _, data in answer.files).decode("utf-8")
        a_notes = [text for _, _, text in w.notes(w.a_guild)]
        b_notes = list(NOTES_B)
        wanted, unwanted = (a_notes, b_notes) if self.server == "A" else (b_notes, a_notes)
        assert all(text in content for text in wanted), content
        assert not [text for text in unwanted if text in content], content


@dataclass(frozen=True)
class SettingsShown:
    """The settings of this server only (B set its own timezone; A did not)."""

    server: Literal["A", "B"]
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        Begins("settings.show.heading").check(w, actor, answer)
        london = "Europe/London" in answer.text
        assert london == (self.server == "B"), answer.text


@dataclass(frozen=True)
class Help:
    """/help with the sections this actor may use, every message of it."""

    facilitator: bool
    admin: bool
    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        sections = help_text(catalog(), lang(actor), facilitator=self.facilitator, admin=self.admin)
        assert answer.texts == messages(sections), answer.texts


@dataclass(frozen=True)
class OwnData:
    """/privacy my-data: a file with the actor's own notes, and no one else's."""

    silent: bool = False

    def check(self, w: World, actor: Actor, answer: Answer) -> None:
        mine = w.users[actor]
        notes = [*w.notes(w.a_guild), *w.notes(w.b_guild)]
        own = [text for _, author, text in notes if author == mine]
        locale = lang(actor)
        Says(
            "privacy.data.reply",
            {
                "notes": count(catalog(), locale, "note", len(own)),
                "comments": count(catalog(), locale, "comment", 0),
                "dots": count(catalog(), locale, "dot", 0),
            },
        ).check(w, actor, answer)
        ((_, data),) = answer.files
        content = data.decode("utf-8")
        json.loads(content)
        assert all(text in content for text in own), content
        assert not [t for _, a, t in notes if a != mine and t in content], content


# -- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The answer, the data that must change, and the data that may (the rest may not)."""

    expect: Expect
    changes: frozenset[Scope] = frozenset()
    may_change: frozenset[Scope] = frozenset()


def told(expect: Expect, *changes: Scope, may: tuple[Scope, ...] = ()) -> Outcome:
    return Outcome(expect, frozenset(changes), frozenset(may))


NOT_FACILITATOR = told(Says("errors.not_facilitator"))
NO_SESSION = told(Says("errors.no_session"))
NOT_ADMIN = told(Says("settings.refused.not_admin"))
UNKNOWN_THEME = told(Says("errors.unknown_theme"))
GONE = told(Says("vote.ballot.gone"))
NOTHING = told(Silent())


def facilitators_only(*, a: Outcome, b: Outcome) -> dict[Actor, Outcome]:
    """A's facilitator gets ``a``, the stranger (B's facilitator) ``b``; everyone else is
    told that only facilitators start and steer sessions."""
    return {
        "outsider": NOT_FACILITATOR,
        "dm": NOT_FACILITATOR,
        "stranger": b,
        "admin": NOT_FACILITATOR,
        "participant": NOT_FACILITATOR,
        "facilitator": a,
    }


def steering(done: Expect, *, rerun: bool = False) -> dict[Actor, Outcome]:
    """A facilitator command: the stranger steers B's session, A's facilitator A's."""

    def changes(scope: Scope) -> Outcome:
        return told(done, may=(scope,)) if rerun else told(done, scope)

    return facilitators_only(a=changes("A"), b=changes("B"))


def but(base: Mapping[Actor, Outcome], changed: Mapping[Actor, Outcome]) -> dict[Actor, Outcome]:
    """``base`` with some actors' outcomes replaced."""
    return {**base, **changed}


def by_server(*, elsewhere: Outcome, b: Outcome, a: Outcome) -> dict[Actor, Outcome]:
    """The same outcome for A's three members (``a``); the outsider and the DM get
    ``elsewhere``, the stranger ``b``."""
    return {
        "outsider": elsewhere,
        "dm": elsewhere,
        "stranger": b,
        "admin": a,
        "participant": a,
        "facilitator": a,
    }


def a_theme(index: int) -> Value:
    return lambda w, a: str(w.themes(w.a_guild)[index])


def a_note_in_theme(index: int) -> Value:
    return lambda w, a: str(w.note_in_theme(w.themes(w.a_guild)[index]))


def five_minutes(w: World, actor: Actor) -> str:
    return human_duration(catalog(), lang(actor), timedelta(minutes=5))


def noted(w: World, actor: Actor) -> str:
    """The new note as the bot echoes someone's text (quoted)."""
    return quote(note_text(w, actor))


def taken_idea(w: World, actor: Actor) -> str:
    ((text,),) = w.query("SELECT text FROM notes WHERE id = ?", w.take_note)
    return quote(str(text))


def done_so_far(w: World, actor: Actor) -> int:
    """Who said "I'm done" in A's private step (everyone who did also wrote there)."""
    ((n,),) = w.query(
        "SELECT COUNT(*) FROM step_done d JOIN sessions s ON s.id = d.session_id"
        " WHERE s.guild_id = ?",
        w.a_guild,
    )
    return int(n)


def writers(w: World, actor: Actor) -> int:
    return len({author for _, author, _ in w.notes(w.a_guild)})


def theme_ids(server: Literal["A", "B"]) -> Callable[[World, Actor], set[str]]:
    return lambda w, a: {str(i) for i in w.themes(w.a_guild if server == "A" else w.b_guild)}


def note_ids(server: Literal["A", "B"]) -> Callable[[World, Actor], set[str]]:
    return lambda w, a: w.session_notes(w.a_guild if server == "A" else w.b_guild)


def role_ids(server: Literal["A", "B"]) -> Callable[[World, Actor], set[str]]:
    return lambda w, a: w.roles(w.a_guild if server == "A" else w.b_guild)


def first_step(w: World, actor: Actor) -> str:
    """How /session repeat names step 1 of a classic session, in the actor's language."""
    locale = lang(actor)
    name = catalog().t(locale, "steps.empathise.name")
    return catalog().t(locale, "replies.step_label", number=1, name=name)


def step_numbers(w: World, actor: Actor) -> set[str]:
    """The steps of a classic session, by number."""
    return {"1", "2", "3", "4"}


def template_keys(w: World, actor: Actor) -> set[str]:
    return set(load_templates())


# -- the matrix ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    covers: tuple[str, ...]  # what of the bot this row exercises (see the coverage test)
    act: Act
    outcomes: Mapping[Actor, Outcome]
    where: Where = home
    before: Setup | None = None
    private: bool = False  # in sessions that write alone first (see ``build``)
    answers_in_dm: bool = False  # the DM actor is answered in the DM itself


def theme_autocomplete(sub: str, option: str, /, **others: Value) -> Row:
    return Row(
        f"autocomplete /board {sub} {option}",
        (f"autocomplete /board {sub} {option}",),
        autocomplete("board", sub, option, **others),
        by_server(
            elsewhere=told(Choices(nothing_offered)),
            b=told(Choices(theme_ids("B"))),
            a=told(Choices(theme_ids("A"))),
        ),
    )


ROWS: tuple[Row, ...] = (
    # /session: facilitators steer; status for everyone; personal nudges for everyone.
    Row(
        "/session start",
        ("/session start",),
        command("session", "start", topic=lambda w, a: f"Een nieuwe sessie van {a}"),
        steering(Begins("replies.started")),
        where=free,
    ),
    Row(
        "/session next",
        ("/session next",),
        command("session", "next"),
        steering(Says("replies.next")),
    ),
    Row(
        "/session back",
        ("/session back",),
        command("session", "back"),
        steering(Says("replies.back")),
        before=moved_on,
    ),
    Row(
        "/session pause",
        ("/session pause",),
        command("session", "pause"),
        steering(Says("replies.paused")),
    ),
    Row(
        "/session resume",
        ("/session resume",),
        command("session", "resume"),
        steering(Says("replies.resumed")),
        before=paused,
    ),
    Row(
        "/session extend",
        ("/session extend",),
        command("session", "extend", duration="5m"),
        steering(Says("replies.extended", {"added": five_minutes})),
    ),
    Row(
        "/session vote",
        ("/session vote",),
        command("session", "vote"),
        steering(Says("replies.vote_opened")),
    ),
    Row(
        "/session reveal",
        ("/session reveal",),
        command("session", "reveal"),
        steering(Says("replies.revealed")),
        private=True,
    ),
    Row(
        "/session end",
        ("/session end",),
        command("session", "end"),
        steering(Says("replies.ended")),
    ),
    Row(
        "/session status",
        ("/session status",),
        command("session", "status"),
        by_server(elsewhere=NO_SESSION, b=told(Status("B")), a=told(Status("A"))),
    ),
    Row(
        "/session nudges for the session",
        ("/session nudges",),
        command("session", "nudges", state="off", **{"for": "session"}),
        steering(Says("replies.nudges_session_off")),
    ),
    Row(
        "/session nudges for me",
        ("/session nudges",),
        command("session", "nudges", state="off", **{"for": "me"}),
        by_server(
            elsewhere=told(Says("replies.nudges_me_off"), "people"),
            b=told(Says("replies.nudges_me_off"), "people"),
            a=told(Says("replies.nudges_me_off"), "people"),
        ),
    ),
    # /board: facilitators only; the stranger's options naming A's themes find nothing.
    Row(
        "/board themes",
        ("/board themes",),
        command("board", "themes"),
        steering(Says("replies.themes_posted"), rerun=True),
    ),
    Row(
        "/board rename",
        ("/board rename",),
        command("board", "rename", theme=a_theme(0), name=NEW_NAME),
        but(
            steering(Says("replies.theme_renamed", {"name": NEW_NAME})), {"stranger": UNKNOWN_THEME}
        ),
    ),
    Row(
        "/board move",
        ("/board move",),
        command("board", "move", note=a_note_in_theme(0), theme=a_theme(1)),
        but(steering(Says("replies.note_moved")), {"stranger": UNKNOWN_THEME}),
    ),
    Row(
        "/board merge",
        ("/board merge",),
        command("board", "merge", theme=a_theme(0), into=a_theme(1)),
        but(steering(Says("replies.themes_merged")), {"stranger": UNKNOWN_THEME}),
    ),
    Row(
        "/board export",
        ("/board export",),
        command("board", "export", format=ExportFormat.MARKDOWN.value),
        facilitators_only(a=told(Exported("A")), b=told(Exported("B"))),
    ),
    theme_autocomplete("rename", "theme", name=NEW_NAME),
    theme_autocomplete("move", "theme", note="1"),
    theme_autocomplete("merge", "theme", into="1"),
    theme_autocomplete("merge", "into", theme="1"),
    Row(
        "autocomplete /board move note",
        ("autocomplete /board move note",),
        autocomplete("board", "move", "note", theme="1"),
        by_server(
            elsewhere=told(Choices(nothing_offered)),
            b=told(Choices(note_ids("B"))),
            a=told(Choices(note_ids("A"))),
        ),
    ),
    # Canvases (issue 5): lanes exist only on canvas steps; A's and B's sessions have none.
    Row(
        "/board lane",
        ("/board lane",),
        command("board", "lane", note=a_note_in_theme(0), lane="says"),
        facilitators_only(a=told(Says("errors.no_canvas")), b=told(Says("errors.unknown_note"))),
    ),
    *(
        Row(
            f"autocomplete {path} {option}",
            (f"autocomplete {path} {option}",),
            autocomplete(name, sub, option, **others),
            dict.fromkeys(ACTORS, told(Choices(nothing_offered))),
        )
        for path, name, sub, option, others in (
            ("/board lane", "board", "lane", "note", {"lane": "says"}),
            ("/board lane", "board", "lane", "lane", {"note": "1"}),
            ("/board lane", "board", "lane", "column", {"note": "1", "lane": "says"}),
        )
    ),
    Row(
        "/session repeat",
        ("/session repeat",),
        command("session", "repeat", step=1),
        steering(Says("replies.repeated", {"step": first_step})),
    ),
    Row(
        "autocomplete /session repeat step",
        ("autocomplete /session repeat step",),
        autocomplete("session", "repeat", "step"),
        by_server(
            elsewhere=told(Choices(nothing_offered)),
            b=told(Choices(step_numbers)),
            a=told(Choices(step_numbers)),
        ),
    ),
    # Templates: described to anyone (what a session will do is no secret).
    Row(
        "autocomplete /session start template",
        ("autocomplete /session start template",),
        autocomplete("session", "start", "template", topic="Een onderwerp"),
        dict.fromkeys(ACTORS, told(Choices(template_keys))),
        where=free,
    ),
    Row(
        "/template list",
        ("/template list",),
        command("template", "list"),
        dict.fromkeys(ACTORS, told(Begins("replies.template.list_heading"))),
    ),
    Row(
        "/template show",
        ("/template show",),
        command("template", "show", name="classic"),
        dict.fromkeys(ACTORS, told(Begins("replies.template.heading"))),
    ),
    Row(
        "autocomplete /template show name",
        ("autocomplete /template show name",),
        autocomplete("template", "show", "name"),
        dict.fromkeys(ACTORS, told(Choices(template_keys))),
    ),
    # Notes: from anyone in a session's thread, into that session only.
    Row(
        "/note",
        ("/note",),
        command("note", text=note_text),
        by_server(
            elsewhere=NO_SESSION,
            b=told(Says("replies.note_added", {"text": noted}), "B"),
            a=told(Says("replies.note_added", {"text": noted}), "A"),
        ),
    ),
    *(
        Row(
            f"autocomplete /note {option}",
            (f"autocomplete /note {option}",),
            autocomplete("note", "", option, text="Een notitie"),
            dict.fromkeys(ACTORS, told(Choices(nothing_offered))),
        )
        for option in ("lane", "column")
    ),
    Row(
        "Add note button and modal",
        ("AddNoteView", "AddNoteModal"),
        add_note,
        by_server(
            elsewhere=NO_SESSION,
            b=told(Says("replies.note_added", {"text": noted}), "B"),
            a=told(Says("replies.note_added", {"text": noted}), "A"),
        ),
    ),
    Row(
        "a message",
        ("message",),
        post,
        but(
            by_server(elsewhere=NOTHING, b=told(Reacts("📝"), "B"), a=told(Reacts("📝"), "A")),
            {"dm": told(Says("private.dm.none"))},
        ),
        answers_in_dm=True,
    ),
    # Dot voting: a round's ballot works in its own thread only.
    Row(
        "vote button",
        ("VoteButton",),
        ballot("vote"),
        by_server(elsewhere=GONE, b=GONE, a=told(Ballot())),
        before=voting,
    ),
    Row(
        "ballot select",
        ("BallotSelect",),
        ballot("select"),
        by_server(elsewhere=GONE, b=GONE, a=told(Ballot(), "A")),
        before=voting,
    ),
    Row(
        "ballot page",
        ("BallotPage",),
        ballot("page"),
        by_server(elsewhere=GONE, b=GONE, a=told(Ballot())),
        before=voting,
    ),
    Row(
        "ballot clear",
        ("BallotClear",),
        ballot("clear"),
        by_server(elsewhere=GONE, b=GONE, a=told(Ballot(), "A")),
        before=voted,
    ),
    Row(
        "take button",
        ("TakeButton",),
        take,
        by_server(
            elsewhere=NO_SESSION,
            b=NO_SESSION,
            a=told(Says("vote.take.done", {"text": taken_idea}), "A"),
        ),
        before=ended,
    ),
    # Writing alone: "I'm done" counts in its own session's thread only.
    Row(
        "I'm done button",
        ("DoneButton",),
        done,
        by_server(
            elsewhere=told(Says("private.done.over")),
            b=told(Says("private.done.over")),
            a=told(Says("private.done.marked", {"done": done_so_far, "expected": writers}), "A"),
        ),
        private=True,
    ),
    # /settings: a server's admins, for their own server.
    Row(
        "/settings show",
        ("/settings show",),
        command("settings", "show"),
        but(
            by_server(elsewhere=NOT_ADMIN, b=told(SettingsShown("B")), a=NOT_ADMIN),
            {"admin": told(SettingsShown("A"))},
        ),
    ),
    Row(
        "/settings set",
        ("/settings set",),
        command("settings", "set", setting="timezone", value="Europe/Lisbon"),
        but(
            by_server(elsewhere=NOT_ADMIN, b=told(Begins("settings.set.done"), "B"), a=NOT_ADMIN),
            {"admin": told(Begins("settings.set.done"), "A")},
        ),
    ),
    Row(
        "/settings check",
        ("/settings check",),
        command("settings", "check"),
        but(
            by_server(elsewhere=NOT_ADMIN, b=told(Begins("admin.check.all_good")), a=NOT_ADMIN),
            {"admin": told(Begins("admin.check.all_good"))},
        ),
    ),
    Row(
        "autocomplete /settings set value",
        ("autocomplete /settings set value",),
        autocomplete("settings", "set", "value", setting="facilitator_role"),
        but(
            by_server(
                elsewhere=told(Choices(nothing_offered)),
                b=told(Choices(role_ids("B"))),
                a=told(Choices(nothing_offered)),
            ),
            {"admin": told(Choices(role_ids("A")))},
        ),
    ),
    # /help: what each may use.
    Row(
        "/help",
        ("/help",),
        command("help"),
        {
            "outsider": told(Help(facilitator=False, admin=False)),
            "dm": told(Help(facilitator=False, admin=False)),
            "stranger": told(Help(facilitator=True, admin=True)),
            "admin": told(Help(facilitator=False, admin=True)),
            "participant": told(Help(facilitator=False, admin=False)),
            "facilitator": told(Help(facilitator=True, admin=False)),
        },
    ),
    # /privacy: each person's own data, wherever they ask.
    Row(
        "/privacy my-data",
        ("/privacy my-data",),
        command("privacy", "my-data"),
        dict.fromkeys(ACTORS, told(OwnData())),
    ),
    Row(
        "/privacy forget-me",
        ("/privacy forget-me",),
        command("privacy", "forget-me"),
        dict.fromkeys(ACTORS, told(Says("privacy.forget.ask"))),
    ),
    Row(
        "forget-me: remove everything",
        ("ForgetConfirmation",),
        forget(0),
        but(
            dict.fromkeys(ACTORS, NOTHING),
            {"facilitator": told(Begins("privacy.forget.done"), "A")},
        ),
        before=asked_to_forget,
    ),
    Row(
        "forget-me: cancel",
        ("ForgetConfirmation",),
        forget(1),
        but(
            dict.fromkeys(ACTORS, NOTHING), {"facilitator": told(Says("privacy.forget.cancelled"))}
        ),
        before=asked_to_forget,
    ),
)
ROW_BY_NAME = {row.name: row for row in ROWS}

# (row, actor) -> why it fails today, for a bug outside this test's reach; each entry runs
# as a strict xfail, so the fix turns it into a failure that asks for the entry to go.
# Empty: the take button and the I'm done button from elsewhere were fixed.
KNOWN_BUGS: dict[tuple[str, Actor], str] = {}


# -- running a cell -------------------------------------------------------------------------------


def texts_of(calls: list[RecordedCall]) -> str:
    parts = [json.dumps(c.json, ensure_ascii=False) for c in calls if c.json is not None]
    parts += [data.decode("utf-8", "replace") for c in calls for _, data in c.files]
    return "\n".join(parts)


async def run_cell(w: World, row: Row, actor: Actor) -> None:
    """One actor does one thing; check the answer, the data and where the bot wrote."""
    outcome = row.outcomes[actor]
    place = row.where(w, actor)
    before = snapshot(w)
    mark = w.h.mark()
    answer = await row.act(w, actor, place, outcome.expect.silent)  # returns once the bot is done
    after = snapshot(w)
    outcome.expect.check(w, actor, answer)
    for scope in SCOPES:
        changed = changed_tables(before, after, scope)
        if scope in outcome.changes:
            assert changed, f"{scope}'s data should have changed"
        elif scope not in outcome.may_change:
            assert not changed, f"{scope}'s data changed: {changed}"
    calls = w.h.sb.calls[mark:]
    written = {int(c.params["channel_id"]) for c in calls if "channel_id" in c.params}
    for scope in ("A", "B"):
        if scope not in outcome.changes | outcome.may_change:
            wrote = written & w.channels_of(scope)
            assert not wrote, f"the bot wrote in {scope}'s channels {wrote}"
    if not (actor == "dm" and row.answers_in_dm):
        assert w.dm not in written, "the bot wrote in the DM"
    if actor in FROM_ELSEWHERE:
        sent = texts_of(calls)
        leaked = [secret for secret in w.secrets(actor) if secret in sent]
        assert not leaked, f"A's data shown to the {actor}: {leaked}"


async def run_row(h: Harness, row: Row, actors: list[Actor]) -> None:
    """``actors`` in turn, in one fresh world; every failing cell is reported."""
    w = await build(h, private=row.private)
    if row.before is not None:
        await row.before(w)
    await settle(h)
    failures = []
    for actor in actors:
        try:
            await run_cell(w, row, actor)
        except AssertionError as error:
            failures.append(f"{row.name} × {actor}: {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_permission_matrix(harness: Harness, row: Row) -> None:
    """One row of the matrix: each actor in turn (known bugs aside)."""
    await run_row(harness, row, [a for a in ACTORS if (row.name, a) not in KNOWN_BUGS])


@pytest.mark.skipif(not KNOWN_BUGS, reason="no known bugs to pin")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
        for name, reason in {name: reason for (name, _), reason in KNOWN_BUGS.items()}.items()
    ]
    or ["none"],
)
async def test_known_bug(harness: Harness, name: str) -> None:
    """The cells of a row that fail today for a bug outside this test's reach, together
    (one fix mends them all)."""
    await run_row(harness, ROW_BY_NAME[name], [a for a in ACTORS if (name, a) in KNOWN_BUGS])


# -- the matrix covers everything ------------------------------------------------------------------


def leaves(options: list[dict[str, Any]] | None, path: str) -> Iterator[tuple[str, list[Any]]]:
    """(command path, its options) of every command that runs, under ``path``."""
    groups = [o for o in options or [] if o["type"] in (1, 2)]
    if not groups:
        yield path, list(options or [])
    for group in groups:
        yield from leaves(group.get("options"), f"{path} {group['name']}")


def ui_classes() -> set[str]:
    """The bot's own views, modals and dynamic items."""
    found: set[str] = set()
    bases: list[type[Any]] = [discord.ui.View, discord.ui.LayoutView, discord.ui.Modal]
    bases.append(discord.ui.DynamicItem)
    while bases:
        for cls in bases.pop().__subclasses__():
            bases.append(cls)
            module = cls.__module__
            if module.startswith("bot.") and not module.startswith(("bot.sandbox", "bot.demo")):
                found.add(cls.__name__)
    return found


async def test_the_matrix_covers_everything_the_bot_offers(harness: Harness) -> None:
    """Every synced command and autocompleted option, every UI class of the bot and the
    plain message have a row, and every row says what each actor gets."""
    await harness.start()
    offered = {"message"} | ui_classes()
    for synced in harness.sb.commands():
        for path, options in leaves(synced.get("options"), f"/{synced['name']}"):
            offered.add(path)
            offered |= {
                f"autocomplete {path} {o['name']}" for o in options if o.get("autocomplete")
            }
    covered = {what for row in ROWS for what in row.covers}
    assert offered - covered == set(), "no row in the permission matrix for these"
    assert covered - offered == set(), "rows for what the bot no longer offers"
    for row in ROWS:
        assert set(row.outcomes) == set(ACTORS), row.name
    assert set(KNOWN_BUGS) <= {(row.name, actor) for row in ROWS for actor in ACTORS}
