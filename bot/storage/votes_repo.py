"""Dot-voting rounds and votes in SQLite (mixed into SqliteStore)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.domain.voting import BallotError, BallotRefusal, RoundStatus, VoteRound, VoteTarget
from bot.storage.base import SqliteBase, parse_time, required_time, to_time

_ROUND_COLUMNS = (
    "id, session_id, step_index, target, options, budget, per_note_cap, status,"
    " opened_at, closes_at, closed_at, message_id"
)


def _round_from_row(row: sqlite3.Row) -> VoteRound:
    return VoteRound(
        id=row["id"],
        session_id=row["session_id"],
        step_index=row["step_index"],
        target=VoteTarget(row["target"]),
        options=tuple(json.loads(row["options"])),
        budget=row["budget"],
        per_note_cap=row["per_note_cap"],
        status=RoundStatus(row["status"]),
        opened_at=required_time(row["opened_at"]),
        closes_at=parse_time(row["closes_at"]),
        closed_at=parse_time(row["closed_at"]),
        message_id=row["message_id"],
    )


class VotesRepository(SqliteBase):
    """Rounds, ballots and tallies. A vote is checked and written in one transaction."""

    async def open_round(self, draft: VoteRound) -> VoteRound:
        """Store a new open round; at most one is open per session (IntegrityError)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO vote_rounds (session_id, step_index, target, options, budget,"
                " per_note_cap, status, opened_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.session_id,
                    draft.step_index,
                    draft.target.value,
                    json.dumps(list(draft.options)),
                    draft.budget,
                    draft.per_note_cap,
                    RoundStatus.OPEN.value,
                    to_time(draft.opened_at),
                    to_time(draft.closes_at),
                ),
            )
            round_id = cursor.lastrowid
        assert round_id is not None
        stored = await self.get_round(round_id)
        assert stored is not None
        return stored

    async def get_round(self, round_id: int) -> VoteRound | None:
        """A round by id."""
        row = await self._one(
            f"SELECT {_ROUND_COLUMNS} FROM vote_rounds WHERE id = ?",
            (round_id,),
        )
        return None if row is None else _round_from_row(row)

    async def open_round_of(self, session_id: int) -> VoteRound | None:
        """The session's open round, if any."""
        row = await self._one(
            f"SELECT {_ROUND_COLUMNS} FROM vote_rounds WHERE session_id = ? AND status = 'open'",
            (session_id,),
        )
        return None if row is None else _round_from_row(row)

    async def rounds_of(self, session_id: int) -> list[VoteRound]:
        """Every round of a session, oldest first."""
        rows = await self._all(
            f"SELECT {_ROUND_COLUMNS} FROM vote_rounds WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [_round_from_row(row) for row in rows]

    async def set_round_message(self, round_id: int, message_id: int) -> None:
        """Remember the thread post that carries the round's vote button."""
        async with self._single():
            await self._db.execute(
                "UPDATE vote_rounds SET message_id = ? WHERE id = ?", (message_id, round_id)
            )

    async def allocation(self, round_id: int, voter_id: int) -> dict[int, int]:
        """What one voter has placed: note id -> votes."""
        rows = await self._all(
            "SELECT note_id, count FROM votes WHERE round_id = ? AND voter_id = ?",
            (round_id, voter_id),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def cast_vote(self, round_id: int, voter_id: int, note_id: int) -> dict[int, int]:
        """Add one vote after checking the round's rules (BallotError); the new allocation.

        Read, check and write happen in one transaction, so concurrent clicks by the same
        voter can never exceed the budget or the per-note cap.
        """
        async with self._transaction() as db:
            async with db.execute(
                f"SELECT {_ROUND_COLUMNS} FROM vote_rounds WHERE id = ?",
                (round_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise LookupError(round_id)
            vote_round = _round_from_row(row)
            async with db.execute(
                "SELECT note_id, count FROM votes WHERE round_id = ? AND voter_id = ?",
                (round_id, voter_id),
            ) as cursor:
                mine = {int(r[0]): int(r[1]) for r in await cursor.fetchall()}
            vote_round.check_vote(mine, note_id)
            try:
                await db.execute(
                    "INSERT INTO votes (round_id, voter_id, note_id, count) VALUES (?, ?, ?, 1)"
                    " ON CONFLICT (round_id, voter_id, note_id) DO UPDATE SET count = count + 1",
                    (round_id, voter_id, note_id),
                )
            except sqlite3.IntegrityError:
                # The note was deleted after the round opened (an old ballot still shows it).
                raise BallotError(BallotRefusal.NOT_AN_OPTION) from None
        mine[note_id] = mine.get(note_id, 0) + 1
        return mine

    async def clear_votes(self, round_id: int, voter_id: int) -> None:
        """Take back all of one voter's votes in an open round."""
        async with self._single():
            await self._db.execute(
                "DELETE FROM votes WHERE voter_id = ? AND round_id ="
                " (SELECT id FROM vote_rounds WHERE id = ? AND status = 'open')",
                (voter_id, round_id),
            )

    async def voter_count(self, round_id: int) -> int:
        """How many people have voted (the thread shows only this while voting)."""
        row = await self._one(
            "SELECT COUNT(DISTINCT voter_id) FROM votes WHERE round_id = ?", (round_id,)
        )
        return int(row[0]) if row else 0

    async def round_votes(self, round_id: int) -> list[tuple[int, int, int]]:
        """Every (voter, note, count) of a round."""
        rows = await self._all(
            "SELECT voter_id, note_id, count FROM votes WHERE round_id = ?", (round_id,)
        )
        return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def close_round(self, round_id: int, at: datetime) -> VoteRound | None:
        """Close an open round; None if it was already closed (closing is idempotent)."""
        async with self._single():
            cursor = await self._db.execute(
                "UPDATE vote_rounds SET status = 'closed', closed_at = ?"
                " WHERE id = ? AND status = 'open'",
                (to_time(at), round_id),
            )
            changed = cursor.rowcount == 1
        return await self.get_round(round_id) if changed else None
