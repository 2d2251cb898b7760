"""What the client-side benchmarks share: a sandbox with guilds, the real bot or a bare
client connected to it, ``/session start``, counting notes in the SQLite file, and a
clean stop.

A client runs either in this process, on the sandbox's event loop (``start_bot_on``,
``start_bare_on``), or in a child process (:class:`ChildClient`: ``python -m
bench.harness --child bot|bare``) that connects to the sandbox over loopback. In the first
case the sandbox's own work (building events, answering REST calls) shares the loop and
the CPU with the client; in the second it shares only the machine.

Run ``python -m bench.harness`` for a self-check (both clients, both ways).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import signal
import sqlite3
import sys
import tempfile
import time
import tomllib
import tracemalloc
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bench.common import Row
from bot.endpoints import point_discord_at, reset_discord_endpoints

if TYPE_CHECKING:
    from bot.sandbox import DiscordSandbox, InteractionHandle
    from bot.settings import Settings

# The bot's own modules (numpy, Pillow, pydantic...) are imported only where the bot or
# the sandbox is started, so a bare client in a child process loads discord.py alone.

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "library_notes.toml"
CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
TOPIC = "Hoe wordt de bibliotheek een plek voor iedereen?"


def note_texts() -> list[str]:
    """Realistic Dutch notes (the themes fixture), used in rotation."""
    return [note["text"] for note in tomllib.loads(FIXTURE.read_text("utf-8"))["note"]]


# -- the world ------------------------------------------------------------------------------


@dataclass
class Place:
    """One guild: a Facilitator role, text channels, a facilitator and participants."""

    guild_id: int
    facilitator_role: int
    channels: list[int]
    facilitator: int
    members: list[int]

    @property
    def channel_id(self) -> int:
        return self.channels[0]


def add_guild(
    sb: DiscordSandbox,
    *,
    name: str = "Bibliotheek Noord",
    channels: int = 1,
    members: int = 20,
    users: Sequence[int] | None = None,
) -> Place:
    """A guild with ``channels`` text channels and ``members`` participants.

    ``users`` reuses existing user ids (the same people in several guilds); otherwise
    new users are created.
    """
    guild = sb.add_guild(name, locale="nl")
    role = sb.add_role(guild.id, "Facilitator").id
    channel_ids = [sb.add_text_channel(guild.id, f"co-creatie-{i}").id for i in range(channels)]
    if users is not None:
        facilitator = sb.add_member(guild.id, users[0], roles=[role]).id
        people = [sb.add_member(guild.id, uid).id for uid in users[1 : members + 1]]
    else:
        facilitator = sb.add_member(guild.id, "marieke", roles=[role]).id
        people = [sb.add_member(guild.id, f"deelnemer{i}").id for i in range(members)]
    return Place(guild.id, role, channel_ids, facilitator, people)


@contextlib.asynccontextmanager
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    """A started sandbox on a free loopback port; stopped (and discord.py's endpoints
    reset) afterwards. Close clients before leaving the block."""
    from bot.sandbox import DiscordSandbox

    sb = DiscordSandbox()
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()
        reset_discord_endpoints()


# -- clients --------------------------------------------------------------------------------


def bot_settings(api_base_url: str, gateway_url: str, db_path: Path) -> Settings:
    """The bot's settings for a sandbox: its URLs, a SQLite file, word-count themes, and
    no per-person note limit (the streams send hundreds of notes per member a minute,
    far past what a person types; the limit itself is one deque operation a note)."""
    from bot.settings import (
        DiscordSettings,
        FacilitationSettings,
        Settings,
        StorageSettings,
        ThemesSettings,
    )

    return Settings(
        storage=StorageSettings(path=db_path),
        themes=ThemesSettings(embedder="lexical"),
        discord=DiscordSettings(api_base_url=api_base_url, gateway_url=gateway_url),
        facilitation=FacilitationSettings(notes_per_minute=0),
    )


class BareClient(discord.Client):
    """discord.py with the bot's intents and nothing else: the floor to compare with.

    ``on_message`` only counts, so a benchmark can wait for the last event.
    """

    def __init__(self, intents: discord.Intents, *, guild_ready_timeout: float = 0.05) -> None:
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        self.seen = 0
        self.ready_event = asyncio.Event()
        self._target = 0
        self._reached = asyncio.Event()

    async def on_ready(self) -> None:
        self.ready_event.set()

    async def on_message(self, message: discord.Message) -> None:
        self.seen += 1
        if self._target and self.seen >= self._target:
            self._reached.set()

    async def wait_for_messages(self, count: int, timeout: float) -> None:
        """Until ``on_message`` has run ``count`` times in total."""
        if self.seen >= count:
            return
        self._target = count
        self._reached.clear()
        await asyncio.wait_for(self._reached.wait(), timeout)


@dataclass
class Running:
    """A connected client and the task running its gateway connection."""

    client: discord.Client
    task: asyncio.Task[None]

    async def close(self) -> None:
        await asyncio.wait_for(self.client.close(), 10)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, 10)


async def start_bot(
    api_base_url: str, gateway_url: str, token: str, db_path: Path, *, sync: bool = True
) -> Running:
    """The real ``CocreateBot`` (system clock); returns after its first catch-up."""
    from bot.app import CocreateBot

    bot = CocreateBot(
        bot_settings(api_base_url, gateway_url, db_path),
        sync_commands=sync,
        guild_ready_timeout=0.05,
    )
    await bot.login(token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    await asyncio.wait_for(bot.caught_up.wait(), 30)
    return Running(bot, task)


def bot_intents() -> discord.Intents:
    """The intents the bot asks for (the bare client asks for the same)."""
    from bot.app import intents

    return intents()


async def start_bare(
    api_base_url: str, gateway_url: str, token: str, intents: discord.Intents | None = None
) -> Running:
    """A :class:`BareClient` with the bot's intents; returns after ``on_ready``."""
    point_discord_at(api_base_url, gateway_url)
    client = BareClient(intents or bot_intents())
    await client.login(token)
    task = asyncio.create_task(client.connect(reconnect=True))
    await asyncio.wait_for(client.ready_event.wait(), 30)
    return Running(client, task)


async def start_bot_on(sb: DiscordSandbox, db_path: Path) -> Running:
    return await start_bot(sb.api_base_url, sb.gateway_url, sb.token, db_path)


async def start_bare_on(sb: DiscordSandbox) -> Running:
    return await start_bare(sb.api_base_url, sb.gateway_url, sb.token)


# -- a client in its own process -------------------------------------------------------------
#
# The parent keeps the sandbox (and injects events); the child runs one client and answers
# one-line commands on stdin with one line on stdout:
#   ready <KiB>                    after connecting (the bot: after its first catch-up),
#                                  with VmRSS after imports and before connecting
#   wait N  -> done <monotonic>    (bare) when on_message has run N times in total
#   rss     -> rss <KiB>           VmRSS after gc.collect()
#   profile start / profile stop PATH -> ok   cProfile around a measured section
#   snapshot PATH -> ok            tracemalloc snapshot (with PYTHONTRACEMALLOC set) and
#                                  module names (PATH.modules), /proc/self/smaps (PATH.smaps)
#   stop    -> stopped             after closing the client
# CLOCK_MONOTONIC is system-wide on Linux, so the child's times compare with the parent's.

ROOT = Path(__file__).resolve().parent.parent


def vmrss_kib() -> int:
    """This process's resident set size (``VmRSS`` in /proc/self/status), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


class ChildClient:
    """The bot (``kind="bot"``) or a :class:`BareClient` (``"bare"``) in a subprocess."""

    def __init__(self, kind: str, process: asyncio.subprocess.Process) -> None:
        self.kind = kind
        self.process = process
        self._paused = False
        self.boot_rss_kib = 0
        """VmRSS once the client's modules were imported, before it connected."""

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(
        cls, sb: DiscordSandbox, kind: str, db_path: Path | None = None, *, timeout: float = 60
    ) -> ChildClient:
        args = [
            sys.executable,
            "-m",
            "bench.harness",
            "--child",
            kind,
            "--api",
            sb.api_base_url,
            "--gateway",
            sb.gateway_url,
            "--token",
            sb.token,
        ]
        if db_path is not None:
            args += ["--db", str(db_path)]
        if kind == "bare":
            args += ["--intents", str(bot_intents().value)]
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        child = cls(kind, process)
        child.boot_rss_kib = int((await child._expect("ready", timeout))[0])
        return child

    async def _expect(self, word: str, timeout: float) -> list[str]:
        stdout = self.process.stdout
        assert stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await stdout.readline()
                if not raw:
                    code = await self.process.wait()
                    raise RuntimeError(f"{self.kind} child exited ({code}) before {word!r}")
                parts = raw.decode().split()
                if parts and parts[0] == word:
                    return parts[1:]

    async def ask(self, command: str, answer: str, timeout: float = 60) -> list[str]:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(f"{command}\n".encode())
        await stdin.drain()
        return await self._expect(answer, timeout)

    def pause(self) -> None:
        """SIGSTOP the child: events sent meanwhile wait in its socket buffer."""
        os.kill(self.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> float:
        """SIGCONT the child; return ``time.monotonic()`` just before."""
        at = time.monotonic()
        os.kill(self.pid, signal.SIGCONT)
        self._paused = False
        return at

    async def wait_messages(self, count: int, timeout: float) -> float:
        """(bare) ``time.monotonic()`` when its ``on_message`` had run ``count`` times."""
        return float((await self.ask(f"wait {count}", "done", timeout))[0])

    async def rss_kib(self) -> int:
        return int((await self.ask("rss", "rss"))[0])

    async def snapshot(self, path: Path) -> None:
        await self.ask(f"snapshot {path}", "ok")

    async def profile_start(self) -> None:
        await self.ask("profile start", "ok")

    async def profile_stop(self, path: Path) -> None:
        await self.ask(f"profile stop {path}", "ok")

    async def stop(self) -> None:
        if self._paused:
            self.resume()
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.ask("stop", "stopped", timeout=20)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def gateway_flushed(sb: DiscordSandbox, timeout: float = 10.0) -> bool:
    """Wait until the sandbox has written every queued gateway frame to its sockets
    (the kernel and the client's buffers hold them then). False after ``timeout``.

    Reads the sandbox's per-connection queues (``GatewayConnection._queue``): the only
    way to know, short of a hook in the sandbox.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queues = [getattr(c, "_queue", None) for c in sb.hub.connections]
        if all(q is None or q.empty() for q in queues):
            await asyncio.sleep(0.02)  # the last frame's write
            return True
        await asyncio.sleep(0.005)
    return False


def _snapshot(path: str) -> None:
    """A tracemalloc snapshot (needs PYTHONTRACEMALLOC=<frames> in the child's
    environment), the names of the loaded modules and /proc/self/smaps (which mappings
    the RSS is in: heap, thread arenas, files)."""
    gc.collect()
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(path)
    Path(path + ".modules").write_text("\n".join(sorted(sys.modules)))
    Path(path + ".smaps").write_text(Path("/proc/self/smaps").read_text())


async def _child(
    kind: str, api: str, gateway: str, token: str, db: Path | None, intents: int | None
) -> None:
    if kind == "bot":
        assert db is not None, "--db is needed for the bot"
        import bot.app  # noqa: F401  (counted in the boot RSS, as the bot's own code)

        boot = vmrss_kib()
        running = await start_bot(api, gateway, token, db)
    else:
        boot = vmrss_kib()
        assert intents is not None, "--intents is needed for the bare client"
        running = await start_bare(api, gateway, token, discord.Intents._from_value(intents))
    profiler: cProfile.Profile | None = None
    print(f"ready {boot}", flush=True)
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            words = line.split()
            if not words or words[0] == "stop":
                break
            if words[0] == "wait":
                client = running.client
                assert isinstance(client, BareClient)
                await client.wait_for_messages(int(words[1]), timeout=600)
                print(f"done {time.monotonic()!r}", flush=True)
            elif words[0] == "rss":
                gc.collect()
                print(f"rss {vmrss_kib()}", flush=True)
            elif words[0] == "snapshot":
                _snapshot(words[1])
                print("ok", flush=True)
            elif words[:2] == ["profile", "start"]:
                profiler = cProfile.Profile()
                profiler.enable()
                print("ok", flush=True)
            elif words[:2] == ["profile", "stop"]:
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(words[2])
                    profiler = None
                print("ok", flush=True)
    finally:
        await running.close()
    print("stopped", flush=True)


# -- driving the bot -----------------------------------------------------------------------


async def start_session(
    sb: DiscordSandbox,
    place: Place,
    channel_id: int | None = None,
    *,
    topic: str = TOPIC,
    timeout: float = 10.0,
) -> int:
    """``/session start`` as the facilitator; wait for the answer; return the thread id."""
    channel = channel_id if channel_id is not None else place.channel_id
    handle = await sb.slash_command(
        place.guild_id,
        channel,
        place.facilitator,
        "session",
        subcommand="start",
        options={"topic": topic},
        locale="nl",
    )
    await answer(sb, handle, timeout=timeout)
    threads = [t for t in sb.threads if str(t.get("parent_id")) == str(channel)]
    if not threads:
        raise RuntimeError(f"/session start opened no thread in {channel}: {handle.calls()}")
    return int(threads[-1]["id"])


async def answer(sb: DiscordSandbox, handle: InteractionHandle, *, timeout: float = 10.0) -> str:
    """The text of the bot's (final) answer to an interaction, after a defer too."""
    callback = await handle.response(timeout=timeout)
    body = callback.json or {}
    if body.get("type") == 5:
        followup = await sb.wait_for_call(
            lambda c: (
                c.method in ("POST", "PATCH")
                and c.path.startswith(f"/webhooks/{sb.application_id}/{handle.token}")
            ),
            timeout=timeout,
        )
        return str((followup.json or {}).get("content", ""))
    return str((body.get("data") or {}).get("content", ""))


class NoteCounter:
    """Counts notes in the SQLite file from a second connection, off the event loop."""

    def __init__(self, db_path: Path) -> None:
        self._db = sqlite3.connect(db_path, check_same_thread=False, timeout=5)

    def _count(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM notes").fetchone()
        return int(row[0])

    async def count(self) -> int:
        return await asyncio.to_thread(self._count)

    async def wait_for(self, wanted: int, *, timeout: float, every: float = 0.01) -> float:
        """Poll until the file holds ``wanted`` notes; return ``time.monotonic()`` then
        (the clock the sandbox stamps calls with)."""
        deadline = time.monotonic() + timeout
        while True:
            if await self.count() >= wanted:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {await self.count()} of {wanted} notes after {timeout}s")
            await asyncio.sleep(every)

    def close(self) -> None:
        self._db.close()


@contextlib.contextmanager
def sandbox_gc_paused(enabled: bool = True) -> Iterator[None]:
    """Keep this (the sandbox's) process from pausing for a full garbage collection while
    a client in a child process is measured: collect and freeze what exists, then switch
    the collector off until the block ends. A gen-2 pass over a sandbox that has served
    several runs takes ~100 ms and would land on the client's figures. Only for clients
    in child processes: a client in this process must keep its normal GC.
    """
    if not enabled:
        yield
        return
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@dataclass
class LagMonitor:
    """Samples how late a 5 ms tick wakes up; the worst is the loop's longest block."""

    worst: float = 0.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - start - 0.005)

    def __enter__(self) -> LagMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}/s"


async def check(tmp: Path) -> list[Row]:
    """Self-check: both clients, in this process and in a child, connect; a session
    opens; a note is stored; the bare client sees a message."""
    rows: list[Row] = []
    for mode in ("same process", "child"):
        async with sandbox() as sb:
            place = add_guild(sb, members=3)
            db_path = tmp / f"check-{mode[:4]}.sqlite3"
            if mode == "child":
                child = await ChildClient.start(sb, "bot", db_path)
                stop = child.stop
            else:
                running = await start_bot_on(sb, db_path)
                stop = running.close
            try:
                thread = await start_session(sb, place)
                counter = NoteCounter(db_path)
                started = time.monotonic()
                await sb.user_message(thread, place.members[0], note_texts()[0])
                await counter.wait_for(1, timeout=10)
                counter.close()
                rows.append(Row("harness", f"bot ({mode}): one note stored", _ms(started)))
            finally:
                await stop()
        async with sandbox() as sb:
            place = add_guild(sb, members=3)
            started = time.monotonic()
            if mode == "child":
                child = await ChildClient.start(sb, "bare")
                try:
                    started = time.monotonic()
                    await sb.user_message(place.channel_id, place.members[0], "hallo")
                    done = await child.wait_messages(1, timeout=10)
                    rss = await child.rss_kib()
                finally:
                    await child.stop()
                rows.append(Row("harness", f"bare ({mode}): RSS", f"{rss / 1024:.0f} MiB"))
            else:
                bare = await start_bare_on(sb)
                try:
                    assert isinstance(bare.client, BareClient)
                    started = time.monotonic()
                    await sb.user_message(place.channel_id, place.members[0], "hallo")
                    await bare.client.wait_for_messages(1, timeout=10)
                    done = time.monotonic()
                finally:
                    await bare.close()
            rows.append(
                Row("harness", f"bare ({mode}): one on_message", f"{(done - started) * 1e3:.1f} ms")
            )
    return rows


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.1f} ms"


def print_rows(rows: Sequence[Row]) -> None:
    """A quick table for a benchmark run on its own."""
    for row in rows:
        mark = "" if row.met is None else (" ✓" if row.met else " ✗")
        target = f"  (target {row.target}){mark}" if row.target else ""
        print(f"{row.benchmark:>8} | {row.metric:<40} | {row.value:>12}{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=["bot", "bare"], help="run one client (internal)")
    parser.add_argument("--api")
    parser.add_argument("--gateway")
    parser.add_argument("--token")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--intents", type=int)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(args.child, args.api, args.gateway, args.token, args.db, args.intents))
        return
    with tempfile.TemporaryDirectory() as folder:
        print_rows(asyncio.run(check(Path(folder))))


if __name__ == "__main__":
    main()
