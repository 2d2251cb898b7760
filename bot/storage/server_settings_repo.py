"""Per-server settings (mixed into SqliteStore)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.server_settings import ServerSettings, SettingKey, encode
from bot.storage.base import SqliteBase, to_time


class ServerSettingsRepository(SqliteBase):
    """One row per server and key; deleting a row restores the deployment's value."""

    async def server_settings(self, guild_id: int) -> ServerSettings:
        """The server's own values (unset keys are None)."""
        rows = await self._all(
            "SELECT key, value FROM server_settings WHERE guild_id = ?", (guild_id,)
        )
        return ServerSettings.from_stored({str(r[0]): str(r[1]) for r in rows})

    async def set_server_setting(
        self, guild_id: int, key: SettingKey, value: object | None, by: int, at: datetime
    ) -> None:
        """Store one validated value; None resets it to the deployment's."""
        async with self._single():
            if value is None:
                await self._db.execute(
                    "DELETE FROM server_settings WHERE guild_id = ? AND key = ?",
                    (guild_id, key.value),
                )
                return
            await self._db.execute(
                "INSERT INTO server_settings (guild_id, key, value, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE SET"
                " value = excluded.value, updated_by = excluded.updated_by,"
                " updated_at = excluded.updated_at",
                (guild_id, key.value, encode(key, value), by, to_time(at)),
            )

    async def guilds_with_settings(self) -> list[int]:
        """Servers that changed anything (their recaps may run at their own time)."""
        rows = await self._all("SELECT DISTINCT guild_id FROM server_settings ORDER BY 1", ())
        return [int(r[0]) for r in rows]
