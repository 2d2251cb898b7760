"""Dot voting: budgets, the per-note cap, casting, and a ranking that handles ties."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

DEFAULT_PER_NOTE_CAP = 3
MIN_BUDGET = 3
MAX_BUDGET = 10


class VoteTarget(StrEnum):
    """What a round lets people choose between."""

    NOTES = "notes"  # every note of a step (ideas, usually)
    QUESTIONS = "questions"  # the "How might we…?" questions of a step


class RoundStatus(StrEnum):
    """Whether ballots are accepted."""

    OPEN = "open"
    CLOSED = "closed"


class BallotRefusal(StrEnum):
    """Why a vote was not counted."""

    CLOSED = "closed"
    NOT_AN_OPTION = "not_an_option"
    CAP = "cap"
    BUDGET = "budget"


class BallotError(Exception):
    """A vote that breaks the round's rules."""

    def __init__(self, refusal: BallotRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def suggest_budget(option_count: int) -> int:
    """About a quarter of the options, at least 3 and at most 10 (METHODS.md).

    Never more than the options can absorb at one vote each: with 2 options, 2 votes.
    """
    if option_count <= 0:
        return 0
    quarter = round(option_count / 4)
    return min(max(quarter, MIN_BUDGET), MAX_BUDGET, option_count)


@dataclass(frozen=True)
class VoteRound:
    """One round of dot voting over a fixed set of notes."""

    id: int
    session_id: int
    step_index: int
    target: VoteTarget
    options: tuple[int, ...]
    budget: int
    per_note_cap: int
    status: RoundStatus
    opened_at: datetime
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    message_id: int | None = None

    def check_vote(self, allocation: Mapping[int, int], note_id: int) -> None:
        """Raise BallotError unless one more vote on ``note_id`` is allowed.

        ``allocation`` is what this voter has placed so far (note id -> votes).
        """
        if self.status is not RoundStatus.OPEN:
            raise BallotError(BallotRefusal.CLOSED)
        if note_id not in self.options:
            raise BallotError(BallotRefusal.NOT_AN_OPTION)
        if allocation.get(note_id, 0) >= self.per_note_cap:
            raise BallotError(BallotRefusal.CAP)
        if sum(allocation.values()) >= self.budget:
            raise BallotError(BallotRefusal.BUDGET)


@dataclass(frozen=True)
class Ranked:
    """A note's place after a round; tied notes share a place."""

    place: int
    note_id: int
    votes: int
    voters: int


def rank(
    options: Iterable[int],
    votes: Iterable[tuple[int, int, int]],
) -> list[Ranked]:
    """Rank every option by votes (ties share a place: 1, 2, 2, 4).

    ``votes`` holds (voter id, note id, count). Among equal votes, the note chosen by more
    people comes first, but still shares the place; then the earlier option (options come
    oldest first, or in a private step's reveal order).
    """
    totals: dict[int, int] = dict.fromkeys(options, 0)
    given = {note: number for number, note in enumerate(totals)}
    voters: dict[int, set[int]] = {note: set() for note in totals}
    for voter, note, count in votes:
        if note in totals and count > 0:
            totals[note] += count
            voters[note].add(voter)
    ordered = sorted(totals, key=lambda note: (-totals[note], -len(voters[note]), given[note]))
    ranking: list[Ranked] = []
    for position, note in enumerate(ordered, start=1):
        tied = ranking and ranking[-1].votes == totals[note]
        place = ranking[-1].place if tied else position
        ranking.append(Ranked(place, note, totals[note], len(voters[note])))
    return ranking


def winners(ranking: list[Ranked]) -> list[Ranked]:
    """Everything in first place with at least one vote (several on a tie)."""
    return [item for item in ranking if item.place == 1 and item.votes > 0]
