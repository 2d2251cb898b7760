"""What the thread and the writers are told about private writing (silent steps)."""

from __future__ import annotations

from bot.domain.private_writing import PrivateProgress
from bot.i18n import Catalog
from bot.render.text import count


def private_counter(catalog: Catalog, locale: str, progress: PrivateProgress) -> str:
    """What a private step's counter post says: how many notes from how many writers,
    and how many are done; never anything anyone wrote."""
    return catalog.t(
        locale,
        "private.counter",
        notes=count(catalog, locale, "note", progress.notes),
        writers=count(catalog, locale, "person", progress.writers),
        done=progress.done,
        expected=progress.expected,
    )
