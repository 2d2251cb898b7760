"""Step and session summaries as data; the render layer turns them into messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.board import Note


@dataclass(frozen=True)
class AuthorGroup:
    """One participant's notes in a step, in the order they were written."""

    author_id: int
    author_name: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class StepSummary:
    """What a step produced."""

    step_index: int
    step_kind: str
    note_count: int
    author_count: int
    groups: tuple[AuthorGroup, ...]
    comment_counts: Mapping[int, int]


@dataclass(frozen=True)
class StepTally:
    """Counts for one step, for the session summary."""

    step_index: int
    step_kind: str
    note_count: int
    author_count: int


@dataclass(frozen=True)
class SessionSummary:
    """What the whole session produced."""

    topic: str
    steps: tuple[StepTally, ...]
    note_count: int
    author_count: int


def summarise_step(
    step_index: int,
    step_kind: str,
    notes: Iterable[Note],
    comment_counts: Mapping[int, int] | None = None,
) -> StepSummary:
    """Group a step's notes by participant, the most active first.

    Grouping by person keeps each perspective together, which is how an empathise or
    ideate wall is read aloud; ties keep the order in which people first wrote.
    """
    by_author: dict[int, list[Note]] = {}
    names: dict[int, str] = {}
    for note in sorted(notes, key=lambda n: (n.created_at, n.id)):
        by_author.setdefault(note.author_id, []).append(note)
        names[note.author_id] = note.author_name  # the latest display name wins
    ordered = sorted(by_author.items(), key=lambda item: -len(item[1]))
    groups = tuple(
        AuthorGroup(author_id, names[author_id], tuple(author_notes))
        for author_id, author_notes in ordered
    )
    return StepSummary(
        step_index=step_index,
        step_kind=step_kind,
        note_count=sum(len(group.notes) for group in groups),
        author_count=len(groups),
        groups=groups,
        comment_counts=dict(comment_counts or {}),
    )


def summarise_session(topic: str, step_kinds: list[str], notes: Iterable[Note]) -> SessionSummary:
    """Count notes and people per step and overall."""
    all_notes = list(notes)
    tallies = []
    for index, kind in enumerate(step_kinds):
        in_step = [note for note in all_notes if note.step_index == index]
        tallies.append(
            StepTally(index, kind, len(in_step), len({note.author_id for note in in_step}))
        )
    return SessionSummary(
        topic=topic,
        steps=tuple(tallies),
        note_count=len(all_notes),
        author_count=len({note.author_id for note in all_notes}),
    )
