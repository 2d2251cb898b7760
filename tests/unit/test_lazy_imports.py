"""The bot loads the export code only when someone exports (bench/memory.py holds the
bot to 1.5x a bare client's memory); the format lists kept apart from it stay in step."""

from __future__ import annotations

import subprocess
import sys

from bot.cli import EXPORT_FORMATS
from bot.cogs.board import _FORMAT_CHOICES
from bot.export import ExportFormat


def test_the_format_lists_are_the_export_formats() -> None:
    values = tuple(f.value for f in ExportFormat)
    assert values == EXPORT_FORMATS
    assert sorted(choice.value for choice in _FORMAT_CHOICES) == sorted(values)


def test_running_the_bot_does_not_load_the_export_code() -> None:
    # A fresh interpreter: this test process has imported everything already.
    probe = (
        "import sys, bot.cli, bot.app; "
        "print(sorted(m for m in sys.modules if m.startswith(('bot.export', 'PIL'))"
        " or m.endswith('export_reader')))"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
