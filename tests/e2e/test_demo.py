"""`cocreate demo` as a newcomer runs it: a subprocess, a short timeout, a folder of
files that open, nothing left running."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.export import BoardNote, BoardStep, board_from_json

DEMO_TIMEOUT = 120  # it finishes in ~20 s; the margin is for a loaded CI machine


class _Strict(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_demo_runs_a_whole_session_offline_and_leaves_its_files(
    tmp_path: Path, language: str
) -> None:
    folder = tmp_path / "demo"
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DISCORD_TOKEN", None)  # no token needed
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-m", "bot", "demo", "--language", language, "--output", str(folder)],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    # The thread as it happened: the bot's prompts, the participants, the votes, the end.
    assert ("Stap 1 van 4" if language == "nl" else "Step 1 of 4") in out
    assert ("Fatima" in out) and ("Marieke" in out)
    assert "\x1b[" not in out  # NO_COLOR is honoured
    assert str(folder) in out

    files = {path.name: path for path in folder.iterdir()}
    (json_file,) = [p for name, p in files.items() if name.endswith(".json")]
    board = board_from_json(json_file.read_text(encoding="utf-8"))
    assert len(board.steps) == 4
    notes = [note for step in board.steps for note in (*step.other, *_themed(step))]
    assert len(notes) == 19
    assert board.chosen_question
    (csv_file,) = [p for name, p in files.items() if name.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 19
    (html_file,) = [p for name, p in files.items() if name.endswith(".html")]
    parser = _Strict()
    parser.feed(html_file.read_text(encoding="utf-8"))
    assert "script" not in parser.tags and "html" in parser.tags
    assert any(name.endswith(".md") for name in files)
    pictures = [p for name, p in files.items() if name.endswith(".png")]
    assert pictures and all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)
    json.loads(json_file.read_text(encoding="utf-8"))  # plain JSON for other tools too


def _themed(step: BoardStep) -> list[BoardNote]:
    return [note for theme in step.themes for note in theme.notes]
