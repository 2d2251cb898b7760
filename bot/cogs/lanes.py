"""Autocomplete for canvas lanes and columns (``/note``, ``/board lane``): lanes named in
the typer's language, valued by their key; columns by their name."""

from __future__ import annotations

from collections.abc import Sequence

from discord import app_commands

from bot.domain.canvas import Canvas, fold
from bot.i18n import Catalog

AUTOCOMPLETE_LIMIT = 25
CHOICE_MAX = 100  # characters in a choice's name and value
# The value of "no lane" in /board lane (a lane key never has a space or capital… nor is
# this one: canvases must not use it as a key).
UNSORTED = "unsorted"


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CHOICE_MAX else flat[: CHOICE_MAX - 1] + "…"


def lane_choices(
    canvas: Canvas, locale: str, current: str, *, unsorted: str | None = None
) -> list[app_commands.Choice[str]]:
    """The canvas's lanes whose name (any language), key or prefix contains what was
    typed; ``unsorted``: the name of a last "no lane" choice (for the facilitator)."""
    wanted = fold(current)
    choices = [
        app_commands.Choice(name=_cut(lane.name(locale)), value=lane.key)
        for lane in canvas.lanes
        if not wanted or any(wanted in word for word in lane.words())
    ]
    if unsorted is not None and (not wanted or wanted in fold(unsorted) or wanted in UNSORTED):
        choices.append(app_commands.Choice(name=_cut(unsorted), value=UNSORTED))
    return choices[:AUTOCOMPLETE_LIMIT]


def column_choices(
    sentences: Catalog, locale: str, columns: Sequence[str], current: str, open_columns: bool
) -> list[app_commands.Choice[str]]:
    """The columns containing what was typed; on an open canvas (a card per persona) the
    typed name first as a new column when it is not one yet."""
    wanted = fold(current)
    found = [c for c in columns if not wanted or wanted in fold(c)]
    choices = [app_commands.Choice(name=_cut(c), value=c[:CHOICE_MAX]) for c in found]
    typed = " ".join(current.split())[:40]
    if open_columns and typed and all(fold(c) != wanted for c in columns):
        name = sentences.t(locale, "replies.picker.new_column", name=typed)
        choices.insert(0, app_commands.Choice(name=_cut(name), value=typed))
    return choices[:AUTOCOMPLETE_LIMIT]
