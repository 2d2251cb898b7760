"""Step and session summaries as data; the render layer turns them into messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from bot.domain.board import Note
from bot.domain.canvas import LaneGroup
from bot.domain.themes import Theme
from bot.domain.voting import Ranked


@dataclass(frozen=True)
class AuthorGroup:
    """One participant's notes in a step, in the order they were written."""

    author_id: int
    author_name: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class ThemeGroup:
    """A theme with its notes, for summaries and the board picture."""

    name: str
    notes: tuple[Note, ...]
    step_kind: str | None = None  # set on the whole-session board, where steps mix


@dataclass(frozen=True)
class RankedNote:
    """A note's place in a vote."""

    place: int
    votes: int
    voters: int
    note: Note


@dataclass(frozen=True)
class Participation:
    """How evenly people took part, said without naming anyone.

    ``half_from`` is the smallest number of people who together wrote at least half of
    the notes: 1 of 12 means one voice dominated, 6 of 12 means everyone chipped in.
    """

    people: int
    notes: int
    half_from: int


@dataclass(frozen=True)
class StepSummary:
    """What a step produced."""

    step_index: int
    step_kind: str
    note_count: int
    author_count: int
    groups: tuple[AuthorGroup, ...]
    comment_counts: Mapping[int, int]
    themes: tuple[ThemeGroup, ...] = ()
    ranking: tuple[RankedNote, ...] = ()
    participation: Participation | None = None
    # A private step's notes shown for the first time: one flat group in reveal order
    # (not by author). ``names_shown`` False: every note here has lost its writer's name.
    revealed: bool = False
    names_shown: bool = True
    # A canvas step: its canvas's key, its columns, and the notes lane by lane.
    canvas: str | None = None
    columns: tuple[str, ...] = ()
    lanes: tuple[LaneGroup, ...] = ()


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
    themes: tuple[ThemeGroup, ...] = ()
    chosen_question: str | None = None
    top_ideas: tuple[RankedNote, ...] = ()
    participation: Participation | None = None
    takers: Mapping[int, tuple[str, ...]] | None = None
    board: tuple[ThemeGroup, ...] = ()


def participation(notes: Iterable[Note]) -> Participation:
    """Count people and how few of them wrote half of the notes."""
    per_person: dict[int, int] = {}
    for note in notes:
        per_person[note.author_id] = per_person.get(note.author_id, 0) + 1
    total = sum(per_person.values())
    running = 0
    half_from = 0
    for count in sorted(per_person.values(), reverse=True):
        if running * 2 >= total:
            break
        running += count
        half_from += 1
    return Participation(people=len(per_person), notes=total, half_from=half_from)


def theme_groups(themes: Iterable[Theme], notes: Iterable[Note]) -> tuple[ThemeGroup, ...]:
    """Themes with their notes; notes in no theme are left to the caller ("other")."""
    by_id = {note.id: note for note in notes}
    return tuple(
        ThemeGroup(theme.name, tuple(by_id[i] for i in theme.note_ids if i in by_id))
        for theme in themes
    )


def ordered_like(themes: Iterable[ThemeGroup], notes: Iterable[Note]) -> tuple[ThemeGroup, ...]:
    """Themes with their notes in the order of ``notes`` (a private step's reveal order):
    a theme then never lists a nameless step's notes in the order they were written.
    Notes not in ``notes`` keep their place after the others."""
    place = {note.id: number for number, note in enumerate(notes)}
    last = len(place)
    return tuple(
        replace(theme, notes=tuple(sorted(theme.notes, key=lambda n: place.get(n.id, last))))
        for theme in themes
    )


def ranked_notes(ranking: Iterable[Ranked], notes: Iterable[Note]) -> tuple[RankedNote, ...]:
    """The ranking joined with the notes (notes deleted since are left out)."""
    by_id = {note.id: note for note in notes}
    return tuple(
        RankedNote(item.place, item.votes, item.voters, by_id[item.note_id])
        for item in ranking
        if item.note_id in by_id
    )


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
