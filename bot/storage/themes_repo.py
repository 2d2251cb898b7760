"""Themes, facilitator corrections, cached note vectors and idea takers (mixed into SqliteStore)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.domain.themes import Theme, ThemePlan
from bot.storage.base import SqliteBase, to_time


class ThemesRepository(SqliteBase):
    """A re-run replaces what the clustering decided and keeps what people decided."""

    async def themes(self, session_id: int, step_index: int) -> list[Theme]:
        """A step's themes in board order, each with its notes."""
        rows = await self._all(
            "SELECT id, position, name, keywords, renamed FROM themes"
            " WHERE session_id = ? AND step_index = ? ORDER BY position, id",
            (session_id, step_index),
        )
        members = await self._all(
            "SELECT nt.theme_id, nt.note_id, nt.pinned FROM note_themes nt"
            " JOIN themes t ON t.id = nt.theme_id"
            " WHERE t.session_id = ? AND t.step_index = ? ORDER BY nt.rowid",
            (session_id, step_index),
        )
        notes: dict[int, list[int]] = {}
        pinned: dict[int, set[int]] = {}
        for theme_id, note_id, is_pinned in members:
            notes.setdefault(theme_id, []).append(note_id)
            if is_pinned:
                pinned.setdefault(theme_id, set()).add(note_id)
        return [
            Theme(
                id=row["id"],
                session_id=session_id,
                step_index=step_index,
                position=row["position"],
                name=row["name"],
                keywords=tuple(json.loads(row["keywords"])),
                renamed=bool(row["renamed"]),
                note_ids=tuple(notes.get(row["id"], [])),
                pinned=frozenset(pinned.get(row["id"], set())),
            )
            for row in rows
        ]

    async def save_theme_run(
        self, session_id: int, step_index: int, plans: Sequence[ThemePlan], at: datetime
    ) -> list[Theme]:
        """Store a clustering run: unpinned placements and uncorrected themes are replaced.

        A plan with ``theme_id`` adds notes to that (kept) theme, leaving its name alone
        if a facilitator renamed it; a plan without one creates a new theme.
        """
        async with self._transaction() as db:
            await db.execute(
                "DELETE FROM note_themes WHERE pinned = 0 AND theme_id IN"
                " (SELECT id FROM themes WHERE session_id = ? AND step_index = ?)",
                (session_id, step_index),
            )
            kept = {plan.theme_id for plan in plans if plan.theme_id is not None}
            marks = ", ".join("?" for _ in kept)
            # Only "?" marks are formatted in; the values are bound. (No "NOT IN (NULL)"
            # when nothing is kept: that is never true and would keep every old theme.)
            not_kept = f" AND id NOT IN ({marks})" if kept else ""
            uncorrected = (
                "DELETE FROM themes WHERE session_id = ? AND step_index = ? AND renamed = 0"
                f"{not_kept} AND NOT EXISTS (SELECT 1 FROM note_themes nt"
                " WHERE nt.theme_id = themes.id AND nt.pinned = 1)"
            )
            await db.execute(
                uncorrected,
                (session_id, step_index, *kept),
            )
            for position, plan in enumerate(plans):
                theme_id = plan.theme_id
                if theme_id is None:
                    cursor = await db.execute(
                        "INSERT INTO themes (session_id, step_index, position, name, keywords,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            session_id,
                            step_index,
                            position,
                            plan.name,
                            json.dumps(list(plan.keywords)),
                            to_time(at),
                        ),
                    )
                    theme_id = cursor.lastrowid
                else:
                    await db.execute(
                        "UPDATE themes SET position = ?, keywords = ?,"
                        " name = CASE WHEN renamed = 1 THEN name ELSE ? END WHERE id = ?",
                        (position, json.dumps(list(plan.keywords)), plan.name, theme_id),
                    )
                await db.executemany(
                    "INSERT OR IGNORE INTO note_themes (note_id, theme_id) VALUES (?, ?)",
                    [(note_id, theme_id) for note_id in plan.note_ids],
                )
        return await self.themes(session_id, step_index)

    async def rename_theme(self, theme_id: int, name: str) -> bool:
        """A facilitator names a theme; re-runs keep the name."""
        async with self._single():
            cursor = await self._db.execute(
                "UPDATE themes SET name = ?, renamed = 1 WHERE id = ?", (name, theme_id)
            )
            return cursor.rowcount == 1

    async def move_note(self, note_id: int, theme_id: int) -> bool:
        """A facilitator places a note in a theme; re-runs keep it there."""
        async with self._single():
            try:
                cursor = await self._db.execute(
                    "INSERT INTO note_themes (note_id, theme_id, pinned) VALUES (?, ?, 1)"
                    " ON CONFLICT (note_id) DO UPDATE SET theme_id = excluded.theme_id,"
                    " pinned = 1",
                    (note_id, theme_id),
                )
            except sqlite3.IntegrityError:
                return False  # the note or the theme is gone
            return cursor.rowcount == 1

    async def merge_themes(self, source_id: int, target_id: int) -> bool:
        """Move every note of ``source`` into ``target`` (pinned) and drop ``source``."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE note_themes SET theme_id = ?, pinned = 1 WHERE theme_id = ?",
                (target_id, source_id),
            )
            cursor = await db.execute("DELETE FROM themes WHERE id = ?", (source_id,))
            return cursor.rowcount == 1

    async def cached_vectors(self, note_ids: Sequence[int], embedder: str) -> dict[int, bytes]:
        """Stored vectors of these notes made by ``embedder``."""
        found: dict[int, bytes] = {}
        for start in range(0, len(note_ids), 500):
            chunk = list(note_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = await self._all(
                f"SELECT note_id, vector FROM note_vectors WHERE embedder = ?"
                f" AND note_id IN ({marks})",
                [embedder, *chunk],
            )
            found.update({int(row[0]): bytes(row[1]) for row in rows})
        return found

    async def save_vectors(self, embedder: str, vectors: dict[int, bytes]) -> None:
        """Cache vectors so a recap never embeds the same note twice."""
        if not vectors:
            return
        async with self._transaction() as db:
            await db.executemany(
                "INSERT OR REPLACE INTO note_vectors (note_id, embedder, vector) VALUES (?, ?, ?)",
                [(note_id, embedder, blob) for note_id, blob in vectors.items()],
            )

    async def add_taker(self, note_id: int, user_id: int, user_name: str, at: datetime) -> bool:
        """Someone will take an idea further; False if they had said so already."""
        async with self._single():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO takers (note_id, user_id, user_name, created_at)"
                " VALUES (?, ?, ?, ?)",
                (note_id, user_id, user_name, to_time(at)),
            )
            return cursor.rowcount == 1

    async def takers(self, note_ids: Sequence[int]) -> dict[int, list[str]]:
        """Who takes which idea further, in the order they said so."""
        result: dict[int, list[str]] = {}
        if not note_ids:
            return result
        marks = ", ".join("?" for _ in note_ids)
        rows = await self._all(
            f"SELECT note_id, user_name FROM takers WHERE note_id IN ({marks})"
            " ORDER BY created_at, rowid",
            list(note_ids),
        )
        for note_id, name in rows:
            result.setdefault(int(note_id), []).append(str(name))
        return result
