"""Note ingest: how fast thread messages become committed notes, against a bare client.

Run: ``.venv/bin/python -m bench.ingest`` (``--quick``: 500 messages instead of 5,000;
``--count N`` for another size).

The sandbox injects N MESSAGE_CREATE events into an active session thread as fast as it
can (``sb.user_message`` in a loop). For the bot the clock stops when the N-th note is in
the SQLite file (a second connection counts them every 10 ms), so what is measured is the
client's whole path — gateway frame, discord.py parsing, ``on_message``, the session
lookup, the INSERT and COMMIT — not the injection. (Acknowledgements are paced by the
bot to Discord's reaction limits, so they are not a measure of ingest.) The same stream
then goes to a bare ``discord.Client`` with the same intents whose ``on_message`` only
counts; its rate is the floor of what discord.py plus this sandbox allow on this machine.
Both clients share the process (and the CPU) with the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Row
from bench.harness import (
    BareClient,
    ChildClient,
    LagMonitor,
    NoteCounter,
    add_guild,
    fmt_rate,
    gateway_flushed,
    note_texts,
    print_rows,
    sandbox,
    sandbox_gc_paused,
    start_bare_on,
    start_bot_on,
    start_session,
)

if TYPE_CHECKING:
    from bot.sandbox import DiscordSandbox

FULL = 5_000
QUICK = 500
MEMBERS = 20


async def _inject(sb: DiscordSandbox, thread: int, authors: list[int], count: int) -> float:
    """Post ``count`` messages as fast as the sandbox can; return when injection began."""
    texts = note_texts()
    started = time.monotonic()
    for i in range(count):
        await sb.user_message(thread, authors[i % len(authors)], texts[i % len(texts)])
    return started


async def measure_bot(
    count: int, folder: Path, *, child: bool, profile: Path | None = None
) -> dict[str, float]:
    """``count`` messages into a session thread; time until all are committed.

    ``child``: the bot runs in its own process, stopped (SIGSTOP) while the sandbox
    injects, so every event waits in its socket; the clock starts at SIGCONT. Otherwise
    the bot shares this loop and the clock starts with the injection.
    """
    db_path = folder / f"ingest-{'child' if child else 'same'}-{time.monotonic_ns()}.sqlite3"
    async with sandbox() as sb:
        place = add_guild(sb, members=MEMBERS)
        if child:
            process = await ChildClient.start(sb, "bot", db_path)
            stop = process.stop
        else:
            running = await start_bot_on(sb, db_path)
            stop = running.close
        counter = NoteCounter(db_path)
        try:
            thread = await start_session(sb, place)
            mark = len(sb.calls)
            if child and profile is not None:
                await process.profile_start()
            with sandbox_gc_paused(child), LagMonitor() as lag:
                if child:
                    process.pause()
                started = await _inject(sb, thread, place.members, count)
                injected = time.monotonic()
                inject_rate = count / (injected - started)
                if child:
                    await gateway_flushed(sb)
                    started = process.resume()
                committed = await counter.wait_for(count, timeout=60 + count / 20)
            if child and profile is not None:
                await process.profile_stop(profile)
            return {
                "notes_per_s": count / (committed - started),
                "rest_calls": float(len(sb.calls) - mark),
                "inject_per_s": inject_rate,
                "lag_ms": lag.worst * 1000,
            }
        finally:
            counter.close()
            await stop()


async def measure_bare(count: int, *, child: bool) -> dict[str, float]:
    """The same stream into a thread, read by a client whose ``on_message`` only counts."""
    async with sandbox() as sb:
        place = add_guild(sb, members=MEMBERS)
        if child:
            process = await ChildClient.start(sb, "bare")
            stop = process.stop
        else:
            running = await start_bare_on(sb)
            stop = running.close
        try:
            thread = sb.add_thread(place.channel_id, "Sessie", owner_id=place.facilitator).id
            await asyncio.sleep(0.05)  # THREAD_CREATE reaches the client first
            with sandbox_gc_paused(child), LagMonitor() as lag:
                timeout = 60 + count / 50
                if child:
                    process.pause()
                    await _inject(sb, thread, place.members, count)
                    await gateway_flushed(sb)
                    started = process.resume()
                    handled = await process.wait_messages(count, timeout)
                else:
                    client = running.client
                    assert isinstance(client, BareClient)
                    started = await _inject(sb, thread, place.members, count)
                    await client.wait_for_messages(count, timeout)
                    handled = time.monotonic()
            return {"events_per_s": count / (handled - started), "lag_ms": lag.worst * 1000}
        finally:
            await stop()


def _median_run(runs: list[dict[str, float]], key: str) -> dict[str, float]:
    """The run with the median ``key`` (odd counts; the lower middle otherwise)."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2]


def _spread(runs: list[dict[str, float]], key: str) -> str:
    return " / ".join(f"{r[key]:,.0f}" for r in runs)


async def run(
    quick: bool = False,
    count: int | None = None,
    profile: Path | None = None,
    repeats: int | None = None,
) -> list[Row]:
    """Bot notes/s, bare events/s and their ratio (target ≥ 0.5).

    The target row has each client in its own process (the sandbox keeps this one), so
    the client's rate is not capped by the sandbox sharing its CPU; each client is run
    ``repeats`` times (5; quick: 1), alternating, and the medians are compared. One
    same-process run of each follows as context.
    """
    n = count or (QUICK if quick else FULL)
    times = repeats or (1 if quick else 5)
    name = "ingest"
    with tempfile.TemporaryDirectory() as folder:
        bots: list[dict[str, float]] = []
        bares: list[dict[str, float]] = []
        for attempt in range(times):
            path = profile if attempt == 0 else None
            bots.append(await measure_bot(n, Path(folder), child=True, profile=path))
            bares.append(await measure_bare(n, child=True))
        same_bot = await measure_bot(n, Path(folder), child=False)
        same_bare = await measure_bare(n, child=False)
    bot = _median_run(bots, "notes_per_s")
    bare = _median_run(bares, "events_per_s")
    ratio = bot["notes_per_s"] / bare["events_per_s"]
    same_ratio = same_bot["notes_per_s"] / same_bare["events_per_s"]
    runs = f" (median of {times}: {_spread(bots, 'notes_per_s')})" if times > 1 else ""
    bare_runs = f" ({_spread(bares, 'events_per_s')})" if times > 1 else ""
    where = "sandbox's process"
    return [
        Row(name, f"bot: notes committed/s, N={n:,}{runs}", fmt_rate(bot["notes_per_s"])),
        Row(name, f"bare client: events handled/s{bare_runs}", fmt_rate(bare["events_per_s"])),
        Row(name, "ratio bot/bare", f"{ratio:.2f}", "≥ 0.5", ratio >= 0.5),
        Row(name, "bot: REST calls during the stream", f"{bot['rest_calls']:,.0f}"),
        Row(name, "sandbox injection rate (alone)", fmt_rate(bot["inject_per_s"])),
        Row(name, f"bot notes/s, {where}", fmt_rate(same_bot["notes_per_s"])),
        Row(name, f"bare events/s, {where}", fmt_rate(same_bare["events_per_s"])),
        Row(name, f"ratio bot/bare, {where}", f"{same_ratio:.2f}"),
        Row(name, f"worst loop lag, bot in {where}", f"{same_bot['lag_ms']:.0f} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--profile", type=Path, help="cProfile the bot child (first run) into this file"
    )
    args = parser.parse_args()
    print_rows(asyncio.run(run(args.quick, args.count, args.profile, args.repeats)))


if __name__ == "__main__":
    main()
