"""Private writing (silent brainstorming): the order notes are revealed in, and when
"everyone is done". Pure; no I/O.

The reveal must not give away who wrote what: not grouped by author, and not in the order
of writing (which the thread's activity, people's typing, could be matched with). The
order is a keyed shuffle: each note's place comes from a hash of the session's random
``reveal_salt``, the step and the note, so it is the same after a restart, unrelated to
author or time, and cannot be rebuilt from the (sequential) note ids without the salt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.board import Note


def reveal_key(session_id: int, step_index: int, note_id: int, salt: str = "") -> bytes:
    """A note's place in its step's reveal (exports sort by it too)."""
    key = f"cocreate-reveal:{salt}:{session_id}:{step_index}:{note_id}".encode()
    return hashlib.sha256(key).digest()


def reveal_order(
    notes: Iterable[Note], session_id: int, step_index: int, salt: str = ""
) -> list[Note]:
    """The notes in their reveal order (stable for the same session, step and notes)."""
    return sorted(notes, key=lambda note: reveal_key(session_id, step_index, note.id, salt))


@dataclass(frozen=True)
class PrivateProgress:
    """How a private step is going, said without contents: what the thread may show."""

    notes: int
    writers: int
    done: int
    expected: int

    @property
    def everyone_done(self) -> bool:
        """Everyone expected has said they are done (and someone wrote something)."""
        return self.notes > 0 and self.expected > 0 and self.done >= self.expected


def progress(
    step_notes: Sequence[Note], session_writers: Iterable[int], done: Iterable[int]
) -> PrivateProgress:
    """The step's counts. Expected to finish: everyone who wrote in the session so far (in
    any step) or said they are done; someone who never wrote does not hold the room up."""
    done_set = set(done)
    expected = set(session_writers) | {note.author_id for note in step_notes} | done_set
    return PrivateProgress(
        notes=len(step_notes),
        writers=len({note.author_id for note in step_notes}),
        done=len(done_set & expected),
        expected=len(expected),
    )


def per_person(step_notes: Iterable[Note]) -> list[tuple[int, str, int]]:
    """(author id, latest name, notes) per writer, most notes first: what the facilitator
    sees to know when the room is done; never the contents."""
    counts: dict[int, int] = {}
    names: dict[int, str] = {}
    for note in sorted(step_notes, key=lambda n: (n.created_at, n.id)):
        counts[note.author_id] = counts.get(note.author_id, 0) + 1
        names[note.author_id] = note.author_name
    return sorted(((author, names[author], n) for author, n in counts.items()), key=lambda t: -t[2])


def without_names(note: Note) -> Note:
    """The note as shown when its writer stays unnamed (the store keeps the author)."""
    from dataclasses import replace

    return replace(note, author_id=0, author_name="")
