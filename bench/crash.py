"""Crash test: the real bot in a child process, SIGKILLed at random moments during a burst
of notes and timer changes, then restarted — round after round (issue 6).

Run: ``.venv/bin/python -m bench.crash --rounds 10`` (about 1.5 minutes; ``--seed N``,
``--out PATH``, default ``bench/results-crash.md``; ``--verbose`` prints every problem and
keeps the folder with the database and the bot's logs). ``tests/crash/`` runs the same
harness (``COCREATE_CRASH_ROUNDS``, default 3) and asserts the invariants; ``python -m
bench --only crash`` runs 10 rounds (``--quick``: 3).

How. The Discord sandbox lives in this process and records every REST call; the bot is
``python -m bot run`` (``bench.timers.launch``) on one SQLite file. Two sessions start
before the first round. Each round draws from a random generator seeded per round:

1. **Burst** — five participants post thread messages, 14 a second in all, half of them
   into the newest session (a busy thread runs out of reactions, 3 a second, and gets a
   tally); 10% of the notes go through ``/note`` and 6% through the Add note button and
   its modal. The facilitator steers a random session every 0.3–0.9 s (``/session
   next``, ``extend``, ``pause``; ``resume`` when paused, ``next`` to close a vote), and
   two more sessions start. Steps last 3 s, so step changes happen all the time.
2. **Kill** — SIGKILL at a moment drawn uniformly from 1–9 s into the burst. Nothing in
   the bot runs after it: no clean-up, no flush. The burst stops with it.
3. **Down** for 0.5–3 s — participants write 1–3 messages into every active thread
   (``store_user_message``: in the history, no gateway event), and steps fall due.
4. **Restart** on the same file. *Caught up* = every message written while down is in
   the ``notes`` table, the outbox is empty and no running step is overdue (polled);
   measured from the launch of the process.

After the last round the facilitator takes every session to its end with ``/session
next``, the bot is stopped and the recorded calls and the SQLite file are checked:

a. every *acknowledged* note is in ``notes``: a message that got the bot's 📝 reaction,
   a ``/note`` or modal note that got its private "on the board" answer, and as many
   notes as the tally messages ("📝 Stored: N notes", posted then edited) claim. A tally
   names a number, not messages, so per thread and bot process it is held against the
   stored live messages of that thread and process that got no reaction;
b. every message written while the bot was down is in ``notes`` (backfilled);
c. per thread every step's prompt and its summary were posted exactly once, in order,
   and the session summary once; every session ended with an empty outbox; every step
   the database was seen on (``sessions.step_index``, polled every 0.1 s) had its prompt.
   Two kinds of failure are told apart, with their evidence, because they are known
   bugs (``tests/crash``): a post made again by the next process, each copy from another
   process (the outbox re-sent what a kill interrupted), and a missing step 1 prompt of
   a session whose thread was opened by a process that was then killed;
d. no note is stored twice (every note's text is unique).

Also counted: live messages that were never stored (posted while the bot was up but not
yet handled at the kill, and then not found by the catch-up either — nothing was
promised, but the note would be gone; messages posted within a second of their session's
end are left out, the end may have come first), and the announcements the restarted
processes found owed in the outbox.

The child runs with the flood guard off (``notes_per_minute = 0``: five writers at 14
notes a second would be told to slow down, which is not what is tested here) and with
``COCREATE_START_BACKOFF=0`` (no IDENTIFY back-off between these quick restarts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from bench.common import Row
from bench.poller import Poller
from bench.timers import (
    LOCALE,
    MESSAGES_ROUTE,
    BotProcess,
    World,
    build_world,
    is_post,
    launch,
    start_session,
    wall_offset,
)
from bot.i18n import catalog
from bot.render import text
from bot.sandbox import DiscordSandbox, InteractionHandle, RecordedCall
from bot.ui.views import ADD_NOTE_ID

BENCH = "crash"
RESULTS = Path(__file__).with_name("results-crash.md")
USER_LOCALE = "en-US"
# What the child gets on top of bench.timers.launch's environment (see the docstring).
CHILD_ENV = {"COCREATE_START_BACKOFF": "0", "COCREATE_FACILITATION__NOTES_PER_MINUTE": "0"}
REACTION_ROUTE = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"
CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
# A live message this close to its session's end may have come after it (not a note).
ENDING_MARGIN = 1.0
IDEAS = (
    "longer opening hours on Sunday",
    "a quiet corner for homework",
    "a repair cafe once a month",
    "more comics for teenagers",
    "a seed library by the entrance",
    "benches near the big windows",
    "a board game evening",
    "reading to dogs for shy kids",
)
EXTRA_PARTICIPANTS = ("dave", "erin")

NoteWay = Literal["message", "command", "modal", "down"]


@dataclass(frozen=True)
class CrashPlan:
    """What a run does; every random choice is drawn from ``seed``."""

    rounds: int = 10
    seed: int = 6
    sessions_per_round: int = 2
    durations: str = "3s,3s,3s,3s"
    kill_after: tuple[float, float] = (1.0, 9.0)  # seconds into the burst
    down_for: tuple[float, float] = (0.5, 3.0)
    down_messages: tuple[int, int] = (1, 3)  # per active thread
    messages_per_second: float = 14.0  # all participants together
    command_share: float = 0.1  # of the notes: /note
    modal_share: float = 0.06  # of the notes: the Add note modal
    hot_share: float = 0.5  # of the notes: into the newest session
    steer_every: tuple[float, float] = (0.3, 0.9)
    catch_up_timeout: float = 20.0
    drain_timeout: float = 90.0


# -- the catalogue's sentences as patterns -------------------------------------------------


@cache
def sentence(key: str) -> re.Pattern[str]:
    """The English sentence ``key`` as a pattern for the start of a post; its
    placeholders become named groups."""
    pieces = re.split(r"(\{\w+\})", catalog().raw(LOCALE, key))
    body = "".join(
        f"(?P<{piece[1:-1]}>.+?)" if re.fullmatch(r"\{\w+\}", piece) else re.escape(piece)
        for piece in pieces
    )
    return re.compile(body, re.DOTALL)


def leading_number(value: str) -> int:
    found = re.match(r"\d+", value)
    return int(found.group(0)) if found else 0


# -- the database ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    id: int
    thread_id: int
    step_index: int
    status: str
    phase: str
    due_at: datetime | None
    kinds: tuple[str, ...]
    ended_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status != "ended"


@dataclass(frozen=True)
class NoteRow:
    id: int
    session_id: int
    author_id: int
    text: str
    source: str
    message_id: int | None


def _connect(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path, timeout=5)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def read_sessions(db_path: Path) -> list[SessionRow]:
    """Every session (empty until the bot created the schema)."""
    if not db_path.exists():
        return []
    with contextlib.closing(_connect(db_path)) as db:
        try:
            rows = db.execute(
                "SELECT id, thread_id, step_index, status, phase, due_at, steps, ended_at"
                " FROM sessions ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return []
    return [
        SessionRow(
            id=int(r[0]),
            thread_id=int(r[1]),
            step_index=int(r[2]),
            status=str(r[3]),
            phase=str(r[4]),
            due_at=_time(r[5]),
            kinds=tuple(str(step["kind"]) for step in json.loads(r[6])),
            ended_at=_time(r[7]),
        )
        for r in rows
    ]


def read_notes(db_path: Path) -> list[NoteRow]:
    with contextlib.closing(_connect(db_path)) as db:
        rows = db.execute(
            "SELECT id, session_id, author_id, text, source, message_id FROM notes"
        ).fetchall()
    return [
        NoteRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), r[5] and int(r[5]))
        for r in rows
    ]


def outbox_size(db_path: Path) -> int:
    with contextlib.closing(_connect(db_path)) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def caught_up(db_path: Path, expected: set[int], slack: float = 1.0) -> bool:
    """Every expected message is a note, nothing is owed, no running step is overdue
    (by more than ``slack`` s: a step falling due just now is the timer's business)."""
    if not db_path.exists():
        return False
    with contextlib.closing(_connect(db_path)) as db:
        try:
            stored = {int(r[0]) for r in db.execute("SELECT message_id FROM notes") if r[0]}
            owed = int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        except sqlite3.OperationalError:
            return False
    if not expected <= stored or owed:
        return False
    now = time.time()
    return not any(
        row.status == "running" and row.due_at is not None and row.due_at.timestamp() < now - slack
        for row in read_sessions(db_path)
    )


class StatePoller(Poller):
    """The sessions table every ``every`` s: what is active (for the participants and the
    facilitator) and every (thread, step) the database was ever seen on."""

    def __init__(self, db_path: Path, every: float = 0.1) -> None:
        self.db_path = db_path
        super().__init__(every)
        self.rows: dict[int, SessionRow] = {}
        self.seen: set[tuple[int, int]] = set()

    async def poll_once(self) -> None:
        rows = await asyncio.to_thread(read_sessions, self.db_path)
        for row in rows:
            self.rows[row.thread_id] = row
            self.seen.add((row.thread_id, row.step_index))

    def active(self) -> list[SessionRow]:
        return [row for row in self.rows.values() if row.active]


# -- what happened ------------------------------------------------------------------------------


@dataclass
class Sent:
    """One note a participant gave (or tried to give) the bot."""

    way: NoteWay
    round: int
    life: int  # the bot process that was up; for "down", the one started next
    thread_id: int
    author_id: int
    text: str
    at: float  # monotonic, just before it was sent
    message_id: int | None = None
    token: str | None = None  # the interaction that carried it (/note, modal)


@dataclass
class Life:
    """One bot process, from launch to SIGKILL (or the final stop)."""

    number: int
    process: BotProcess
    launched: float
    connected: float | None = None  # "connected as" in its log (on_ready)
    caught_up: float | None = None
    ended: float | None = None


@dataclass
class RoundLog:
    number: int
    kill_after: float
    killed_at: float
    down_for: float
    down_messages: int
    last_call: str
    sessions_started: int
    steering: Counter[str]
    catch_up: float | None = None  # launch -> caught up
    connect: float | None = None  # launch -> on_ready


# -- the run -----------------------------------------------------------------------------------


class CrashRun:
    """Rounds of burst, SIGKILL, downtime and restart against one sandbox and database."""

    def __init__(self, sb: DiscordSandbox, plan: CrashPlan, folder: Path) -> None:
        self.sb = sb
        self.plan = plan
        self.folder = folder
        self.db_path = folder / "crash.sqlite3"
        channels = plan.sessions_per_round * (plan.rounds + 1)
        self.world: World = build_world(sb, channels)
        for name in EXTRA_PARTICIPANTS:
            self.world.participants.append(sb.add_member(self.world.guild_id, name).id)
        self.names = {uid: f"p{n}" for n, uid in enumerate(self.world.participants)}
        self._channels: Iterator[int] = iter(self.world.channels)
        self.poller = StatePoller(self.db_path)
        self.sent: list[Sent] = []
        self.lives: list[Life] = []
        self.rounds: list[RoundLog] = []
        self.start_attempts = 0
        self.starts_done = 0  # answered with the new thread
        self._pending: set[asyncio.Task[Any]] = set()
        self.started = time.monotonic()
        self.finished = self.started

    # -- the bot ---------------------------------------------------------------------------

    async def _launch(self, *, sync: bool) -> Life:
        number = len(self.lives)
        process = await launch(
            self.sb, self.folder, self.db_path, f"bot-{number}", sync=sync, env=CHILD_ENV
        )
        life = Life(number, process, process.started)
        self.lives.append(life)
        return life

    async def _until_ready(self, life: Life, expected: set[int]) -> None:
        """Poll until the process is connected and caught up; a catch-up that does not
        come within the timeout is left as None (a finding), a bot that never connects
        ends the run."""
        deadline = life.launched + self.plan.catch_up_timeout
        while life.connected is None or life.caught_up is None:
            if life.process.process.returncode is not None:
                raise RuntimeError(f"bot exited:\n{life.process.log()[-3000:]}")
            if life.caught_up is None and await asyncio.to_thread(
                caught_up, self.db_path, expected
            ):
                life.caught_up = time.monotonic()
            if life.connected is None and "connected as" in life.process.log():
                life.connected = time.monotonic()
            if time.monotonic() > deadline:
                if life.connected is None:
                    raise TimeoutError(f"bot not connected:\n{life.process.log()[-3000:]}")
                return
            await asyncio.sleep(0.05)

    # -- participants and facilitator -------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _writer(self, author: int, number: int, life: Life, rng: random.Random) -> None:
        """One participant: a note every so often into a random running session."""
        plan = self.plan
        rate = plan.messages_per_second / len(self.world.participants)
        count = 0
        while True:
            await asyncio.sleep(rng.expovariate(rate))
            active = self.poller.active()
            if not active:
                continue
            # Half the notes go to the newest session: a busy thread outruns its reaction
            # budget (3 a second) and gets a tally instead.
            hot = rng.random() < plan.hot_share
            thread_id = (active[-1] if hot else rng.choice(active)).thread_id
            count += 1
            idea = f"Round {number} {self.names[author]} idea {count}: {rng.choice(IDEAS)}"
            roll = rng.random()
            if roll < plan.modal_share:
                self._spawn(self._modal(thread_id, author, idea, number, life))
            elif roll < plan.modal_share + plan.command_share:
                sent = self._record("command", number, life, thread_id, author, idea)
                handle = await self.sb.slash_command(
                    self.world.guild_id,
                    thread_id,
                    author,
                    "note",
                    options={"text": idea},
                    locale=USER_LOCALE,
                )
                sent.token = handle.token
            else:
                sent = self._record("message", number, life, thread_id, author, idea)
                message = await self.sb.user_message(thread_id, author, idea)
                sent.message_id = int(message["id"])

    def _record(
        self, way: NoteWay, number: int, life: Life, thread_id: int, author: int, idea: str
    ) -> Sent:
        sent = Sent(way, number, life.number, thread_id, author, idea, time.monotonic())
        self.sent.append(sent)
        return sent

    async def _modal(self, thread_id: int, author: int, idea: str, number: int, life: Life) -> None:
        """Click Add note on the thread's latest step prompt, then send the modal."""
        prompts = [
            m
            for m in self.sb.messages(thread_id)
            if str(m["author"]["id"]) == str(self.sb.bot_id)
            and ADD_NOTE_ID in json.dumps(m.get("components") or [])
        ]
        if not prompts:
            return
        guild = self.world.guild_id
        click = await self.sb.button_click(
            guild, thread_id, author, int(prompts[-1]["id"]), ADD_NOTE_ID, locale=USER_LOCALE
        )
        opened = await click.response(timeout=10)
        if not opened.json or opened.json.get("type") != 9:
            return
        form = opened.json["data"]
        field_id = next(
            inner["custom_id"]
            for row in form["components"]
            for inner in (row.get("components") or [row.get("component")])
            if inner and inner.get("type") == 4
        )
        sent = self._record("modal", number, life, thread_id, author, idea)
        submit = await self.sb.modal_submit(
            guild, thread_id, author, form["custom_id"], {field_id: idea}, locale=USER_LOCALE
        )
        sent.token = submit.token

    async def _steer(self, what: str, thread_id: int) -> InteractionHandle:
        options = {"duration": "2s"} if what == "extend" else {}
        return await self.sb.slash_command(
            self.world.guild_id,
            thread_id,
            self.world.facilitator,
            "session",
            subcommand=what,
            options=options,
            locale=USER_LOCALE,
        )

    async def _facilitator(self, rng: random.Random, steering: Counter[str]) -> None:
        """Steer one running session every so often; paused ones are resumed and open
        votes (minutes long in the template) closed with ``next``."""
        while True:
            await asyncio.sleep(rng.uniform(*self.plan.steer_every))
            active = self.poller.active()
            if not active:
                continue
            row = rng.choice(active)
            if row.status == "paused":
                what = "resume"
            elif row.phase == "voting":
                what = "next"
            else:
                what = rng.choices(("next", "extend", "pause"), weights=(4, 3, 3))[0]
            await self._steer(what, row.thread_id)
            steering[what] += 1

    async def _start_sessions(self, count: int, topic: str) -> int:
        started = 0
        for _ in range(count):
            self.start_attempts += 1
            # A refusal or a timeout shows as a start not answered (a kill cancels it).
            with contextlib.suppress(RuntimeError, TimeoutError):
                await start_session(
                    self.sb, self.world, next(self._channels), topic, self.plan.durations
                )
                started += 1
                self.starts_done += 1
        return started

    async def _starter(
        self, number: int, begin: float, rng: random.Random, within: float, done: list[int]
    ) -> None:
        for offset in sorted(rng.uniform(0, within) for _ in range(self.plan.sessions_per_round)):
            await asyncio.sleep(max(begin + offset - time.monotonic(), 0))
            done[0] += await self._start_sessions(1, f"Crash round {number}")

    # -- a round ------------------------------------------------------------------------------

    def _last_call(self, before: float) -> str:
        for call in reversed(self.sb.calls):
            if call.at <= before:
                return f"{describe(call)} {1000 * (before - call.at):.0f} ms before"
        return "none"

    async def round(self, number: int) -> None:
        plan = self.plan
        rng = random.Random(f"{plan.seed}:{number}")
        life = self.lives[-1]
        kill_after = rng.uniform(*plan.kill_after)
        down_for = rng.uniform(*plan.down_for)
        steering: Counter[str] = Counter()
        started = [0]
        begin = time.monotonic()
        workers = [
            self._writer(author, number, life, random.Random(f"{plan.seed}:{number}:{author}"))
            for author in self.world.participants
        ]
        workers.append(self._facilitator(random.Random(f"{plan.seed}:{number}:f"), steering))
        workers.append(self._starter(number, begin, rng, kill_after, started))
        tasks = [asyncio.create_task(work) for work in workers]
        await asyncio.sleep(kill_after)  # the kill moment, drawn in advance

        life.process.process.kill()  # SIGKILL, mid-whatever
        killed_at = life.ended = time.monotonic()
        stopped = tasks + list(self._pending)
        for task in stopped:  # nothing reaches the dead bot after the kill
            task.cancel()
        await asyncio.gather(*stopped, return_exceptions=True)
        await life.process.process.wait()
        last_call = self._last_call(killed_at)

        # Down: messages written into every active thread (the database's view, which is
        # what the next process starts from), spread over the downtime.
        await self.poller.poll_once()
        writes = sorted(
            (rng.uniform(0, down_for), row.thread_id, rng.choice(self.world.participants))
            for row in self.poller.active()
            for _ in range(rng.randint(*plan.down_messages))
        )
        expected: set[int] = set()
        for n, (offset, thread_id, author) in enumerate(writes, start=1):
            await asyncio.sleep(max(killed_at + offset - time.monotonic(), 0))
            idea = f"Round {number} {self.names[author]} while down {n}: {rng.choice(IDEAS)}"
            sent = self._record("down", number, self.lives[-1], thread_id, author, idea)
            sent.life += 1
            sent.message_id = int(self.sb.store_user_message(thread_id, author, idea)["id"])
            expected.add(sent.message_id)
        await asyncio.sleep(max(killed_at + down_for - time.monotonic(), 0))

        fresh = await self._launch(sync=False)
        await self._until_ready(fresh, expected)
        self.rounds.append(
            RoundLog(
                number=number,
                kill_after=kill_after,
                killed_at=killed_at,
                down_for=down_for,
                down_messages=len(writes),
                last_call=last_call,
                sessions_started=started[0],
                steering=steering,
                catch_up=None if fresh.caught_up is None else fresh.caught_up - fresh.launched,
                connect=None if fresh.connected is None else fresh.connected - fresh.launched,
            )
        )

    # -- the end ----------------------------------------------------------------------------------

    async def _answered(self, handle: InteractionHandle, since: int) -> None:
        """The command's callback and, after a defer, its followup."""
        callback = await handle.response(timeout=10)
        if callback.json and callback.json.get("type") == 5:
            prefix = f"/webhooks/{self.sb.application_id}/{handle.token}"
            await self.sb.wait_for_call(
                lambda c: c.method in ("POST", "PATCH") and c.path.startswith(prefix),
                timeout=10,
                since=since,
            )

    async def drain(self) -> None:
        """The facilitator takes every session to its end, step by step (``next``)."""
        deadline = time.monotonic() + self.plan.drain_timeout
        while time.monotonic() < deadline:
            await self.poller.poll_once()
            active = self.poller.active()
            if not active:
                if await asyncio.to_thread(outbox_size, self.db_path) == 0:
                    return
                await asyncio.sleep(0.1)
                continue

            async def move(row: SessionRow) -> None:
                what = "resume" if row.status == "paused" else "next"
                mark = len(self.sb.calls)
                with contextlib.suppress(TimeoutError):
                    await self._answered(await self._steer(what, row.thread_id), mark)

            await asyncio.gather(*(move(row) for row in active))
        raise TimeoutError("sessions did not end")

    async def go(self) -> None:
        self.poller.start()
        try:
            life = await self._launch(sync=True)
            await self._until_ready(life, set())
            await self._start_sessions(self.plan.sessions_per_round, "Crash warm-up")
            for number in range(1, self.plan.rounds + 1):
                await self.round(number)
            await self.drain()
        finally:
            last = self.lives[-1] if self.lives else None
            if last is not None:
                await last.process.stop()
                last.ended = time.monotonic()
            await self.poller.stop()
            self.finished = time.monotonic()


def describe(call: RecordedCall) -> str:
    """A REST call in a few words: what the bot was doing."""
    body = body_text(call)
    if call.route == MESSAGES_ROUTE and call.method == "POST":
        for key, label in (
            ("session.step.heading", "step prompt"),
            ("summary.step.title", "step summary"),
            ("summary.session.title", "session summary"),
            ("replies.notes_stored", "tally"),
        ):
            if sentence(key).match(body):
                return f"POST {label}"
        return "POST message"
    if call.route == REACTION_ROUTE:
        return "PUT reaction"
    if call.route == CALLBACK_ROUTE:
        return "interaction answer"
    return f"{call.method} {call.route}"


# -- checking ---------------------------------------------------------------------------------


@dataclass
class CrashFigures:
    """What a run found; ``problems`` holds the evidence for every non-zero failure."""

    rounds: int
    seed: int
    sessions: int
    starts_cut: int  # /session start never answered (a kill came first)
    sent: Counter[str]
    acknowledged: Counter[str]  # reaction / tally / answer
    stored: int
    lost: int
    down_written: int
    backfilled: int
    live_unstored: int
    unstored_unasked: int  # /note or modal in flight at a kill; a message after its end
    duplicate_notes: int
    duplicated_posts: int
    steps_skipped: int
    steps_doubled: int
    # Of those: posted again by a restarted process, from the outbox (at least once).
    resent_posts: int
    resent_steps: int
    owed_at_start: int  # announcements the restarted processes found in the outbox
    # Of the skipped: step 1 prompts of sessions whose process was killed while starting.
    skipped_at_start: int
    out_of_order: int
    not_ended: int
    catch_up: list[float]
    not_caught_up: int
    connect: list[float]
    rounds_log: list[RoundLog]
    steering: Counter[str]
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def notes_sent(self) -> int:
        return sum(self.sent.values())

    @property
    def ok(self) -> bool:
        """Every invariant held."""
        return (
            self.lost == 0
            and self.backfilled == self.down_written
            and self.duplicate_notes == 0
            and self.duplicated_posts == 0
            and self.steps_skipped == 0
            and self.steps_doubled == 0
            and self.out_of_order == 0
            and self.not_ended == 0
            and self.not_caught_up == 0
        )


def body_text(call: RecordedCall) -> str:
    """The ``content`` a call sent (a command sync sends a list: no content)."""
    body = call.json if isinstance(call.json, dict) else {}
    if call.route == CALLBACK_ROUTE:
        body = body.get("data") or {}
    return str(body.get("content", "") or "")


def check(run: CrashRun, sb: DiscordSandbox) -> CrashFigures:
    """Hold the recorded calls and the database against the invariants (see the module
    docstring)."""
    problems: list[str] = []
    offset = wall_offset()
    calls = sb.calls
    notes = read_notes(run.db_path)
    sessions = {row.thread_id: row for row in read_sessions(run.db_path)}
    by_message = {note.message_id: note for note in notes if note.message_id is not None}
    texts = Counter(note.text for note in notes)
    first_kill = min((r.killed_at for r in run.rounds), default=run.started)

    def when(at: float) -> str:
        """A moment relative to the nearest kill."""
        kill = min((r for r in run.rounds), key=lambda r: abs(r.killed_at - at), default=None)
        if kill is None:
            return f"{at - first_kill:+.3f} s"
        return f"kill {kill.number} {at - kill.killed_at:+.3f} s"

    # A message whose send was interrupted has no id yet: find it in the history.
    for sent in run.sent:
        if sent.message_id is None and sent.way in ("message", "down"):
            for message in sb.messages(sent.thread_id):
                if message.get("content") == sent.text:
                    sent.message_id = int(message["id"])

    reacted = {
        int(c.params["message_id"])
        for c in calls
        if c.method == "PUT" and c.route == REACTION_ROUTE and c.status < 300
    }
    answered = {
        c.params["webhook_token"]
        for c in calls
        if "webhook_token" in c.params
        and c.status < 300
        and sentence("replies.note_added").match(body_text(c))
    }

    def life_of(at: float) -> int:
        """The process that made a call at ``at``: the last one launched before (a request
        in flight at the kill is recorded just after it)."""
        return max((life.number for life in run.lives if life.launched <= at), default=0)

    # Tallies: the final count of each tally message, per (process, thread).
    tally_counts: dict[int, int] = {}
    tally_place: dict[int, tuple[int, int]] = {}
    for c in calls:
        if c.status >= 300 or not (match := sentence("replies.notes_stored").match(body_text(c))):
            continue
        if is_post(c):
            tally_id = int((c.response or {}).get("id", 0))
        elif c.method == "PATCH" and c.route == EDIT_ROUTE:
            tally_id = int(c.params["message_id"])
        else:
            continue
        claimed = leading_number(match.group("notes"))
        tally_counts[tally_id] = max(tally_counts.get(tally_id, 0), claimed)
        tally_place.setdefault(tally_id, (life_of(c.at), int(c.params["channel_id"])))
    claims: Counter[tuple[int, int]] = Counter()
    for tally_id, claimed in tally_counts.items():
        claims[tally_place[tally_id]] += claimed

    acknowledged: Counter[str] = Counter()
    lost = 0
    live_unstored = 0
    unstored_unasked = 0  # not stored, and nobody was told it was
    candidates: Counter[tuple[int, int]] = Counter()
    for sent in run.sent:
        stored = (
            sent.message_id in by_message
            if sent.way in ("message", "down")
            else texts[sent.text] > 0
        )
        label = f"{sent.way} {sent.message_id or sent.token} ({sent.text!r}, sent {when(sent.at)})"
        if sent.way == "message":
            if sent.message_id in reacted:
                acknowledged["reaction"] += 1
                if not stored:
                    lost += 1
                    problems.append(f"LOST: {label} got the 📝 reaction but is not in notes")
            elif stored:
                candidates[(sent.life, sent.thread_id)] += 1
            if not stored:
                session = sessions.get(sent.thread_id)
                ended = session.ended_at if session else None
                if ended is None or sent.at < ended.timestamp() - offset - ENDING_MARGIN:
                    live_unstored += 1
                    problems.append(f"never stored: {label}")
                else:
                    unstored_unasked += 1
        elif sent.way in ("command", "modal") and sent.token in answered:
            acknowledged["answer"] += 1
            if not stored:
                lost += 1
                problems.append(f"LOST: {label} was answered 'on the board' but is not in notes")
        elif sent.way in ("command", "modal") and not stored:
            unstored_unasked += 1  # in flight at a kill, or after its session ended
    for place, claimed in claims.items():
        acknowledged["tally"] += claimed
        if claimed > candidates[place]:
            lost += claimed - candidates[place]
            problems.append(
                f"LOST: process {place[0]} claimed {claimed} notes in a tally in thread"
                f" {place[1]}, only {candidates[place]} un-reacted live messages are stored"
            )

    down = [sent for sent in run.sent if sent.way == "down"]
    backfilled = sum(1 for sent in down if sent.message_id in by_message)
    for sent in down:
        if sent.message_id not in by_message:
            problems.append(
                f"NOT BACKFILLED: round {sent.round} message {sent.message_id} ({sent.text!r})"
            )
    duplicate_notes = sum(n - 1 for n in texts.values() if n > 1)
    for note_text, n in texts.items():
        if n > 1:
            problems.append(f"STORED {n}x: {note_text!r}")

    # Steps, per thread, from the bot's posts.
    posts: dict[int, list[RecordedCall]] = defaultdict(list)
    for c in calls:
        if is_post(c):
            posts[int(c.params["channel_id"])].append(c)
    skipped = doubled = duplicated = out_of_order = not_ended = resent_posts = resent_steps = 0
    skipped_at_start = 0
    owed = outbox_size(run.db_path)
    if owed:
        not_ended += owed
        problems.append(f"OUTBOX: {owed} announcements still owed at the end")

    def resend_story(thread_id: int, copies: list[RecordedCall]) -> str:
        """Where each copy came from; for a copy from a killed process, what the bot
        posted in the thread between it and the kill."""
        parts = []
        for c in copies:
            life = run.lives[life_of(c.at)]
            part = f"process {life.number} at {when(c.at)}"
            if c is not copies[-1] and life.ended is not None:
                after = [
                    describe(o)
                    for o in posts[thread_id]
                    if c.at < o.at <= life.ended and o is not c
                ]
                gap = 1000 * (life.ended - c.at)
                part += f", killed {gap:.0f} ms later (posted in between: {after or 'nothing'})"
            parts.append(part)
        return "; ".join(parts)

    for thread_id, session in sessions.items():
        names = [text.step_name(catalog(), LOCALE, kind) for kind in session.kinds]
        # (what, step) -> the posts: "prompt"/"summary" per step, "session summary" as -1.
        copies: dict[tuple[str, int], list[RecordedCall]] = defaultdict(list)
        order: list[int] = []
        for c in posts[thread_id]:
            body = body_text(c)
            if match := sentence("session.step.heading").match(body):
                step = leading_number(match.group("number")) - 1
                copies[("prompt", step)].append(c)
                order.append(step)
            elif match := sentence("summary.step.title").match(body):
                step = names.index(match.group("name")) if match.group("name") in names else -1
                copies[("summary", step)].append(c)
            elif sentence("summary.session.title").match(body):
                copies[("session summary", -1)].append(c)
        wanted = [("prompt", n) for n in range(len(names))]
        wanted += [("summary", n) for n in range(len(names))] + [("session summary", -1)]
        for key in wanted:
            found = copies[key]
            what, step = key
            label = f"thread {thread_id} {what}" + (f" of step {step + 1}" if step >= 0 else "")
            if not found:
                skipped += 1
                seen = (thread_id, step) in run.poller.seen
                opened = next(
                    (c for c in calls if c.params.get("channel_id") == str(thread_id)), None
                )
                starter = None if opened is None else run.lives[life_of(opened.at)]
                if (
                    key == ("prompt", 0)
                    and opened is not None
                    and starter is not None
                    and starter.ended is not None
                    and starter is not run.lives[-1]
                ):
                    # The thread was opened by a process killed before step 1's prompt.
                    skipped_at_start += 1
                    meanwhile = [describe(c) for c in posts[thread_id] if c.at <= starter.ended]
                    problems.append(
                        f"SKIPPED AT START: {label} never posted; process {starter.number}"
                        f" opened the thread at {when(opened.at)} and was killed"
                        f" {1000 * (starter.ended - opened.at):.0f} ms later (posted in the"
                        f" thread meanwhile: {meanwhile})"
                    )
                else:
                    problems.append(f"SKIPPED: {label} never posted (database seen on it: {seen})")
            elif len(found) > 1:
                doubled += 1
                duplicated += len(found) - 1
                # Each copy from another process: re-sent from the outbox after a kill.
                again = len({life_of(c.at) for c in found}) == len(found)
                if again:
                    resent_steps += 1
                    resent_posts += len(found) - 1
                kind = "RE-SENT AFTER A KILL" if again else "DOUBLED"
                problems.append(
                    f"{kind}: {label} posted {len(found)}x: {resend_story(thread_id, found)}"
                )
        if order != sorted(order):
            out_of_order += 1
            problems.append(f"OUT OF ORDER: thread {thread_id} prompts {order}")
        if session.status != "ended" or session.step_index != len(names) - 1:
            not_ended += 1
            problems.append(
                f"NOT ENDED: thread {thread_id} {session.status} at step {session.step_index + 1}"
            )
        stray = {s for t, s in run.poller.seen if t == thread_id and not 0 <= s < len(names)}
        if stray:
            problems.append(f"STRAY STEP in the database: thread {thread_id} {stray}")
            skipped += len(stray)

    restarts = run.lives[1:]
    owed_at_start = sum(
        int(n)
        for life in restarts
        for n in re.findall(r"re-sending (\d+) owed announcements", life.process.log())
    )
    return CrashFigures(
        rounds=len(run.rounds),
        seed=run.plan.seed,
        sessions=len(sessions),
        starts_cut=run.start_attempts - run.starts_done,
        sent=Counter(sent.way for sent in run.sent),
        acknowledged=acknowledged,
        stored=len(notes),
        lost=lost,
        down_written=len(down),
        backfilled=backfilled,
        live_unstored=live_unstored,
        unstored_unasked=unstored_unasked,
        duplicate_notes=duplicate_notes,
        duplicated_posts=duplicated,
        steps_skipped=skipped,
        steps_doubled=doubled,
        resent_posts=resent_posts,
        resent_steps=resent_steps,
        owed_at_start=owed_at_start,
        skipped_at_start=skipped_at_start,
        out_of_order=out_of_order,
        not_ended=not_ended,
        catch_up=[life.caught_up - life.launched for life in restarts if life.caught_up],
        not_caught_up=sum(1 for life in restarts if life.caught_up is None),
        connect=[life.connected - life.launched for life in restarts if life.connected],
        rounds_log=run.rounds,
        steering=sum((r.steering for r in run.rounds), Counter()),
        seconds=run.finished - run.started,
        problems=problems,
    )


async def crash_test(plan: CrashPlan, folder: Path) -> CrashFigures:
    """Run the rounds in ``folder`` (the database and the bot's logs stay there)."""
    async with DiscordSandbox() as sb:
        run = CrashRun(sb, plan, folder)
        await run.go()
        return check(run, sb)


# -- reporting ---------------------------------------------------------------------------------


def _spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"median {statistics.median(values):.2f} s, max {max(values):.2f} s"


def rows(f: CrashFigures) -> list[Row]:
    """The figures as benchmark rows."""
    sent, ack = f.sent, f.acknowledged
    return [
        Row(BENCH, f"rounds: SIGKILL at a random moment + restart (seed {f.seed})", str(f.rounds)),
        Row(
            BENCH,
            f"notes sent (messages / /note / modal / while down), {f.sessions} sessions"
            f" ({f.starts_cut} /session start cut short by a kill)",
            f"{f.notes_sent} ({sent['message']} / {sent['command']} / {sent['modal']}"
            f" / {sent['down']})",
        ),
        Row(
            BENCH,
            "acknowledged (📝 reaction / tally / private answer)",
            f"{sum(ack.values())} ({ack['reaction']} / {ack['tally']} / {ack['answer']})",
        ),
        Row(BENCH, "notes stored", str(f.stored)),
        Row(BENCH, "acknowledged but lost", str(f.lost), "0", f.lost == 0),
        Row(
            BENCH,
            "written while down, backfilled after restart",
            f"{f.backfilled}/{f.down_written}",
            "all",
            f.backfilled == f.down_written,
        ),
        Row(
            BENCH,
            "live messages never stored (unacknowledged; in flight at a kill)",
            str(f.live_unstored),
        ),
        Row(
            BENCH,
            "not stored and never acknowledged (/note or modal in flight at a kill, or a"
            " message after its session ended)",
            str(f.unstored_unasked),
        ),
        Row(BENCH, "notes stored twice", str(f.duplicate_notes), "0", f.duplicate_notes == 0),
        Row(
            BENCH,
            "duplicated posts (step prompt / summary / session summary)",
            f"{f.duplicated_posts} ({f.resent_posts} re-sent from the outbox after a kill)",
            "0",
            f.duplicated_posts == 0,
        ),
        Row(
            BENCH,
            "outbox: announcements owed at a restart and posted then",
            str(f.owed_at_start),
        ),
        Row(
            BENCH,
            "steps skipped / doubled (per thread and step; prompt, summary, session summary)",
            f"{f.steps_skipped} / {f.steps_doubled} ({f.skipped_at_start} skipped by a kill"
            f" during /session start, {f.resent_steps} doubled by an outbox re-send)",
            "0 / 0",
            f.steps_skipped == 0 and f.steps_doubled == 0,
        ),
        Row(
            BENCH,
            "sessions not ended / prompts out of order",
            f"{f.not_ended} / {f.out_of_order}",
            "0 / 0",
            f.not_ended == 0 and f.out_of_order == 0,
        ),
        Row(
            BENCH,
            "restart -> caught up (launch to backfilled, nothing owed or overdue)",
            _spread(f.catch_up) + (f", {f.not_caught_up} never" if f.not_caught_up else ""),
            f"all within {CrashPlan.catch_up_timeout:.0f} s",
            f.not_caught_up == 0,
        ),
        Row(BENCH, "restart -> on_ready (guild_ready_timeout 2 s)", _spread(f.connect)),
        Row(
            BENCH,
            "kill moments (s into the burst)",
            ", ".join(f"{r.kill_after:.2f}" for r in f.rounds_log),
        ),
        Row(
            BENCH,
            "facilitator commands (next / extend / pause / resume)",
            " / ".join(str(f.steering[k]) for k in ("next", "extend", "pause", "resume")),
        ),
    ]


def table(found: list[Row]) -> str:
    lines = ["| metric | value | target | met |", "|---|---|---|---|"]
    for row in found:
        met = "" if row.met is None else ("✓" if row.met else "✗")
        cells = [row.metric, row.value, row.target, met]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def rounds_table(f: CrashFigures) -> str:
    lines = [
        "| round | kill after | the bot's last call before the kill | down | written"
        " while down | sessions started | restart -> caught up |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in f.rounds_log:
        done = "never" if r.catch_up is None else f"{r.catch_up:.2f} s"
        lines.append(
            f"| {r.number} | {r.kill_after:.2f} s | {r.last_call} | {r.down_for:.1f} s"
            f" | {r.down_messages} | {r.sessions_started} | {done} |"
        )
    return "\n".join(lines)


def report(f: CrashFigures, command: str) -> str:
    """The markdown written to ``--out``."""
    lines = [
        f"# Crash bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python"
        f" {platform.python_version()}. Command: `{command}` ({f.seconds:.0f} s).",
        "",
        table(rows(f)),
        "",
        rounds_table(f),
        "",
    ]
    lines += ["Problems found:", ""] + [f"- {p}" for p in f.problems] if f.problems else []
    return "\n".join(lines).rstrip() + "\n"


async def run(quick: bool = False) -> list[Row]:
    """For ``python -m bench``: 10 rounds (quick: 3)."""
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as folder:
        found = await crash_test(CrashPlan(rounds=3 if quick else 10), Path(folder))
    return rows(found)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.crash [--rounds N] [--seed N] [--out PATH] [--verbose]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=CrashPlan.rounds)
    parser.add_argument("--seed", type=int, default=CrashPlan.seed)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the markdown")
    parser.add_argument("--verbose", action="store_true", help="every problem; keep the logs")
    args = parser.parse_args(argv)
    plan = CrashPlan(rounds=args.rounds, seed=args.seed)
    command = f"python -m bench.crash --rounds {args.rounds} --seed {args.seed}"
    if args.verbose:
        folder = Path(tempfile.mkdtemp(prefix="bench-crash-"))
        found = asyncio.run(crash_test(plan, folder))
        print(f"database and bot logs in {folder}", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-crash-") as name:
            found = asyncio.run(crash_test(plan, Path(name)))
    print(table(rows(found)))
    print()
    print(rounds_table(found))
    shown = found.problems if args.verbose else found.problems[:20]
    for problem in shown:
        print(f"- {problem}")
    args.out.write_text(report(found, command), encoding="utf-8")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0  # a ✗ is a finding, not a failure (as in python -m bench)


if __name__ == "__main__":
    sys.exit(main())
