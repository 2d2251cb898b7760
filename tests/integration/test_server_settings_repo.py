"""A server's own settings in a real SQLite file: set, reset, per server, across reopening;
and ServerConfig's merge over the deployment's config on top of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.domain.server_settings import ServerSettings, SettingKey
from bot.server_config import ServerConfig
from bot.settings import FacilitationSettings, LocaleSettings, RecapSettingsSection, Settings
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from tests.fakes import START

GUILD = 111
OTHER = 222
ADMIN = 5

EVERY_KEY = {
    SettingKey.LANGUAGE: "en",
    SettingKey.TIMEZONE: "Europe/London",
    SettingKey.FACILITATOR_ROLE: "1234",
    SettingKey.TEMPLATE: "classic",
    SettingKey.DURATIONS: "15m,10m,10m,15m",
    SettingKey.RECAP_TIME: "16:30",
    SettingKey.RECAP_CHANNEL: 987654321,
    SettingKey.RETENTION_DAYS: 90,
    SettingKey.NUDGES: False,
    SettingKey.REMINDERS: "12h,1h",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cocreate.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    connection = await connect(db_path)
    try:
        yield SqliteStore(connection)
    finally:
        await connection.close()


async def reopened(db_path: Path) -> ServerSettings:
    connection = await connect(db_path)
    try:
        return await SqliteStore(connection).server_settings(GUILD)
    finally:
        await connection.close()


async def test_a_server_without_settings_has_none(store: SqliteStore) -> None:
    assert await store.server_settings(GUILD) == ServerSettings()
    assert await store.guilds_with_settings() == []


async def test_every_key_is_stored_and_read_back_typed(store: SqliteStore) -> None:
    for key, value in EVERY_KEY.items():
        await store.set_server_setting(GUILD, key, value, ADMIN, START)
    settings = await store.server_settings(GUILD)
    assert settings.items() == EVERY_KEY
    assert settings.nudges is False
    assert settings.recap_channel == 987654321


async def test_setting_again_replaces_the_value(store: SqliteStore) -> None:
    await store.set_server_setting(GUILD, SettingKey.TIMEZONE, "Europe/London", ADMIN, START)
    later = START + timedelta(minutes=5)
    await store.set_server_setting(GUILD, SettingKey.TIMEZONE, "Europe/Brussels", 6, later)
    assert (await store.server_settings(GUILD)).timezone == "Europe/Brussels"
    rows = await store._all(
        "SELECT value, updated_by FROM server_settings WHERE guild_id = ?", (GUILD,)
    )
    assert [(r[0], r[1]) for r in rows] == [("Europe/Brussels", 6)]


async def test_none_resets_a_key_to_the_deployments(store: SqliteStore) -> None:
    await store.set_server_setting(GUILD, SettingKey.NUDGES, False, ADMIN, START)
    await store.set_server_setting(GUILD, SettingKey.LANGUAGE, "en", ADMIN, START)
    await store.set_server_setting(GUILD, SettingKey.NUDGES, None, ADMIN, START)
    assert await store.server_settings(GUILD) == ServerSettings(language="en")
    # Resetting what was never set is fine too.
    await store.set_server_setting(GUILD, SettingKey.TEMPLATE, None, ADMIN, START)
    assert await store.server_settings(GUILD) == ServerSettings(language="en")


async def test_each_server_has_its_own(store: SqliteStore) -> None:
    await store.set_server_setting(GUILD, SettingKey.LANGUAGE, "en", ADMIN, START)
    await store.set_server_setting(OTHER, SettingKey.LANGUAGE, "nl", ADMIN, START)
    await store.set_server_setting(OTHER, SettingKey.RETENTION_DAYS, 30, ADMIN, START)
    assert await store.server_settings(GUILD) == ServerSettings(language="en")
    assert await store.server_settings(OTHER) == ServerSettings(language="nl", retention_days=30)
    assert await store.guilds_with_settings() == [GUILD, OTHER]


async def test_settings_survive_reopening_the_file(store: SqliteStore, db_path: Path) -> None:
    for key, value in EVERY_KEY.items():
        await store.set_server_setting(GUILD, key, value, ADMIN, START)
    await store.set_server_setting(GUILD, SettingKey.DURATIONS, None, ADMIN, START)
    expected = ServerSettings()
    for key, value in EVERY_KEY.items():
        expected = expected.with_value(key, None if key is SettingKey.DURATIONS else value)
    assert await reopened(db_path) == expected


# -- ServerConfig on the real store ----------------------------------------------------------

DEPLOYMENT = Settings(
    locale=LocaleSettings(default="nl", timezone="Europe/Amsterdam"),
    facilitation=FacilitationSettings(facilitator_role="Facilitator", retention_days=365),
    recaps=RecapSettingsSection(time="17:00"),
)


async def test_unset_keys_are_the_deployments(store: SqliteStore) -> None:
    config = ServerConfig(store, DEPLOYMENT)
    current = await config.of(GUILD)
    assert (current.language, current.timezone, current.facilitator_role) == (
        "nl",
        "Europe/Amsterdam",
        "Facilitator",
    )
    assert current.recap_time == time(17, 0)
    assert current.recap_channel is None
    assert current.retention_days == 365
    assert current.nudges is True
    assert not any(current.is_own(key) for key in SettingKey)


async def test_a_change_applies_at_once_and_is_told(store: SqliteStore) -> None:
    config = ServerConfig(store, DEPLOYMENT)
    heard: list[tuple[int, SettingKey]] = []

    async def listener(guild_id: int, key: SettingKey) -> None:
        heard.append((guild_id, key))

    config.on_change(listener)
    assert (await config.of(GUILD)).timezone == "Europe/Amsterdam"  # cached now
    changed = await config.set(GUILD, SettingKey.TIMEZONE, "Europe/London", ADMIN, START)
    assert changed.timezone == "Europe/London"
    assert changed.is_own(SettingKey.TIMEZONE)
    assert (await config.of(GUILD)).timezone == "Europe/London"
    assert (await config.of(OTHER)).timezone == "Europe/Amsterdam"
    back = await config.set(GUILD, SettingKey.TIMEZONE, None, ADMIN, START)
    assert back.timezone == "Europe/Amsterdam"
    assert not back.is_own(SettingKey.TIMEZONE)
    assert heard == [(GUILD, SettingKey.TIMEZONE)] * 2


async def test_a_new_process_reads_the_servers_values(store: SqliteStore, db_path: Path) -> None:
    await ServerConfig(store, DEPLOYMENT).set(GUILD, SettingKey.RECAP_TIME, "16:30", ADMIN, START)
    connection = await connect(db_path)
    try:
        fresh = ServerConfig(SqliteStore(connection), DEPLOYMENT)
        assert (await fresh.of(GUILD)).recap_time == time(16, 30)
    finally:
        await connection.close()
