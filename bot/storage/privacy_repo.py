"""What the bot keeps about one person, handed over or forgotten on request, and whole
sessions removed once their retention period is over (mixed into SqliteStore).

Every table is covered (see ``migrations/``): a person's id lives in notes, comments,
votes, takers, nudges, nudge_optouts, sessions (the facilitator), server_settings (who
changed a setting) and, as ``<@id>`` mentions, in texts; their name in notes, comments
and takers. Recaps, the outbox, vote rounds, themes and note vectors hold neither, but
themes, vectors and rounds do hold what came from their notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.base import SqliteBase, parse_time, required_time

# What a mention of a forgotten person becomes in other people's texts: no id, no name.
FORGOTTEN_MENTION = "@…"

# The notes of the person being forgotten (bound as :u).
_THEIR_NOTES = "SELECT id FROM notes WHERE author_id = :u"

# Texts that may mention someone as <@id>: (table, column).
_MENTION_COLUMNS = (
    ("notes", "text"),
    ("comments", "text"),
    ("sessions", "topic"),
    ("sessions", "chosen_question"),
    ("themes", "name"),
)


@dataclass(frozen=True)
class ForgetReport:
    """What ``forget_user`` removed or made anonymous (numbers of rows, dots for votes)."""

    notes: int = 0
    comments: int = 0  # their own comments, on anyone's notes
    votes: int = 0  # the dots they placed
    takers: int = 0  # ideas they said they would take further
    nudges: int = 0  # nudges sent to them
    nudge_optout: int = 0  # their "no nudges" (1 or 0)
    # What went with their notes: other people's replies, dots and takers on them, the
    # notes' places in themes, themes left empty, and cached vectors.
    replies_on_notes: int = 0
    votes_on_notes: int = 0
    takers_on_notes: int = 0
    theme_places: int = 0
    themes: int = 0
    vectors: int = 0
    # Kept, without them: sessions they facilitated (facilitator id 0), server settings
    # they changed (updated_by 0), texts that mentioned them (mention replaced).
    sessions: int = 0
    settings: int = 0
    mentions: int = 0

    @property
    def theirs(self) -> int:
        """How many of their own rows (and dots) are gone."""
        return (
            self.notes + self.comments + self.votes + self.takers + self.nudges + self.nudge_optout
        )

    def counts(self) -> dict[str, int]:
        """Every count by field name (for logs and tests)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SessionAge:
    """When a session began and ended, for the retention job."""

    session_id: int
    guild_id: int
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class PurgeReport:
    """What removing one session took with it (numbers of rows, dots for votes)."""

    notes: int = 0
    comments: int = 0
    votes: int = 0
    rounds: int = 0
    themes: int = 0
    vectors: int = 0
    takers: int = 0
    outbox: int = 0
    recaps: int = 0
    nudges: int = 0
    sessions: int = 0

    def counts(self) -> dict[str, int]:
        """Every count by field name (logged; never any text of a note)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


async def _count(db: aiosqlite.Connection, sql: str, params: dict[str, Any]) -> int:
    async with db.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


async def _changed(db: aiosqlite.Connection, sql: str, params: dict[str, Any]) -> int:
    """Run a DELETE or UPDATE; how many rows it touched."""
    cursor = await db.execute(sql, params)
    return max(cursor.rowcount, 0)


class PrivacyRepository(SqliteBase):
    """A person's data on request, their removal in one transaction, and session purges."""

    # -- forgetting a person ----------------------------------------------------------------

    async def forget_user(self, user_id: int) -> ForgetReport:
        """Remove everything of one person, in every server, in one transaction.

        Their notes go with the comments, votes, takers, theme places and vectors on
        them (and themes left empty); their own comments, votes, takers, nudges and
        nudge opt-out go too. Sessions they facilitated stay (they are the library's)
        with facilitator id 0; settings they changed stay with ``updated_by`` 0; a
        mention of them in anyone's text becomes ``@…``. Discord messages are not ours
        to delete: the person removes those themselves.
        """
        p: dict[str, Any] = {"u": user_id}
        async with self._transaction() as db:
            replies = await _changed(
                db,
                f"DELETE FROM comments WHERE note_id IN ({_THEIR_NOTES}) AND author_id != :u",
                p,
            )
            comments = await _changed(db, "DELETE FROM comments WHERE author_id = :u", p)
            votes_on_notes = await _count(
                db,
                f"SELECT SUM(count) FROM votes WHERE note_id IN ({_THEIR_NOTES})"
                " AND voter_id != :u",
                p,
            )
            await db.execute(
                f"DELETE FROM votes WHERE note_id IN ({_THEIR_NOTES}) AND voter_id != :u", p
            )
            votes = await _count(db, "SELECT SUM(count) FROM votes WHERE voter_id = :u", p)
            await db.execute("DELETE FROM votes WHERE voter_id = :u", p)
            takers_on_notes = await _changed(
                db, f"DELETE FROM takers WHERE note_id IN ({_THEIR_NOTES}) AND user_id != :u", p
            )
            takers = await _changed(db, "DELETE FROM takers WHERE user_id = :u", p)
            theme_places = await _count(
                db, f"SELECT COUNT(*) FROM note_themes WHERE note_id IN ({_THEIR_NOTES})", p
            )
            # Themes that held only their notes: named from their words, empty without them.
            themes = await _changed(
                db,
                f"DELETE FROM themes WHERE id IN (SELECT theme_id FROM note_themes"
                f" WHERE note_id IN ({_THEIR_NOTES})) AND NOT EXISTS (SELECT 1 FROM"
                f" note_themes nt WHERE nt.theme_id = themes.id"
                f" AND nt.note_id NOT IN ({_THEIR_NOTES}))",
                p,
            )
            await db.execute(f"DELETE FROM note_themes WHERE note_id IN ({_THEIR_NOTES})", p)
            vectors = await _changed(
                db, f"DELETE FROM note_vectors WHERE note_id IN ({_THEIR_NOTES})", p
            )
            await self._drop_from_rounds(db, user_id)
            notes = await _changed(db, "DELETE FROM notes WHERE author_id = :u", p)
            nudges = await _changed(db, "DELETE FROM nudges WHERE user_id = :u", p)
            await db.execute("DELETE FROM step_done WHERE user_id = :u", p)
            optout = await _changed(db, "DELETE FROM nudge_optouts WHERE user_id = :u", p)
            sessions = await _changed(
                db, "UPDATE sessions SET facilitator_id = 0 WHERE facilitator_id = :u", p
            )
            settings = await _changed(
                db, "UPDATE server_settings SET updated_by = 0 WHERE updated_by = :u", p
            )
            mentions = await self._drop_mentions(db, user_id)
        return ForgetReport(
            notes=notes,
            comments=comments,
            votes=votes,
            takers=takers,
            nudges=nudges,
            nudge_optout=optout,
            replies_on_notes=replies,
            votes_on_notes=votes_on_notes,
            takers_on_notes=takers_on_notes,
            theme_places=theme_places,
            themes=themes,
            vectors=vectors,
            sessions=sessions,
            settings=settings,
            mentions=mentions,
        )

    @staticmethod
    async def _drop_from_rounds(db: aiosqlite.Connection, user_id: int) -> None:
        """Take their notes out of the options of vote rounds (a ballot offers what is left)."""
        async with db.execute(
            "SELECT DISTINCT r.id, r.options FROM vote_rounds r, json_each(r.options) j"
            f" WHERE j.value IN ({_THEIR_NOTES})",
            {"u": user_id},
        ) as cursor:
            rounds = [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]
        if not rounds:
            return
        async with db.execute(_THEIR_NOTES, {"u": user_id}) as cursor:
            theirs = {int(row[0]) for row in await cursor.fetchall()}
        await db.executemany(
            "UPDATE vote_rounds SET options = ? WHERE id = ?",
            [
                (json.dumps([i for i in json.loads(options) if i not in theirs]), round_id)
                for round_id, options in rounds
            ],
        )

    @staticmethod
    async def _drop_mentions(db: aiosqlite.Connection, user_id: int) -> int:
        """Replace ``<@id>`` and ``<@!id>`` in every stored text; how many texts changed."""
        changed = 0
        params = {"a": f"<@{user_id}>", "b": f"<@!{user_id}>", "r": FORGOTTEN_MENTION}
        for table, column in _MENTION_COLUMNS:
            cursor = await db.execute(
                f"UPDATE {table} SET {column} = REPLACE(REPLACE({column}, :b, :r), :a, :r)"
                f" WHERE instr({column}, :a) > 0 OR instr({column}, :b) > 0",
                params,
            )
            changed += max(cursor.rowcount, 0)
        return changed

    # -- a person's data ----------------------------------------------------------------------

    async def user_data(self, user_id: int) -> dict[str, Any]:
        """Everything stored about one person, in every server, with plain English keys
        (the edge names them in the person's language). Other people's texts are left
        out: a vote or a taker names the note by id and session only."""
        p = {"u": user_id}
        notes = [
            {
                "id": row["id"],
                "session": row["session_id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "step": row["step_index"] + 1,
                "step_kind": row["step_kind"],
                "kind": row["kind"],
                "name": row["author_name"],
                "text": row["text"],
                "attachments": json.loads(row["attachments"]),
                "source": row["source"],
                "time": row["created_at"],
                "edited": row["edited_at"],
            }
            for row in await self._all(
                "SELECT n.id, n.session_id, s.guild_id, s.topic, n.step_index,"
                " json_extract(s.steps, '$[' || n.step_index || '].kind') AS step_kind,"
                " n.kind, n.author_name, n.text, n.attachments, n.source, n.created_at,"
                " n.edited_at FROM notes n JOIN sessions s ON s.id = n.session_id"
                " WHERE n.author_id = :u ORDER BY n.created_at, n.id",
                p,
            )
        ]
        comments = [
            {
                "id": row["id"],
                "note": row["note_id"],
                "session": row["session_id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "name": row["author_name"],
                "text": row["text"],
                "time": row["created_at"],
                "edited": row["edited_at"],
            }
            for row in await self._all(
                "SELECT c.id, c.note_id, n.session_id, s.guild_id, s.topic, c.author_name,"
                " c.text, c.created_at, c.edited_at FROM comments c"
                " JOIN notes n ON n.id = c.note_id JOIN sessions s ON s.id = n.session_id"
                " WHERE c.author_id = :u ORDER BY c.created_at, c.id",
                p,
            )
        ]
        votes = [
            {
                "session": row["session_id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "step": row["step_index"] + 1,
                "round": row["round_id"],
                "note": row["note_id"],
                "dots": row["count"],
            }
            for row in await self._all(
                "SELECT r.session_id, s.guild_id, s.topic, r.step_index, v.round_id,"
                " v.note_id, v.count FROM votes v JOIN vote_rounds r ON r.id = v.round_id"
                " JOIN sessions s ON s.id = r.session_id WHERE v.voter_id = :u"
                " ORDER BY v.round_id, v.note_id",
                p,
            )
        ]
        takers = [
            {
                "note": row["note_id"],
                "session": row["session_id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "name": row["user_name"],
                "time": row["created_at"],
            }
            for row in await self._all(
                "SELECT t.note_id, n.session_id, s.guild_id, s.topic, t.user_name,"
                " t.created_at FROM takers t JOIN notes n ON n.id = t.note_id"
                " JOIN sessions s ON s.id = n.session_id WHERE t.user_id = :u"
                " ORDER BY t.created_at, t.rowid",
                p,
            )
        ]
        nudges = [
            {
                "session": row["session_id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "step": row["step_index"] + 1,
                "time": row["sent_at"],
            }
            for row in await self._all(
                "SELECT g.session_id, s.guild_id, s.topic, g.step_index, g.sent_at"
                " FROM nudges g JOIN sessions s ON s.id = g.session_id WHERE g.user_id = :u"
                " ORDER BY g.sent_at",
                p,
            )
        ]
        facilitated = [
            {
                "session": row["id"],
                "server": row["guild_id"],
                "topic": row["topic"],
                "started": row["created_at"],
                "ended": row["ended_at"],
            }
            for row in await self._all(
                "SELECT id, guild_id, topic, created_at, ended_at FROM sessions"
                " WHERE facilitator_id = :u ORDER BY created_at, id",
                p,
            )
        ]
        settings = [
            {"server": row["guild_id"], "setting": row["key"], "time": row["updated_at"]}
            for row in await self._all(
                "SELECT guild_id, key, updated_at FROM server_settings"
                " WHERE updated_by = :u ORDER BY guild_id, key",
                p,
            )
        ]
        optout = await self._one("SELECT at FROM nudge_optouts WHERE user_id = :u", p)
        names = sorted(
            {item["name"] for item in (*notes, *comments, *takers) if item["name"] is not None}
        )
        return {
            "user": user_id,
            "names": names,
            "notes": notes,
            "comments": comments,
            "votes": votes,
            "takers": takers,
            "nudges": nudges,
            "no_nudges_since": None if optout is None else optout[0],
            "facilitated": facilitated,
            "settings": settings,
        }

    # -- retention --------------------------------------------------------------------------

    async def session_ages(self) -> list[SessionAge]:
        """Every session's server, start and end, oldest first."""
        rows = await self._all(
            "SELECT id, guild_id, created_at, ended_at FROM sessions ORDER BY id", ()
        )
        return [
            SessionAge(
                session_id=int(row[0]),
                guild_id=int(row[1]),
                created_at=required_time(row[2]),
                ended_at=parse_time(row[3]),
            )
            for row in rows
        ]

    async def purge_session(self, session_id: int) -> PurgeReport:
        """Remove a session and everything of it, in one transaction."""
        p: dict[str, Any] = {"s": session_id}
        notes_of = "SELECT id FROM notes WHERE session_id = :s"
        async with self._transaction() as db:
            comments = await _changed(db, f"DELETE FROM comments WHERE note_id IN ({notes_of})", p)
            votes = await _count(
                db,
                "SELECT SUM(count) FROM votes WHERE round_id IN"
                " (SELECT id FROM vote_rounds WHERE session_id = :s)"
                f" OR note_id IN ({notes_of})",
                p,
            )
            await db.execute(
                "DELETE FROM votes WHERE round_id IN"
                " (SELECT id FROM vote_rounds WHERE session_id = :s)"
                f" OR note_id IN ({notes_of})",
                p,
            )
            rounds = await _changed(db, "DELETE FROM vote_rounds WHERE session_id = :s", p)
            takers = await _changed(db, f"DELETE FROM takers WHERE note_id IN ({notes_of})", p)
            await db.execute(
                f"DELETE FROM note_themes WHERE note_id IN ({notes_of}) OR theme_id IN"
                " (SELECT id FROM themes WHERE session_id = :s)",
                p,
            )
            themes = await _changed(db, "DELETE FROM themes WHERE session_id = :s", p)
            vectors = await _changed(
                db, f"DELETE FROM note_vectors WHERE note_id IN ({notes_of})", p
            )
            notes = await _changed(db, "DELETE FROM notes WHERE session_id = :s", p)
            outbox = await _changed(db, "DELETE FROM outbox WHERE session_id = :s", p)
            recaps = await _changed(db, "DELETE FROM recaps WHERE session_id = :s", p)
            nudges = await _changed(db, "DELETE FROM nudges WHERE session_id = :s", p)
            sessions = await _changed(db, "DELETE FROM sessions WHERE id = :s", p)
        return PurgeReport(
            notes=notes,
            comments=comments,
            votes=votes,
            rounds=rounds,
            themes=themes,
            vectors=vectors,
            takers=takers,
            outbox=outbox,
            recaps=recaps,
            nudges=nudges,
            sessions=sessions,
        )
