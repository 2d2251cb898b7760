"""Step deadlines on the real clock: how late step changes are, and how fast a restarted
bot catches up on steps that fell due while it was down.

Run: ``.venv/bin/python -m bench.timers`` (~2.5 minutes; ``--quick`` ~1 minute).
``--part precision|restart``, ``--verbose`` (worst cases, the bot's log and the REST
calls around the kill and the restart), ``--latency-ms 100`` (added to every REST answer;
in the restart part only after the kill, to show what a real round trip does to the
one-by-one catch-up and rearm), ``--rate-limits`` (the sandbox's Discord-like limits).

Both parts run the real bot as a subprocess (``python -m bot run``) against the Discord
sandbox, which lives in this process and records every REST call with a monotonic
arrival time. Deadlines come from the bot's SQLite file (``sessions.due_at``, wall time,
polled while the sessions run, since the row only holds the current step's deadline).
Wall and monotonic times are related by one offset sampled in this process.

1. **Precision** — 100 sessions (quick: 20) in 100 channels, ``durations`` "10s,20s,20s,
   20s" (quick: 4 s each), started through ``/session start`` 0.3 s apart (quick: 0.2 s;
   the bot rounds durations to whole seconds, so the starts are paced instead), with two
   notes each: the 400 step changes are spread over ~1.5 minutes (quick: 80 over ~16 s).
   Lateness of a step change is the arrival of the step's summary post minus the step's
   ``due_at``.
2. **Restart** — 20 sessions (quick: 10), "5s,3s,3s,3s", started over 4 s; the bot is
   SIGKILLed while steps are pending, one message per thread is written while it is down,
   and it is started again once every session is overdue. Measured: the sandbox sending
   READY to the new process -> each overdue step's summary post. Every thread is then
   checked for exactly one summary per step (none skipped, none doubled).

The bot's own INFO log (``connected as`` = on_ready, ``overdue, advancing`` = rearm) is
parsed to split the restart delay into its parts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Row
from bench.poller import Poller
from bot.i18n import catalog
from bot.render import text
from bot.sandbox import DiscordSandbox, RecordedCall
from bot.template_files import load_templates

ROOT = Path(__file__).resolve().parent.parent
MESSAGES_ROUTE = "/channels/{channel_id}/messages"
LOCALE = "en"
SUMMARY_MARK = "📋 **"
BENCH = "timers"
# What ``launch`` runs as ``python -m BOT_MODULE run``; a prototype fix can stand in.
BOT_MODULE = "bot"


# -- clocks -----------------------------------------------------------------------------


def wall_offset() -> float:
    """``time.time() - time.monotonic()``, the median of a few tight samples."""
    samples = []
    for _ in range(7):
        before = time.monotonic()
        wall = time.time()
        after = time.monotonic()
        samples.append(wall - (before + after) / 2)
    return statistics.median(samples)


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.99 * len(ordered)) - 1, 0)]


# -- the world and the bot process ---------------------------------------------------------


@dataclass
class World:
    guild_id: int
    facilitator: int
    participants: list[int]
    channels: list[int]


def build_world(sb: DiscordSandbox, channels: int) -> World:
    guild = sb.add_guild("Bench library", locale=LOCALE)
    role = sb.add_role(guild.id, "Facilitator")
    facilitator = sb.add_member(guild.id, "marieke", roles=[role.id]).id
    participants = [sb.add_member(guild.id, name).id for name in ("alice", "bob", "carol")]
    ids = [sb.add_text_channel(guild.id, f"room-{n:03d}").id for n in range(channels)]
    return World(guild.id, facilitator, participants, ids)


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    async def wait_for_log(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.log():
            if self.process.returncode is not None:
                raise RuntimeError(f"bot exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {needle!r} in the bot's log:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up, as in a crash or an OOM kill
        await self.process.wait()


async def launch(
    sb: DiscordSandbox,
    folder: Path,
    db_path: Path,
    name: str,
    *,
    sync: bool,
    env: Mapping[str, str] | None = None,
) -> BotProcess:
    """``python -m bot run`` against the sandbox, logging at INFO to ``folder/name.log``;
    ``env`` adds to (or overrides) the child's environment."""
    config = folder / "config.toml"
    config.write_text('[logging]\nlevel = "INFO"\n', encoding="utf-8")
    child_env = {
        **os.environ,
        "DISCORD_TOKEN": sb.token,
        "COCREATE_DISCORD__API_BASE_URL": sb.api_base_url,
        "COCREATE_DISCORD__GATEWAY_URL": sb.gateway_url,
        "COCREATE_STORAGE__PATH": str(db_path),
        "COCREATE_THEMES__EMBEDDER": "lexical",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **(env or {}),
    }
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            BOT_MODULE,
            "run",
            "--config",
            str(config),
            *(["--sync-commands"] if sync else []),
            env=child_env,
            cwd=folder,
            stdout=log,
            stderr=log,
        )
    return BotProcess(process, log_path)


class LatencySandbox(DiscordSandbox):
    """The sandbox with ``latency`` s (changeable at any time) added before every REST
    answer is worked out: what a real network round trip does to work done one by one.
    ``rate_limits`` switches on the sandbox's Discord-like limits where it has them."""

    def __init__(self, rate_limits: bool = False) -> None:
        super().__init__()
        self.latency = 0.0
        original = self.rest.handle

        async def slow(request: Any) -> Any:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            return await original(request)

        # The route is bound when the server starts: replace it on the instance first.
        setattr(self.rest, "handle", slow)  # noqa: B010
        if rate_limits:
            if not hasattr(self.config, "rate_limits"):
                raise SystemExit("this sandbox has no rate limits")
            self.config.rate_limits = True


# -- talking to the bot ----------------------------------------------------------------------


async def start_session(
    sb: DiscordSandbox, world: World, channel_id: int, topic: str, durations: str
) -> int:
    """``/session start`` as the facilitator; the new thread's id."""
    handle = await sb.slash_command(
        world.guild_id,
        channel_id,
        world.facilitator,
        "session",
        subcommand="start",
        options={"topic": topic, "durations": durations, "language": LOCALE},
        locale=LOCALE,
    )
    await handle.response(timeout=30)
    prefix = f"/webhooks/{sb.application_id}/{handle.token}"
    followup = await sb.wait_for_call(
        lambda c: c.method in ("POST", "PATCH") and c.path.startswith(prefix), timeout=60
    )
    content = str((followup.json or {}).get("content", ""))
    found = re.search(r"<#(\d+)>", content)
    if found is None:
        raise RuntimeError(f"session not started in {channel_id}: {content!r}")
    return int(found.group(1))


async def start_paced(
    sb: DiscordSandbox, world: World, topic: str, durations: str, gap: float, notes: int
) -> list[int]:
    """One session per channel, the n-th started ``n * gap`` s after the first, each with
    ``notes`` messages from participants right after it starts; the thread ids.

    Durations are whole seconds (the bot rounds), so deadlines are spread by pacing the
    starts rather than by the durations.
    """
    threads: list[int] = []
    begin = time.monotonic()
    for n, channel_id in enumerate(world.channels):
        await asyncio.sleep(max(begin + n * gap - time.monotonic(), 0))
        thread_id = await start_session(sb, world, channel_id, f"{topic} {n}", durations)
        threads.append(thread_id)
        for k in range(notes):
            author = world.participants[(n + k) % len(world.participants)]
            await sb.user_message(thread_id, author, f"Idea {k} for room {n}: longer opening hours")
    return threads


def step_names() -> list[str]:
    sentences = catalog()
    kinds = [step.kind for step in load_templates()["classic"].steps]
    return [text.step_name(sentences, LOCALE, kind) for kind in kinds]


def is_post(call: RecordedCall) -> bool:
    return call.method == "POST" and call.route == MESSAGES_ROUTE and call.status < 300


def content_of(call: RecordedCall) -> str:
    return str((call.json or {}).get("content", "") or "")


@dataclass
class StepPost:
    thread_id: int
    step_index: int
    call: RecordedCall
    done: RecordedCall | None  # what completes the change: next prompt or session summary


def summary_posts(
    sb: DiscordSandbox, threads: set[int], names: list[str], since: int = 0
) -> list[StepPost]:
    """Every step-summary post in the threads, with the step it names."""
    found: list[StepPost] = []
    calls = sb.calls
    later: dict[int, list[int]] = defaultdict(list)  # thread -> indexes of its posts
    for index in range(since, len(calls)):
        call = calls[index]
        if is_post(call) and int(call.params.get("channel_id", 0)) in threads:
            later[int(call.params["channel_id"])].append(index)
    for thread_id, indexes in later.items():
        for position, index in enumerate(indexes):
            call = calls[index]
            body = content_of(call)
            if not body.startswith(SUMMARY_MARK):
                continue
            title = body.split("\n", 1)[0]
            step = next((n for n, name in enumerate(names) if f"{name}**" in title), -1)
            done = next(
                (
                    calls[i]
                    for i in indexes[position + 1 :]
                    if not content_of(calls[i]).startswith(SUMMARY_MARK)
                ),
                None,
            )
            found.append(StepPost(thread_id, step, call, done))
    return found


def count_steps(posts: list[StepPost], threads: set[int], steps: int) -> tuple[int, int, int]:
    """(skipped, doubled, unrecognised) step summaries over all threads."""
    per_thread: dict[int, Counter[int]] = {t: Counter() for t in threads}
    unknown = 0
    for post in posts:
        if post.step_index < 0:
            unknown += 1
        else:
            per_thread[post.thread_id][post.step_index] += 1
    skipped = sum(1 for c in per_thread.values() for s in range(steps) if c[s] == 0)
    doubled = sum(max(c[s] - 1, 0) for c in per_thread.values() for s in range(steps))
    return skipped, doubled, unknown


# -- the database ---------------------------------------------------------------------------


def read_sessions(db_path: Path) -> list[tuple[int, int, str, str | None]]:
    """(thread_id, step_index, status, due_at) of every session."""
    if not db_path.exists():
        return []
    with contextlib.closing(sqlite3.connect(db_path, timeout=2)) as db:
        try:
            rows = db.execute("SELECT thread_id, step_index, status, due_at FROM sessions")
            return [(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in rows.fetchall()]
        except sqlite3.OperationalError:  # not migrated yet
            return []


class DuePoller(Poller):
    """Remembers each (thread, step)'s deadline, reading the file every ``every`` s."""

    def __init__(self, db_path: Path, every: float = 0.2) -> None:
        self.db_path = db_path
        super().__init__(every)
        self.due: dict[tuple[int, int], float] = {}
        self.status: dict[int, str] = {}

    async def poll_once(self) -> None:
        for thread_id, step, status, due_at in await asyncio.to_thread(read_sessions, self.db_path):
            self.status[thread_id] = status
            if due_at is not None:
                self.due[(thread_id, step)] = datetime.fromisoformat(due_at).timestamp()

    def ended(self, threads: set[int]) -> bool:
        return all(self.status.get(t) == "ended" for t in threads)


async def wait_until(
    check: Callable[[], bool], timeout: float, what: str, every: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(every)


# -- the bot's log ----------------------------------------------------------------------------

_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) ([\w.]+): (.*)$")


def log_events(log: str, offset: float) -> list[tuple[float, str, str]]:
    """(monotonic time in this process, logger, message) of the bot's log lines."""
    events = []
    for line in log.splitlines():
        match = _LOG_LINE.match(line)
        if match is None:
            continue
        # asctime is local time with milliseconds; naive -> local, as logging wrote it.
        stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()  # noqa: DTZ007
        events.append((stamp - offset, match.group(3), match.group(4)))
    return events


# -- part 1: precision ------------------------------------------------------------------------


@dataclass
class PrecisionResult:
    sessions: int
    changes: int
    lateness: list[float]
    done: list[float]
    skipped: int
    doubled: int
    unknown: int
    spread: float
    worst: list[tuple[float, int, int]]


async def precision(
    quick: bool, folder: Path, latency: float = 0.0, rate_limits: bool = False
) -> PrecisionResult:
    sessions = 20 if quick else 100
    first, stagger, step = (4, 4.0, 4) if quick else (10, 30.0, 20)
    names = step_names()
    steps = len(names)
    db_path = folder / "precision.sqlite3"
    async with LatencySandbox(rate_limits) as sb:
        sb.latency = latency
        world = build_world(sb, sessions)
        bot = await launch(sb, folder, db_path, "precision", sync=True)
        try:
            await bot.wait_for_log("connected as")
            poller = DuePoller(db_path)
            poller.start()
            durations = ",".join([f"{first}s"] + [f"{step}s"] * (steps - 1))
            gap = stagger / sessions
            threads = await start_paced(sb, world, "Precision", durations, gap, notes=2)
            thread_set = set(threads)
            total = first + stagger + step * (steps - 1)
            await wait_until(lambda: poller.ended(thread_set), total + 60, "sessions not ended")
            await asyncio.sleep(1.0)  # the last session summaries
            await poller.stop()
        finally:
            await bot.stop()
        offset = wall_offset()
        posts = summary_posts(sb, thread_set, names)
    lateness, done, worst = [], [], []
    for post in posts:
        due = poller.due.get((post.thread_id, post.step_index))
        if due is None:
            continue
        late = post.call.at + offset - due
        lateness.append(late)
        worst.append((late, post.thread_id, post.step_index))
        if post.done is not None:
            done.append(post.done.at + offset - due)
    skipped, doubled, unknown = count_steps(posts, thread_set, steps)
    dues = sorted(poller.due.values())
    return PrecisionResult(
        sessions=sessions,
        changes=len(lateness),
        lateness=lateness,
        done=done,
        skipped=skipped,
        doubled=doubled,
        unknown=unknown,
        spread=dues[-1] - dues[0] if dues else 0.0,
        worst=sorted(worst, reverse=True)[:5],
    )


# -- part 2: restart ---------------------------------------------------------------------------


@dataclass
class RestartResult:
    sessions: int
    overdue: int
    delays: list[float]
    ready_to_on_ready: float | None
    on_ready_to_rearm: float | None
    rearm_span: float | None
    first_advance: float | None
    overdue_by: list[float]
    skipped: int
    doubled: int
    unknown: int
    advanced_before_kill: int
    lost_at_kill: int
    log_excerpt: list[str]
    timeline: list[str] = field(default_factory=list)
    per_thread: dict[int, list[int]] = field(default_factory=dict)


async def restart(
    quick: bool, folder: Path, latency: float = 0.0, rate_limits: bool = False
) -> RestartResult:
    sessions = 10 if quick else 20
    names = step_names()
    steps = len(names)
    db_path = folder / "restart.sqlite3"
    async with LatencySandbox(rate_limits) as sb:
        world = build_world(sb, sessions)
        bot = await launch(sb, folder, db_path, "restart-1", sync=True)
        try:
            await bot.wait_for_log("connected as")
            durations = ",".join(["5s"] + ["3s"] * (steps - 1))
            threads = await start_paced(sb, world, "Restart", durations, 4.0 / sessions, notes=1)
            thread_set = set(threads)

            def settled() -> bool:
                posts = summary_posts(sb, thread_set, names)
                return len(posts) >= sessions // 3 and all(p.done for p in posts)

            # Kill once about a third of the first steps have moved on (the rest are
            # pending), just after a step change finished posting: the next one is due
            # one start gap (0.2 s; quick 0.4 s) later, so the kill seldom lands inside
            # a transition (one that does is counted as "committed but not posted").
            await wait_until(settled, 30, "no step changed before the kill", every=0.005)
        finally:
            killed_at = time.monotonic()
            await bot.kill()
        log_before = log_events(bot.log(), wall_offset())
        before_kill = summary_posts(sb, thread_set, names)
        advanced = len(before_kill)
        state = read_sessions(db_path)
        # A change committed to the database whose summary never reached Discord.
        posted = Counter(p.thread_id for p in before_kill)
        lost_at_kill = sum(
            max((steps if status == "ended" else step) - posted[thread_id], 0)
            for thread_id, step, status, _ in state
        )
        for n, thread_id in enumerate(threads):  # written while the bot is away
            sb.store_user_message(thread_id, world.participants[(n + 1) % 3], f"Missed {n}")
        dues = [datetime.fromisoformat(d).timestamp() for _, _, s, d in state if d and s != "ended"]
        offset = wall_offset()
        # Wait until every session is at least a second overdue.
        await asyncio.sleep(max(max(dues) + 1.5 - time.time(), 0))
        sb.latency = latency  # only for the restarted bot: its catch-up and rearm
        mark = len(sb.calls)
        identified = sb.identify_count
        bot = await launch(sb, folder, db_path, "restart-2", sync=False)
        try:
            await sb.hub.wait_for_count(identifies=identified + 1, timeout=60)
            ready_at = time.monotonic()
            overdue_by = [ready_at + offset - due for due in dues]
            await wait_until(
                lambda: (
                    len({p.thread_id for p in summary_posts(sb, thread_set, names, mark)})
                    >= len(dues)
                ),
                120,
                "overdue steps not advanced after restart",
            )
            first_after: dict[int, float] = {}
            for post in summary_posts(sb, thread_set, names, mark):
                first_after.setdefault(post.thread_id, post.call.at)
            delays = [at - ready_at for at in first_after.values()]
            poller = DuePoller(db_path)
            poller.start()
            await wait_until(
                lambda: poller.ended(thread_set),
                120,
                "sessions did not end after the restart",
            )
            await poller.stop()
            await asyncio.sleep(1.0)
        finally:
            await bot.stop()
        posts = summary_posts(sb, thread_set, names)
        skipped, doubled, unknown = count_steps(posts, thread_set, steps)
        per_thread: dict[int, list[int]] = {t: [] for t in threads}
        for post in posts:
            per_thread[post.thread_id].append(post.step_index)
        timeline = [
            f"kill {c.at - killed_at:+.3f} s  {c.method} {c.route} {c.params.get('channel_id', '')}"
            f" {content_of(c)[:40]!r}"
            for c in sb.calls
            if killed_at - 2 < c.at < killed_at + 1
        ]
        timeline += [
            f"kill {t - killed_at:+.3f} s  log {m}"
            for t, _, m in log_before
            if killed_at - 3 < t < killed_at + 1
        ]
        timeline += [
            f"{c.at - ready_at:+.3f} s  {c.method} {c.route} {c.params.get('channel_id', '')}"
            f" {content_of(c)[:40]!r}"
            for c in sb.calls[mark:]
        ]
    events = log_events(bot.log(), offset)
    on_ready = next((t for t, _, m in events if m.startswith("connected as")), None)
    advances = [t for t, _, m in events if "overdue, advancing" in m]
    return RestartResult(
        sessions=sessions,
        overdue=len(dues),
        delays=delays,
        ready_to_on_ready=on_ready - ready_at if on_ready is not None else None,
        on_ready_to_rearm=advances[0] - on_ready if advances and on_ready is not None else None,
        rearm_span=advances[-1] - advances[0] if advances else None,
        first_advance=min(delays) if delays else None,
        overdue_by=overdue_by,
        skipped=skipped,
        doubled=doubled,
        unknown=unknown,
        advanced_before_kill=advanced,
        lost_at_kill=lost_at_kill,
        log_excerpt=[
            f"{t - ready_at:+.3f} s  {m}"
            for t, _, m in events
            if "connected as" in m or "overdue" in m or "caught up" in m or "themes:" in m
        ],
        timeline=timeline,
        per_thread=per_thread,
    )


# -- rows --------------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


def precision_rows(r: PrecisionResult) -> list[Row]:
    what = f"{r.changes} step changes, {r.sessions} sessions, over {r.spread:.0f} s"
    late_max, late_p99 = max(r.lateness), p99(r.lateness)
    return [
        Row(BENCH, f"step change lateness, max ({what})", _s(late_max), "≤ 1 s", late_max <= 1),
        Row(BENCH, "step change lateness, p99", _s(late_p99), "≤ 1 s", late_p99 <= 1),
        Row(BENCH, "step change lateness, median", _s(statistics.median(r.lateness))),
        Row(
            BENCH,
            "change complete (next prompt / session summary posted), max after due",
            _s(max(r.done) if r.done else None),
        ),
        Row(
            BENCH,
            "precision run: steps skipped / doubled",
            f"{r.skipped} / {r.doubled}",
            "0 / 0",
            r.skipped == 0 and r.doubled == 0 and r.unknown == 0,
        ),
    ]


def restart_rows(r: RestartResult) -> list[Row]:
    most, tail = max(r.delays), p99(r.delays)
    what = f"{r.overdue} overdue sessions, {r.sessions} in all"
    return [
        Row(
            BENCH,
            f"after SIGKILL: READY -> overdue step summary, max ({what})",
            _s(most),
            "≤ 2 s after READY",
            most <= 2,
        ),
        Row(
            BENCH, "after SIGKILL: READY -> overdue step summary, p99", _s(tail), "≤ 2 s", tail <= 2
        ),
        Row(BENCH, "after SIGKILL: READY -> first overdue step summary", _s(r.first_advance)),
        Row(BENCH, "  of which READY -> on_ready (bot log)", _s(r.ready_to_on_ready)),
        Row(
            BENCH, "  of which on_ready -> first rearm advance (catch-up)", _s(r.on_ready_to_rearm)
        ),
        Row(BENCH, "  of which first -> last rearm advance (serial)", _s(r.rearm_span)),
        Row(
            BENCH,
            "after SIGKILL: changes committed but not yet posted when killed",
            str(r.lost_at_kill),
        ),
        Row(
            BENCH,
            "after SIGKILL: steps skipped / doubled",
            f"{r.skipped} / {r.doubled}",
            "0 / 0",
            r.skipped == 0 and r.doubled == 0 and r.unknown == 0,
        ),
    ]


async def run(quick: bool = False) -> list[Row]:
    """Both parts; rows for the benchmark table."""
    with tempfile.TemporaryDirectory(prefix="bench-timers-") as folder:
        first = await precision(quick, Path(folder))
        second = await restart(quick, Path(folder))
    return precision_rows(first) + restart_rows(second)


def _table(rows: list[Row]) -> str:
    lines = ["| metric | value | target | met |", "|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        lines.append(f"| {row.metric} | {row.value} | {row.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.timers [--quick]``: print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 + 10 sessions, ~1 minute")
    parser.add_argument("--part", choices=("both", "precision", "restart"), default="both")
    parser.add_argument("--verbose", action="store_true", help="worst cases and the bot's log")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="added before each REST answer"
    )
    parser.add_argument("--rate-limits", action="store_true", help="Discord-like rate limits")
    args = parser.parse_args(argv)

    async def go() -> list[Row]:
        latency, limits = args.latency_ms / 1000, args.rate_limits
        if args.part == "both" and not (args.verbose or latency or limits):
            return await run(args.quick)
        rows: list[Row] = []
        with tempfile.TemporaryDirectory(prefix="bench-timers-") as folder:
            if args.part in ("both", "precision"):
                first = await precision(args.quick, Path(folder), latency, limits)
                rows += precision_rows(first)
                if args.verbose:
                    print(f"earliest: {min(first.lateness):+.3f} s after due")
                    for late, thread_id, step in first.worst:
                        print(f"late {late:.3f} s: thread {thread_id} step {step}")
            if args.part in ("both", "restart"):
                second = await restart(args.quick, Path(folder), latency, limits)
                rows += restart_rows(second)
                if args.verbose:
                    print(f"advanced before the kill: {second.advanced_before_kill}")
                    print(
                        "overdue by at READY: " + ", ".join(f"{v:.1f}" for v in second.overdue_by)
                    )
                    print("delays: " + ", ".join(f"{v:.2f}" for v in sorted(second.delays)))
                    print("\n".join(second.log_excerpt))
                    print("\n".join(second.timeline))
                    for thread_id, seen in second.per_thread.items():
                        print(f"thread {thread_id}: summaries of steps {seen}")
        return rows

    rows = asyncio.run(go())
    print(_table(rows))


if __name__ == "__main__":
    main()
