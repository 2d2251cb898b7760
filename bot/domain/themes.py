"""Themes on a board: groups of notes with a name, and the facilitator's corrections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """A stored theme. ``renamed``: a facilitator chose the name, so re-runs keep it.

    ``pinned`` are notes a facilitator placed here (moved or merged); re-runs keep them.
    """

    id: int
    session_id: int
    step_index: int
    position: int
    name: str
    keywords: tuple[str, ...]
    renamed: bool
    note_ids: tuple[int, ...]
    pinned: frozenset[int] = frozenset()

    @property
    def corrected(self) -> bool:
        """Whether a facilitator touched it (then a re-run must not dissolve it)."""
        return self.renamed or bool(self.pinned)


@dataclass(frozen=True)
class ThemePlan:
    """What a clustering run wants stored: an existing theme (``theme_id``) or a new one."""

    theme_id: int | None
    name: str
    keywords: tuple[str, ...]
    note_ids: tuple[int, ...]


def theme_name(keywords: tuple[str, ...] | list[str]) -> str:
    """A readable name from the most telling words: ``rust · examens · studeren``."""
    return " · ".join(keywords[:3]) if keywords else "…"
