"""The session state machine's phases within a step: writing, then (maybe) dot voting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.events import SessionEnded, StepEnded, StepStarted, VotingOpened
from bot.domain.session import (
    TIMER_SLACK,
    Phase,
    Refusal,
    Session,
    SessionStatus,
)
from bot.domain.templates import StepPlan
from bot.domain.voting import VoteTarget
from tests.fakes import START
from tests.unit.test_session import begin, refusal_of

MIN = timedelta(minutes=1)
VOTE = 3 * MIN
STEPS = (
    StepPlan("empathise", 15 * MIN),
    StepPlan("define", 10 * MIN, themes=True, vote=VoteTarget.QUESTIONS, vote_duration=VOTE),
    StepPlan("ideate", 10 * MIN, vote=VoteTarget.NOTES, vote_duration=4 * MIN),
)
DEFINE_DUE = START + 10 * MIN


def at_define() -> Session:
    """A running session that just started its define step (at START)."""
    session, _ = begin(STEPS).advance(START)
    assert session.step_index == 1
    assert session.due_at == DEFINE_DUE
    return session


def voting() -> Session:
    """Define's writing time is over and its vote runs until DEFINE_DUE + VOTE."""
    session, _ = at_define().time_up(DEFINE_DUE, 1, vote_options=3)
    assert session.phase is Phase.VOTING
    return session


# -- open_vote -----------------------------------------------------------------------------------


def test_a_session_begins_writing_without_a_chosen_question() -> None:
    session = begin(STEPS)
    assert session.phase is Phase.WRITING
    assert session.chosen_question is None


def test_open_vote_starts_voting_for_its_duration_in_the_same_step() -> None:
    session = at_define()
    now = START + 4 * MIN
    moved, events = session.open_vote(now, 2 * MIN)
    assert events == [VotingOpened(1, now + 2 * MIN)]
    assert moved.phase is Phase.VOTING
    assert moved.step_index == 1
    assert moved.status is SessionStatus.RUNNING
    assert moved.due_at == now + 2 * MIN
    assert moved.step_started_at == session.step_started_at
    assert session.phase is Phase.WRITING, "the original is unchanged"


def test_open_vote_works_on_a_step_without_a_planned_vote() -> None:
    session = begin(STEPS)
    moved, events = session.open_vote(START + MIN, VOTE)
    assert moved.phase is Phase.VOTING
    assert events == [VotingOpened(0, START + MIN + VOTE)]


def test_open_vote_with_the_expected_step() -> None:
    session = at_define()
    assert session.open_vote(START, VOTE, expected_step=1)[0].phase is Phase.VOTING
    assert refusal_of(lambda: session.open_vote(START, VOTE, expected_step=0)) is Refusal.STALE


def test_open_vote_while_voting_is_refused() -> None:
    session = voting()
    assert refusal_of(lambda: session.open_vote(DEFINE_DUE + MIN, VOTE)) is Refusal.VOTING


def test_open_vote_while_paused_is_refused() -> None:
    paused, _ = at_define().pause(START + MIN)
    assert refusal_of(lambda: paused.open_vote(START + 2 * MIN, VOTE)) is Refusal.PAUSED


def test_open_vote_when_ended_is_refused() -> None:
    ended, _ = at_define().end(START + MIN)
    assert refusal_of(lambda: ended.open_vote(START + 2 * MIN, VOTE)) is Refusal.ENDED


# -- move_on -------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [2, 3, 40])
def test_move_on_from_writing_votes_when_the_step_votes_on_enough_options(options: int) -> None:
    session = at_define()
    now = START + 5 * MIN
    moved, events = session.move_on(now, vote_options=options)
    assert moved.phase is Phase.VOTING
    assert moved.step_index == 1
    assert moved.due_at == now + VOTE  # the step's vote_duration
    assert events == [VotingOpened(1, now + VOTE)]


@pytest.mark.parametrize("options", [0, 1])
def test_move_on_with_fewer_than_two_options_goes_to_the_next_step(options: int) -> None:
    session = at_define()
    now = START + 5 * MIN
    moved, events = session.move_on(now, vote_options=options)
    assert moved.phase is Phase.WRITING
    assert moved.step_index == 2
    assert events == [StepEnded(1), StepStarted(2, now + 10 * MIN)]


def test_move_on_on_a_step_without_a_vote_ignores_the_options() -> None:
    session = begin(STEPS)
    moved, _ = session.move_on(START + MIN, vote_options=12)
    assert moved.step_index == 1
    assert moved.phase is Phase.WRITING


def test_move_on_from_voting_goes_to_the_next_step_writing() -> None:
    session = voting()
    now = DEFINE_DUE + MIN
    moved, events = session.move_on(now, vote_options=3)
    assert moved.step_index == 2
    assert moved.phase is Phase.WRITING
    assert moved.due_at == now + 10 * MIN
    assert events == [StepEnded(1), StepStarted(2, now + 10 * MIN)]


def test_move_on_while_paused_skips_the_vote() -> None:
    paused, _ = at_define().pause(START + MIN)
    moved, _ = paused.move_on(START + 2 * MIN, vote_options=5)
    assert moved.step_index == 2
    assert moved.phase is Phase.WRITING
    assert moved.status is SessionStatus.RUNNING


def test_move_on_with_a_stale_step_is_refused() -> None:
    session = at_define()
    assert refusal_of(lambda: session.move_on(START, 0, vote_options=3)) is Refusal.STALE


def test_the_last_step_votes_before_the_session_ends() -> None:
    session = begin(STEPS)
    session, _ = session.advance(START)
    session, _ = session.advance(START)
    assert session.is_last_step
    now = START + 10 * MIN
    voting_last, events = session.move_on(now, vote_options=4)
    assert voting_last.phase is Phase.VOTING
    assert voting_last.due_at == now + 4 * MIN
    assert events == [VotingOpened(2, now + 4 * MIN)]
    ended, events = voting_last.move_on(now + 4 * MIN, vote_options=4)
    assert ended.status is SessionStatus.ENDED
    assert events == [StepEnded(2), SessionEnded(now + 4 * MIN)]


# -- time_up -------------------------------------------------------------------------------------


def test_time_up_in_writing_opens_the_vote() -> None:
    session, events = at_define().time_up(DEFINE_DUE, 1, vote_options=2)
    assert session.phase is Phase.VOTING
    assert session.due_at == DEFINE_DUE + VOTE
    assert events == [VotingOpened(1, DEFINE_DUE + VOTE)]


def test_time_up_without_options_moves_on_as_before() -> None:
    session, _ = at_define().time_up(DEFINE_DUE, 1)
    assert session.step_index == 2
    assert session.phase is Phase.WRITING


def test_time_up_during_voting_advances_at_the_vote_deadline() -> None:
    session = voting()
    vote_due = DEFINE_DUE + VOTE
    moved, events = session.time_up(vote_due, 1, vote_options=3)
    assert moved.step_index == 2
    assert moved.phase is Phase.WRITING
    assert events == [StepEnded(1), StepStarted(2, vote_due + 10 * MIN)]


def test_time_up_during_voting_before_the_vote_deadline_is_stale() -> None:
    session = voting()
    early = DEFINE_DUE + VOTE - TIMER_SLACK - timedelta(seconds=1)
    assert refusal_of(lambda: session.time_up(early, 1, vote_options=3)) is Refusal.STALE


def test_a_repeated_writing_deadline_during_voting_is_stale() -> None:
    # The writing timer fires twice: the second finds the vote running, due later.
    session = voting()
    assert refusal_of(lambda: session.time_up(DEFINE_DUE, 1, vote_options=3)) is Refusal.STALE


def test_time_up_while_paused_during_voting_is_refused() -> None:
    paused, _ = voting().pause(DEFINE_DUE + MIN)
    assert paused.phase is Phase.VOTING
    assert refusal_of(lambda: paused.time_up(DEFINE_DUE + VOTE, 1)) is Refusal.STALE


# -- the rest of the machine during a vote -------------------------------------------------------


def test_pause_and_resume_keep_the_vote_running() -> None:
    paused, _ = voting().pause(DEFINE_DUE + MIN)
    assert paused.remaining == VOTE - MIN
    resumed, _ = paused.resume(DEFINE_DUE + 10 * MIN)
    assert resumed.phase is Phase.VOTING
    assert resumed.due_at == DEFINE_DUE + 10 * MIN + VOTE - MIN


def test_extend_during_voting_gives_the_vote_more_time() -> None:
    extended, _ = voting().extend(DEFINE_DUE + MIN, 2 * MIN)
    assert extended.phase is Phase.VOTING
    assert extended.due_at == DEFINE_DUE + VOTE + 2 * MIN


def test_go_back_during_voting_writes_again_in_the_previous_step() -> None:
    back, events = voting().go_back(DEFINE_DUE + MIN)
    assert back.step_index == 0
    assert back.phase is Phase.WRITING
    assert events == [StepStarted(0, DEFINE_DUE + MIN + 15 * MIN, again=True)]


def test_end_during_voting_ends_the_session() -> None:
    ended, events = voting().end(DEFINE_DUE + MIN)
    assert ended.status is SessionStatus.ENDED
    assert ended.due_at is None
    assert events[0] == StepEnded(1)
    # Nothing can vote or move on afterwards.
    assert refusal_of(lambda: ended.open_vote(DEFINE_DUE + 2 * MIN, VOTE)) is Refusal.ENDED
    assert refusal_of(lambda: ended.move_on(DEFINE_DUE + 2 * MIN, vote_options=3)) is Refusal.ENDED


def test_no_reminder_is_planned_while_voting() -> None:
    session = at_define()
    assert session.reminder_at() == DEFINE_DUE - 2 * MIN
    assert voting().reminder_at() is None
    # Not after a resume or an extension either.
    paused, _ = voting().pause(DEFINE_DUE + MIN)
    resumed, _ = paused.resume(DEFINE_DUE + 2 * MIN)
    assert resumed.reminder_at() is None
    extended, _ = voting().extend(DEFINE_DUE, 30 * MIN)
    assert extended.reminder_at() is None


def test_a_writing_reminder_that_fires_during_the_vote_is_stale() -> None:
    # The reminder job was already running when the vote opened (e.g. opened by hand).
    session, _ = at_define().open_vote(START + 7 * MIN, 10 * MIN)
    assert refusal_of(lambda: session.remind(START + 8 * MIN, 1)) is Refusal.STALE


def test_the_next_step_after_a_vote_is_reminded_as_usual() -> None:
    moved, _ = voting().time_up(DEFINE_DUE + VOTE, 1)
    assert moved.reminder_at() == DEFINE_DUE + VOTE + 10 * MIN - 2 * MIN


def test_choose_question_keeps_everything_else() -> None:
    session = voting()
    chosen = session.choose_question("Hoe kunnen we de bieb stiller maken?")
    assert chosen.chosen_question == "Hoe kunnen we de bieb stiller maken?"
    assert chosen.phase is Phase.VOTING
    assert chosen.due_at == session.due_at
    assert session.chosen_question is None
    moved, _ = chosen.advance(DEFINE_DUE + VOTE)
    assert moved.chosen_question == chosen.chosen_question, "the question stays for ideate"
