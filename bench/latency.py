"""Interaction latency under load: slash commands answered while notes stream in.

Run: ``.venv/bin/python -m bench.latency`` (``--quick``: 40 interactions instead of 200;
``--same-process`` runs the bot in the sandbox's event loop; ``--profile FILE`` writes a
cProfile of the bot child during the loaded phase).

A session thread receives 200 notes a second (MESSAGE_CREATE from 20 participants, paced
on an absolute schedule) for the whole run. Once the stream is going, 200 slash commands
are sent into the same thread, 20 a second, alternating ``/session status`` and
``/note text:…``; they are not waited for one by one (an open loop, as users do not wait
for each other). Latency is the sandbox's arrival time of the bot's callback
(``POST /interactions/{id}/{token}/callback``, ``RecordedCall.at``, monotonic) minus the
moment the INTERACTION_CREATE was injected. Discord allows 3 s for that callback; the
target here is p99 < 50 ms. Twenty commands without the stream are timed first, as a
baseline.

By default the bot runs in its own process (the sandbox keeps this one, so its work —
building and sending 200 events a second, answering REST calls — is not charged to the
bot's loop); both still share the machine's CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Row
from bench.harness import (
    ChildClient,
    LagMonitor,
    NoteCounter,
    Place,
    add_guild,
    note_texts,
    percentile,
    print_rows,
    sandbox,
    sandbox_gc_paused,
    start_bot_on,
    start_session,
)

if TYPE_CHECKING:
    from bot.sandbox import DiscordSandbox

NOTES_PER_S = 200.0
COMMANDS_PER_S = 20.0
FULL = 200
QUICK = 40
BASELINE = 20
MEMBERS = 20
TARGET_MS = 50.0


@dataclass
class Timed:
    command: str
    latency_ms: float | None  # None: no callback within the timeout


async def _stream(
    sb: DiscordSandbox, thread: int, place: Place, rate: float, stop: asyncio.Event
) -> tuple[int, float]:
    """Post ``rate`` notes a second until ``stop``; return (count, seconds)."""
    texts = note_texts()
    started = time.monotonic()
    sent = 0
    while not stop.is_set():
        due = started + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        author = place.members[sent % len(place.members)]
        await sb.user_message(thread, author, texts[sent % len(texts)])
        sent += 1
    return sent, time.monotonic() - started


async def _one(
    sb: DiscordSandbox, place: Place, thread: int, index: int, timeout: float = 10.0
) -> Timed:
    """One slash command in the thread; its callback latency."""
    user = place.members[index % len(place.members)]
    if index % 2 == 0:
        command, sub, options = "session", "status", dict[str, str]()
    else:
        command, sub, options = (
            "note",
            None,
            {"text": f"Idee nummer {index}: langer open op zondag"},
        )
    sent = time.monotonic()
    handle = await sb.slash_command(
        place.guild_id, thread, user, command, subcommand=sub, options=options, locale="nl"
    )
    name = f"/{command} {sub}" if sub else f"/{command}"
    try:
        callback = await handle.response(timeout=timeout)
    except TimeoutError:
        return Timed(name, None)
    return Timed(name, (callback.at - sent) * 1000)


async def _burst(sb: DiscordSandbox, place: Place, thread: int, count: int) -> list[Timed]:
    """``count`` commands at ``COMMANDS_PER_S``, open loop; gather their latencies."""
    tasks: list[asyncio.Task[Timed]] = []
    started = time.monotonic()
    for index in range(count):
        delay = started + index / COMMANDS_PER_S - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(sb, place, thread, index)))
    return list(await asyncio.gather(*tasks))


@dataclass
class Result:
    baseline: list[Timed]
    loaded: list[Timed]
    stream_rate: float
    stored: str
    lag_ms: float


async def measure(
    count: int, folder: Path, *, child: bool = True, profile: Path | None = None
) -> Result:
    db_path = folder / "latency.sqlite3"
    async with sandbox() as sb:
        place = add_guild(sb, members=MEMBERS)
        if child:
            process = await ChildClient.start(sb, "bot", db_path)
            stop_client = process.stop
        else:
            running = await start_bot_on(sb, db_path)
            stop_client = running.close
        try:
            thread = await start_session(sb, place)
            stop = asyncio.Event()
            with sandbox_gc_paused(child), LagMonitor() as lag:
                baseline = await _burst(sb, place, thread, BASELINE)
                streamer = asyncio.create_task(_stream(sb, thread, place, NOTES_PER_S, stop))
                await asyncio.sleep(1.0)  # the stream is going before the first command
                if child and profile is not None:
                    await process.profile_start()
                loaded = await _burst(sb, place, thread, count)
                if child and profile is not None:
                    await process.profile_stop(profile)
                stop.set()
                streamed, seconds = await streamer
            counter = NoteCounter(db_path)
            try:
                # Every other command (baseline and loaded) is a /note.
                expected = streamed + count // 2 + BASELINE // 2
                with contextlib.suppress(TimeoutError):
                    await counter.wait_for(expected, timeout=10)
                stored = await counter.count()
            finally:
                counter.close()
            return Result(
                baseline=baseline,
                loaded=loaded,
                stream_rate=streamed / seconds,
                stored=f"{stored:,}/{expected:,}",
                lag_ms=lag.worst * 1000,
            )
        finally:
            await stop_client()


def _values(timed: list[Timed], command: str | None = None) -> list[float]:
    return [
        t.latency_ms
        for t in timed
        if t.latency_ms is not None and (command is None or t.command == command)
    ]


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


async def run(
    quick: bool = False, *, same_process: bool = False, profile: Path | None = None
) -> list[Row]:
    """p50/p99/max callback latency of 200 commands under a 200 notes/s stream."""
    count = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as folder:
        result = await measure(count, Path(folder), child=not same_process, profile=profile)
    loaded = result.loaded
    values = _values(loaded)
    answered = len(values)
    name = "latency"
    where = " (bot in the sandbox's process)" if same_process else ""
    rows = [
        Row(
            name,
            f"commands answered{where}",
            f"{answered}/{count}",
            f"{count}/{count}",
            answered == count,
        ),
    ]
    if values:
        p99 = percentile(values, 0.99)
        rows += [
            Row(name, "p50 under load", _ms(percentile(values, 0.5))),
            Row(name, "p99 under load", _ms(p99), f"< {TARGET_MS:.0f} ms", p99 < TARGET_MS),
            Row(name, "max under load", _ms(max(values))),
        ]
        for command in ("/session status", "/note"):
            mine = _values(loaded, command)
            if mine:
                rows.append(Row(name, f"p99 {command}", _ms(percentile(mine, 0.99))))
    base = _values(result.baseline)
    if base:
        rows.append(Row(name, "p50 without load", _ms(percentile(base, 0.5))))
    rows += [
        Row(name, f"note stream (of {NOTES_PER_S:.0f}/s)", f"{result.stream_rate:.0f}/s"),
        Row(name, "notes stored/sent", result.stored),
        Row(name, "worst loop lag (sandbox side)", f"{result.lag_ms:.0f} ms"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--same-process", action="store_true")
    parser.add_argument("--profile", type=Path, help="cProfile the bot child into this file")
    args = parser.parse_args()
    print_rows(asyncio.run(run(args.quick, same_process=args.same_process, profile=args.profile)))


if __name__ == "__main__":
    main()
