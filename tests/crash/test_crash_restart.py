"""Crash test (issue 6): the real bot in a child process against the sandbox, SIGKILLed at
a random moment during a burst of notes and timer changes, then restarted, round after
round — nothing acknowledged is lost, everything written while it was down is
backfilled, no step is skipped or doubled, no note is stored twice.

The harness is ``bench/crash.py`` (its docstring says what a round does and how each
invariant is checked). CI runs 3 rounds (about 30 s); the full run is
``COCREATE_CRASH_ROUNDS=10 scripts/test tests/crash`` (about 1.5 minutes), or
``python -m bench.crash --rounds 10`` for the table alone. ``COCREATE_CRASH_SEED`` draws
other kill moments. The bot's logs and database stay in pytest's ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.crash import (
    CHILD_ENV,
    IDEAS,
    CrashFigures,
    CrashPlan,
    body_text,
    caught_up,
    crash_test,
    read_sessions,
    rounds_table,
    rows,
    sentence,
    table,
)
from bench.timers import build_world, is_post, launch, start_session
from bot.sandbox import DiscordSandbox, RecordedCall
from tests.crash.conftest import FIGURES

ROUNDS = int(os.environ.get("COCREATE_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("COCREATE_CRASH_SEED", str(CrashPlan.seed)))

# Two bugs this test found (THEMES_WINDOW_BUG, START_WINDOW_BUG, below) are fixed and pinned by
# the two tests below. Were one to come back, True here would let the random rounds
# accept exactly its signature (a duplicate only when each copy came from another
# process; a missing step 1 prompt only when the opening process was killed).
TOLERATE_OUTBOX_RESENDS = False
TOLERATE_START_KILLS = False

pytestmark = pytest.mark.crash


def _publish(
    figures: CrashFigures, config: pytest.Config, record: Callable[[str, object], None]
) -> None:
    """Print the figures, keep them as junit properties and for the terminal summary."""
    found = rows(figures)
    text = f"{table(found)}\n\n{rounds_table(figures)}"
    print(f"\n{text}")
    for problem in figures.problems:
        print(f"- {problem}")
    for row in found:
        record(row.metric, row.value)
    config.stash.setdefault(FIGURES, []).extend(
        [f"{ROUNDS} rounds, seed {SEED}, {figures.seconds:.0f} s:", text]
        + [f"- {p}" for p in figures.problems]
    )


async def test_sigkill_at_random_moments_loses_nothing_and_repeats_nothing(
    tmp_path: Path,
    record_property: Callable[[str, object], None],
    pytestconfig: pytest.Config,
) -> None:
    figures = await crash_test(CrashPlan(rounds=ROUNDS, seed=SEED), tmp_path)
    _publish(figures, pytestconfig, record_property)
    evidence = "\n".join(figures.problems[:30]) + f"\n(bot logs and database in {tmp_path})"

    assert figures.rounds == ROUNDS
    assert figures.sent["message"] and figures.sent["down"], "the burst sent nothing"
    assert sum(figures.acknowledged.values()) > 0, "nothing was acknowledged"
    # (a) what the bot acknowledged is stored
    assert figures.lost == 0, evidence
    # (b) what was written while it was down is backfilled, each restart catching up
    assert figures.backfilled == figures.down_written, evidence
    assert figures.not_caught_up == 0, evidence
    # (c) every step started and summarised exactly once, in order; every session ended
    if TOLERATE_START_KILLS:
        # Only the known gap (pinned below): step 1's prompt of a session whose process
        # was killed during /session start.
        assert figures.steps_skipped == figures.skipped_at_start, evidence
    else:
        assert figures.steps_skipped == 0, evidence
    if TOLERATE_OUTBOX_RESENDS:
        # Only the known re-send (pinned below): each copy from another process.
        assert figures.steps_doubled == figures.resent_steps, evidence
        assert figures.duplicated_posts == figures.resent_posts, evidence
    else:
        assert figures.steps_doubled == 0, evidence
        assert figures.duplicated_posts == 0, evidence
    assert figures.out_of_order == 0, evidence
    assert figures.not_ended == 0, evidence
    # (d) no note twice
    assert figures.duplicate_notes == 0, evidence
    # A message the bot had not handled yet when it was killed is found by the catch-up.
    assert figures.live_unstored == 0, evidence
    # Every note in the table is one that was sent; only unacknowledged ones are missing.
    assert figures.stored == figures.notes_sent - figures.unstored_unasked, evidence


# -- the bugs the crash test found (fixed), pinned by a kill at the moment that hit them --------
# THEMES_WINDOW_BUG: Facilitation._drain ticked a StepStarted off the outbox only after the
# previous step's themes were grouped and posted too (seconds for a process's first
# grouping); a crash in between re-sent the step prompt at start-up. Now the themes follow
# the tick. START_WINDOW_BUG: start_session committed the session without owing its welcome
# and first prompt; a crash right after the commit left the session without them. Now
# create_session commits them to the outbox with the session.


class HoldingSandbox(DiscordSandbox):
    """The sandbox holding back its answer to the first call ``hold`` picks until
    ``release`` is set: the bot waits for it, so a kill lands right after that call."""

    def __init__(self, hold: Callable[[RecordedCall], bool]) -> None:
        super().__init__()
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        original = self.rest.handle

        async def holding(request: Any) -> Any:
            mark = len(self.calls)
            answer = await original(request)
            if not self.held.is_set() and any(hold(c) for c in self.calls[mark:]):
                self.held.set()
                await self.release.wait()
            return answer

        # The route is bound when the server starts: replace it on the instance first.
        setattr(self.rest, "handle", holding)  # noqa: B010


def is_prompt(call: RecordedCall, thread_id: int, number: int) -> bool:
    """The bot's post of step ``number``'s prompt in the thread."""
    match = sentence("session.step.heading").match(body_text(call))
    return (
        is_post(call)
        and call.params.get("channel_id") == str(thread_id)
        and match is not None
        and match.group("number") == str(number)
    )


async def restart_until_caught_up(sb: DiscordSandbox, folder: Path, db_path: Path) -> None:
    """A new process on the same file, until nothing is owed or overdue; then stopped."""
    again = await launch(sb, folder, db_path, "bot-1", sync=False, env=CHILD_ENV)
    try:
        deadline = time.monotonic() + 30
        while not await asyncio.to_thread(caught_up, db_path, set()):
            assert time.monotonic() < deadline, again.log()[-3000:]
            await asyncio.sleep(0.05)
        await again.wait_for_log("connected as")
    finally:
        await again.stop()


async def test_a_kill_while_themes_are_grouped_does_not_post_the_step_prompt_twice(
    tmp_path: Path,
) -> None:
    """SIGKILL once the define step's prompt is out and the grouping of the first step's
    notes into themes has begun (the process's first grouping: its embedder loads for
    about a second)."""
    db_path = tmp_path / "crash.sqlite3"
    async with DiscordSandbox() as sb:
        world = build_world(sb, 1)
        bot = await launch(sb, tmp_path, db_path, "bot-0", sync=True, env=CHILD_ENV)
        try:
            await bot.wait_for_log("connected as")
            thread = await start_session(
                sb, world, world.channels[0], "Themes window", "2s,60s,60s,60s"
            )
            for n, author in enumerate(world.participants):
                await sb.user_message(thread, author, f"Idea {n}: {IDEAS[n]}")
            # The first step ends on its 2 s timer: the define step's prompt goes out,
            # then the first step's notes are grouped.
            await sb.wait_for_call(lambda c: is_prompt(c, thread, 2), timeout=30)
            await bot.wait_for_log("themes: using the lexical embedder")
        finally:
            await bot.kill()
        await restart_until_caught_up(sb, tmp_path, db_path)
        prompts = [call for call in sb.calls if is_prompt(call, thread, 2)]
    assert len(prompts) == 1, f"the define step's prompt was posted {len(prompts)} times"


async def test_a_kill_during_session_start_still_gets_the_first_prompt_posted(
    tmp_path: Path,
) -> None:
    """SIGKILL while the new session's welcome is being posted (the sandbox holds its
    answer): the session is committed, its first prompt not yet out."""
    db_path = tmp_path / "crash.sqlite3"
    sb = HoldingSandbox(
        lambda c: is_post(c) and bool(sentence("session.welcome.intro").match(body_text(c)))
    )
    async with sb:
        world = build_world(sb, 1)
        bot = await launch(sb, tmp_path, db_path, "bot-0", sync=True, env=CHILD_ENV)
        starting: asyncio.Task[int] | None = None
        try:
            await bot.wait_for_log("connected as")
            starting = asyncio.create_task(
                start_session(sb, world, world.channels[0], "Start window", "60s,60s,60s,60s")
            )
            await asyncio.wait_for(sb.held.wait(), 30)
        finally:
            await bot.kill()
            sb.release.set()
            if starting is not None:
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
        sessions = read_sessions(db_path)
        assert len(sessions) == 1, "the session was committed before its welcome"
        thread = sessions[0].thread_id
        await restart_until_caught_up(sb, tmp_path, db_path)
        prompts = [call for call in sb.calls if is_prompt(call, thread, 1)]
    assert len(prompts) == 1, f"step 1's prompt was posted {len(prompts)} times"
