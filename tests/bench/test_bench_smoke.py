"""Smoke test of the benchmark runner: ``python -m bench --quick --only ingest,latency``.

It runs the real bot and a bare client against the sandbox in child processes and checks
that the table comes out with the expected rows. The figures themselves are not judged
here (a loaded CI machine must not fail the suite); ``python -m bench`` is for that.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "ingest": ["bot: notes committed/s", "bare client: events handled/s", "ratio bot/bare"],
    "latency": ["commands answered", "p50 under load", "p99 under load", "max under load"],
}


def _rows(markdown: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| benchmark"):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_quick_ingest_and_latency_produce_the_table(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-m", "bench", "--quick", "--only", "ingest,latency", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "skipped" not in done.stdout, done.stdout + done.stderr[-3000:]

    written = out.read_text(encoding="utf-8")
    assert "CPUs" in written and "Python" in written
    rows = _rows(written)
    assert rows == _rows(done.stdout), "the printed and the written table differ"
    for benchmark, metrics in EXPECTED.items():
        mine = [row for row in rows if row[0] == benchmark]
        for metric in metrics:
            matching = [row for row in mine if row[1].startswith(metric)]
            assert matching, f"no {benchmark} row {metric!r} in:\n{written}"
            row = matching[0]
            assert len(row) == 5 and row[2], row  # a value was measured
    targeted = {(row[0], row[1]) for row in rows if row[3]}
    assert ("ingest", "ratio bot/bare") in targeted
    assert ("latency", "p99 under load") in targeted
    for row in rows:
        assert row[4] in ("", "✓", "✗"), row
