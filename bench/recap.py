"""Recap cost: themes + step summary + board picture for 1,000 and 10,000 notes.

Run: ``.venv/bin/python -m bench.recap`` (``--sizes 200,1000`` for a quick run,
``--embedder lexical`` for the fallback). Prints a table and writes ``bench/results-recap.md``.

What is measured is what the bot does when a step with 1k/10k notes ends: load the
notes, group them into themes (vectors come from the cache, as they do for notes the bot
embedded in the background while they came in), store the themes, build and render the
summary text, and render the board picture pages. The event loop's worst lag is sampled
every 5 ms throughout, so a blocking step shows up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import tempfile
import time
import tomllib
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bench.harness import LagMonitor
from bot.domain.board import NoteDraft, NoteSource
from bot.domain.session import Session
from bot.domain.summary import participation, summarise_step, theme_groups
from bot.domain.templates import StepPlan
from bot.i18n import catalog
from bot.render import text
from bot.render.board_image import BoardPicture, render_board
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.themes import best_embedder
from bot.themes_service import ThemeService
from bot.ui.pictures import MAX_PAGES, board_groups

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "library_notes.toml"
NAMES = ["Anouk", "Sem", "Fatima", "Joris", "Lotte", "Bram", "Yusuf", "Emma", "Noor", "Daan"]


async def prepare(
    folder: Path, size: int, embedder_name: str
) -> tuple[SqliteStore, Session, ThemeService]:
    """A database with one session whose first step holds ``size`` notes (vectors cached)."""
    texts = [note["text"] for note in tomllib.loads(FIXTURE.read_text("utf-8"))["note"]]
    db = await connect(folder / f"bench-{size}.sqlite3")
    store = SqliteStore(db)
    now = datetime.now(UTC)
    draft, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="Hoe wordt de bibliotheek een plek voor iedereen?",
        locale="nl",
        template="classic",
        steps=(StepPlan("empathise", timedelta(minutes=15)),),
        reminder_before=timedelta(minutes=2),
        now=now,
    )
    session = await store.create_session(draft)
    rng = random.Random(size)
    embedder = best_embedder(embedder_name)
    base = embedder.embed(texts) if embedder.cacheable else None
    vectors: dict[int, bytes] = {}
    for number in range(size):
        index = number % len(texts)
        note = await store.add_note(
            NoteDraft(
                session_id=session.id,
                step_index=0,
                author_id=100 + number % 40,
                author_name=NAMES[number % len(NAMES)],
                text=texts[index],
                source=NoteSource.MESSAGE,
                created_at=now + timedelta(seconds=number),
                message_id=10_000 + number,
            )
        )
        assert note is not None
        if base is not None:
            # A nearby point per copy, so the clustering sees 'size' distinct notes.
            jitter = np.asarray([rng.gauss(0, 0.02) for _ in range(base.shape[1])], np.float32)
            row = base[index] + jitter
            vectors[note.id] = (row / np.linalg.norm(row)).astype(np.float32).tobytes()
    if vectors:
        await store.save_vectors(embedder.name, vectors)
    return store, session, ThemeService(store, lambda: embedder)


async def recap(store: SqliteStore, session: Session, themes: ThemeService) -> dict[str, float]:
    """One recap, timed per part."""
    sentences = catalog()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    notes = await store.notes(session.id, 0)
    plans = await themes.plan(notes, [])
    stored = await store.save_theme_run(session.id, 0, plans, datetime.now(UTC))
    timings["themes"] = time.perf_counter() - started
    mark = time.perf_counter()
    groups = theme_groups(stored, notes)
    summary = replace(
        summarise_step(0, "empathise", notes, await store.comment_counts(session.id)),
        themes=groups,
        participation=participation(notes),
    )
    parts = text.step_summary(sentences, "nl", summary)
    timings["summary"] = time.perf_counter() - mark
    timings["messages"] = len(parts)
    mark = time.perf_counter()
    placed = {note.id for group in groups for note in group.notes}
    picture = BoardPicture(
        title=session.topic,
        subtitle="Inleven",
        groups=board_groups(groups, [n for n in notes if n.id not in placed], "Overig"),
        more_text=sentences.raw("nl", "common.board.more"),
    )
    pages = await asyncio.to_thread(render_board, picture, max_pages=MAX_PAGES)
    timings["picture"] = time.perf_counter() - mark
    timings["pages"] = len(pages)
    timings["total"] = time.perf_counter() - started
    timings["themes_found"] = len(stored)
    return timings


async def measure(size: int, embedder: str) -> dict[str, float]:
    """Prepare outside the measurement, then time one recap with memory and loop lag."""
    with tempfile.TemporaryDirectory() as folder:
        store, session, themes = await prepare(Path(folder), size, embedder)
        await themes.embedder()
        # Time without tracemalloc (it slows allocation several-fold), then measure memory.
        with LagMonitor() as lag:
            result = await recap(store, session, themes)
        tracemalloc.start()
        await recap(store, session, themes)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak_mib"] = peak / 2**20
        result["lag_ms"] = lag.worst * 1000
        await store._db.close()
    return result


def main() -> None:
    """Run the recap bench and write its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--embedder", default="auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results-recap.md"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = {size: asyncio.run(measure(size, args.embedder)) for size in sizes}
    header = (
        "| notes | themes | total s | themes s | summary s | picture s | peak MiB"
        " | worst loop lag ms | messages | pages |"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"# Recap bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}; embedder {args.embedder}; peak RSS {rss:.0f} MiB.",
        "",
        header,
        "|---" * 10 + "|",
    ]
    for size, r in rows.items():
        lines.append(
            f"| {size:,} | {r['themes_found']:.0f} | {r['total']:.2f} | {r['themes']:.2f} | "
            f"{r['summary']:.2f} | {r['picture']:.2f} | {r['peak_mib']:.1f} | {r['lag_ms']:.0f} | "
            f"{r['messages']:.0f} | {r['pages']:.0f} |"
        )
    if len(sizes) >= 2:
        small, large = rows[sizes[0]], rows[sizes[-1]]
        lines += [
            "",
            f"Ratio {sizes[-1]:,}/{sizes[0]:,} (total time): {large['total'] / small['total']:.1f}",
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
