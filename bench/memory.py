"""Memory: the bot's resident set with 100 live sessions of 100 notes each, against a bare
discord.py client that saw the same guilds and the same messages.

Run: ``.venv/bin/python -m bench.memory`` (``--quick``: 20 sessions of 50 notes).

Each client runs in its own child process (``python -m bench.harness --child bot|bare``)
so RSS is not shared; the sandbox stays in this process and is not counted. The world:
10 guilds × 10 text channels, the same 20 participants and a facilitator in each. For the
bot, ``/session start`` opens a session (and its thread) in each of the 100 channels;
for the bare client the sandbox opens the same 100 threads. Then 100 messages are posted
in every thread, round-robin. When the bot has committed all 10,000 notes (the bare
client: seen all 10,000 messages) and the REST traffic has been quiet for a second, the
child runs ``gc.collect()`` and reports ``VmRSS`` from ``/proc/self/status``.

Context rows split the figure: RSS after imports (before connecting), and the growth
from connecting + sessions + notes.
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
    ChildClient,
    NoteCounter,
    Place,
    add_guild,
    note_texts,
    print_rows,
    sandbox,
    start_session,
)

if TYPE_CHECKING:
    from bot.sandbox import DiscordSandbox

GUILDS = 10
PARTICIPANTS = 20
FULL = (100, 100)  # sessions, notes per session
QUICK = (20, 50)
TARGET = 1.5


def build(sb: DiscordSandbox, sessions: int) -> list[tuple[Place, int]]:
    """Guilds with ``sessions`` channels in all; the same people in every guild."""
    people = [sb.add_user(f"deelnemer{i}").id for i in range(PARTICIPANTS + 1)]
    guilds = min(GUILDS, sessions)
    per_guild = -(-sessions // guilds)
    slots: list[tuple[Place, int]] = []
    for g in range(guilds):
        place = add_guild(
            sb, name=f"Bibliotheek {g}", channels=per_guild, members=PARTICIPANTS, users=people
        )
        slots += [(place, channel) for channel in place.channels]
    return slots[:sessions]


async def quiet(sb: DiscordSandbox, seconds: float = 1.0, limit: float = 20.0) -> None:
    """Until no REST call arrived for ``seconds`` (acknowledgement tallies, edits...)."""
    deadline = time.monotonic() + limit
    seen = len(sb.calls)
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if len(sb.calls) != seen:
            seen = len(sb.calls)
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= seconds:
            return


async def measure(
    kind: str,
    sessions: int,
    notes: int,
    folder: Path,
    snapshots: Path | None = None,
    *,
    burst: bool = False,
) -> dict[str, float]:
    """RSS (KiB) of one client in a child process: after imports, connected, loaded."""
    db_path = folder / f"memory-{kind}.sqlite3"
    texts = note_texts()
    async with sandbox() as sb:
        slots = build(sb, sessions)
        child = await ChildClient.start(sb, kind, db_path if kind == "bot" else None)
        try:
            connected = await child.rss_kib()
            if snapshots is not None:
                await child.snapshot(snapshots / f"{kind}-connected.snap")
            threads: list[tuple[Place, int]] = []
            for place, channel in slots:
                if kind == "bot":
                    thread = await start_session(sb, place, channel)
                else:
                    thread = sb.add_thread(channel, "Sessie", owner_id=place.facilitator).id
                threads.append((place, thread))
            started = time.monotonic()
            counter = NoteCounter(db_path) if kind == "bot" else None
            try:
                for i in range(notes):
                    for place, thread in threads:
                        author = place.members[i % len(place.members)]
                        await sb.user_message(thread, author, texts[i % len(texts)])
                    if not burst or i == notes - 1:
                        # One message per thread, then wait until the client has it all:
                        # live sessions fill up over time, not in one burst.
                        done = (i + 1) * len(threads)
                        if counter is not None:
                            await counter.wait_for(done, timeout=60 + done / 50, every=0.005)
                        else:
                            await child.wait_messages(done, timeout=60 + done / 50)
            finally:
                if counter is not None:
                    counter.close()
            loaded_in = time.monotonic() - started
            await quiet(sb)
            loaded = await child.rss_kib()
            if snapshots is not None:
                await child.snapshot(snapshots / f"{kind}-loaded.snap")
        finally:
            await child.stop()
    return {
        "boot": child.boot_rss_kib,
        "connected": connected,
        "loaded": loaded,
        "seconds": loaded_in,
    }


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


async def run(
    quick: bool = False, snapshots: Path | None = None, *, burst: bool = False
) -> list[Row]:
    """Bot vs bare RSS with live sessions (target ≤ 1.5×)."""
    sessions, notes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as folder:
        bot = await measure("bot", sessions, notes, Path(folder), snapshots, burst=burst)
        bare = await measure("bare", sessions, notes, Path(folder), snapshots, burst=burst)
    ratio = bot["loaded"] / bare["loaded"]
    name = "memory"
    load = f"{sessions} sessions × {notes} notes"
    return [
        Row(name, f"bot RSS, {load}", _mib(bot["loaded"])),
        Row(name, "bare client RSS, same guilds + messages", _mib(bare["loaded"])),
        Row(name, "ratio bot/bare", f"{ratio:.2f}×", f"≤ {TARGET}×", ratio <= TARGET),
        Row(name, "bot RSS after imports (not connected)", _mib(bot["boot"])),
        Row(name, "bare RSS after imports (not connected)", _mib(bare["boot"])),
        Row(name, "bot growth: connect + sessions + notes", _mib(bot["loaded"] - bot["boot"])),
        Row(name, "bare growth: connect + threads + messages", _mib(bare["loaded"] - bare["boot"])),
        Row(name, "bot growth from sessions + notes", _mib(bot["loaded"] - bot["connected"])),
        Row(name, "bare growth from threads + messages", _mib(bare["loaded"] - bare["connected"])),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--snapshots",
        type=Path,
        help="write tracemalloc snapshots and module lists of each child here (set"
        " PYTHONTRACEMALLOC=25 for the snapshots; RSS then includes tracemalloc's own)",
    )
    parser.add_argument(
        "--burst", action="store_true", help="post all notes at once instead of in rounds"
    )
    args = parser.parse_args()
    if args.snapshots:
        args.snapshots.mkdir(parents=True, exist_ok=True)
    print_rows(asyncio.run(run(args.quick, args.snapshots, burst=args.burst)))


if __name__ == "__main__":
    main()
