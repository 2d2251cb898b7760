"""Private writing: who said "I'm done" in a step, and who has written in a session."""

from __future__ import annotations

from datetime import datetime

from bot.storage.base import SqliteBase, to_time


class PrivateWritingRepository(SqliteBase):
    """The "I'm done" marks of private steps."""

    async def mark_done(self, session_id: int, step_index: int, user_id: int, at: datetime) -> bool:
        """Record that a person is done writing in a step; False if they had said so."""
        async with self._single():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO step_done (session_id, step_index, user_id, at)"
                " VALUES (?, ?, ?, ?)",
                (session_id, step_index, user_id, to_time(at)),
            )
            return cursor.rowcount == 1

    async def done_in_step(self, session_id: int, step_index: int) -> set[int]:
        """Who said they are done in a step."""
        rows = await self._all(
            "SELECT user_id FROM step_done WHERE session_id = ? AND step_index = ?",
            (session_id, step_index),
        )
        return {int(row[0]) for row in rows}

    async def session_writers(self, session_id: int) -> set[int]:
        """Everyone who has a note in the session, in any step."""
        rows = await self._all(
            "SELECT DISTINCT author_id FROM notes WHERE session_id = ?", (session_id,)
        )
        return {int(row[0]) for row in rows}
