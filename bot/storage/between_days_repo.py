"""Daily recaps, participation nudges and who contributed when (mixed into SqliteStore)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.base import SqliteBase, required_time, to_time


@dataclass(frozen=True)
class Contributor:
    """Someone who wrote in a session, and when they first did."""

    user_id: int
    name: str
    first_at: datetime


@dataclass(frozen=True)
class OwedRecap:
    """A recap claimed but not confirmed as posted (the bot stopped in between)."""

    session_id: int
    kind: str
    day: str
    since: datetime
    until: datetime


class BetweenDaysRepository(SqliteBase):
    """Claims make a recap or a nudge happen at most once, whatever restarts."""

    async def contributors(self, session_id: int) -> list[Contributor]:
        """Everyone who wrote a note or a comment in the session, first comers first."""
        rows = await self._all(
            "SELECT author_id, MAX(author_name), MIN(created_at) FROM ("
            " SELECT author_id, author_name, created_at FROM notes WHERE session_id = :s"
            " UNION ALL SELECT c.author_id, c.author_name, c.created_at FROM comments c"
            " JOIN notes n ON n.id = c.note_id WHERE n.session_id = :s"
            ") GROUP BY author_id ORDER BY MIN(created_at), author_id",
            {"s": session_id},
        )
        return [Contributor(int(r[0]), str(r[1]), required_time(r[2])) for r in rows]

    async def comments_between(self, session_id: int, since: datetime, until: datetime) -> int:
        """How many comments were written in the session in [since, until)."""
        row = await self._one(
            "SELECT COUNT(*) FROM comments c JOIN notes n ON n.id = c.note_id"
            " WHERE n.session_id = ? AND c.created_at >= ? AND c.created_at < ?",
            (session_id, to_time(since), to_time(until)),
        )
        return int(row[0]) if row else 0

    async def claim_recap(
        self, session_id: int, kind: str, day: str, since: datetime, until: datetime, at: datetime
    ) -> bool:
        """Reserve the session's recap of this kind for this local day; False if taken."""
        async with self._single():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO recaps (session_id, kind, day, window_start,"
                " window_end, claimed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, kind, day, to_time(since), to_time(until), to_time(at)),
            )
            return cursor.rowcount == 1

    async def recap_posted(self, session_id: int, kind: str, day: str, at: datetime) -> None:
        """The claimed recap is out."""
        async with self._single():
            await self._db.execute(
                "UPDATE recaps SET posted_at = ? WHERE session_id = ? AND kind = ? AND day = ?",
                (to_time(at), session_id, kind, day),
            )

    async def owed_recaps(self) -> list[OwedRecap]:
        """Recaps claimed and never confirmed, oldest first."""
        rows = await self._all(
            "SELECT session_id, kind, day, window_start, window_end FROM recaps"
            " WHERE posted_at IS NULL ORDER BY claimed_at",
            (),
        )
        return [
            OwedRecap(int(r[0]), str(r[1]), str(r[2]), required_time(r[3]), required_time(r[4]))
            for r in rows
        ]

    async def last_recap_end(self, session_id: int, kind: str) -> datetime | None:
        """Where the session's latest recap (or digest) window ended."""
        row = await self._one(
            "SELECT MAX(window_end) FROM recaps WHERE session_id = ? AND kind = ?",
            (session_id, kind),
        )
        return None if row is None or row[0] is None else required_time(row[0])

    async def claim_nudge(
        self, session_id: int, step_index: int, user_id: int, at: datetime
    ) -> bool:
        """Reserve the one nudge this person may get in this step; False if sent before."""
        async with self._single():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO nudges (session_id, step_index, user_id, sent_at)"
                " VALUES (?, ?, ?, ?)",
                (session_id, step_index, user_id, to_time(at)),
            )
            return cursor.rowcount == 1

    async def quiet_participants(self, session_id: int, step_index: int) -> list[int]:
        """People who wrote in the session but not yet in this step, and who did not say
        "no nudges"."""
        rows = await self._all(
            "SELECT DISTINCT author_id FROM ("
            " SELECT author_id FROM notes WHERE session_id = :s"
            " UNION SELECT c.author_id FROM comments c JOIN notes n ON n.id = c.note_id"
            " WHERE n.session_id = :s"
            ") WHERE author_id NOT IN"
            " (SELECT author_id FROM notes WHERE session_id = :s AND step_index = :i)"
            " AND author_id NOT IN (SELECT user_id FROM nudge_optouts)"
            " ORDER BY author_id",
            {"s": session_id, "i": step_index},
        )
        return [int(r[0]) for r in rows]

    async def set_nudges_for_user(self, user_id: int, wanted: bool, at: datetime) -> None:
        """Opt a person out of nudges for good (or back in)."""
        async with self._single():
            if wanted:
                await self._db.execute("DELETE FROM nudge_optouts WHERE user_id = ?", (user_id,))
            else:
                await self._db.execute(
                    "INSERT OR IGNORE INTO nudge_optouts (user_id, at) VALUES (?, ?)",
                    (user_id, to_time(at)),
                )

    async def wants_nudges(self, user_id: int) -> bool:
        """False once the person opted out."""
        row = await self._one("SELECT 1 FROM nudge_optouts WHERE user_id = ?", (user_id,))
        return row is None
