"""Step deadlines as facilitators type them: every form, DST, refusals, and properties."""

from __future__ import annotations

import string
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.cogs.errors import refusal_text
from bot.domain.deadlines import (
    MAX_AHEAD,
    MONTH_WORDS,
    RELATIVE_DAYS,
    WEEKDAY_WORDS,
    DeadlineError,
    DeadlineProblem,
    StepTime,
    add_wall_clock,
    parse_step_time,
    parse_step_times,
)
from bot.domain.durations import DurationError, DurationListError, DurationProblem
from bot.i18n import LOCALES, catalog

AMS = ZoneInfo("Europe/Amsterdam")

# A Wednesday afternoon, a Friday evening after 17:00, and the Saturdays before the clocks
# go back (Sunday 2026-10-25, 03:00 -> 02:00) and forward (Sunday 2027-03-28, 02:00 -> 03:00).
WED = datetime(2026, 6, 10, 14, 0, tzinfo=AMS)
FRI_EVENING = datetime(2026, 6, 12, 18, 30, tzinfo=AMS)
SAT_AUTUMN = datetime(2026, 10, 24, 10, 0, tzinfo=AMS)
SAT_SPRING = datetime(2027, 3, 27, 10, 0, tzinfo=AMS)
MID_DECEMBER = datetime(2026, 12, 10, 14, 0, tzinfo=AMS)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall time in Amsterdam (fold=0: the first of two repeated autumn times)."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def deadline(text: str, now: datetime, zone: ZoneInfo = AMS) -> datetime:
    result = parse_step_time(text, now=now, zone=zone)
    assert result.duration is None
    assert result.deadline is not None
    assert result.deadline.tzinfo is UTC
    return result.deadline


def refused(text: str, now: datetime = WED) -> DeadlineError:
    with pytest.raises(DeadlineError) as caught:
        parse_step_time(text, now=now, zone=AMS)
    assert caught.value.text == text
    return caught.value


# -- every listed form --------------------------------------------------------------------

FORMS: list[tuple[datetime, str, datetime]] = [
    # Wednesday 10 June 2026, 14:00.
    (WED, "vrijdag 17:00", local(2026, 6, 12, 17, 0)),
    (WED, "vr 17:00", local(2026, 6, 12, 17, 0)),
    (WED, "VR. 17:00", local(2026, 6, 12, 17, 0)),
    (WED, "Vrijdag 17u", local(2026, 6, 12, 17, 0)),
    (WED, "vrijdag 17u30", local(2026, 6, 12, 17, 30)),
    (WED, "vrijdag 17 uur", local(2026, 6, 12, 17, 0)),
    (WED, "vrijdag 17.30", local(2026, 6, 12, 17, 30)),
    (WED, "vrijdag", local(2026, 6, 12, 17, 0)),
    (WED, "op vrijdag om 9:15", local(2026, 6, 12, 9, 15)),
    (WED, "17:00 vrijdag", local(2026, 6, 12, 17, 0)),
    (WED, "woensdag", local(2026, 6, 10, 17, 0)),  # today: 17:00 is still ahead
    (WED, "woensdag 9:00", local(2026, 6, 17, 9, 0)),  # today's 9:00 has passed
    (WED, "deze vrijdag", local(2026, 6, 12, 17, 0)),
    (WED, "morgen 9:00", local(2026, 6, 11, 9, 0)),
    (WED, "morgen", local(2026, 6, 11, 17, 0)),
    (WED, "overmorgen", local(2026, 6, 12, 17, 0)),
    (WED, "vandaag 17:00", local(2026, 6, 10, 17, 0)),
    (WED, "vandaag", local(2026, 6, 10, 17, 0)),
    (WED, "17:00", local(2026, 6, 10, 17, 0)),
    (WED, "om 17:00", local(2026, 6, 10, 17, 0)),
    (WED, "13:00", local(2026, 6, 11, 13, 0)),  # passed today: tomorrow
    (WED, "volgende week vrijdag", local(2026, 6, 19, 17, 0)),
    (WED, "volgende week woensdag 9u", local(2026, 6, 17, 9, 0)),
    (WED, "vrijdag volgende week", local(2026, 6, 19, 17, 0)),
    (WED, "volgende vrijdag", local(2026, 6, 19, 17, 0)),
    (WED, "3 juli 17:00", local(2026, 7, 3, 17, 0)),
    (WED, "3 jul", local(2026, 7, 3, 17, 0)),
    (WED, "3e juli", local(2026, 7, 3, 17, 0)),
    (WED, "3-7 17:00", local(2026, 7, 3, 17, 0)),
    (WED, "3/7", local(2026, 7, 3, 17, 0)),
    (WED, "3-7-2026 12:00", local(2026, 7, 3, 12, 0)),
    (WED, "2026-07-03 17:00", local(2026, 7, 3, 17, 0)),
    (WED, "2026-7-3", local(2026, 7, 3, 17, 0)),
    (WED, "vrijdag 3 juli", local(2026, 7, 3, 17, 0)),
    (WED, "friday 5pm", local(2026, 6, 12, 17, 0)),
    (WED, "Friday 5:30 PM", local(2026, 6, 12, 17, 30)),
    (WED, "fri 17:00", local(2026, 6, 12, 17, 0)),
    (WED, "on friday at 9 am", local(2026, 6, 12, 9, 0)),
    (WED, "sat 12am", local(2026, 6, 13, 0, 0)),
    (WED, "sun 12pm", local(2026, 6, 14, 12, 0)),
    (WED, "tomorrow 9am", local(2026, 6, 11, 9, 0)),
    (WED, "tomorrow 9 a.m.", local(2026, 6, 11, 9, 0)),
    (WED, "today 17:00", local(2026, 6, 10, 17, 0)),
    (WED, "the day after tomorrow", local(2026, 6, 12, 17, 0)),
    (WED, "5pm", local(2026, 6, 10, 17, 0)),
    (WED, "at 5pm", local(2026, 6, 10, 17, 0)),
    (WED, "next friday", local(2026, 6, 19, 17, 0)),
    (WED, "next week wednesday", local(2026, 6, 17, 17, 0)),
    (WED, "this friday", local(2026, 6, 12, 17, 0)),
    (WED, "Jul 3 17:00", local(2026, 7, 3, 17, 0)),
    (WED, "July 3rd", local(2026, 7, 3, 17, 0)),
    (WED, "3 July 2026 17:00", local(2026, 7, 3, 17, 0)),
    (WED, "fri Jul 3 5pm", local(2026, 7, 3, 17, 0)),
    # Friday 12 June 2026, 18:30: today's 17:00 has passed.
    (FRI_EVENING, "vrijdag 17:00", local(2026, 6, 19, 17, 0)),
    (FRI_EVENING, "vrijdag", local(2026, 6, 19, 17, 0)),
    (FRI_EVENING, "vrijdag 19:00", local(2026, 6, 12, 19, 0)),
    (FRI_EVENING, "vandaag 20:00", local(2026, 6, 12, 20, 0)),
    (FRI_EVENING, "17:00", local(2026, 6, 13, 17, 0)),
    (FRI_EVENING, "morgen 9:00", local(2026, 6, 13, 9, 0)),
    (FRI_EVENING, "zondag", local(2026, 6, 14, 17, 0)),
    (FRI_EVENING, "maandag", local(2026, 6, 15, 17, 0)),
    (FRI_EVENING, "volgende week maandag", local(2026, 6, 15, 17, 0)),
    (FRI_EVENING, "next friday", local(2026, 6, 19, 17, 0)),
    (FRI_EVENING, "next sunday", local(2026, 6, 21, 17, 0)),
    (FRI_EVENING, "fri 5pm", local(2026, 6, 19, 17, 0)),
    (FRI_EVENING, "today 8pm", local(2026, 6, 12, 20, 0)),
    # Saturday 24 October 2026, 10:00, the day before the clocks go back.
    (SAT_AUTUMN, "2026-12-03 17:00", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "3 december 17:00", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "3 dec", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "3 dec. om 9u", local(2026, 12, 3, 9, 0)),
    (SAT_AUTUMN, "3-12 17:00", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "3/12", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "donderdag 3 december", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "Dec 3 17:00", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "3 December 2026 17:00", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "December 3 2026 5pm", local(2026, 12, 3, 17, 0)),
    (SAT_AUTUMN, "vrijdag 17:00", local(2026, 10, 30, 17, 0)),
    (SAT_AUTUMN, "morgen 9:00", local(2026, 10, 25, 9, 0)),
    (SAT_AUTUMN, "vandaag 17:00", local(2026, 10, 24, 17, 0)),
    (SAT_AUTUMN, "next friday", local(2026, 10, 30, 17, 0)),
    # Saturday 27 March 2027, 10:00, the day before the clocks go forward.
    (SAT_SPRING, "morgen 9:00", local(2027, 3, 28, 9, 0)),
    (SAT_SPRING, "tomorrow 3am", local(2027, 3, 28, 3, 0)),
    (SAT_SPRING, "zondag 1:59", local(2027, 3, 28, 1, 59)),
    (SAT_SPRING, "maandag", local(2027, 3, 29, 17, 0)),
    # Mid-December: a date without a year is the next one still ahead.
    (MID_DECEMBER, "5 januari", local(2027, 1, 5, 17, 0)),
    (MID_DECEMBER, "5-1 9:00", local(2027, 1, 5, 9, 0)),
    (MID_DECEMBER, "Jan 5", local(2027, 1, 5, 17, 0)),
]


@pytest.mark.parametrize(("now", "text", "expected"), FORMS, ids=[f[1] for f in FORMS])
def test_reads_every_listed_form(now: datetime, text: str, expected: datetime) -> None:
    assert deadline(text, now) == expected.astimezone(UTC)


def test_now_may_be_in_any_time_zone() -> None:
    for now in (WED, WED.astimezone(UTC), WED.astimezone(ZoneInfo("Asia/Tokyo"))):
        assert deadline("vrijdag 17:00", now) == local(2026, 6, 12, 17, 0).astimezone(UTC)


def test_the_zone_decides_the_wall_time() -> None:
    new_york = ZoneInfo("America/New_York")
    # 14:00 in Amsterdam is 08:00 in New York, on the same Wednesday.
    assert deadline("vandaag 17:00", WED, new_york) == datetime(2026, 6, 10, 21, 0, tzinfo=UTC)


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_step_time("vrijdag", now=datetime(2026, 6, 10, 14, 0), zone=AMS)  # noqa: DTZ001


def test_the_default_time_is_used_when_no_time_is_given() -> None:
    result = parse_step_time("vrijdag", now=WED, zone=AMS, default_time=time(9, 30))
    assert result.deadline == local(2026, 6, 12, 9, 30).astimezone(UTC)


# -- durations stay durations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2d", timedelta(days=2)),
        ("1u30", timedelta(hours=1, minutes=30)),
        ("5", timedelta(minutes=5)),  # a lone number is minutes, never a day of the month
        ("3", timedelta(minutes=3)),
        ("17u", timedelta(hours=17)),  # without a day, "17u" is parse_duration's 17 hours
        ("17.30", timedelta(seconds=1038)),  # and "17.30" its 17.3 minutes
    ],
)
def test_durations_are_read_exactly_as_parse_duration_reads_them(
    text: str, expected: timedelta
) -> None:
    assert parse_step_time(text, now=WED, zone=AMS) == StepTime(duration=expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0m", DurationProblem.NOT_POSITIVE),
        ("-5m", DurationProblem.NOT_POSITIVE),
        ("15 dagen", DurationProblem.TOO_LONG),
        ("400 uur", DurationProblem.TOO_LONG),
        ("1h2h", DurationProblem.UNREADABLE),
        ("5 5", DurationProblem.UNREADABLE),
    ],
)
def test_invalid_durations_keep_their_duration_error(text: str, problem: DurationProblem) -> None:
    with pytest.raises(DurationError) as caught:
        parse_step_time(text, now=WED, zone=AMS)
    assert caught.value.problem is problem
    assert caught.value.text == text


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "text", "problem"),
    [
        (WED, "", DeadlineProblem.EMPTY),
        (WED, "  \t", DeadlineProblem.EMPTY),
        (WED, "banaan", DeadlineProblem.UNREADABLE),
        (WED, "vrijdag banaan", DeadlineProblem.UNREADABLE),
        (WED, "banaan 17:00", DeadlineProblem.UNREADABLE),
        (WED, "vrijdag 17", DeadlineProblem.UNREADABLE),  # 17 what?
        (WED, "vrijdag 25:00", DeadlineProblem.UNREADABLE),
        (WED, "vrijdag 17:60", DeadlineProblem.UNREADABLE),
        (WED, "13pm", DeadlineProblem.UNREADABLE),
        (WED, "1 7:00", DeadlineProblem.UNREADABLE),
        (WED, "3 weken", DeadlineProblem.UNREADABLE),
        (WED, "5 parsecs", DeadlineProblem.UNREADABLE),
        (WED, "volgende week", DeadlineProblem.UNREADABLE),
        (WED, "next week friday next week", DeadlineProblem.UNREADABLE),
        (WED, "december", DeadlineProblem.UNREADABLE),
        (WED, "gisteren", DeadlineProblem.UNREADABLE),
        (WED, "om", DeadlineProblem.UNREADABLE),
        (WED, "vandaag 9:00", DeadlineProblem.IN_PAST),
        (WED, "today 2pm", DeadlineProblem.IN_PAST),  # exactly now is not ahead
        (WED, "2026-06-01 12:00", DeadlineProblem.IN_PAST),
        (WED, "1 januari 2020", DeadlineProblem.IN_PAST),
        (FRI_EVENING, "vandaag 17:00", DeadlineProblem.IN_PAST),
        (FRI_EVENING, "today", DeadlineProblem.IN_PAST),  # the default 17:00 has passed
        (WED, "2026-12-03 17:00", DeadlineProblem.TOO_FAR),
        (WED, "3 december", DeadlineProblem.TOO_FAR),
        (WED, "9999-12-31 23:59", DeadlineProblem.TOO_FAR),
        (MID_DECEMBER, "3/12", DeadlineProblem.TOO_FAR),  # the 3rd has passed: next year
        (WED, "31 feb", DeadlineProblem.NO_SUCH_DATE),
        (WED, "30-2", DeadlineProblem.NO_SUCH_DATE),
        (WED, "2026-02-30", DeadlineProblem.NO_SUCH_DATE),
        (WED, "3/13", DeadlineProblem.NO_SUCH_DATE),
        (WED, "0 juli", DeadlineProblem.NO_SUCH_DATE),
        (WED, "0000-01-01", DeadlineProblem.NO_SUCH_DATE),
        (WED, "donderdag 3 juli", DeadlineProblem.WEEKDAY_MISMATCH),  # 3 July 2026 is a Friday
        (SAT_SPRING, "zondag 2:30", DeadlineProblem.NONEXISTENT),
        (SAT_SPRING, "2:30", DeadlineProblem.NONEXISTENT),
        (SAT_SPRING, "morgen 2:00", DeadlineProblem.NONEXISTENT),
        (SAT_SPRING, "2027-03-28 02:59", DeadlineProblem.NONEXISTENT),
        (SAT_SPRING, "28 maart 2u30", DeadlineProblem.NONEXISTENT),
        (SAT_SPRING, "sunday 2:30am", DeadlineProblem.NONEXISTENT),
    ],
)
def test_refuses_with_the_right_problem(now: datetime, text: str, problem: DeadlineProblem) -> None:
    assert refused(text, now).problem is problem


def test_the_limit_is_max_ahead_exactly() -> None:
    now = datetime(2026, 6, 10, 17, 0, tzinfo=AMS)
    assert deadline("2026-08-09 17:00", now) - now == MAX_AHEAD
    error = refused("2026-08-09 17:01", now)
    assert error.problem is DeadlineProblem.TOO_FAR
    assert error.moment == local(2026, 8, 9, 17, 1).astimezone(UTC)


def test_a_deadline_error_is_a_value_error_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="unreadable"):
        parse_step_time("banaan", now=WED, zone=AMS)


# -- daylight saving time ------------------------------------------------------------------


def test_an_ambiguous_autumn_time_is_its_first_occurrence() -> None:
    # 02:30 happens twice on 25 October 2026: first in summer time (+02:00, 00:30 UTC).
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert deadline("zondag 2:30", SAT_AUTUMN) == first
    assert deadline("2:30", SAT_AUTUMN) == first
    assert deadline("2026-10-25 02:30", SAT_AUTUMN) == first


def test_between_the_two_autumn_occurrences_the_next_day_is_meant() -> None:
    now = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45, the first time round
    assert deadline("2:30", now) == local(2026, 10, 26, 2, 30).astimezone(UTC)


def test_a_time_skipped_today_is_not_refused_when_tomorrow_is_meant() -> None:
    now = datetime(2027, 3, 28, 9, 0, tzinfo=AMS)  # the gap was this night
    assert deadline("2:30", now) == local(2027, 3, 29, 2, 30).astimezone(UTC)


def test_offsets_follow_the_date_not_now() -> None:
    # Read on Saturday in summer time, Friday's 17:00 is in winter time (16:00 UTC).
    assert deadline("vrijdag 17:00", SAT_AUTUMN) == datetime(2026, 10, 30, 16, 0, tzinfo=UTC)
    assert deadline("morgen 9:00", SAT_SPRING) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "duration", "end", "hours"),
    [
        # Whole days follow the calendar: Saturday 17:00 + 2d is Monday 17:00.
        (local(2026, 10, 24, 17, 0), timedelta(days=2), local(2026, 10, 26, 17, 0), 49),
        (local(2027, 3, 27, 17, 0), timedelta(days=2), local(2027, 3, 29, 17, 0), 47),
        (local(2026, 10, 24, 17, 0), timedelta(days=1), local(2026, 10, 25, 17, 0), 25),
        (local(2027, 3, 27, 17, 0), timedelta(days=7), local(2027, 4, 3, 17, 0), 167),
        # Anything else is elapsed time.
        (local(2026, 10, 24, 17, 0), timedelta(hours=36), local(2026, 10, 26, 4, 0), 36),
        (local(2027, 3, 27, 17, 0), timedelta(hours=30), local(2027, 3, 29, 0, 0), 30),
        (local(2027, 3, 27, 17, 0), timedelta(days=1, minutes=1), local(2027, 3, 28, 18, 1), 24),
        # A timedelta cannot tell "48h" from "2d": both are whole days.
        (local(2027, 3, 27, 17, 0), timedelta(hours=48), local(2027, 3, 29, 17, 0), 47),
        # No change in between: a day is 24 hours.
        (local(2026, 6, 10, 14, 0), timedelta(days=2), local(2026, 6, 12, 14, 0), 48),
    ],
)
def test_add_wall_clock(start: datetime, duration: timedelta, end: datetime, hours: int) -> None:
    result = add_wall_clock(start, duration, AMS)
    assert result.tzinfo is UTC
    assert result == end
    assert (result - start) // timedelta(hours=1) == hours
    # The start's own time zone does not matter.
    assert add_wall_clock(start.astimezone(UTC), duration, AMS) == end


def test_add_wall_clock_into_the_gap_moves_on_by_the_gap() -> None:
    end = add_wall_clock(local(2027, 3, 27, 2, 30), timedelta(days=1), AMS)
    assert end.astimezone(AMS).replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)  # noqa: DTZ001
    assert end - local(2027, 3, 27, 2, 30) == timedelta(hours=24)


def test_add_wall_clock_into_the_repeated_hour_takes_the_first() -> None:
    end = add_wall_clock(local(2026, 10, 24, 2, 30), timedelta(days=1), AMS)
    assert end == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_add_wall_clock_needs_an_aware_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_wall_clock(datetime(2026, 6, 10), timedelta(days=1), AMS)  # noqa: DTZ001


# -- lists ---------------------------------------------------------------------------------

DEFAULTS = [timedelta(minutes=m) for m in (15, 10, 10, 15)]


def test_a_list_mixes_durations_deadlines_and_defaults() -> None:
    assert parse_step_times(
        "2d, vrijdag 17:00 ; ; 3 dec", now=SAT_AUTUMN, zone=AMS, defaults=DEFAULTS
    ) == [
        StepTime(duration=timedelta(days=2)),
        StepTime(deadline=local(2026, 10, 30, 17, 0).astimezone(UTC)),
        StepTime(duration=DEFAULTS[2]),
        StepTime(deadline=local(2026, 12, 3, 17, 0).astimezone(UTC)),
    ]
    assert parse_step_times(",,,", now=WED, zone=AMS, defaults=DEFAULTS) == [
        StepTime(duration=d) for d in DEFAULTS
    ]


def test_the_default_time_reaches_every_entry() -> None:
    times = parse_step_times(
        "do,vr,,", now=WED, zone=AMS, defaults=DEFAULTS, default_time=time(12, 0)
    )
    assert [t.deadline for t in times[:2]] == [
        local(2026, 6, 11, 12, 0).astimezone(UTC),
        local(2026, 6, 12, 12, 0).astimezone(UTC),
    ]


@pytest.mark.parametrize(("text", "given_count"), [("vrijdag", 1), ("1,2,3", 3), ("1;2;3;4;5", 5)])
def test_a_count_mismatch_is_a_duration_list_error(text: str, given_count: int) -> None:
    with pytest.raises(DurationListError) as caught:
        parse_step_times(text, now=WED, zone=AMS, defaults=DEFAULTS)
    assert (caught.value.expected, caught.value.given) == (len(DEFAULTS), given_count)


@pytest.mark.parametrize(
    ("text", "offender"),
    [
        ("vrijdag 17:00, donderdag 17:00,,", "donderdag 17:00"),
        ("vr 17:00, 1h, vrijdag 17u,", "vrijdag 17u"),  # equal is not later
        ("morgen, , 2d, vandaag 17:00", "vandaag 17:00"),
    ],
)
def test_deadlines_must_come_in_order(text: str, offender: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_step_times(text, now=WED, zone=AMS, defaults=DEFAULTS)
    assert caught.value.problem is DeadlineProblem.NOT_IN_ORDER
    assert caught.value.text == offender
    assert caught.value.moment is not None


def test_a_bad_entry_raises_its_own_problem() -> None:
    with pytest.raises(DurationError) as duration:
        parse_step_times("10m,0m,,", now=WED, zone=AMS, defaults=DEFAULTS)
    assert duration.value.problem is DurationProblem.NOT_POSITIVE
    with pytest.raises(DeadlineError) as caught:
        parse_step_times("10m,banaan,,", now=WED, zone=AMS, defaults=DEFAULTS)
    assert (caught.value.problem, caught.value.text) == (DeadlineProblem.UNREADABLE, "banaan")


# -- friendly sentences ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("problem", list(DeadlineProblem))
def test_every_problem_has_a_sentence_with_the_text(locale: str, problem: DeadlineProblem) -> None:
    sentences = catalog()
    assert f"errors.deadline.{problem.value}" in sentences.keys(locale)
    message = refusal_text(sentences, locale, DeadlineError(problem, "vrijdag 25:00"))
    assert message is not None
    first, accepted = message.split("\n")
    if problem is not DeadlineProblem.EMPTY:
        assert "vrijdag 25:00" in first
    if problem is DeadlineProblem.TOO_FAR:
        assert str(MAX_AHEAD.days) in first
    assert accepted == sentences.t(locale, "errors.deadline.accepted")


def test_duration_problems_from_a_step_time_keep_the_duration_sentences() -> None:
    with pytest.raises(DurationError) as caught:
        parse_step_time("15 dagen", now=WED, zone=AMS)
    message = refusal_text(catalog(), "nl", caught.value)
    assert message is not None
    assert message.endswith(catalog().t("nl", "errors.duration.accepted"))


# -- properties ----------------------------------------------------------------------------

ZONES = [
    AMS,
    ZoneInfo("Europe/London"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Sydney"),  # summer time in the other half of the year
    ZoneInfo("Asia/Kolkata"),  # no summer time, a half-hour offset
]
NOWS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)

WEEKDAY_NAMES = {
    "nl": [
        ("maandag", "ma"),
        ("dinsdag", "di"),
        ("woensdag", "wo"),
        ("donderdag", "do"),
        ("vrijdag", "vr"),
        ("zaterdag", "za"),
        ("zondag", "zo"),
    ],
    "en": [
        ("monday", "mon"),
        ("tuesday", "tue"),
        ("wednesday", "wed"),
        ("thursday", "thu"),
        ("friday", "fri"),
        ("saturday", "sat"),
        ("sunday", "sun"),
    ],
}
NL_MONTHS = "jan feb maart april mei juni juli augustus september oktober november december"
EN_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"


def skipped(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the clocks jump over this naive local wall time."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall


def check_accepted(result: StepTime, now: datetime) -> None:
    """What every accepted step time promises."""
    assert (result.duration is None) != (result.deadline is None)
    if result.deadline is not None:
        assert result.deadline.tzinfo is UTC
        assert now < result.deadline <= now + MAX_AHEAD


@st.composite
def step_time_like(draw: st.DrawFn) -> str:
    """Pieces of the grammar glued together at random: mostly sense, some nonsense."""
    pieces = st.sampled_from(
        [
            *WEEKDAY_WORDS,
            *MONTH_WORDS,
            *RELATIVE_DAYS,
            "volgende week",
            "next",
            "om",
            "at",
            "op",
            "17:00",
            "9u30",
            "2:30",
            "5pm",
            "12am",
            "17.30",
            "3",
            "29",
            "31",
            "3-12",
            "29/2",
            "2026",
            "2027-03-28",
            "2u",
            "uur",
            "e",
            ".",
        ]
    )
    return " ".join(draw(st.lists(pieces, min_size=1, max_size=4)))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=40), step_time_like()), NOWS, st.sampled_from(ZONES))
@example("K", WED, AMS)  # the Kelvin sign lower-cases to k
@example("٣ dec", WED, AMS)  # an Arabic-Indic digit
@example("29 feb", WED, AMS)
@example("vr 0:00", WED, AMS)
@example("9999-12-31 23:59", WED, ZoneInfo("Pacific/Kiritimati"))
@example("0001-01-01 00:00", WED, ZoneInfo("Pacific/Kiritimati"))
def test_any_text_is_a_step_time_or_a_known_refusal(
    text: str, now: datetime, zone: ZoneInfo
) -> None:
    problem: DeadlineProblem | DurationProblem | None = None
    try:
        result = parse_step_time(text, now=now, zone=zone)
    except (DeadlineError, DurationError) as error:
        problem = error.problem
    if problem is None:
        check_accepted(result, now)
    else:
        assert problem in set(DeadlineProblem) | set(DurationProblem)


KNOWN_WORDS = WEEKDAY_WORDS | MONTH_WORDS | set(RELATIVE_DAYS)


@settings(max_examples=300)
@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=12), NOWS)
def test_unknown_words_are_refused(word: str, now: datetime) -> None:
    assume(word.lower() not in KNOWN_WORDS)
    with pytest.raises((DeadlineError, DurationError)):
        parse_step_time(word, now=now, zone=AMS)


@st.composite
def written_weekday_times(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """A weekday and a time of day as a Dutch or English speaker writes them."""
    language = draw(st.sampled_from(["nl", "en"]))
    weekday = draw(st.integers(0, 6))
    hour = draw(st.integers(0, 23))
    minute = draw(st.integers(0, 59))
    full, short = WEEKDAY_NAMES[language][weekday]
    name = draw(st.sampled_from([full, short, short + "."]))
    name = draw(st.sampled_from([name, name.upper(), name.capitalize()]))
    clocks = [f"{hour}:{minute:02}", f"{hour:02}:{minute:02}"]
    if language == "nl":
        clocks += [f"{hour}.{minute:02}", f"{hour}u{minute:02}", f"om {hour}:{minute:02}"]
        if minute == 0:
            clocks += [f"{hour}u", f"{hour} uur"]
    else:
        twelve = hour % 12 or 12
        half = "am" if hour < 12 else "pm"
        clocks += [f"{twelve}:{minute:02}{half}", f"at {twelve}:{minute:02} {half.upper()}"]
        if minute == 0:
            clocks += [f"{twelve}{half}", f"{twelve} {half}"]
    clock = draw(st.sampled_from(clocks))
    return f"{name} {clock}", weekday, hour, minute


@settings(max_examples=400)
@given(written_weekday_times(), NOWS, st.sampled_from(ZONES))
@example(("zondag 2:30", 6, 2, 30), SAT_SPRING, AMS)
@example(("zondag 2:30", 6, 2, 30), SAT_AUTUMN, AMS)
def test_a_weekday_and_time_is_that_weekday_and_wall_time(
    case: tuple[str, int, int, int], now: datetime, zone: ZoneInfo
) -> None:
    text, weekday, hour, minute = case
    problem: DeadlineProblem | None
    try:
        found = deadline(text, now, zone)
    except DeadlineError as error:
        problem = error.problem
    else:
        problem = None
    if problem is not None:
        # Only a wall time the clocks skip on the coming such weekday is refused.
        assert problem is DeadlineProblem.NONEXISTENT
        today = now.astimezone(zone).date()
        first = today + timedelta(days=(weekday - today.weekday()) % 7)
        walls = [datetime.combine(first + timedelta(days=n), time(hour, minute)) for n in (0, 7)]
        assert any(skipped(wall, zone) for wall in walls)
        return
    wall = found.astimezone(zone)
    assert (wall.weekday(), wall.hour, wall.minute) == (weekday, hour, minute)
    assert now < found <= now + timedelta(days=7, hours=1)
    # It is the first one: a week earlier (if that wall time exists) was not ahead.
    earlier = wall.replace(tzinfo=None) - timedelta(days=7)
    if not skipped(earlier, zone):
        assert earlier.replace(tzinfo=zone) <= now


@st.composite
def written_moments(draw: st.DrawFn) -> tuple[datetime, ZoneInfo, datetime, str]:
    """now, a zone, a local wall time up to MAX_AHEAD later, and that wall time written out."""
    now = draw(NOWS)
    zone = draw(st.sampled_from(ZONES))
    ahead = draw(st.integers(1, int(MAX_AHEAD.total_seconds() // 60)))
    naive = (now.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=ahead)).replace(
        second=0, microsecond=0
    )
    month_nl = NL_MONTHS.split()[naive.month - 1]
    month_en = EN_MONTHS.split()[naive.month - 1]
    formats = [
        f"{naive:%Y-%m-%d %H:%M}",
        f"{naive.day}-{naive.month}-{naive.year} {naive:%H:%M}",
        f"{naive.day}/{naive.month} {naive:%H:%M}",
        f"{naive.day} {month_nl} {naive.year} {naive.hour}u{naive:%M}",
        f"{naive.day} {month_nl} {naive:%H.%M}",
        f"{month_en} {naive.day} {naive.year} {naive:%H:%M}",
    ]
    return now, zone, naive, draw(st.sampled_from(formats))


@settings(max_examples=400)
@given(written_moments())
def test_a_written_local_moment_round_trips(case: tuple[datetime, ZoneInfo, datetime, str]) -> None:
    now, zone, naive, text = case
    expected = naive.replace(tzinfo=zone)  # fold=0
    problem: DeadlineProblem | None
    try:
        found = deadline(text, now, zone)
    except DeadlineError as error:
        problem = error.problem
    else:
        problem = None
    if problem is not None:
        if skipped(naive, zone):
            assert problem is DeadlineProblem.NONEXISTENT
        else:
            # Only the edges: a repeated hour's first pass already gone, or DST pushing a
            # wall time just under MAX_AHEAD over it.
            assert expected <= now or expected - now > MAX_AHEAD - timedelta(hours=1)
            assert problem in {DeadlineProblem.IN_PAST, DeadlineProblem.TOO_FAR}
        return
    assert not skipped(naive, zone)
    assert found == expected.astimezone(UTC)
    assert f"{found.astimezone(zone):%Y-%m-%d %H:%M}" == f"{naive:%Y-%m-%d %H:%M}"
    check_accepted(StepTime(deadline=found), now)


@settings(max_examples=300)
@given(
    NOWS,
    st.sampled_from(ZONES),
    st.integers(-30, 30).map(lambda days: timedelta(days=days)),
    st.integers(0, 86399).map(lambda s: timedelta(seconds=s)),
)
def test_add_wall_clock_keeps_wall_time_for_days_and_elapsed_time_otherwise(
    start: datetime, zone: ZoneInfo, days: timedelta, extra: timedelta
) -> None:
    if extra:
        assert add_wall_clock(start, days + extra, zone) == start + days + extra
        return
    end = add_wall_clock(start, days, zone)
    before, after = start.astimezone(zone), end.astimezone(zone)
    assert after.date() == before.date() + days
    # Same wall time, unless it fell into a gap (then moved on by the gap).
    gap = after.replace(tzinfo=None) - before.replace(tzinfo=None) - days
    assert gap == timedelta(0) or (timedelta(0) < gap <= timedelta(hours=1))
    assert abs((end - start) - days) <= timedelta(hours=1)
