"""Announcements owed by a committed transition survive a crash and are re-sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.events import (
    ReminderDue,
    SessionEnded,
    SessionPaused,
    SessionResumed,
    StepEnded,
    StepExtended,
    StepStarted,
    VotingOpened,
    decode_events,
    encode_events,
)
from bot.facilitation import Facilitation, SessionDefaults
from bot.ports import Store
from bot.template_files import load_templates
from tests.fakes import FakeClock, ManualTimers, RecordingAnnouncer

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_every_event_survives_encoding() -> None:
    events = [
        StepStarted(1, AT, again=True),
        StepEnded(0),
        SessionPaused(timedelta(minutes=3)),
        SessionResumed(AT),
        StepExtended(timedelta(minutes=5), AT, None),
        StepExtended(timedelta(minutes=5), None, timedelta(minutes=9)),
        ReminderDue(2, AT),
        VotingOpened(1, AT),
        SessionEnded(AT),
    ]
    assert decode_events(encode_events(events)) == events


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even except-Exception blocks."""


class DyingAnnouncer(RecordingAnnouncer):
    """Dies while posting the step summary, after the transition was committed."""

    async def step_summary(self, session, summary):  # type: ignore[no-untyped-def]
        raise Killed


def _facilitation(store: Store, announcer: RecordingAnnouncer, clock: FakeClock) -> Facilitation:
    return Facilitation(
        store=store,
        timers=ManualTimers(),
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(reminder_before=timedelta(minutes=2), retention_days=30),
    )


async def test_a_crash_after_the_commit_is_made_good_at_start_up(store: Store) -> None:
    clock = FakeClock()
    before = _facilitation(store, DyingAnnouncer(), clock)
    session = await before.start_session(
        guild_id=1,
        channel_id=2,
        facilitator_id=3,
        topic="Onderwerp",
        locale="nl",
        template_key="classic",
    )
    clock.advance(timedelta(minutes=15))
    with pytest.raises(Killed):
        await before.step_due(session.id, 0)
    moved = await store.get_session(session.id)
    assert moved is not None
    assert moved.step_index == 1  # committed, but the thread never heard of it

    # The restarted bot owes the thread the empathise summary and define's prompt.
    announcer = RecordingAnnouncer()
    after = _facilitation(store, announcer, clock)
    await after.rearm_session(moved)
    names = announcer.names()
    assert names.index("step_summary") < names.index("step_started")
    assert announcer.of("step_summary")[0].args["summary"].step_index == 0
    assert await store.owed_announcements(session.id) == []
    # A second start-up owes nothing more.
    announcer.clear()
    await after.rearm_session(moved)
    assert "step_summary" not in announcer.names()


async def test_nothing_is_owed_after_a_clean_transition(store: Store) -> None:
    clock = FakeClock()
    facilitation = _facilitation(store, RecordingAnnouncer(), clock)
    session = await facilitation.start_session(
        guild_id=1,
        channel_id=2,
        facilitator_id=3,
        topic="Onderwerp",
        locale="nl",
        template_key="classic",
    )
    await facilitation.next_step(session.id)
    await facilitation.pause(session.id)
    assert await store.owed_announcements(session.id) == []


class DiesOnPrompt(RecordingAnnouncer):
    """Posts the step summary, then dies while posting the next step's prompt."""

    async def step_started(self, session, again):  # type: ignore[no-untyped-def]
        if session.step_index == 1:
            raise Killed
        await super().step_started(session, again)


async def test_only_the_interrupted_announcement_is_repeated(store: Store) -> None:
    clock = FakeClock()
    dying = DiesOnPrompt()
    before = _facilitation(store, dying, clock)
    session = await before.start_session(
        guild_id=1,
        channel_id=2,
        facilitator_id=3,
        topic="Onderwerp",
        locale="nl",
        template_key="classic",
    )
    clock.advance(timedelta(minutes=15))
    with pytest.raises(Killed):
        await before.step_due(session.id, 0)
    assert len(dying.of("step_summary")) == 1  # the summary made it out before the crash

    announcer = RecordingAnnouncer()
    moved = await store.get_session(session.id)
    assert moved is not None
    await _facilitation(store, announcer, clock).rearm_session(moved)
    assert "step_summary" not in announcer.names()  # not posted twice
    assert announcer.of("step_started")  # the prompt that was lost is posted now
