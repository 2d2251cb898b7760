"""What the thread and the writers are told about private writing (silent steps)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.private_writing import PrivateProgress
from bot.i18n import Catalog
from bot.render.text import count, quote


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


def writers(
    catalog: Catalog,
    locale: str,
    rows: Sequence[tuple[int, str, int]],
    done: Collection[int],
) -> str:
    """Per writer: name, how many notes, and a ✅ when done (the facilitator's view)."""
    if not rows and not done:
        return catalog.t(locale, "private.status.nobody")
    lines = [catalog.t(locale, "private.status.heading")]
    for user_id, name, notes in rows:
        lines.append(
            catalog.t(
                locale,
                "private.status.line",
                name=quote(name),
                notes=count(catalog, locale, "note", notes),
                done="✅" if user_id in done else "",
            ).rstrip()
        )
    silent = len(set(done) - {row[0] for row in rows})
    if silent:
        lines.append(catalog.t(locale, "private.status.done_silent", n=silent))
    return "\n".join(lines)
