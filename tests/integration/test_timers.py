"""SchedulerTimers on a real AsyncIOScheduler, driven by a fake clock.

Nothing here waits for wall-clock time to pass: deadlines are minutes away on the fake
clock, and moving the clock plus ``clock_moved()`` makes them due at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.session import Session, SessionStatus
from bot.facilitation import Facilitation, SessionDefaults
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.template_files import load_templates
from bot.timers import SchedulerTimers
from tests.fakes import FakeClock, RecordingAnnouncer

MIN = timedelta(minutes=1)
PROMPTLY = 2.0  # seconds: how long a due job may take to run
QUIET = 0.3  # seconds: how long to watch that nothing fires


class Recorder:
    """Due handlers that record calls and let a test await the next one."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, int]] = []
        self.reminders: list[tuple[int, int]] = []
        self.changed = asyncio.Event()
        self.fail_for: set[int] = set()

    async def on_step(self, session_id: int, step_index: int) -> None:
        self.steps.append((session_id, step_index))
        self.changed.set()
        if session_id in self.fail_for:
            raise RuntimeError(f"handler failed for {session_id}")

    async def on_reminder(self, session_id: int, step_index: int) -> None:
        self.reminders.append((session_id, step_index))
        self.changed.set()

    async def wait_for(self, count: int, kind: str = "steps") -> None:
        async def reached() -> None:
            while len(getattr(self, kind)) < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(reached(), timeout=PROMPTLY)


class SignallingAnnouncer(RecordingAnnouncer):
    """A RecordingAnnouncer a test can await: ``said(name)`` returns once it was called."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def _record(self, name: str, session: Session | None, **args: Any) -> None:
        super()._record(name, session, **args)
        self._changed.set()

    async def said(self, name: str) -> None:
        while name not in self.names():
            self._changed.clear()
            await self._changed.wait()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    made = AsyncIOScheduler(timezone=UTC)
    yield made
    if made.running:
        made.shutdown(wait=False)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def timers(
    clock: FakeClock, scheduler: AsyncIOScheduler, recorder: Recorder
) -> AsyncIterator[SchedulerTimers]:
    made = SchedulerTimers(clock, scheduler)
    made.bind(recorder.on_step, recorder.on_reminder)
    made.start()
    yield made
    made.shutdown()


async def settle() -> None:
    await asyncio.sleep(QUIET)


async def test_a_future_deadline_does_not_fire_until_the_clock_gets_there(
    timers: SchedulerTimers, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(1, 0, clock.now() + 10 * MIN)
    await settle()
    assert recorder.steps == []
    clock.advance(9 * MIN)
    timers.clock_moved()
    await settle()
    assert recorder.steps == []
    clock.advance(MIN)
    timers.clock_moved()
    await recorder.wait_for(1)
    assert recorder.steps == [(1, 0)]
    assert timers.pending() == {}


async def test_an_overdue_deadline_fires_at_once(
    timers: SchedulerTimers, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(2, 3, clock.now() - 5 * MIN)
    await recorder.wait_for(1)
    assert recorder.steps == [(2, 3)]


async def test_a_reminder_goes_to_the_reminder_handler(
    timers: SchedulerTimers, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_reminder(4, 1, clock.now() + 8 * MIN)
    timers.arm_step(4, 1, clock.now() + 10 * MIN)
    clock.advance(8 * MIN)
    timers.clock_moved()
    await recorder.wait_for(1, "reminders")
    assert recorder.reminders == [(4, 1)]
    assert recorder.steps == []
    clock.advance(2 * MIN)
    timers.clock_moved()
    await recorder.wait_for(1)
    assert recorder.steps == [(4, 1)]


async def test_disarm_cancels_every_job_of_a_session(
    timers: SchedulerTimers, scheduler: AsyncIOScheduler, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(1, 0, clock.now() + 10 * MIN)
    timers.arm_reminder(1, 0, clock.now() + 8 * MIN)
    timers.arm_step(2, 0, clock.now() + 10 * MIN)
    timers.disarm(1)
    assert set(timers.pending()) == {"session:2:step:0"}
    assert {job.id for job in scheduler.get_jobs()} == {"session:2:step:0"}
    clock.advance(20 * MIN)
    timers.clock_moved()
    await recorder.wait_for(1)
    await settle()
    assert recorder.steps == [(2, 0)]
    assert recorder.reminders == []


async def test_disarm_before_an_overdue_job_runs_cancels_it(
    timers: SchedulerTimers, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(1, 0, clock.now() - MIN)
    timers.disarm(1)  # before the loop got a chance to run the job
    await settle()
    assert recorder.steps == []


async def test_disarm_of_a_session_leaves_a_longer_id_alone(
    timers: SchedulerTimers, clock: FakeClock
) -> None:
    timers.arm_step(1, 0, clock.now() + MIN)
    timers.arm_step(11, 0, clock.now() + MIN)
    timers.disarm(1)
    assert set(timers.pending()) == {"session:11:step:0"}


async def test_arming_the_same_step_again_replaces_it(
    timers: SchedulerTimers, scheduler: AsyncIOScheduler, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(1, 0, clock.now() + 10 * MIN)
    timers.arm_step(1, 0, clock.now() + 20 * MIN)
    assert [job.id for job in scheduler.get_jobs()] == ["session:1:step:0"]
    assert timers.pending() == {"session:1:step:0": clock.now() + 20 * MIN}
    clock.advance(15 * MIN)
    timers.clock_moved()
    await settle()
    assert recorder.steps == []
    clock.advance(5 * MIN)
    timers.clock_moved()
    await recorder.wait_for(1)
    await settle()
    assert recorder.steps == [(1, 0)]


async def test_arming_an_overdue_step_twice_fires_once(
    timers: SchedulerTimers, clock: FakeClock, recorder: Recorder
) -> None:
    timers.arm_step(1, 0, clock.now() - MIN)
    timers.arm_step(1, 0, clock.now() - MIN)
    await recorder.wait_for(1)
    await settle()
    assert recorder.steps == [(1, 0)]


async def test_job_ids_follow_the_documented_pattern(
    timers: SchedulerTimers, scheduler: AsyncIOScheduler, clock: FakeClock
) -> None:
    timers.arm_step(12, 3, clock.now() + 10 * MIN)
    timers.arm_reminder(12, 3, clock.now() + 8 * MIN)
    assert {job.id for job in scheduler.get_jobs()} == {
        "session:12:step:3",
        "session:12:reminder:3",
    }
    assert timers.pending() == {
        "session:12:step:3": clock.now() + 10 * MIN,
        "session:12:reminder:3": clock.now() + 8 * MIN,
    }


async def test_a_failing_handler_does_not_stop_the_scheduler(
    timers: SchedulerTimers,
    scheduler: AsyncIOScheduler,
    clock: FakeClock,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder.fail_for = {1}
    with caplog.at_level(logging.ERROR):
        timers.arm_step(1, 0, clock.now() - MIN)
        await recorder.wait_for(1)
        await settle()
    assert scheduler.running
    assert any("handler failed for 1" in str(r.exc_info) for r in caplog.records if r.exc_info)
    timers.arm_step(2, 0, clock.now() + MIN)
    clock.advance(MIN)
    timers.clock_moved()
    await recorder.wait_for(2)
    assert recorder.steps == [(1, 0), (2, 0)]


async def test_jobs_armed_before_start_and_bind_reach_the_bound_handler(
    clock: FakeClock, scheduler: AsyncIOScheduler, recorder: Recorder
) -> None:
    timers = SchedulerTimers(clock, scheduler)
    timers.arm_step(3, 1, clock.now() - MIN)  # e.g. re-armed before the client is ready
    timers.bind(recorder.on_step, recorder.on_reminder)
    timers.start()
    try:
        await recorder.wait_for(1)
        assert recorder.steps == [(3, 1)]
    finally:
        timers.shutdown()
    await asyncio.sleep(0.05)  # AsyncIOScheduler stops from inside the loop
    assert not scheduler.running


async def test_start_and_shutdown_twice_are_harmless(
    clock: FakeClock, scheduler: AsyncIOScheduler
) -> None:
    timers = SchedulerTimers(clock, scheduler)
    timers.start()
    timers.start()
    assert scheduler.running
    timers.shutdown()
    await asyncio.sleep(0.05)  # AsyncIOScheduler stops from inside the loop
    assert not scheduler.running
    timers.shutdown()  # already stopped: nothing to do


# -- with the use cases ---------------------------------------------------------------------------


async def test_a_session_moves_on_when_the_fake_clock_passes_its_deadline(
    tmp_path: Path, clock: FakeClock, scheduler: AsyncIOScheduler
) -> None:
    connection = await connect(tmp_path / "cocreate.sqlite3")
    store = SqliteStore(connection)
    timers = SchedulerTimers(clock, scheduler)
    announcer = SignallingAnnouncer()
    facilitation = Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(reminder_before=2 * MIN, retention_days=30),
    )
    timers.start()
    try:
        session = await facilitation.start_session(
            guild_id=1,
            channel_id=10,
            facilitator_id=2,
            topic="t",
            locale="en",
            template_key="classic",
        )
        assert set(timers.pending()) == {
            f"session:{session.id}:step:0",
            f"session:{session.id}:reminder:0",
        }

        announcer.clear()  # from here on, only what the timers caused

        async def until(name: str) -> None:
            await asyncio.wait_for(announcer.said(name), timeout=PROMPTLY)

        clock.advance(13 * MIN)
        timers.clock_moved()
        await until("reminder")
        clock.advance(2 * MIN)
        timers.clock_moved()
        await until("step_summary")
        await until("step_started")  # the second one follows the summary
        loaded = await store.get_session(session.id)
        assert loaded is not None
        assert loaded.step_index == 1
        assert loaded.status is SessionStatus.RUNNING
        assert timers.pending()[f"session:{session.id}:step:1"] == clock.now() + 10 * MIN
    finally:
        timers.shutdown()
        await connection.close()


async def test_the_system_clock_fires_a_deadline_a_moment_away() -> None:
    # The production pairing: SystemClock and wall time agree, nothing to translate.
    from bot.clock import SystemClock

    clock = SystemClock()
    recorder = Recorder()
    timers = SchedulerTimers(clock, AsyncIOScheduler(timezone=UTC))
    timers.bind(recorder.on_step, recorder.on_reminder)
    timers.start()
    try:
        timers.arm_step(7, 0, clock.now() + timedelta(milliseconds=300))
        assert recorder.steps == []
        await recorder.wait_for(1)
        assert recorder.steps == [(7, 0)]
        assert timers.pending() == {}
    finally:
        timers.shutdown()
