"""The export model and writers stay free of Discord and SQLite (they are pure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("discord", "aiosqlite", "sqlite3", "apscheduler", "aiohttp")


def test_importing_bot_export_loads_no_io_library() -> None:
    probe = (
        "import sys, bot.export, bot.export.text; "
        f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]", result.stdout
