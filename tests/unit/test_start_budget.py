"""The start-up back-off: free restarts, a doubling wait, a crash loop that stays far
below Discord's 1000 IDENTIFYs a day, and the session-start budget guard."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.start_budget import (
    FIRST_WAIT,
    FREE_STARTS,
    MAX_WAIT,
    WINDOW,
    SessionStarts,
    backoff,
    backoff_enabled,
    budget_wait,
    read_starts,
    record_start,
    start_log_path,
)

NOW = 1_800_000_000.0


def test_the_first_starts_within_the_hour_connect_at_once() -> None:
    starts = [NOW - 60 * n for n in range(1, FREE_STARTS)]
    assert backoff(starts, NOW) == 0


def test_each_start_beyond_the_free_ones_waits_twice_as_long_up_to_the_cap() -> None:
    waits = [backoff([NOW - 1] * (FREE_STARTS - 1 + extra), NOW) for extra in range(1, 12)]
    assert waits[:3] == [FIRST_WAIT, 2 * FIRST_WAIT, 4 * FIRST_WAIT]
    assert waits[-1] == MAX_WAIT
    assert waits == sorted(waits)


def test_starts_older_than_the_window_do_not_count() -> None:
    assert backoff([NOW - WINDOW - 1] * 50, NOW) == 0


def simulate_crash_loop(seconds: float, restart_delay: float) -> int:
    """A bot that crashes right after connecting, restarted by a supervisor after
    ``restart_delay``; how many times it identifies within ``seconds``."""
    now, starts, identifies = NOW, [], 0
    while now < NOW + seconds:
        wait = backoff(starts, now)
        starts = [t for t in starts if now - t < 86_400] + [now]
        now += wait
        identifies += 1
        now += restart_delay
    return identifies


def test_a_crash_loop_stays_far_below_the_daily_identify_budget() -> None:
    for restart_delay in (0.1, 5.0, 30.0):
        per_day = simulate_crash_loop(86_400, restart_delay)
        assert per_day < 300, (restart_delay, per_day)


@given(st.lists(st.floats(min_value=NOW - 2 * WINDOW, max_value=NOW), max_size=60))
def test_the_wait_is_never_negative_nor_above_the_cap(starts: list[float]) -> None:
    assert 0 <= backoff(starts, NOW) <= MAX_WAIT


def test_the_log_keeps_a_day_and_survives_a_torn_line(tmp_path: Path) -> None:
    path = start_log_path(tmp_path / "cocreate.sqlite3")
    assert path.name == "cocreate.sqlite3.starts"
    assert read_starts(path) == []
    record_start(path, [NOW - 90_000, NOW - 10], NOW)
    assert read_starts(path) == [NOW - 10, NOW]
    path.write_text(f"{NOW:.0f}\n17000\x00\x00garbage\n", encoding="utf-8")
    assert read_starts(path) == [NOW]


def test_the_switch_reads_common_spellings() -> None:
    assert backoff_enabled({})
    assert backoff_enabled({"COCREATE_START_BACKOFF": "1"})
    for off in ("0", "false", "No", " off "):
        assert not backoff_enabled({"COCREATE_START_BACKOFF": off})


def test_the_session_budget_waits_for_its_reset_only_when_nearly_spent() -> None:
    assert budget_wait(SessionStarts(1000, 1000, 5_000)) == 0
    assert budget_wait(SessionStarts(1000, 20, 5_000)) == 0
    assert budget_wait(SessionStarts(1000, 19, 5_000)) == 5.0
    assert budget_wait(SessionStarts(1000, 0, 3_600_000)) == 3600.0
