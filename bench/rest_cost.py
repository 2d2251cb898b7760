"""REST cost of a busy workshop: what the bot asks of Discord while 50 people write.

Run: ``.venv/bin/python -m bench.rest_cost`` (``--quick``: 100 notes over 6 s instead of
500 over 60 s). Prints a table; ``run()`` returns the rows.

The real bot (``CocreateBot``, lexical themes, a SQLite file in a temporary folder) runs
against the sandbox with Discord's rate limits switched on (the default, realistic
table: reactions 1 per 0.25 s per channel, messages 5 per 5 s per channel, 50 requests
a second in all). A facilitator runs ``/session start``; once the bot has finished with
that, 50 participants post notes in the session thread, spread evenly over the period;
then the bench waits until the bot has made no REST call for ``idle`` seconds.

Measured from the first note on (the session start is not counted):

* REST calls the bot made per note — every request the sandbox received, 429s included;
* 429 responses the sandbox answered (bucket or global);
* notes committed to the database (read from the file after the bot has closed);
* notes acknowledged, by any means: a reaction on the note's message, a reply to it, or
  a bot message posted or edited in the thread after the note (a tally of "N notes
  stored" counts for every note before it). Only successful calls count.

The bench does not know how the bot acknowledges notes; it measures what it does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Row
from bot.app import CocreateBot
from bot.endpoints import reset_discord_endpoints
from bot.sandbox import DiscordSandbox, RecordedCall
from bot.settings import DiscordSettings, Settings, StorageSettings, ThemesSettings
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore

BENCH = "rest_cost"
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "library_notes.toml"
TOPIC = "Hoe wordt de bibliotheek een plek voor iedereen?"
PARTICIPANTS = 50
MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
REACTION = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
IDLE = 6.0
"""Seconds without a REST call that count as "the bot is done". A little over 3 s: a bot
that debounces acknowledgements (5 s today) must not be cut off before its last one."""
MAX_DRAIN = 600.0


@dataclass
class Posted:
    """One injected note: its message id and when it was sent (``time.monotonic()``)."""

    message_id: int
    at: float


@dataclass
class Outcome:
    """Raw figures of one run (rows are built from these)."""

    notes: int
    seconds: float
    calls: list[RecordedCall]
    stored: int
    acked_by: dict[int, str] = field(default_factory=dict)
    ack_delays: list[float] = field(default_factory=list)
    limited: Counter[str] = field(default_factory=Counter)
    too_many: int = 0
    drain: float = 0.0


def note_texts() -> list[str]:
    return [str(note["text"]) for note in tomllib.loads(FIXTURE.read_text("utf-8"))["note"]]


async def wait_idle(sb: DiscordSandbox, idle: float, limit: float = MAX_DRAIN) -> None:
    """Until no REST call arrived for ``idle`` seconds (or ``limit`` seconds passed)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        last = sb.calls[-1].at if sb.calls else 0.0
        quiet = time.monotonic() - last
        if quiet >= idle:
            return
        await asyncio.sleep(min(0.2, idle - quiet + 0.01))


def acknowledgements(
    posted: list[Posted], calls: list[RecordedCall], thread_id: int
) -> tuple[dict[int, str], dict[int, float]]:
    """For each acknowledged note: how (first means) and when (``at`` of the call)."""
    how: dict[int, str] = {}
    when: dict[int, float] = {}
    ids = {p.message_id for p in posted}

    def ack(message_id: int, kind: str, at: float) -> None:
        if message_id in ids and message_id not in when:
            how[message_id] = kind
            when[message_id] = at

    for call in calls:
        if not 200 <= call.status < 300:
            continue
        if call.method == "PUT" and call.route == REACTION:
            ack(int(call.params["message_id"]), "reaction", call.at)
            continue
        body: dict[str, Any] = call.json if isinstance(call.json, dict) else {}
        reference = body.get("message_reference") or {}
        if call.method == "POST" and call.route == MESSAGES and reference.get("message_id"):
            ack(int(reference["message_id"]), "reply", call.at)
            continue
        in_thread = call.params.get("channel_id") == str(thread_id)
        if in_thread and (
            (call.method == "POST" and call.route == MESSAGES)
            or (call.method == "PATCH" and call.route == MESSAGE)
        ):
            for note in posted:
                if note.at <= call.at:
                    ack(note.message_id, "thread message", call.at)
    return how, when


async def stored_notes(db_path: Path, message_ids: set[int]) -> int:
    """Notes in the database (a fresh connection, after the bot closed) for these messages."""
    db = await connect(db_path)
    try:
        store = SqliteStore(db)
        found = 0
        session_ids = {s.id for s in await store.active_sessions()} | {1}
        for session_id in session_ids:
            found += sum(1 for n in await store.notes(session_id) if n.message_id in message_ids)
        return found
    finally:
        await db.close()


async def workshop(notes: int, seconds: float, idle: float) -> Outcome:
    """Run the scenario once and collect the raw figures."""
    texts = note_texts()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "cocreate.sqlite3"
        sb = DiscordSandbox()
        sb.rate_limits = True  # the default table models Discord
        await sb.start()
        bot: CocreateBot | None = None
        task: asyncio.Task[None] | None = None
        try:
            guild = sb.add_guild("Bibliotheek Noord", locale="nl")
            role = sb.add_role(guild.id, "Facilitator")
            channel = sb.add_text_channel(guild.id, "co-creatie")
            facilitator = sb.add_member(guild.id, "marieke", roles=[role.id])
            people = [
                sb.add_member(guild.id, f"deelnemer{n:02}", global_name=f"Deelnemer {n}").id
                for n in range(1, PARTICIPANTS + 1)
            ]
            settings = Settings(
                storage=StorageSettings(path=db_path),
                themes=ThemesSettings(embedder="lexical"),
                discord=DiscordSettings(api_base_url=sb.api_base_url, gateway_url=sb.gateway_url),
            )
            bot = CocreateBot(settings, sync_commands=True, guild_ready_timeout=0.05)
            await bot.login(sb.token)
            task = asyncio.create_task(bot.connect(reconnect=True))
            await asyncio.wait_for(bot.caught_up.wait(), 30)

            handle = await sb.slash_command(
                guild.id,
                channel.id,
                facilitator.id,
                "session",
                subcommand="start",
                options={"topic": TOPIC},
                locale="nl",
            )
            await handle.response(timeout=30)
            await wait_idle(sb, 1.0, limit=60)
            threads = [t for t in sb.threads if str(t["parent_id"]) == str(channel.id)]
            if len(threads) != 1:
                raise RuntimeError(f"/session start made {len(threads)} threads")
            thread_id = int(threads[0]["id"])

            mark = len(sb.calls)
            sb.reset_stats()
            loop = asyncio.get_running_loop()
            interval = seconds / notes
            started = loop.time()
            posted: list[Posted] = []
            for number in range(notes):
                await asyncio.sleep(max(0.0, started + number * interval - loop.time()))
                text = texts[number % len(texts)]
                if number >= len(texts):
                    text = f"{text} ({number // len(texts) + 1})"
                at = time.monotonic()
                message = await sb.user_message(thread_id, people[number % len(people)], text)
                posted.append(Posted(int(message["id"]), at))
            last_note = time.monotonic()
            await wait_idle(sb, idle)
            calls = list(sb.calls[mark:])
            stats = sb.stats
        finally:
            if bot is not None:
                await asyncio.wait_for(bot.close(), 30)
            if task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 30)
            await sb.stop()
            reset_discord_endpoints()
        how, when = acknowledgements(posted, calls, thread_id)
        delays = [when[p.message_id] - p.at for p in posted if p.message_id in when]
        return Outcome(
            notes=notes,
            seconds=seconds,
            calls=calls,
            stored=await stored_notes(db_path, {p.message_id for p in posted}),
            acked_by=dict(how),
            ack_delays=delays,
            limited=Counter(stats.limited),
            too_many=stats.too_many_requests,
            drain=max((c.at for c in calls), default=last_note) - last_note,
        )


def rows_from(out: Outcome) -> list[Row]:
    """The table rows: the three targets first, then context."""
    per_note = len(out.calls) / out.notes
    kinds = Counter(out.acked_by.values())
    by_route = Counter(f"{c.method} {c.route}" for c in out.calls)
    statuses = Counter(c.status for c in out.calls)
    limited = ", ".join(f"{name} {n}" for name, n in out.limited.most_common()) or "none"
    delays = sorted(out.ack_delays)
    if delays:
        p95 = delays[min(len(delays) - 1, int(0.95 * len(delays)))]
        delay_text = (
            f"median {statistics.median(delays):.2f} s, p95 {p95:.2f} s, max {delays[-1]:.2f} s"
        )
    else:
        delay_text = "no acknowledgements"
    how = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()) or "none"
    routes = "; ".join(f"{route} ×{n}" for route, n in by_route.most_common(5))
    return [
        Row(BENCH, "REST calls per note", f"{per_note:.2f}", "≤ 1.0", per_note <= 1.0),
        Row(BENCH, "429 responses", f"{out.too_many} ({limited})", "0", out.too_many == 0),
        Row(
            BENCH,
            "notes stored",
            f"{out.stored}/{out.notes}",
            f"{out.notes}/{out.notes}",
            out.stored == out.notes,
        ),
        Row(BENCH, "notes acknowledged", f"{len(out.acked_by)}/{out.notes} ({how})"),
        Row(BENCH, "acknowledgement delay", delay_text),
        Row(
            BENCH,
            "REST calls",
            f"{len(out.calls)} for {out.notes} notes in {out.seconds:.0f} s "
            f"(statuses {dict(sorted(statuses.items()))}); {routes}",
        ),
        Row(BENCH, "bot still calling after the last note", f"{out.drain:.1f} s"),
    ]


async def run(quick: bool = False, *, idle: float = IDLE) -> list[Row]:
    """500 notes over 60 s (``quick``: 100 over 6 s) against realistic rate limits."""
    notes, seconds = (100, 6.0) if quick else (500, 60.0)
    return rows_from(await workshop(notes, seconds, idle))


def table(rows: list[Row]) -> str:
    lines = ["| metric | value | target | met |", "|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        lines.append(f"| {row.metric} | {row.value} | {row.target} | {met} |")
    return "\n".join(lines)


def main() -> None:
    """Run the bench and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 notes over 6 s")
    parser.add_argument("--idle", type=float, default=IDLE, help="quiet seconds = done")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # discord.py logs every 429 it waits out; they are counted in the table instead.
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    started = time.monotonic()
    rows = asyncio.run(run(args.quick, idle=args.idle))
    print(f"# REST cost of a busy workshop ({time.monotonic() - started:.0f} s)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
