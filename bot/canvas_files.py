"""Load the canvases from ``prompts/canvases/*.toml``, validated with clear errors.

Every problem names the file, the line and what is wrong:
``prompts/canvases/persona.toml, line 31: lane 4 (goals): 'prompt' lacks a text in en``.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.canvas import Canvas, CanvasError, canvas_from_mapping
from bot.domain.file_errors import shown
from bot.i18n import LOCALES, PROMPTS_DIR
from bot.toml_lines import locate, read_data_file, shown_path

CANVAS_DIR = PROMPTS_DIR / "canvases"
# Shipped files are named from the folder that holds prompts/ (``prompts/canvases/x.toml``).
PROJECT_DIR = PROMPTS_DIR.parent


def read_canvas(path: Path) -> Canvas:
    """One canvas file, validated in every language the bot speaks; CanvasError names
    the file, the line and the problem."""
    source = shown_path(path, PROJECT_DIR)
    data, text = read_data_file(path, CanvasError, source)
    try:
        return canvas_from_mapping(data, source, LOCALES)
    except CanvasError as error:
        raise locate(error, source, text) from None


def load_canvases(folder: Path = CANVAS_DIR) -> dict[str, Canvas]:
    """Every canvas in ``folder`` by key; CanvasError names the file (and line) at fault."""
    canvases: dict[str, Canvas] = {}
    files: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        canvas = read_canvas(path)
        source = shown_path(path, PROJECT_DIR)
        if canvas.key in canvases:
            _, text = read_data_file(path, CanvasError, source)
            problem = CanvasError(
                source,
                f"canvas key {shown(canvas.key)} is also used by {files[canvas.key]}",
                ("key",),
            )
            raise locate(problem, source, text)
        canvases[canvas.key] = canvas
        files[canvas.key] = source
    return canvases
