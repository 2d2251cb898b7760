"""A bot restarted over and over backs off before it identifies; one whose daily
session budget is nearly spent waits for Discord's reset (bot/start_budget.py)."""

from __future__ import annotations

import time

import pytest

from bot.start_budget import FIRST_WAIT, FREE_STARTS, start_log_path
from tests.e2e.conftest import Harness


class RecordedSleep:
    """Stands in for asyncio.sleep in the bot's start-up: records, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(autouse=True)
def backoff_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCREATE_START_BACKOFF", raising=False)


async def test_a_first_start_and_a_restart_connect_at_once(harness: Harness) -> None:
    h = harness
    h.sleep = sleep = RecordedSleep()
    await h.start()
    await h.restart()
    assert sleep.waits == []
    assert h.sb.identify_count == 2
    assert len(start_log_path(h.db_path).read_text().split()) == 2


async def test_a_crash_loop_backs_off_before_identifying(harness: Harness) -> None:
    h = harness
    now = time.time()
    start_log_path(h.db_path).write_text(
        "".join(f"{now - 30 * n:.0f}\n" for n in range(1, FREE_STARTS)), encoding="utf-8"
    )
    h.sleep = sleep = RecordedSleep()
    await h.start()  # the fifth start within the hour: still free
    await h.restart()  # the sixth waits
    assert sleep.waits == [FIRST_WAIT]
    await h.restart()
    assert sleep.waits == [FIRST_WAIT, 2 * FIRST_WAIT]


async def test_an_almost_spent_session_budget_waits_for_discords_reset(
    harness: Harness,
) -> None:
    h = harness
    h.sb.config.session_starts_remaining = 3
    h.sb.config.session_starts_reset_after_ms = 4 * 3600 * 1000
    h.sleep = sleep = RecordedSleep()
    await h.start()
    assert sleep.waits == [4 * 3600.0]
    assert h.sb.identify_count == 1


async def test_the_switch_turns_the_local_back_off_off(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setenv("COCREATE_START_BACKOFF", "0")
    start_log_path(h.db_path).write_text(f"{time.time():.0f}\n" * 20, encoding="utf-8")
    h.sleep = sleep = RecordedSleep()
    await h.start()
    assert sleep.waits == []
