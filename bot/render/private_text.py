"""What the thread and the writers are told about private writing (silent steps)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.board import Note
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


# Room for a writer's running list in one 2000-character message, next to the sentence
# around it; and how much of each note it shows (the board keeps the whole text).
RUNNING_LIST_ROOM = 1500
RUNNING_LIST_NOTE_CHARS = 120


def running_list(catalog: Catalog, locale: str, notes: Sequence[Note]) -> str:
    """A writer's own notes in the current private step, numbered and quoted, oldest
    first, for their eyes only. When they do not all fit in one message the latest are
    shown, after a line that counts the earlier ones."""
    lines: list[str] = []
    used = 0
    for number in range(len(notes), 0, -1):
        line = catalog.t(
            locale,
            "private.list.line",
            number=number,
            text=_shown(catalog, locale, notes[number - 1]),
        )
        if lines and used + len(line) + 1 > RUNNING_LIST_ROOM:
            break
        lines.append(line)
        used += len(line) + 1
    lines.reverse()
    earlier = len(notes) - len(lines)
    if earlier:
        notes_before = count(catalog, locale, "note", earlier)
        lines.insert(0, catalog.t(locale, "private.list.earlier", notes=notes_before))
    return "\n".join(lines)


def _shown(catalog: Catalog, locale: str, note: Note) -> str:
    # Cut first, then quoted: a cut must not split an escape from what it escapes.
    flat = " ".join(note.text.split())
    if len(flat) > RUNNING_LIST_NOTE_CHARS:
        flat = flat[: RUNNING_LIST_NOTE_CHARS - 1].rstrip() + "…"
    return quote(flat) or catalog.t(locale, "private.list.attachment")
