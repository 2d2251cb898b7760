"""Recaps and nudges over simulated days, on a real SQLite file with an injected clock:
17:00 local across the daylight-saving change, quiet days, restarts, downtime, opt-outs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.between_days import BetweenDays, RecapSettings
from bot.domain.board import NoteSource
from bot.domain.deadlines import StepTime
from bot.domain.recap import RecapKind
from bot.domain.session import Session
from bot.facilitation import Facilitation, SessionDefaults
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.template_files import load_templates
from tests.fakes import FakeClock, ManualTimers, RecordingAnnouncer

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Friday 23 October 2026, 10:00 in Amsterdam; the clocks go back in the night to Sunday.
FRIDAY_10 = datetime(2026, 10, 23, 10, 0, tzinfo=AMS).astimezone(UTC)


def at_local(day: int, hour: int, minute: int = 0) -> datetime:
    """A local moment in October 2026 as aware UTC."""
    return datetime(2026, 10, day, hour, minute, tzinfo=AMS).astimezone(UTC)


@dataclass
class World:
    store: SqliteStore
    clock: FakeClock
    timers: ManualTimers
    announcer: RecordingAnnouncer
    between: BetweenDays
    facilitation: Facilitation

    def restart(self, *, digest: bool = False) -> None:
        """A new process: fresh timers and use cases on the same database and clock."""
        self.timers = ManualTimers()
        self.announcer = RecordingAnnouncer()
        self.between, self.facilitation = _wire(
            self.store, self.clock, self.timers, self.announcer, digest
        )

    def recaps(self) -> list[tuple[str, str]]:
        """(kind, local day of the window's end) of every recap posted."""
        return [
            (
                call.args["recap"].kind.value,
                call.args["recap"].until.astimezone(AMS).date().isoformat(),
            )
            for call in self.announcer.of("daily_recap")
        ]

    async def note(self, session: Session, text: str, author: int, at: datetime) -> None:
        self.clock.set(at)
        await self.facilitation.add_note(
            channel_id=session.thread_id,
            author_id=author,
            author_name=f"Deelnemer {author}",
            text=text,
            source=NoteSource.COMMAND,
        )

    async def until(self, moment: datetime) -> None:
        await self.timers.run_until(self.clock, moment)


def _wire(
    store: SqliteStore,
    clock: FakeClock,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    digest: bool,
) -> tuple[BetweenDays, Facilitation]:
    between = BetweenDays(
        store=store,
        announcer=announcer,
        timers=timers,
        clock=clock,
        settings=RecapSettings(zone="Europe/Amsterdam", digest=digest),
        board=lambda session: facilitation.board_summary(session),
    )

    async def nudge_due(session_id: int, step_index: int) -> None:
        await between.nudge_due(session_id, step_index)

    facilitation = Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(
            reminder_before=timedelta(minutes=2), retention_days=90, zone="Europe/Amsterdam"
        ),
        on_nudge_due=nudge_due,
    )
    return between, facilitation


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    connection = await connect(tmp_path / "cocreate.sqlite3")
    store = SqliteStore(connection)
    clock = FakeClock(FRIDAY_10)
    timers = ManualTimers()
    announcer = RecordingAnnouncer()
    between, facilitation = _wire(store, clock, timers, announcer, False)
    try:
        yield World(store, clock, timers, announcer, between, facilitation)
    finally:
        await connection.close()


async def start_async(world: World, days: int = 3) -> Session:
    return await world.facilitation.start_session(
        guild_id=1,
        channel_id=10,
        facilitator_id=42,
        topic="De bieb tussen de dagen door",
        locale="nl",
        template_key="classic",
        times=[StepTime(duration=days * DAY)] * 4,
    )


async def test_recaps_come_at_five_local_skip_quiet_days_and_cross_daylight_saving(
    world: World,
) -> None:
    session = await start_async(world)
    await world.between.arm()
    assert world.timers.jobs["daily:recap:1:2026-10-23"].at == at_local(23, 17)
    await world.note(session, "Meer zitplekken bij de leestafel", 7, at_local(23, 12))
    await world.note(session, "Een hoek voor huiswerkhulp", 8, at_local(23, 15))
    await world.until(at_local(23, 18))
    assert world.recaps() == [("recap", "2026-10-23")]
    recap = world.announcer.of("daily_recap")[0].args["recap"]
    assert [n.text for n in recap.new_notes] == [
        "Meer zitplekken bij de leestafel",
        "Een hoek voor huiswerkhulp",
    ]
    assert recap.newcomers == ("Deelnemer 7", "Deelnemer 8")
    assert world.announcer.of("daily_recap")[0].args["board"] is not None

    # Saturday is quiet: nothing. Sunday (after the clocks went back) has a note.
    await world.until(at_local(25, 10))
    await world.note(session, "Voorleesuur op zondag", 9, at_local(25, 10))
    await world.until(at_local(25, 18))
    assert world.recaps() == [("recap", "2026-10-23"), ("recap", "2026-10-25")]
    sunday = world.announcer.of("daily_recap")[1].args["recap"]
    assert sunday.until == at_local(25, 17)
    # Since the last recap: the quiet Saturday posted none, and the clocks went back.
    assert sunday.since == at_local(23, 17)
    assert sunday.until - sunday.since == 49 * HOUR
    assert [n.text for n in sunday.new_notes] == ["Voorleesuur op zondag"]


async def test_a_restart_at_1659_still_recaps_at_five_once(world: World) -> None:
    session = await start_async(world)
    await world.between.arm()
    await world.note(session, "Een ruilkast voor boeken", 7, at_local(23, 12))
    world.clock.set(at_local(23, 16, 59))
    world.restart()
    await world.between.arm()
    assert await world.between.catch_up() == 0  # 17:00 has not come yet
    await world.until(at_local(23, 17, 30))
    assert world.recaps() == [("recap", "2026-10-23")]
    world.restart()  # and again just after: catch-up finds the day done
    await world.between.arm()
    assert await world.between.catch_up() == 0
    assert world.recaps() == []


async def test_a_recap_missed_while_down_is_posted_once_at_start_up(world: World) -> None:
    session = await start_async(world)
    await world.note(session, "Samen lezen in de wijk", 7, at_local(23, 12))
    world.clock.set(at_local(23, 19))  # down from noon to 19:00
    world.restart()
    await world.between.arm()
    assert await world.between.catch_up() == 1
    assert world.recaps() == [("recap", "2026-10-23")]
    assert await world.between.catch_up() == 0


async def test_a_recap_that_failed_to_post_is_sent_at_the_next_start(world: World) -> None:
    session = await start_async(world)
    await world.note(session, "Een leesclub voor jongeren", 7, at_local(23, 12))
    world.clock.set(at_local(23, 17))
    world.announcer.fail_on.add("daily_recap")
    assert await world.between.run(RecapKind.RECAP, at_local(23, 17)) == 0  # logged
    assert await world.between.run(RecapKind.RECAP, at_local(23, 17)) == 0  # claimed
    world.restart()
    assert await world.between.catch_up() == 1
    assert world.recaps() == [("recap", "2026-10-23")]


async def test_the_morning_digest_covers_the_night_when_switched_on(world: World) -> None:
    world.restart(digest=True)
    session = await start_async(world)
    await world.between.arm()
    await world.note(session, "Een boekenbus", 7, at_local(23, 12))
    await world.until(at_local(23, 18))
    await world.note(session, "Laat open op donderdag", 8, at_local(23, 22))
    await world.until(at_local(24, 9, 30))
    assert world.recaps() == [("recap", "2026-10-23"), ("digest", "2026-10-24")]
    digest = world.announcer.of("daily_recap")[1].args["recap"]
    assert [n.text for n in digest.new_notes] == ["Laat open op donderdag"]


async def test_live_sessions_get_no_daily_recap(world: World) -> None:
    session = await world.facilitation.start_session(
        guild_id=1,
        channel_id=11,
        facilitator_id=42,
        topic="Workshop",
        locale="nl",
        template_key="classic",
        durations=[timedelta(minutes=15)] * 4,
    )
    await world.note(session, "Snel idee", 7, at_local(23, 10, 5))
    assert await world.between.run(RecapKind.RECAP, at_local(23, 17)) == 0


async def test_nudges_go_once_to_quiet_participants_who_did_not_opt_out(world: World) -> None:
    session = await start_async(world, days=2)
    for author in (7, 8, 9):
        await world.note(session, f"Eerste idee van {author}", author, at_local(23, 11))
    await world.between.set_nudges_for_user(9, False)
    moved = await world.facilitation.next_step(session.id, 0)
    await world.note(moved, "Nog een idee in stap twee", 7, world.clock.now() + HOUR)
    job = world.timers.jobs[f"session:{session.id}:nudge:1"]
    assert moved.due_at is not None
    assert job.at == moved.step_started_at + (moved.due_at - moved.step_started_at) / 2
    await world.until(job.at + HOUR)
    assert [c.args["user_id"] for c in world.announcer.of("nudge")] == [8]
    # A restart after half-time tries again: the claim keeps it to one.
    world.restart()
    await world.facilitation.rearm()
    assert world.announcer.of("nudge") == []
    # Turned off for the session: the next step arms none.
    await world.facilitation.set_nudges(session.id, False)
    assert not any(key.endswith(":nudge:1") for key in world.timers.jobs)


async def test_each_server_recaps_at_its_own_time_and_zone(world: World) -> None:
    plans = {
        1: RecapSettings(zone="Europe/Amsterdam", at=time(17, 0)),
        2: RecapSettings(zone="Europe/London", at=time(20, 0)),
    }

    async def plan_for(guild_id: int) -> RecapSettings:
        return plans[guild_id]

    world.between = BetweenDays(
        store=world.store,
        announcer=world.announcer,
        timers=world.timers,
        clock=world.clock,
        settings=RecapSettings(),
        board=world.facilitation.board_summary,
        plan_for=plan_for,
    )
    amsterdam = await start_async(world)
    london = await world.facilitation.start_session(
        guild_id=2,
        channel_id=20,
        facilitator_id=43,
        topic="The library between workshop days",
        locale="en",
        template_key="classic",
        times=[StepTime(duration=3 * DAY)] * 4,
        zone="Europe/London",
    )
    await world.between.arm()
    await world.note(amsterdam, "Een ruilkast", 7, at_local(23, 12))
    await world.note(london, "A swap shelf", 8, at_local(23, 12))
    await world.until(at_local(23, 18))
    assert [c.session.guild_id for c in world.announcer.of("daily_recap")] == [1]
    # 20:00 in London is 21:00 in Amsterdam.
    await world.until(at_local(23, 21, 30))
    assert [c.session.guild_id for c in world.announcer.of("daily_recap")] == [1, 2]

    # London moves its recap to 09:00: the next one follows without a restart, and the
    # 20:00 job already armed posts nothing.
    plans[2] = RecapSettings(zone="Europe/London", at=time(9, 0))
    await world.between.arm_guild(2)
    await world.note(london, "Open on Sundays", 8, at_local(23, 23))
    await world.until(at_local(24, 21, 30))
    london_recaps = [c for c in world.announcer.of("daily_recap") if c.session.guild_id == 2]
    assert [c.args["recap"].until for c in london_recaps][-1] == datetime(
        2026, 10, 24, 9, 0, tzinfo=ZoneInfo("Europe/London")
    )
    assert len(london_recaps) == 2
