from __future__ import annotations

from datetime import timedelta

from bot.domain.flood import FloodGuard
from tests.fakes import START

SECOND = timedelta(seconds=1)


def test_a_person_may_add_the_limit_per_minute_and_then_waits() -> None:
    guard = FloodGuard(3)
    assert [guard.allow(1, 0, 7, START + i * SECOND) for i in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    # Others and other steps are not affected.
    assert guard.allow(1, 0, 8, START + 4 * SECOND)
    assert guard.allow(1, 1, 7, START + 4 * SECOND)
    # A refused note is not counted: a minute after the first, one more fits.
    assert not guard.allow(1, 0, 7, START + 59 * SECOND)
    assert guard.allow(1, 0, 7, START + 60 * SECOND)
    assert not guard.allow(1, 0, 7, START + 60 * SECOND)


def test_zero_switches_it_off_and_an_ended_session_is_forgotten() -> None:
    off = FloodGuard(0)
    assert all(off.allow(1, 0, 7, START) for _ in range(100))
    guard = FloodGuard(1)
    assert guard.allow(1, 0, 7, START)
    guard.forget_session(1)
    assert guard.allow(1, 0, 7, START)
