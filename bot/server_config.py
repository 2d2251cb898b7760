"""A server's effective settings: its own values over the deployment's config file.

Read per use (one small query, cached until the server changes a value), so a change in
``/settings set`` takes effect without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from bot.domain.durations import parse_reminders
from bot.domain.server_settings import ServerSettings, SettingKey
from bot.settings import Settings


@dataclass(frozen=True)
class EffectiveSettings:
    """What applies in one server now."""

    language: str
    timezone: str
    facilitator_role: str
    template: str
    durations: str | None
    recap_time: time
    recap_channel: int | None
    retention_days: int
    nudges: bool
    reminders: tuple[timedelta, ...]  # lead times for async steps, longest first
    own: ServerSettings  # which of these the server set itself

    def is_own(self, key: SettingKey) -> bool:
        """Whether the server set ``key`` itself (else it is the deployment's)."""
        return self.own.items()[key] is not None


def effective(own: ServerSettings, deployment: Settings) -> EffectiveSettings:
    """Merge a server's values over the deployment's."""
    facilitation = deployment.facilitation
    return EffectiveSettings(
        language=own.language or deployment.locale.default,
        timezone=own.timezone or deployment.locale.timezone,
        facilitator_role=own.facilitator_role or facilitation.facilitator_role,
        template=own.template or facilitation.template,
        durations=own.durations,
        recap_time=(time.fromisoformat(own.recap_time) if own.recap_time else deployment.recaps.at),
        recap_channel=(
            own.recap_channel if own.recap_channel is not None else deployment.recaps.channel_id
        ),
        retention_days=(
            own.retention_days if own.retention_days is not None else facilitation.retention_days
        ),
        nudges=own.nudges if own.nudges is not None else facilitation.nudges,
        reminders=(
            parse_reminders(own.reminders)
            if own.reminders is not None
            else facilitation.async_reminder_leads
        ),
        own=own,
    )


class ServerSettingsStore(Protocol):
    """The storage ServerConfig needs."""

    async def server_settings(self, guild_id: int) -> ServerSettings: ...

    async def set_server_setting(
        self, guild_id: int, key: SettingKey, value: object | None, by: int, at: datetime
    ) -> None: ...


class ServerConfig:
    """Effective settings per server, cached until that server changes one."""

    def __init__(self, store: ServerSettingsStore, deployment: Settings) -> None:
        self._store = store
        self._deployment = deployment
        self._cache: dict[int, EffectiveSettings] = {}
        self._listeners: list[_Listener] = []

    @property
    def deployment(self) -> Settings:
        """The config file's settings (the fallback for every server)."""
        return self._deployment

    async def of(self, guild_id: int | None) -> EffectiveSettings:
        """A server's effective settings (the deployment's outside a server, e.g. DMs)."""
        if guild_id is None:
            return effective(ServerSettings(), self._deployment)
        if guild_id not in self._cache:
            own = await self._store.server_settings(guild_id)
            self._cache[guild_id] = effective(own, self._deployment)
        return self._cache[guild_id]

    async def set(
        self, guild_id: int, key: SettingKey, value: object | None, by: int, at: datetime
    ) -> EffectiveSettings:
        """Store a validated value, and tell who depends on it (recap schedules)."""
        await self._store.set_server_setting(guild_id, key, value, by, at)
        self._cache.pop(guild_id, None)
        changed = await self.of(guild_id)
        for listener in self._listeners:
            await listener(guild_id, key)
        return changed

    def on_change(self, listener: _Listener) -> None:
        """Call ``listener(guild_id, key)`` after a server changed a setting."""
        self._listeners.append(listener)


class _Listener(Protocol):
    async def __call__(self, guild_id: int, key: SettingKey) -> None: ...
