"""Converging in the use cases: dot voting, the chosen question, themes, takers and
participation (every test runs on the in-memory store and on real SQLite)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.board import Note, NoteKind, NoteSource
from bot.domain.session import Phase, Refusal, Session, SessionRuleError, SessionStatus
from bot.domain.summary import SessionSummary, StepSummary
from bot.domain.voting import (
    DEFAULT_PER_NOTE_CAP,
    BallotError,
    BallotRefusal,
    RoundStatus,
    VoteRound,
    VoteTarget,
    suggest_budget,
)
from bot.facilitation import Facilitation, NoSessionError, SessionDefaults, VoteRefusedError
from bot.ports import Store
from bot.template_files import load_templates
from tests.fakes import START, FakeClock, FakeThemeFinder, ManualTimers, RecordingAnnouncer
from tests.unit.conftest import REMINDER_LEAD, RETENTION_DAYS

MIN = timedelta(minutes=1)
CHANNEL = 100
# classic: empathise 15m, define 10m (themes, vote on questions 3m), ideate 10m (vote on
# notes 4m), prototype 15m.
EMPATHISE, DEFINE, IDEATE, PROTOTYPE = range(4)
DEFINE_VOTE = 3 * MIN
IDEATE_VOTE = 4 * MIN
QUESTIONS = (
    "Hoe kunnen we de bieb stiller maken?",
    "Hoe kunnen we jongeren na school binnenhalen?",
    "Hoe kunnen we ouders laten blijven?",
)


@pytest.fixture
def finder() -> FakeThemeFinder:
    return FakeThemeFinder(min_size=2)


@pytest.fixture
def facilitation(
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
    finder: FakeThemeFinder,
) -> Facilitation:
    return Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(reminder_before=REMINDER_LEAD, retention_days=RETENTION_DAYS),
        theme_finder=finder,
    )


async def start(facilitation: Facilitation) -> Session:
    return await facilitation.start_session(
        guild_id=1,
        channel_id=CHANNEL,
        facilitator_id=42,
        topic="Een bieb voor iedereen",
        locale="nl",
        template_key="classic",
    )


async def write(facilitation: Facilitation, session: Session, text: str, author: int = 7) -> Note:
    return await facilitation.add_note(
        channel_id=session.thread_id,
        author_id=author,
        author_name=f"Person{author}",
        text=text,
        source=NoteSource.COMMAND,
    )


async def current(store: Store, session: Session) -> Session:
    loaded = await store.get_session(session.id)
    assert loaded is not None
    return loaded


async def open_round(store: Store, session: Session) -> VoteRound:
    vote = await store.open_round_of(session.id)
    assert vote is not None
    return vote


async def at_define(facilitation: Facilitation, questions: int = 3) -> tuple[Session, list[Note]]:
    """A session in define (since START) with some questions and two other notes."""
    session = await start(facilitation)
    await facilitation.next_step(session.id)
    asked = [
        await write(facilitation, session, QUESTIONS[i], author=7 + i) for i in range(questions)
    ]
    await write(facilitation, session, "De bieb is te druk op zaterdag", author=7)
    await write(
        facilitation,
        session,
        "Een scholier heeft behoefte aan een stille plek, omdat het thuis druk is",
        author=8,
    )
    return session, asked


async def time_up(timers: ManualTimers, clock: FakeClock, session: Session, store: Store) -> None:
    """Move the clock to the session's deadline and fire what is due."""
    due = (await current(store, session)).due_at
    assert due is not None
    clock.set(max(due, clock.now()))
    await timers.fire_due(clock.now())


async def voting_on_questions(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    clock: FakeClock,
    questions: int = 3,
) -> tuple[Session, list[Note], VoteRound]:
    session, asked = await at_define(facilitation, questions)
    await time_up(timers, clock, session, store)
    return session, asked, await open_round(store, session)


def summaries(announcer: RecordingAnnouncer) -> list[StepSummary]:
    return [call.args["summary"] for call in announcer.of("step_summary")]


def session_summary(announcer: RecordingAnnouncer) -> SessionSummary:
    [call] = announcer.of("session_summary")
    summary = call.args["summary"]
    assert isinstance(summary, SessionSummary)
    return summary


# -- from writing to voting ----------------------------------------------------------------------


async def test_notes_know_their_kind(facilitation: Facilitation, store: Store) -> None:
    session, asked = await at_define(facilitation)
    kinds = [note.kind for note in await store.notes(session.id, DEFINE)]
    assert kinds == [
        NoteKind.QUESTION,
        NoteKind.QUESTION,
        NoteKind.QUESTION,
        NoteKind.NOTE,
        NoteKind.POINT_OF_VIEW,
    ]
    assert all(note.kind is NoteKind.QUESTION for note in asked)


async def test_define_votes_on_its_questions_when_the_writing_time_is_up(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked = await at_define(facilitation)
    announcer.clear()
    await time_up(timers, clock, session, store)
    writing_due = START + 10 * MIN

    voting = await current(store, session)
    assert voting.step_index == DEFINE
    assert voting.phase is Phase.VOTING
    assert voting.due_at == writing_due + DEFINE_VOTE

    vote = await open_round(store, session)
    assert vote.target is VoteTarget.QUESTIONS
    assert vote.options == tuple(note.id for note in asked)  # only the questions
    assert vote.step_index == DEFINE
    assert vote.budget == suggest_budget(3) == 3
    assert vote.per_note_cap == DEFAULT_PER_NOTE_CAP
    assert (vote.opened_at, vote.closes_at) == (writing_due, writing_due + DEFINE_VOTE)

    # The vote is posted (and its post remembered); the step is not summarised yet.
    assert announcer.names() == ["vote_opened"]
    posted = announcer.of("vote_opened")[0]
    assert posted.args["vote"].id == vote.id
    assert vote.message_id == posted.args["message_id"]

    # The timer now waits for the vote; no "almost up" reminder during a vote.
    step = timers.step_job(session.id)
    assert step is not None
    assert (step.step_index, step.at) == (DEFINE, writing_due + DEFINE_VOTE)
    assert timers.reminder_job(session.id) is None


async def test_fewer_than_two_questions_go_straight_to_ideate(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, _ = await at_define(facilitation, questions=1)
    await time_up(timers, clock, session, store)
    moved = await current(store, session)
    assert moved.step_index == IDEATE
    assert moved.phase is Phase.WRITING
    assert moved.chosen_question is None
    assert await store.rounds_of(session.id) == []
    assert announcer.of("vote_opened") == []
    assert announcer.of("vote_results") == []


async def test_a_vote_on_too_few_options_is_refused(
    facilitation: Facilitation, store: Store
) -> None:
    session, _ = await at_define(facilitation, questions=1)
    with pytest.raises(VoteRefusedError) as caught:
        await facilitation.open_vote(session.id)
    assert caught.value.reason == "too_few_options"
    assert (await current(store, session)).phase is Phase.WRITING
    assert await store.rounds_of(session.id) == []


async def test_the_facilitator_sets_budget_cap_and_duration(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked = await at_define(facilitation)
    clock.advance(4 * MIN)
    opened = await facilitation.open_vote(session.id, duration=2 * MIN, budget=5, per_note_cap=1)
    assert opened.phase is Phase.VOTING
    assert opened.due_at == clock.now() + 2 * MIN
    vote = await open_round(store, session)
    assert (vote.budget, vote.per_note_cap) == (5, 1)
    assert vote.closes_at == clock.now() + 2 * MIN
    assert vote.options == tuple(note.id for note in asked)
    step = timers.step_job(session.id)
    assert step is not None
    assert step.at == clock.now() + 2 * MIN
    assert [call.args["vote"].id for call in announcer.of("vote_opened")] == [vote.id]


async def test_a_vote_on_a_step_without_a_planned_vote_is_on_all_its_notes(
    facilitation: Facilitation, store: Store
) -> None:
    session = await start(facilitation)
    notes = [await write(facilitation, session, f"Observatie {i}") for i in range(12)]
    await facilitation.open_vote(session.id)
    vote = await open_round(store, session)
    assert vote.target is VoteTarget.NOTES
    assert vote.step_index == EMPATHISE
    assert vote.options == tuple(note.id for note in notes)
    assert vote.budget == 3
    assert vote.closes_at == START + 4 * MIN  # the default vote duration


async def test_opening_a_vote_while_voting_keeps_the_running_round(
    facilitation: Facilitation, store: Store, timers: ManualTimers, clock: FakeClock
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    await facilitation.cast_votes(vote.id, 1, [asked[0].id])
    with pytest.raises(SessionRuleError) as caught:
        await facilitation.open_vote(session.id, budget=9)
    assert caught.value.refusal is Refusal.VOTING
    assert await open_round(store, session) == vote
    assert [r.id for r in await store.rounds_of(session.id)] == [vote.id]
    assert await store.allocation(vote.id, 1) == {asked[0].id: 1}


async def test_opening_a_vote_while_paused_is_refused_and_opens_no_round(
    facilitation: Facilitation, store: Store
) -> None:
    session, _ = await at_define(facilitation)
    await facilitation.pause(session.id)
    with pytest.raises(SessionRuleError) as caught:
        await facilitation.open_vote(session.id)
    assert caught.value.refusal is Refusal.PAUSED
    assert await store.rounds_of(session.id) == []


async def test_a_stale_next_opens_no_round(facilitation: Facilitation, store: Store) -> None:
    session, _ = await at_define(facilitation)
    with pytest.raises(SessionRuleError) as caught:
        await facilitation.next_step(session.id, expected_step=EMPATHISE)
    assert caught.value.refusal is Refusal.STALE
    assert await store.rounds_of(session.id) == []
    assert (await current(store, session)).phase is Phase.WRITING


async def test_next_during_writing_opens_the_planned_vote(
    facilitation: Facilitation, store: Store
) -> None:
    session, asked = await at_define(facilitation)
    moved = await facilitation.next_step(session.id, expected_step=DEFINE)
    assert (moved.step_index, moved.phase) == (DEFINE, Phase.VOTING)
    assert (await open_round(store, session)).options == tuple(n.id for n in asked)


# -- casting -------------------------------------------------------------------------------------


async def test_cast_votes_within_the_rules(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    _, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    a, b, c = (note.id for note in asked)
    ballot = await facilitation.cast_votes(vote.id, 1, [a, a])
    assert ballot.allocation == {a: 2}
    assert ballot.remaining == 1
    assert ballot.refused is None
    assert [note.id for note in ballot.options] == [a, b, c]

    # The budget of 3 stops the fourth; the ones before it stay cast.
    ballot = await facilitation.cast_votes(vote.id, 1, [b, c])
    assert ballot.allocation == {a: 2, b: 1}
    assert ballot.remaining == 0
    assert ballot.refused is BallotRefusal.BUDGET

    # Somebody else; and an option from another step is refused.
    ballot = await facilitation.cast_votes(vote.id, 2, [c, 99_999])
    assert ballot.allocation == {c: 1}
    assert ballot.refused is BallotRefusal.NOT_AN_OPTION

    assert [call.args["voters"] for call in announcer.of("voters_changed")] == [1, 1, 2]
    nobody = await facilitation.ballot(vote.id, 3)
    assert (nobody.allocation, nobody.remaining) == ({}, vote.budget)
    assert [note.id for note in nobody.options] == [a, b, c]


async def test_the_per_note_cap(facilitation: Facilitation, store: Store) -> None:
    session, asked = await at_define(facilitation)
    await facilitation.open_vote(session.id, budget=10, per_note_cap=2)
    vote = await open_round(store, session)
    ballot = await facilitation.cast_votes(vote.id, 1, [asked[0].id] * 3)
    assert ballot.allocation == {asked[0].id: 2}
    assert ballot.refused is BallotRefusal.CAP
    assert ballot.remaining == 8


async def test_twenty_concurrent_casts_never_exceed_budget_or_cap(
    facilitation: Facilitation, store: Store
) -> None:
    session, asked = await at_define(facilitation)
    await facilitation.open_vote(session.id, budget=5, per_note_cap=2)
    vote = await open_round(store, session)
    ids = [note.id for note in asked]
    ballots = await asyncio.gather(
        *(facilitation.cast_votes(vote.id, 1, [ids[i % 3]]) for i in range(20))
    )
    final = await store.allocation(vote.id, 1)
    assert sum(final.values()) == 5  # three notes x cap 2 = 6 > budget 5
    assert all(count <= 2 for count in final.values())
    assert set(final) <= set(ids)
    assert await store.round_votes(vote.id) == [(1, n, c) for n, c in sorted(final.items())]
    refused = [b.refused for b in ballots if b.refused is not None]
    assert len(refused) == 15
    assert set(refused) <= {BallotRefusal.BUDGET, BallotRefusal.CAP}


async def test_concurrent_voters_each_keep_their_own_budget(
    facilitation: Facilitation, store: Store, timers: ManualTimers, clock: FakeClock
) -> None:
    _, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    ids = [note.id for note in asked]
    await asyncio.gather(
        *(facilitation.cast_votes(vote.id, voter, ids) for voter in range(1, 6) for _ in range(2))
    )
    for voter in range(1, 6):
        assert sum((await store.allocation(vote.id, voter)).values()) == vote.budget
    assert await store.voter_count(vote.id) == 5


async def test_clear_votes_gives_the_budget_back_while_open(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    await facilitation.cast_votes(vote.id, 1, [asked[0].id, asked[1].id])
    await facilitation.cast_votes(vote.id, 2, [asked[2].id])
    ballot = await facilitation.clear_votes(vote.id, 1)
    assert ballot.allocation == {}
    assert ballot.remaining == vote.budget
    assert announcer.of("voters_changed")[-1].args["voters"] == 1
    assert await store.allocation(vote.id, 2) == {asked[2].id: 1}

    # After the round closed, votes can neither be cleared nor cast.
    await facilitation.next_step(session.id)
    await facilitation.clear_votes(vote.id, 2)
    assert await store.allocation(vote.id, 2) == {asked[2].id: 1}
    with pytest.raises(BallotError) as caught:
        await facilitation.cast_votes(vote.id, 2, [asked[0].id])
    assert caught.value.refusal is BallotRefusal.CLOSED
    assert await store.allocation(vote.id, 2) == {asked[2].id: 1}


async def test_an_unknown_round_is_refused(facilitation: Facilitation) -> None:
    with pytest.raises(VoteRefusedError) as caught:
        await facilitation.ballot(12345, 1)
    assert caught.value.reason == "unknown_round"
    with pytest.raises(VoteRefusedError):
        await facilitation.cast_votes(12345, 1, [1])
    with pytest.raises(VoteRefusedError):
        await facilitation.clear_votes(12345, 1)


# -- closing -------------------------------------------------------------------------------------


async def test_at_the_vote_deadline_results_come_before_the_summary_and_ideate_gets_the_question(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    a, b, c = (note.id for note in asked)
    await facilitation.cast_votes(vote.id, 1, [b, b, a])
    await facilitation.cast_votes(vote.id, 2, [b, c])
    announcer.clear()
    await time_up(timers, clock, session, store)

    closed = await store.get_round(vote.id)
    assert closed is not None
    assert closed.status is RoundStatus.CLOSED
    assert closed.closed_at == START + 10 * MIN + DEFINE_VOTE
    assert await store.open_round_of(session.id) is None

    assert announcer.names()[:3] == ["vote_results", "step_summary", "step_started"]
    results = announcer.of("vote_results")[0].args
    assert results["vote"].id == vote.id
    assert results["voters"] == 2
    assert [(r.place, r.note.id, r.votes, r.voters) for r in results["ranking"]] == [
        (1, b, 3, 2),
        (2, a, 1, 1),
        (2, c, 1, 1),
    ]
    [summary] = summaries(announcer)
    assert summary.step_index == DEFINE
    assert [(r.place, r.note.id) for r in summary.ranking] == [(1, b), (2, a), (2, c)]

    moved = await current(store, session)
    assert moved.step_index == IDEATE
    assert moved.phase is Phase.WRITING
    assert moved.chosen_question == QUESTIONS[1]
    started = announcer.of("step_started")[0].session
    assert started is not None
    assert started.step_index == IDEATE
    assert started.chosen_question == QUESTIONS[1]


async def test_a_tie_chooses_both_questions(
    facilitation: Facilitation, store: Store, timers: ManualTimers, clock: FakeClock
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    a, b, c = (note.id for note in asked)
    await facilitation.cast_votes(vote.id, 1, [c, c])
    await facilitation.cast_votes(vote.id, 2, [a, a, b])
    await time_up(timers, clock, session, store)
    assert (await current(store, session)).chosen_question == f"{QUESTIONS[0]} / {QUESTIONS[2]}"


async def test_a_vote_without_votes_chooses_nothing_but_is_revealed(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, _ = await voting_on_questions(facilitation, store, timers, clock)
    await time_up(timers, clock, session, store)
    moved = await current(store, session)
    assert moved.step_index == IDEATE
    assert moved.chosen_question is None
    [results] = announcer.of("vote_results")
    assert results.args["voters"] == 0
    assert all(item.votes == 0 for item in results.args["ranking"])
    assert len(results.args["ranking"]) == len(asked)


async def test_next_during_voting_closes_the_vote_and_moves_on(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    await facilitation.cast_votes(vote.id, 1, [asked[2].id])
    clock.advance(MIN)
    announcer.clear()
    moved = await facilitation.next_step(session.id, expected_step=DEFINE)
    assert (moved.step_index, moved.phase) == (IDEATE, Phase.WRITING)
    assert moved.chosen_question == QUESTIONS[2]
    closed = await store.get_round(vote.id)
    assert closed is not None
    assert closed.status is RoundStatus.CLOSED
    assert closed.closed_at == clock.now()
    assert announcer.names()[:3] == ["vote_results", "step_summary", "step_started"]
    step = timers.step_job(session.id)
    assert step is not None
    assert (step.step_index, step.at) == (IDEATE, clock.now() + 10 * MIN)


async def test_end_during_voting_closes_and_reveals(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    await facilitation.cast_votes(vote.id, 1, [asked[0].id])
    announcer.clear()
    ended = await facilitation.end(session.id)
    assert ended.status is SessionStatus.ENDED
    assert ended.chosen_question == QUESTIONS[0]
    assert await store.open_round_of(session.id) is None
    assert announcer.names() == ["vote_results", "step_summary", "session_summary"]
    assert session_summary(announcer).chosen_question == QUESTIONS[0]
    assert timers.for_session(session.id) == {}


async def test_go_back_during_voting_closes_the_vote(
    facilitation: Facilitation, store: Store, timers: ManualTimers, clock: FakeClock
) -> None:
    session, _, vote = await voting_on_questions(facilitation, store, timers, clock)
    back = await facilitation.go_back(session.id)
    assert (back.step_index, back.phase) == (EMPATHISE, Phase.WRITING)
    assert await store.open_round_of(session.id) is None
    closed = await store.get_round(vote.id)
    assert closed is not None
    assert closed.status is RoundStatus.CLOSED


async def test_a_double_fire_at_the_writing_deadline_opens_one_round(
    facilitation: Facilitation,
    store: Store,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, _ = await at_define(facilitation)
    clock.set(START + 10 * MIN)
    await asyncio.gather(*(facilitation.step_due(session.id, DEFINE) for _ in range(3)))
    await facilitation.step_due(session.id, DEFINE)
    assert len(await store.rounds_of(session.id)) == 1
    assert len(announcer.of("vote_opened")) == 1
    assert (await current(store, session)).phase is Phase.VOTING


async def test_a_double_fire_at_the_vote_deadline_advances_once(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, asked, vote = await voting_on_questions(facilitation, store, timers, clock)
    await facilitation.cast_votes(vote.id, 1, [asked[1].id])
    clock.set(START + 10 * MIN + DEFINE_VOTE)
    announcer.clear()
    await asyncio.gather(*(facilitation.step_due(session.id, DEFINE) for _ in range(3)))
    await facilitation.step_due(session.id, DEFINE)
    moved = await current(store, session)
    assert moved.step_index == IDEATE
    assert moved.chosen_question == QUESTIONS[1]
    assert announcer.names() == ["vote_results", "step_summary", "step_started"]
    assert [r.status for r in await store.rounds_of(session.id)] == [RoundStatus.CLOSED]


async def test_a_writing_reminder_in_flight_when_the_vote_opens_stays_quiet(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session, _ = await at_define(facilitation)
    clock.advance(5 * MIN)
    await facilitation.open_vote(session.id, duration=10 * MIN)
    assert timers.reminder_job(session.id) is None
    # The reminder job for define's writing was already running when the vote opened.
    await facilitation.reminder_due(session.id, DEFINE)
    assert announcer.of("reminder") == []


async def test_ideate_votes_on_all_its_notes(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    await facilitation.next_step(session.id)
    await facilitation.next_step(session.id)  # define without questions: no vote
    ideas = [await write(facilitation, session, f"Idee {i}", author=7 + i % 2) for i in range(5)]
    await time_up(timers, clock, session, store)
    vote = await open_round(store, session)
    assert vote.target is VoteTarget.NOTES
    assert vote.step_index == IDEATE
    assert vote.options == tuple(note.id for note in ideas)
    assert vote.closes_at == clock.now() + IDEATE_VOTE


# -- themes --------------------------------------------------------------------------------------

EMPATHY = (
    "Bieb is te druk op zaterdag",
    "Koffie is er niet",
    "Bieb sluit te vroeg",
    "koffie automaat kapot",
    "Stilte is zeldzaam",
    "Bieb: te weinig stopcontacten",
)


async def with_empathy(facilitation: Facilitation) -> tuple[Session, list[Note]]:
    session = await start(facilitation)
    notes = [
        await write(facilitation, session, text, author=7 + i % 3) for i, text in enumerate(EMPATHY)
    ]
    return session, notes


async def test_define_starts_with_the_themes_of_empathise(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session, notes = await with_empathy(facilitation)
    announcer.clear()
    await facilitation.next_step(session.id)
    assert announcer.names() == ["step_summary", "step_started", "themes"]
    shown = announcer.of("themes")[0].args
    assert shown["step_index"] == EMPATHISE
    groups = {group.name: [note.id for note in group.notes] for group in shown["groups"]}
    assert groups == {
        "bieb": [notes[0].id, notes[2].id, notes[5].id],
        "koffie": [notes[1].id, notes[3].id],
    }
    assert shown["other"] == 1  # "Stilte…" alone is no theme
    stored = await store.themes(session.id, EMPATHISE)
    assert [theme.name for theme in stored] == ["bieb", "koffie"]
    assert [theme.position for theme in stored] == [0, 1]


async def test_going_back_and_forth_does_not_regroup_or_repost(
    facilitation: Facilitation, announcer: RecordingAnnouncer, finder: FakeThemeFinder
) -> None:
    session, _ = await with_empathy(facilitation)
    await facilitation.next_step(session.id)
    await facilitation.go_back(session.id)
    announcer.clear()
    await facilitation.next_step(session.id)
    # Posted again with the stored themes, but not grouped again.
    assert announcer.names() == ["step_summary", "step_started", "themes"]
    assert len(finder.calls) == 1


async def test_corrections_survive_a_rerun(
    facilitation: Facilitation, store: Store, finder: FakeThemeFinder
) -> None:
    session, notes = await with_empathy(facilitation)
    first = await facilitation.run_themes(session.id, EMPATHISE)
    bieb, koffie = first
    assert await facilitation.rename_theme(koffie.id, "  Drinken en eten  ")
    assert await facilitation.move_note(notes[4].id, bieb.id)  # "Stilte…" into bieb
    late = await write(facilitation, session, "Koffie mag duurder")
    late_other = await write(facilitation, session, "Wifi valt weg")
    late_wifi = await write(facilitation, session, "wifi traag")

    again = await facilitation.run_themes(session.id, EMPATHISE)
    # The finder was told which themes a facilitator corrected.
    assert set(finder.calls[-1][1]) == {bieb.id, koffie.id}
    by_id = {theme.id: theme for theme in again}
    assert by_id[koffie.id].name == "Drinken en eten"
    assert by_id[koffie.id].renamed
    assert set(by_id[koffie.id].note_ids) == {notes[1].id, notes[3].id, late.id}
    assert notes[4].id in by_id[bieb.id].note_ids
    assert by_id[bieb.id].pinned == frozenset({notes[4].id})
    new = [theme for theme in again if theme.id not in (bieb.id, koffie.id)]
    assert [(t.name, t.note_ids) for t in new] == [("wifi", (late_other.id, late_wifi.id))]
    assert again == await store.themes(session.id, EMPATHISE)


async def test_merge_persists_and_survives_a_rerun(
    facilitation: Facilitation, store: Store
) -> None:
    session, notes = await with_empathy(facilitation)
    bieb, koffie = await facilitation.run_themes(session.id, EMPATHISE)
    assert not await facilitation.merge_themes(bieb.id, bieb.id)
    assert await facilitation.merge_themes(koffie.id, bieb.id)
    [merged] = await store.themes(session.id, EMPATHISE)
    assert merged.id == bieb.id
    assert set(merged.note_ids) == {notes[i].id for i in (0, 1, 2, 3, 5)}
    assert merged.pinned == {notes[1].id, notes[3].id}
    assert not await facilitation.merge_themes(koffie.id, bieb.id), "it is gone"

    again = await facilitation.run_themes(session.id, EMPATHISE)
    assert [theme.id for theme in again] == [bieb.id]
    assert set(again[0].note_ids) == {notes[i].id for i in (0, 1, 2, 3, 5)}


async def test_an_uncorrected_theme_is_replaced_by_a_rerun(
    facilitation: Facilitation, store: Store, finder: FakeThemeFinder
) -> None:
    session, notes = await with_empathy(facilitation)
    first = await facilitation.run_themes(session.id, EMPATHISE)
    assert [theme.name for theme in first] == ["bieb", "koffie"]
    finder.key = lambda note: "alles"
    again = await facilitation.run_themes(session.id, EMPATHISE)
    # Nobody corrected bieb or koffie: they are gone, not left behind empty.
    assert [theme.name for theme in again] == ["alles"]
    assert again[0].note_ids == tuple(note.id for note in notes)
    assert await store.themes(session.id, EMPATHISE) == again


async def test_without_a_theme_finder_nothing_is_grouped(
    store: Store, timers: ManualTimers, announcer: RecordingAnnouncer, clock: FakeClock
) -> None:
    plain = Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(reminder_before=REMINDER_LEAD, retention_days=RETENTION_DAYS),
    )
    session, notes = await with_empathy(plain)
    assert await plain.run_themes(session.id, EMPATHISE) == []
    announcer.clear()
    await plain.next_step(session.id)
    shown = announcer.of("themes")[0].args
    assert (shown["groups"], shown["other"]) == ((), len(notes))


async def test_step_and_session_summaries_carry_the_themes(
    facilitation: Facilitation, announcer: RecordingAnnouncer
) -> None:
    session, _ = await with_empathy(facilitation)
    await facilitation.run_themes(session.id, EMPATHISE)
    await facilitation.next_step(session.id)
    [empathise] = summaries(announcer)
    assert [group.name for group in empathise.themes] == ["bieb", "koffie"]
    await facilitation.end(session.id)
    overall = session_summary(announcer)
    assert [group.name for group in overall.themes] == ["bieb", "koffie"]


# -- top ideas, takers and participation ---------------------------------------------------------


async def test_the_session_summary_has_the_top_ideas_of_the_last_idea_vote_and_their_takers(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    await facilitation.next_step(session.id)
    await facilitation.next_step(session.id)
    ideas = [await write(facilitation, session, f"Idee {i}", author=7 + i) for i in range(5)]
    await time_up(timers, clock, session, store)  # ideate's vote on its notes
    first = await open_round(store, session)
    await facilitation.cast_votes(first.id, 1, [ideas[0].id, ideas[0].id, ideas[1].id])
    await time_up(timers, clock, session, store)  # closes; on to prototype
    assert (await current(store, session)).step_index == PROTOTYPE

    prototypes = [await write(facilitation, session, f"Prototype {i}") for i in range(5)]
    await facilitation.open_vote(session.id)
    last = await open_round(store, session)
    assert last.options == tuple(note.id for note in prototypes)
    p = [note.id for note in prototypes]
    await facilitation.cast_votes(last.id, 1, [p[3], p[3], p[1]])
    await facilitation.cast_votes(last.id, 2, [p[1], p[4], p[2]])
    await facilitation.cast_votes(last.id, 3, [p[4]])

    taken = await facilitation.take_idea(p[3], 21, "Anna", thread_id=session.thread_id)
    assert taken is not None
    note, owner = taken
    assert (note.id, owner.id) == (p[3], session.id)
    assert await facilitation.take_idea(p[3], 21, "Anna", thread_id=session.thread_id) is None, (
        "once per person"
    )
    assert await facilitation.take_idea(p[3], 22, "Bram", thread_id=session.thread_id) is not None
    assert (
        await facilitation.take_idea(p[0], 23, "Cem", thread_id=session.thread_id) is not None
    )  # not a top idea
    assert (
        await facilitation.take_idea(987_654, 23, "Cem", thread_id=session.thread_id) is None
    )  # no such note
    with pytest.raises(NoSessionError):  # clicked outside the idea's own thread
        await facilitation.take_idea(p[3], 24, "Dirk", thread_id=session.thread_id + 1)

    await facilitation.next_step(session.id)  # closes the vote; the last step: the end
    assert (await current(store, session)).status is SessionStatus.ENDED
    assert announcer.names()[-3:] == ["vote_results", "step_summary", "session_summary"]
    overall = session_summary(announcer)
    # p1 and p4 have 2 votes from 2 people each, p3 2 votes from 1 person: the three
    # share first place, more voters first; p2 (1 vote) is left out of the top 3.
    assert [(item.place, item.note.id, item.votes) for item in overall.top_ideas] == [
        (1, p[1], 2),
        (1, p[4], 2),
        (1, p[3], 2),
    ]
    assert overall.takers == {p[3]: ("Anna", "Bram")}
    assert overall.chosen_question is None


async def test_top_ideas_leave_out_ideas_without_votes(
    facilitation: Facilitation,
    store: Store,
    timers: ManualTimers,
    announcer: RecordingAnnouncer,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    await facilitation.next_step(session.id)
    await facilitation.next_step(session.id)
    ideas = [await write(facilitation, session, f"Idee {i}") for i in range(4)]
    await time_up(timers, clock, session, store)
    vote = await open_round(store, session)
    await facilitation.cast_votes(vote.id, 1, [ideas[2].id])
    await facilitation.end(session.id)
    overall = session_summary(announcer)
    assert [item.note.id for item in overall.top_ideas] == [ideas[2].id]
    assert overall.takers == {}


async def test_no_idea_vote_no_top_ideas(
    facilitation: Facilitation, announcer: RecordingAnnouncer
) -> None:
    session, _ = await with_empathy(facilitation)
    await facilitation.end(session.id)
    overall = session_summary(announcer)
    assert overall.top_ideas == ()
    assert overall.takers == {}


async def test_participation_in_step_and_session_summaries(
    facilitation: Facilitation, announcer: RecordingAnnouncer
) -> None:
    session = await start(facilitation)
    for text in ("a", "b", "c", "d", "e", "f"):
        await write(facilitation, session, text, author=7)
    await write(facilitation, session, "g", author=8)
    await write(facilitation, session, "h", author=9)
    await facilitation.next_step(session.id)
    for author in (7, 8, 9, 10):
        await write(facilitation, session, f"vraag van {author}", author=author)
    await facilitation.end(session.id)

    empathise, define = summaries(announcer)
    assert empathise.participation is not None
    # One person wrote six of eight notes: one voice carries half of the wall.
    assert (
        empathise.participation.people,
        empathise.participation.notes,
        empathise.participation.half_from,
    ) == (3, 8, 1)
    assert define.participation is not None
    assert (define.participation.people, define.participation.half_from) == (4, 2)
    overall = session_summary(announcer).participation
    assert overall is not None
    # 7 wrote 7 of 12, 8 and 9 two each, 10 one.
    assert (overall.people, overall.notes, overall.half_from) == (4, 12, 1)
