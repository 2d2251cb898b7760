"""Dot voting in the domain: the suggested budget, the ballot rules, and a ranking with ties."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.voting import (
    DEFAULT_PER_NOTE_CAP,
    MAX_BUDGET,
    MIN_BUDGET,
    BallotError,
    BallotRefusal,
    Ranked,
    RoundStatus,
    VoteRound,
    VoteTarget,
    rank,
    suggest_budget,
    winners,
)
from tests.fakes import START


def a_round(
    options: tuple[int, ...] = (11, 12, 13, 14),
    *,
    budget: int = 3,
    cap: int = 2,
    status: RoundStatus = RoundStatus.OPEN,
) -> VoteRound:
    return VoteRound(
        id=1,
        session_id=1,
        step_index=2,
        target=VoteTarget.NOTES,
        options=options,
        budget=budget,
        per_note_cap=cap,
        status=status,
        opened_at=START,
        closes_at=START + timedelta(minutes=4),
    )


def refusal(vote: VoteRound, allocation: dict[int, int], note_id: int) -> BallotRefusal:
    with pytest.raises(BallotError) as caught:
        vote.check_vote(allocation, note_id)
    return caught.value.refusal


# -- the budget ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "budget"),
    [
        (0, 0),  # nothing to vote on
        (1, 1),  # never more than the options can take at one vote each
        (2, 2),
        (3, 3),
        (4, 3),  # a quarter is 1: at least 3
        (12, 3),
        (20, 5),  # a quarter
        (24, 6),
        (40, 10),
        (100, 10),  # at most 10
    ],
)
def test_suggest_budget_is_a_quarter_between_three_and_ten(options: int, budget: int) -> None:
    assert suggest_budget(options) == budget


@given(st.integers(min_value=1, max_value=10_000))
def test_suggest_budget_stays_within_its_bounds(options: int) -> None:
    budget = suggest_budget(options)
    assert 1 <= budget <= min(options, MAX_BUDGET)
    assert budget >= min(MIN_BUDGET, options)


def test_a_negative_option_count_gives_no_budget() -> None:
    assert suggest_budget(-1) == 0


# -- the ballot rules ----------------------------------------------------------------------------


def test_a_vote_within_the_rules_is_allowed() -> None:
    vote = a_round(budget=3, cap=2)
    vote.check_vote({}, 11)
    vote.check_vote({11: 1}, 11)
    vote.check_vote({11: 2}, 12)


def test_a_closed_round_refuses_every_vote() -> None:
    vote = a_round(status=RoundStatus.CLOSED)
    assert refusal(vote, {}, 11) is BallotRefusal.CLOSED
    # Closed is said first, even for something that was never an option.
    assert refusal(vote, {}, 99) is BallotRefusal.CLOSED


def test_a_note_outside_the_options_is_refused() -> None:
    assert refusal(a_round(), {}, 99) is BallotRefusal.NOT_AN_OPTION


def test_the_per_note_cap_is_enforced() -> None:
    vote = a_round(budget=10, cap=2)
    assert refusal(vote, {11: 2}, 11) is BallotRefusal.CAP
    vote.check_vote({11: 2}, 12)  # another note is still fine


def test_the_budget_is_enforced() -> None:
    vote = a_round(budget=3, cap=3)
    assert refusal(vote, {11: 2, 12: 1}, 13) is BallotRefusal.BUDGET
    assert refusal(vote, {11: 3}, 12) is BallotRefusal.BUDGET


def test_the_cap_is_said_before_the_budget() -> None:
    vote = a_round(budget=2, cap=2)
    assert refusal(vote, {11: 2}, 11) is BallotRefusal.CAP


def test_a_zero_budget_refuses_the_first_vote() -> None:
    assert refusal(a_round(budget=0), {}, 11) is BallotRefusal.BUDGET


def test_the_default_cap_is_three() -> None:
    assert DEFAULT_PER_NOTE_CAP == 3


def test_a_ballot_error_carries_its_refusal() -> None:
    error = BallotError(BallotRefusal.CAP)
    assert error.refusal is BallotRefusal.CAP
    assert str(error) == "cap"


# -- ranking -------------------------------------------------------------------------------------


def places(ranking: list[Ranked]) -> list[tuple[int, int, int]]:
    return [(item.place, item.note_id, item.votes) for item in ranking]


def test_ties_share_a_place_and_the_next_place_skips() -> None:
    votes = [(1, 11, 3), (2, 11, 2), (1, 12, 2), (2, 12, 1), (2, 13, 1), (3, 13, 2), (3, 14, 1)]
    assert places(rank([11, 12, 13, 14], votes)) == [
        (1, 11, 5),
        (2, 12, 3),
        (2, 13, 3),
        (4, 14, 1),
    ]


def test_among_equal_votes_more_voters_come_first_but_share_the_place() -> None:
    # 12 has 2 votes from one person, 13 has 2 votes from two people.
    votes = [(1, 12, 2), (2, 13, 1), (3, 13, 1)]
    ranking = rank([11, 12, 13], votes)
    assert [(item.place, item.note_id, item.votes, item.voters) for item in ranking] == [
        (1, 13, 2, 2),
        (1, 12, 2, 1),
        (3, 11, 0, 0),
    ]


def test_among_equal_votes_and_voters_the_earlier_option_comes_first() -> None:
    # Options come oldest first, or in a private step's reveal order: ties keep it.
    ranking = rank([14, 12, 13], [(1, 14, 1), (2, 12, 1), (3, 13, 1)])
    assert [item.note_id for item in ranking] == [14, 12, 13]
    assert {item.place for item in ranking} == {1}


def test_every_option_is_ranked_and_unvoted_ones_share_the_last_place() -> None:
    ranking = rank([11, 12, 13, 14], [(1, 13, 1)])
    assert places(ranking) == [(1, 13, 1), (2, 11, 0), (2, 12, 0), (2, 14, 0)]
    assert all(item.voters == 0 for item in ranking[1:])


def test_votes_on_other_notes_and_empty_counts_are_ignored() -> None:
    ranking = rank([11, 12], [(1, 99, 3), (2, 11, 0), (3, 12, 1)])
    assert places(ranking) == [(1, 12, 1), (2, 11, 0)]
    assert ranking[1].voters == 0


def test_a_voter_counts_once_per_note() -> None:
    ranking = rank([11], [(1, 11, 2), (1, 11, 1)])
    assert (ranking[0].votes, ranking[0].voters) == (3, 1)


def test_no_options_no_ranking() -> None:
    assert rank([], [(1, 11, 1)]) == []


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=5),  # voter
            st.integers(min_value=1, max_value=8),  # note
            st.integers(min_value=1, max_value=3),  # count
        ),
        max_size=30,
    )
)
def test_ranking_invariants(votes: list[tuple[int, int, int]]) -> None:
    options = [1, 2, 3, 4, 5, 6]
    ranking = rank(options, votes)
    assert sorted(item.note_id for item in ranking) == options
    assert ranking[0].place == 1
    for position, (before, after) in enumerate(itertools.pairwise(ranking), start=2):
        assert before.votes >= after.votes
        if before.votes == after.votes:
            assert after.place == before.place
            assert before.voters >= after.voters
        else:
            assert after.place == position
    total = sum(count for _, note, count in votes if note in options)
    assert sum(item.votes for item in ranking) == total


# -- winners -------------------------------------------------------------------------------------


def test_one_winner() -> None:
    ranking = rank([11, 12, 13], [(1, 12, 2), (2, 11, 1)])
    assert [item.note_id for item in winners(ranking)] == [12]


def test_a_tie_for_first_gives_every_tied_note() -> None:
    ranking = rank([11, 12, 13], [(1, 11, 2), (2, 13, 2), (3, 12, 1)])
    assert [item.note_id for item in winners(ranking)] == [11, 13]


def test_no_votes_no_winner() -> None:
    assert winners(rank([11, 12, 13], [])) == []
    assert winners([]) == []
