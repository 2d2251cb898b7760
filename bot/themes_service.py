"""The ThemeFinder port: vectors (cached in SQLite), clustering off the event loop, and
facilitator corrections respected.

A re-run clusters only the notes nobody placed by hand; a new cluster that sits close to
a theme a facilitator corrected joins that theme instead of becoming a near-copy of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from bot.domain.board import Note
from bot.domain.themes import Theme, ThemePlan, theme_name
from bot.heap import freeze_long_lived
from bot.storage.sqlite_store import SqliteStore

if TYPE_CHECKING:  # numpy and the theme engine load on first use, not at start-up
    import numpy as np
    from numpy.typing import NDArray

    from bot.themes import Embedder

log = logging.getLogger(__name__)

# Notes the clustering itself looks at; the rest join the nearest theme. 1,000 keeps a
# 10,000-note recap near a second with the same agreement as 1,500 (bench/recap.py).
SAMPLE_SIZE = 1000

# Notes embedded together in the background.
BATCH = 64

# Cosine similarity above which a new cluster is the same theme as a corrected one.
SAME_THEME = 0.85


class ThemeService:
    """Groups a step's notes into themes for Facilitation.run_themes."""

    def __init__(
        self, store: SqliteStore, embedder: Callable[[], Embedder], *, background: bool = True
    ) -> None:
        self._store = store
        # Word counting cannot cache vectors; then there is nothing to prepare per note.
        self._background = background
        self._make_embedder = embedder
        self._embedder: Embedder | None = None
        self._loading = asyncio.Lock()
        # Notes waiting to be embedded in the background, so a recap finds them cached.
        self._pending: list[Note] = []
        self._worker: asyncio.Task[None] | None = None

    async def embedder(self) -> Embedder:
        """The embedder, loaded on first use in a worker thread (a model takes a moment)."""
        async with self._loading:
            if self._embedder is None:
                self._embedder = await asyncio.to_thread(self._make_embedder)
                freeze_long_lived()  # the model and the engine's modules stay
        return self._embedder

    def note_added(self, note: Note) -> None:
        """Embed a new note soon, in the background and in batches (never blocks)."""
        if not self._background or not note.text.strip():
            return
        self._pending.append(note)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._embed_pending())

    async def _embed_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            try:
                if (await self.embedder()).cacheable:
                    await self.vectors(batch)
            except Exception:
                log.exception("embedding %s new notes failed; a recap will retry", len(batch))

    async def close(self) -> None:
        """Stop background embedding (before the database closes); pending notes are
        embedded at the next recap instead."""
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._pending.clear()

    async def vectors(self, notes: Sequence[Note]) -> NDArray[np.float32]:
        """One row per note; cached per embedder so a note is embedded once."""
        import numpy as np

        texts = [note.text for note in notes]
        embedder = await self.embedder()
        if not embedder.cacheable:
            return await asyncio.to_thread(embedder.embed, texts)
        name = embedder.name
        cached = await self._store.cached_vectors([note.id for note in notes], name)
        missing = [note for note in notes if note.id not in cached]
        if missing:
            fresh = await asyncio.to_thread(embedder.embed, [n.text for n in missing])
            new = {
                note.id: np.asarray(row, dtype=np.float32).tobytes()
                for note, row in zip(missing, fresh, strict=True)
            }
            await self._store.save_vectors(name, new)
            cached.update(new)
        blobs = [cached[note.id] for note in notes]
        # Off the loop: stacking 10,000 vectors takes tens of milliseconds.
        return await asyncio.to_thread(_stack, blobs)

    async def plan(self, notes: Sequence[Note], kept: Sequence[Theme]) -> list[ThemePlan]:
        """Themes for the unpinned notes; clusters close to a corrected theme join it."""
        from bot.themes import assign_to_themes, find_themes, theme_centroids

        usable = [note for note in notes if note.text.strip()]
        if not usable:
            return [ThemePlan(t.id, t.name, t.keywords, ()) for t in kept]
        pinned = {note_id for theme in kept for note_id in theme.pinned}
        vectors = await self.vectors(usable)
        row = {note.id: index for index, note in enumerate(usable)}
        free = [note for note in usable if note.id not in pinned]
        found = await asyncio.to_thread(
            partial(find_themes, sample_size=SAMPLE_SIZE),
            [note.id for note in free],
            [note.text for note in free],
            vectors[[row[note.id] for note in free]] if free else vectors[:0],
        )
        # Centroids of corrected themes, in the same (centred) space as the new ones (only
        # when there are any: over 10,000 vectors this is work worth skipping).
        kept_rows = [[row[i] for i in theme.note_ids if i in row] for theme in kept]
        kept_centres = (
            await asyncio.to_thread(theme_centroids, vectors, kept_rows, center=found.center)
            if kept
            else None
        )
        joins: dict[int, list[int]] = {theme.id: [] for theme in kept}
        plans: list[ThemePlan] = []
        for cluster in found.themes:
            keywords = tuple(cluster.keywords)
            match = (
                _closest(cluster.centroid, kept_centres, kept) if kept_centres is not None else None
            )
            if match is not None:
                joins[match].extend(cluster.note_ids)
            else:
                plans.append(
                    ThemePlan(None, theme_name(keywords), keywords, tuple(cluster.note_ids))
                )
        if kept_centres is not None and found.other:
            # A note that fits no new theme may still belong with a corrected one.
            labels, _ = assign_to_themes(
                vectors[[row[i] for i in found.other]],
                kept_centres,
                found.threshold,
                center=found.center,
            )
            for note_id, label in zip(found.other, labels, strict=True):
                if label >= 0:
                    joins[kept[int(label)].id].append(note_id)
        corrected = [
            ThemePlan(theme.id, theme.name, theme.keywords, tuple(joins[theme.id]))
            for theme in kept
        ]
        log.info(
            "themes: %s notes -> %s new, %s kept, %s other",
            len(usable),
            len(plans),
            len(corrected),
            len(found.other),
        )
        return corrected + plans


def _closest(
    centre: NDArray[np.float32], kept_centres: NDArray[np.float32], kept: Sequence[Theme]
) -> int | None:
    """The corrected theme this cluster is the same as, if any."""
    import numpy as np

    if not kept:
        return None
    similarities = kept_centres @ centre
    best = int(np.argmax(similarities))
    return kept[best].id if float(similarities[best]) >= SAME_THEME else None


def _stack(blobs: list[bytes]) -> NDArray[np.float32]:
    import numpy as np

    return np.vstack([np.frombuffer(blob, dtype=np.float32) for blob in blobs])
