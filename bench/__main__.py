"""Run every benchmark and print one table: ``python -m bench [--quick] [--only a,b]``.

Each benchmark module exposes ``async def run(quick: bool = False) -> list[Row]`` and is
imported only when it runs, so a missing or broken module is skipped with a line saying
why and the others still run. ``recap`` predates that contract and is adapted here.
The table is printed and written (``--out``, default ``bench/results.md``) with the date,
the machine's CPUs and the Python version.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Row

BENCHMARKS = ("ingest", "latency", "rest_cost", "recap", "memory", "timers", "crash")
RESULTS = Path(__file__).with_name("results.md")

Runner = Callable[[bool], Coroutine[Any, Any, list[Row]]]


async def recap_rows(quick: bool = False) -> list[Row]:
    """``bench.recap.measure`` for 1,000 and 10,000 notes (quick: 200 and 1,000), after
    one untimed warm-up (the first inference and lazy imports would land on the small
    size and bend the ratio)."""
    from bench import recap
    from bot.themes import best_embedder

    small, large = (200, 1_000) if quick else (1_000, 10_000)
    embedder = "auto"
    resolved = best_embedder(embedder).name
    await recap.measure(small, embedder)  # warm-up: first inference and imports, not timed
    results = {size: await recap.measure(size, embedder) for size in (small, large)}
    rows = [Row("recap", "embedder", f"{embedder} → {resolved}")]
    for size, result in results.items():
        rows.append(
            Row(
                "recap",
                f"{size:,} notes: total (themes / summary / picture)",
                f"{result['total']:.2f} s ({result['themes']:.2f} / {result['summary']:.2f}"
                f" / {result['picture']:.2f})",
            )
        )
    for size, result in results.items():
        rows.append(
            Row("recap", f"{size:,} notes: peak traced memory", f"{result['peak_mib']:.0f} MiB")
        )
    ratio = results[large]["total"] / results[small]["total"]
    total = results[large]["total"]
    lag = max(result["lag_ms"] for result in results.values())
    rows += [
        Row(
            "recap", f"ratio {large:,}/{small:,} (total time)", f"{ratio:.1f}", "≤ 12", ratio <= 12
        ),
        Row("recap", f"{large:,} notes: total", f"{total:.2f} s", "< 2 s", total < 2),
        Row("recap", "worst event-loop lag", f"{lag:.0f} ms", "< 100 ms", lag < 100),
    ]
    return rows


def runner(name: str) -> Runner:
    """The benchmark's ``run`` (imported now; raises if the module is missing or broken)."""
    if name == "recap":
        importlib.import_module("bench.recap")
        return recap_rows
    module = importlib.import_module(f"bench.{name}")
    run = getattr(module, "run", None)
    if run is None:
        raise AttributeError(f"bench.{name} has no run(quick) function")
    return run  # type: ignore[no-any-return]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(rows: list[Row]) -> str:
    lines = ["| benchmark | metric | value | target | met |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("✓" if row.met else "✗")
        cells = [row.benchmark, row.metric, row.value, row.target, met]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", *args],  # noqa: S607 - git from PATH, read-only commands
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()


def code_version() -> tuple[str, str]:
    """(the commit measured, a fingerprint of bot/: its tree plus local changes), by
    read-only git; the fingerprint tells whether the bot changed during a run."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        tree = _git("rev-parse", "--short", "HEAD:bot")
        dirty = _git("status", "--porcelain", "--", "bot")
        diff = _git("diff", "HEAD", "--", "bot") if dirty else ""
    except (OSError, subprocess.SubprocessError):
        return "unknown", "unknown"
    label = f"{commit}{' + local changes in bot/' if dirty else ''}"
    return label, f"{tree}:{hash(dirty + diff)}"


def report(rows: list[Row], notes: list[str], quick: bool, version: str) -> str:
    header = [
        f"# Benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{' (quick)' if quick else ''}",
        "",
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}.",
        f"Code: {version} (at the start of the run).",
        "The Discord sandbox runs on the same machine as the client it serves "
        "(see bench/README.md).",
        "",
        table(rows),
        "",
    ]
    return "\n".join(header + [f"- {note}" for note in notes]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(BENCHMARKS)}")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    version, fingerprint = code_version()
    rows: list[Row] = []
    notes: list[str] = []
    for name in names:
        print(f"== {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            run = runner(name)
        except Exception as error:
            line = f"{name}: skipped, module not available ({type(error).__name__}: {error})"
            print(f"!! {line}", file=sys.stderr, flush=True)
            notes.append(line)
            rows.append(Row(name, "skipped", "module not available"))
            continue
        try:
            result = asyncio.run(run(args.quick))
        except Exception as error:
            traceback.print_exc()
            line = f"{name}: skipped, it raised {type(error).__name__}: {error}"
            print(f"!! {line}", file=sys.stderr, flush=True)
            notes.append(line)
            rows.append(Row(name, "skipped", f"raised {type(error).__name__}"))
            continue
        seconds = time.monotonic() - started
        notes.append(f"{name}: {seconds:.0f} s")
        print(f"== {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
        rows += result

    now, changed = code_version()
    if changed != fingerprint:
        notes.append(f"bot/ changed during the run (now {now}): figures may mix versions")
    text = report(rows, notes, args.quick, version)
    print(table(rows))
    args.out.write_text(text, encoding="utf-8")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
