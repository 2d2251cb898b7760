"""Steps that last hours or days: deadlines, wall-clock days, several reminders, nudges,
and the recap moments, across the daylight-saving changes of Europe/Amsterdam."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.board import Note, NoteKind, NoteSource
from bot.domain.recap import (
    RecapKind,
    build_recap,
    latest_moment,
    local_day,
    next_moment,
    window_start,
)
from bot.domain.session import Refusal, Session, SessionRuleError
from bot.domain.templates import StepPlan

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Saturday 24 October 2026, 17:00 in Amsterdam (summer time, UTC+2); the clocks go back
# in the night to Sunday 25 October.
BEFORE_AUTUMN = datetime(2026, 10, 24, 15, 0, tzinfo=UTC)
# Saturday 27 March 2027, 17:00 in Amsterdam (winter time, UTC+1); the clocks go forward
# in the night to Sunday 28 March.
BEFORE_SPRING = datetime(2027, 3, 27, 16, 0, tzinfo=UTC)


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMS)


def begin(
    steps: tuple[StepPlan, ...],
    now: datetime,
    *,
    reminders: tuple[timedelta, ...] = (24 * HOUR, HOUR),
    nudges: bool = True,
) -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="Tussen de dagen door",
        locale="nl",
        template="classic",
        steps=steps,
        reminder_before=timedelta(minutes=2),
        now=now,
        async_reminders=reminders,
        zone="Europe/Amsterdam",
        nudges=nudges,
    )
    return replace(session, id=1)


# -- deadlines and wall-clock days ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "real_hours"), [(BEFORE_AUTUMN, 49), (BEFORE_SPRING, 47)], ids=["autumn", "spring"]
)
def test_two_days_end_at_the_same_local_time_across_daylight_saving(
    start: datetime, real_hours: int
) -> None:
    session = begin((StepPlan("empathise", 2 * DAY), StepPlan("define", 2 * DAY)), start)
    assert session.due_at is not None
    assert local(session.due_at).time() == time(17, 0)
    assert session.due_at - start == real_hours * HOUR
    moved, _ = session.advance(session.due_at, 0)
    assert moved.due_at is not None
    assert local(moved.due_at).time() == time(17, 0)


def test_a_step_with_a_deadline_ends_then_and_falls_back_when_overtaken() -> None:
    friday = datetime(2026, 10, 30, 16, 0, tzinfo=UTC)  # Friday 17:00 local
    steps = (
        StepPlan("empathise", DAY),
        StepPlan("define", 3 * HOUR, deadline=friday),
    )
    session = begin(steps, BEFORE_AUTUMN)
    moved, _ = session.advance(BEFORE_AUTUMN + DAY, 0)
    assert moved.due_at == friday
    assert moved.planned_length() == friday - (BEFORE_AUTUMN + DAY)
    late, _ = session.advance(friday + HOUR, 0)  # the group took longer than planned
    assert late.due_at == friday + HOUR + 3 * HOUR


def test_a_live_session_keeps_the_short_reminder_and_no_nudges() -> None:
    session = begin((StepPlan("empathise", timedelta(minutes=15)),), BEFORE_AUTUMN)
    assert not session.step_is_async
    assert not session.has_async_steps
    assert session.reminder_leads() == (timedelta(minutes=2),)
    assert session.nudge_at() is None


# -- reminders ---------------------------------------------------------------------------


def test_an_async_step_is_reminded_a_day_and_an_hour_before_once_each() -> None:
    session = begin((StepPlan("ideate", 3 * DAY),), BEFORE_AUTUMN)
    assert session.due_at is not None
    assert session.reminder_leads() == (24 * HOUR, HOUR)
    first = session.reminder_at()
    assert first == session.due_at - 24 * HOUR
    reminded, events = session.remind(first, 0)
    assert len(events) == 1
    with pytest.raises(SessionRuleError) as refused:
        reminded.remind(first, 0)  # the same reminder again: stale
    assert refused.value.refusal is Refusal.STALE
    second = reminded.reminder_at()
    assert second == session.due_at - HOUR
    done, _ = reminded.remind(second, 0)
    assert done.reminder_at() is None
    with pytest.raises(SessionRuleError):
        done.remind(second + timedelta(minutes=30), 0)


def test_after_downtime_only_the_latest_reminder_due_is_posted() -> None:
    session = begin((StepPlan("ideate", 3 * DAY),), BEFORE_AUTUMN)
    assert session.due_at is not None
    woke = session.due_at - timedelta(minutes=30)  # both reminder times have passed
    reminded, events = session.remind(woke, 0)
    assert len(events) == 1
    assert reminded.reminder_at() is None


def test_leads_longer_than_half_the_step_are_skipped() -> None:
    session = begin((StepPlan("ideate", 36 * HOUR),), BEFORE_AUTUMN)
    assert session.reminder_leads() == (HOUR,)
    quiet = begin((StepPlan("ideate", 2 * DAY),), BEFORE_AUTUMN, reminders=())
    assert quiet.reminder_at() is None


def test_going_back_makes_the_step_remindable_again() -> None:
    steps = (StepPlan("empathise", 2 * DAY), StepPlan("define", 2 * DAY))
    session = begin(steps, BEFORE_AUTUMN)
    assert session.due_at is not None
    reminded, _ = session.remind(session.due_at - HOUR, 0)
    moved, _ = reminded.advance(session.due_at, 0)
    back, _ = moved.go_back(session.due_at + HOUR)
    assert back.reminder_at() is not None


# -- nudges ------------------------------------------------------------------------------


def test_the_nudge_comes_at_half_time_of_an_async_writing_step() -> None:
    session = begin((StepPlan("ideate", 2 * DAY),), BEFORE_AUTUMN)
    assert session.due_at is not None
    assert session.nudge_at() == BEFORE_AUTUMN + (session.due_at - BEFORE_AUTUMN) / 2
    assert session.with_nudges(False).nudge_at() is None
    paused, _ = session.pause(BEFORE_AUTUMN + HOUR)
    assert paused.nudge_at() is None


# -- recap moments -----------------------------------------------------------------------


def test_recap_moments_stay_at_five_local_across_daylight_saving() -> None:
    moment = latest_moment(BEFORE_AUTUMN + HOUR, time(17, 0), AMS)
    assert moment == BEFORE_AUTUMN
    following = next_moment(moment, time(17, 0), AMS)
    assert local(following) == datetime(2026, 10, 25, 17, 0, tzinfo=AMS)
    assert following - moment == 25 * HOUR  # the night the clocks go back
    spring = next_moment(BEFORE_SPRING, time(17, 0), AMS)
    assert spring - BEFORE_SPRING == 23 * HOUR
    assert local_day(following, AMS) == "2026-10-25"


def test_a_moment_exactly_now_is_the_latest_not_the_next() -> None:
    assert latest_moment(BEFORE_AUTUMN, time(17, 0), AMS) == BEFORE_AUTUMN
    assert next_moment(BEFORE_AUTUMN, time(17, 0), AMS) == BEFORE_AUTUMN + 25 * HOUR


def test_a_recap_window_starts_at_the_previous_recap_or_a_day_earlier() -> None:
    moment = BEFORE_AUTUMN + 25 * HOUR  # Sunday 17:00
    started = BEFORE_AUTUMN - 3 * DAY
    assert window_start(moment, None, started, AMS) == BEFORE_AUTUMN
    earlier = BEFORE_AUTUMN - DAY
    assert window_start(moment, earlier, started, AMS) == earlier
    assert window_start(moment, None, moment - HOUR, AMS) == moment - HOUR


def note(number: int, at: datetime, author: int = 7) -> Note:
    return Note(
        id=number,
        session_id=1,
        step_index=0,
        author_id=author,
        author_name=f"P{author}",
        text=f"idee {number}",
        attachments=(),
        source=NoteSource.MESSAGE,
        message_id=None,
        created_at=at,
        kind=NoteKind.NOTE,
    )


def test_a_recap_holds_what_was_written_in_its_window_and_who_joined() -> None:
    since, until = BEFORE_AUTUMN, BEFORE_AUTUMN + DAY
    notes = [note(1, since - HOUR), note(2, since + HOUR, 8), note(3, until - HOUR, 9)]
    recap = build_recap(
        kind=RecapKind.RECAP,
        since=since,
        until=until,
        step_index=0,
        step_kinds=["empathise", "define"],
        notes=notes,
        comments=0,
        first_contributions=[("P7", since - HOUR), ("P8", since + HOUR)],
    )
    assert [n.id for n in recap.new_notes] == [2, 3]
    assert recap.writers == 2
    assert recap.newcomers == ("P8",)
    assert recap.next_step_kind == "define"
    assert not recap.quiet
    empty = build_recap(
        kind=RecapKind.RECAP,
        since=until,
        until=until + DAY,
        step_index=1,
        step_kinds=["empathise", "define"],
        notes=notes,
        comments=0,
        first_contributions=[],
    )
    assert empty.quiet
    assert empty.next_step_kind is None
