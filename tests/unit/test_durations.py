"""Durations as facilitators type them: examples, refusals, and properties."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.durations import (
    MAX_DURATION,
    DurationError,
    DurationListError,
    DurationProblem,
    parse_duration,
    parse_duration_list,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("10 min", timedelta(minutes=10)),
        ("10 MIN", timedelta(minutes=10)),
        ("1h30", timedelta(hours=1, minutes=30)),
        ("1u30", timedelta(hours=1, minutes=30)),
        ("1h 30", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("2d5", timedelta(days=2, hours=5)),
        ("1 uur 15 minuten", timedelta(hours=1, minutes=15)),
        ("1 hour 15 minutes", timedelta(hours=1, minutes=15)),
        ("1,5u", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("5", timedelta(minutes=5)),
        ("  5  ", timedelta(minutes=5)),
        ("10m30", timedelta(minutes=10, seconds=30)),
        ("2m30s", timedelta(minutes=2, seconds=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("45 sec.", timedelta(seconds=45)),
        ("3 dagen", timedelta(days=3)),
        ("14d", MAX_DURATION),
        ("0h5m", timedelta(minutes=5)),
    ],
)
def test_reads_what_facilitators_type(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", DurationProblem.EMPTY),
        ("   ", DurationProblem.EMPTY),
        ("\t\n", DurationProblem.EMPTY),
        ("soon", DurationProblem.UNREADABLE),
        ("ten minutes", DurationProblem.UNREADABLE),
        ("5 parsecs", DurationProblem.UNREADABLE),
        ("3 weken", DurationProblem.UNREADABLE),
        ("1h2h", DurationProblem.UNREADABLE),
        ("30m1h", DurationProblem.UNREADABLE),
        ("10s5", DurationProblem.UNREADABLE),  # nothing smaller than seconds
        ("5 5", DurationProblem.UNREADABLE),
        ("1h30 15", DurationProblem.UNREADABLE),
        ("m", DurationProblem.UNREADABLE),
        ("0", DurationProblem.NOT_POSITIVE),
        ("0m0s", DurationProblem.NOT_POSITIVE),
        ("-5m", DurationProblem.NOT_POSITIVE),
        ("15d", DurationProblem.TOO_LONG),
        ("14d1s", DurationProblem.TOO_LONG),
        ("400 uur", DurationProblem.TOO_LONG),
    ],
)
def test_refuses_with_the_right_problem(text: str, problem: DurationProblem) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert caught.value.problem is problem
    assert caught.value.text == text


def test_a_custom_maximum_is_respected() -> None:
    assert parse_duration("2h", maximum=timedelta(hours=2)) == timedelta(hours=2)
    with pytest.raises(DurationError) as caught:
        parse_duration("2h1s", maximum=timedelta(hours=2))
    assert caught.value.problem is DurationProblem.TOO_LONG


def test_duration_error_is_a_value_error_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="unreadable"):
        parse_duration("later")


# -- properties ---------------------------------------------------------------------------

SPELLINGS: dict[int, list[str]] = {
    86400: ["d", "day", "days", "dag", "dagen"],
    3600: ["h", "hr", "hrs", "hour", "hours", "u", "uur", "uren"],
    60: ["m", "min", "mins", "min.", "minute", "minutes", "minuut", "minuten"],
    1: ["s", "sec", "secs", "sec.", "second", "seconds", "seconde", "seconden"],
}


@st.composite
def written_durations(draw: st.DrawFn) -> tuple[str, int]:
    """Some of d/h/m/s (largest first), each in any accepted spelling, spaced or not."""
    units = draw(
        st.lists(st.sampled_from(sorted(SPELLINGS, reverse=True)), min_size=1, unique=True)
    )
    units.sort(reverse=True)
    parts: list[str] = []
    total = 0
    for unit in units:
        amount = draw(st.integers(min_value=0, max_value=400))
        name = draw(st.sampled_from(SPELLINGS[unit]))
        if draw(st.booleans()):
            name = name.upper()
        inner = draw(st.sampled_from(["", " ", "  "]))
        parts.append(f"{amount}{inner}{name}")
        total += amount * unit
    separator = draw(st.sampled_from(["", " ", "  "]))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return padding + separator.join(parts) + padding, total


@settings(max_examples=300)
@given(written_durations())
@example(("1d 0h 0m 0s", 86400))
@example(("14 dagen", 14 * 86400))
@example(("13d 23h 59m 60s", 14 * 86400))
@example(("13d 23h 59m 61s", 14 * 86400 + 1))
def test_any_written_sum_parses_to_exactly_that_sum(case: tuple[str, int]) -> None:
    text, total = case
    if total == 0:
        with pytest.raises(DurationError) as caught:
            parse_duration(text)
        assert caught.value.problem is DurationProblem.NOT_POSITIVE
    elif total > MAX_DURATION.total_seconds():
        with pytest.raises(DurationError) as caught:
            parse_duration(text)
        assert caught.value.problem is DurationProblem.TOO_LONG
    else:
        assert parse_duration(text) == timedelta(seconds=total)


@settings(max_examples=300)
@given(st.text(max_size=40))
@example("1" + "0" * 400 + "d")
@example("K")  # the Kelvin sign lower-cases to k
@example("٣m")  # an Arabic-Indic digit
@example("1.")
@example("5,,5m")
def test_arbitrary_text_only_ever_raises_duration_error(text: str) -> None:
    problem: DurationProblem | None = None
    try:
        result = parse_duration(text)
    except DurationError as error:
        problem = error.problem
    if problem is None:
        assert timedelta(0) < result <= MAX_DURATION
    else:
        assert problem in set(DurationProblem)


@settings(max_examples=200)
@given(st.text(alphabet="0123456789dhmsu., :-", max_size=20))
def test_duration_like_text_only_ever_raises_duration_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except DurationError:
        return
    assert timedelta(0) < result <= MAX_DURATION


# -- lists --------------------------------------------------------------------------------

DEFAULTS = [timedelta(minutes=m) for m in (15, 10, 10, 15)]


def test_a_list_replaces_every_default() -> None:
    assert parse_duration_list("5m,6m,7m,8m", DEFAULTS) == [
        timedelta(minutes=5),
        timedelta(minutes=6),
        timedelta(minutes=7),
        timedelta(minutes=8),
    ]


def test_semicolons_separate_too_and_spaces_are_ignored() -> None:
    assert parse_duration_list(" 5m ; 1h30 ;2;90s ", DEFAULTS) == [
        timedelta(minutes=5),
        timedelta(hours=1, minutes=30),
        timedelta(minutes=2),
        timedelta(seconds=90),
    ]


def test_empty_entries_keep_the_defaults() -> None:
    assert parse_duration_list("20m,,, ", DEFAULTS) == [
        timedelta(minutes=20),
        DEFAULTS[1],
        DEFAULTS[2],
        DEFAULTS[3],
    ]
    assert parse_duration_list(",,,", DEFAULTS) == DEFAULTS


@pytest.mark.parametrize(("text", "given_count"), [("10m", 1), ("1,2,3", 3), ("1,2,3,4,5", 5)])
def test_a_count_mismatch_names_expected_and_given(text: str, given_count: int) -> None:
    with pytest.raises(DurationListError) as caught:
        parse_duration_list(text, DEFAULTS)
    assert caught.value.expected == len(DEFAULTS)
    assert caught.value.given == given_count


def test_a_bad_entry_in_a_list_raises_its_duration_problem() -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration_list("10m,forever,10m,10m", DEFAULTS)
    assert caught.value.problem is DurationProblem.UNREADABLE
    assert caught.value.text == "forever"
