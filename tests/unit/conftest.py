"""Fixtures for the use-case tests: fake clock, timers, announcer, and a store of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.canvas_files import load_canvases
from bot.facilitation import Facilitation, SessionDefaults
from bot.ports import Store
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.template_files import load_templates
from tests.fakes import FakeClock, InMemoryStore, ManualTimers, RecordingAnnouncer

REMINDER_LEAD = timedelta(minutes=2)
RETENTION_DAYS = 90


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timers() -> ManualTimers:
    return ManualTimers()


@pytest.fixture
def announcer() -> RecordingAnnouncer:
    return RecordingAnnouncer()


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    connection = await connect(tmp_path / "cocreate.sqlite3")
    try:
        yield SqliteStore(connection)
    finally:
        await connection.close()


@pytest.fixture
def facilitation(
    store: Store, timers: ManualTimers, announcer: RecordingAnnouncer, clock: FakeClock
) -> Facilitation:
    return Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        canvases=load_canvases(),
        defaults=SessionDefaults(reminder_before=REMINDER_LEAD, retention_days=RETENTION_DAYS),
    )
