"""The session state machine: every transition, every refusal, and invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.domain.durations import MAX_DURATION
from bot.domain.events import (
    ReminderDue,
    SessionEnded,
    SessionPaused,
    SessionResumed,
    StepEnded,
    StepExtended,
    StepStarted,
)
from bot.domain.session import TIMER_SLACK, Refusal, Session, SessionRuleError, SessionStatus
from bot.domain.templates import StepPlan
from tests.fakes import START

MIN = timedelta(minutes=1)
LEAD = 2 * MIN
STEPS = (
    StepPlan("empathise", 15 * MIN),
    StepPlan("define", 10 * MIN),
    StepPlan("ideate", 3 * MIN),  # shorter than twice the lead: no reminder
)


def begin(
    steps: tuple[StepPlan, ...] = STEPS,
    reminder_before: timedelta = LEAD,
    now: datetime = START,
) -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="Een bieb voor iedereen",
        locale="nl",
        template="classic",
        steps=steps,
        reminder_before=reminder_before,
        now=now,
    )
    return session


def refusal_of(call: object) -> Refusal:
    assert callable(call)
    with pytest.raises(SessionRuleError) as caught:
        call()
    return caught.value.refusal


# -- begin ----------------------------------------------------------------------------------


def test_begin_runs_the_first_step_with_its_deadline() -> None:
    session, events = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="t",
        locale="en",
        template="classic",
        steps=STEPS,
        reminder_before=LEAD,
        now=START,
    )
    assert events == [StepStarted(0, START + 15 * MIN)]
    assert session.status is SessionStatus.RUNNING
    assert session.active
    assert session.step_index == 0
    assert session.current_step == STEPS[0]
    assert session.due_at == START + 15 * MIN
    assert session.remaining is None
    assert session.step_started_at == START
    assert session.created_at == START
    assert session.reminded_step == -1
    assert session.ended_at is None
    assert session.last_message_id is None
    assert session.id == 0
    assert session.version == 0


def test_begin_needs_a_step() -> None:
    with pytest.raises(ValueError, match="step"):
        begin(steps=())


# -- advance ----------------------------------------------------------------------------------


def test_advance_ends_the_step_and_starts_the_next() -> None:
    session = begin()
    later = START + 4 * MIN
    moved, events = session.advance(later)
    assert events == [StepEnded(0), StepStarted(1, later + 10 * MIN)]
    assert moved.step_index == 1
    assert moved.status is SessionStatus.RUNNING
    assert moved.step_started_at == later
    assert moved.due_at == later + 10 * MIN
    assert moved.remaining is None


def test_advance_with_the_expected_step_moves_on() -> None:
    session = begin()
    moved, events = session.advance(START + 15 * MIN, expected_step=0)
    assert moved.step_index == 1
    assert [type(e) for e in events] == [StepEnded, StepStarted]


def test_advance_with_a_stale_step_is_refused_and_changes_nothing() -> None:
    session = begin()
    moved, _ = session.advance(START + MIN)
    assert refusal_of(lambda: moved.advance(START + 2 * MIN, expected_step=0)) is Refusal.STALE
    assert refusal_of(lambda: moved.advance(START + 2 * MIN, expected_step=2)) is Refusal.STALE
    assert moved.step_index == 1


def test_advance_after_the_last_step_ends_the_session() -> None:
    session = begin()
    session, _ = session.advance(START + MIN)
    session, _ = session.advance(START + 2 * MIN)
    assert session.is_last_step
    ended, events = session.advance(START + 3 * MIN)
    assert events == [StepEnded(2), SessionEnded(START + 3 * MIN)]
    assert ended.status is SessionStatus.ENDED
    assert not ended.active
    assert ended.due_at is None
    assert ended.remaining is None
    assert ended.ended_at == START + 3 * MIN
    assert ended.step_index == 2


def test_advance_from_a_pause_runs_the_next_step() -> None:
    paused, _ = begin().pause(START + MIN)
    moved, events = paused.advance(START + 2 * MIN)
    assert moved.status is SessionStatus.RUNNING
    assert moved.step_index == 1
    assert moved.remaining is None
    assert moved.due_at == START + 12 * MIN
    assert events[-1] == StepStarted(1, START + 12 * MIN)


# -- time_up (the step timer) ----------------------------------------------------------------


def test_time_up_at_the_deadline_advances() -> None:
    moved, events = begin().time_up(START + 15 * MIN, expected_step=0)
    assert moved.step_index == 1
    assert events == [StepEnded(0), StepStarted(1, START + 25 * MIN)]


def test_time_up_when_overdue_advances_from_now() -> None:
    moved, _ = begin().time_up(START + 40 * MIN, expected_step=0)
    assert moved.due_at == START + 50 * MIN


def test_time_up_tolerates_a_timer_a_hair_early() -> None:
    early = START + 15 * MIN - TIMER_SLACK
    assert begin().time_up(early, expected_step=0)[0].step_index == 1
    too_early = early - timedelta(microseconds=1)
    assert refusal_of(lambda: begin().time_up(too_early, expected_step=0)) is Refusal.STALE


def test_time_up_after_an_extension_waits_for_the_new_deadline() -> None:
    extended, _ = begin().extend(START + 15 * MIN, 5 * MIN)
    assert refusal_of(lambda: extended.time_up(START + 15 * MIN, 0)) is Refusal.STALE
    assert extended.time_up(START + 20 * MIN, 0)[0].step_index == 1


def test_time_up_while_paused_is_refused() -> None:
    paused, _ = begin().pause(START + 15 * MIN)
    assert refusal_of(lambda: paused.time_up(START + 15 * MIN, 0)) is Refusal.STALE


def test_time_up_for_another_step_is_stale() -> None:
    moved, _ = begin().advance(START + MIN)
    assert refusal_of(lambda: moved.time_up(START + 60 * MIN, 0)) is Refusal.STALE


def test_time_up_on_the_last_step_ends_the_session() -> None:
    session = begin(steps=(StepPlan("test", 5 * MIN),))
    ended, events = session.time_up(START + 5 * MIN, 0)
    assert ended.status is SessionStatus.ENDED
    assert events == [StepEnded(0), SessionEnded(START + 5 * MIN)]


def test_time_up_on_an_ended_session_is_refused() -> None:
    ended, _ = begin().end(START)
    assert refusal_of(lambda: ended.time_up(START + 60 * MIN, 0)) is Refusal.ENDED


# -- go_back ----------------------------------------------------------------------------------


def test_go_back_restarts_the_previous_step_with_its_full_time() -> None:
    session, _ = begin().advance(START + 5 * MIN)
    back, events = session.go_back(START + 6 * MIN)
    assert events == [StepStarted(0, START + 21 * MIN, again=True)]
    assert back.step_index == 0
    assert back.due_at == START + 21 * MIN
    assert back.step_started_at == START + 6 * MIN
    assert back.status is SessionStatus.RUNNING


def test_go_back_on_the_first_step_is_refused() -> None:
    assert refusal_of(lambda: begin().go_back(START)) is Refusal.FIRST_STEP


def test_go_back_while_paused_runs_again() -> None:
    session, _ = begin().advance(START + MIN)
    paused, _ = session.pause(START + 2 * MIN)
    back, _ = paused.go_back(START + 3 * MIN)
    assert back.status is SessionStatus.RUNNING
    assert back.remaining is None
    assert back.due_at == START + 18 * MIN


def test_go_back_allows_the_reminder_again() -> None:
    session = begin()
    reminded, _ = session.remind(START + 13 * MIN, expected_step=0)
    moved, _ = reminded.advance(START + 15 * MIN)
    back, _ = moved.go_back(START + 16 * MIN)
    assert back.reminded_step == -1
    assert back.reminder_at() == START + 16 * MIN + 13 * MIN


# -- pause and resume ---------------------------------------------------------------------------


def test_pause_keeps_what_is_left() -> None:
    paused, events = begin().pause(START + 5 * MIN)
    assert events == [SessionPaused(10 * MIN)]
    assert paused.status is SessionStatus.PAUSED
    assert paused.active
    assert paused.remaining == 10 * MIN
    assert paused.due_at is None


def test_pause_when_overdue_keeps_zero() -> None:
    paused, events = begin().pause(START + 20 * MIN)
    assert paused.remaining == timedelta(0)
    assert events == [SessionPaused(timedelta(0))]


def test_pause_twice_is_refused() -> None:
    paused, _ = begin().pause(START + MIN)
    assert refusal_of(lambda: paused.pause(START + 2 * MIN)) is Refusal.PAUSED


def test_resume_runs_the_clock_with_the_time_that_was_left() -> None:
    paused, _ = begin().pause(START + 5 * MIN)
    resumed, events = paused.resume(START + 60 * MIN)
    assert events == [SessionResumed(START + 70 * MIN)]
    assert resumed.status is SessionStatus.RUNNING
    assert resumed.due_at == START + 70 * MIN
    assert resumed.remaining is None
    assert resumed.step_index == 0


def test_resume_when_running_is_refused() -> None:
    assert refusal_of(lambda: begin().resume(START + MIN)) is Refusal.NOT_PAUSED


# -- extend ---------------------------------------------------------------------------------------


def test_extend_a_running_step_moves_its_deadline() -> None:
    extended, events = begin().extend(START + MIN, 5 * MIN)
    assert extended.due_at == START + 20 * MIN
    assert events == [StepExtended(5 * MIN, START + 20 * MIN, None)]
    assert extended.status is SessionStatus.RUNNING


def test_extend_a_paused_step_adds_to_what_is_left() -> None:
    paused, _ = begin().pause(START + 5 * MIN)
    extended, events = paused.extend(START + 6 * MIN, 5 * MIN)
    assert extended.remaining == 15 * MIN
    assert extended.due_at is None
    assert extended.status is SessionStatus.PAUSED
    assert events == [StepExtended(5 * MIN, None, 15 * MIN)]


def test_extend_an_overdue_step_counts_from_now() -> None:
    now = START + 30 * MIN  # due at +15m, the timer has not been handled yet
    extended, events = begin().extend(now, 5 * MIN)
    assert extended.due_at == now + 5 * MIN
    assert events == [StepExtended(5 * MIN, now + 5 * MIN, None)]


def test_extend_up_to_fourteen_days_is_allowed_beyond_is_refused() -> None:
    session = begin()
    now = START + 5 * MIN  # 10 minutes left
    extended, _ = session.extend(now, MAX_DURATION - 10 * MIN)
    assert extended.time_left(now) == MAX_DURATION
    assert refusal_of(lambda: session.extend(now, MAX_DURATION - 9 * MIN)) is Refusal.TOO_LONG
    assert refusal_of(lambda: extended.extend(now, timedelta(seconds=1))) is Refusal.TOO_LONG


def test_extend_a_paused_step_beyond_fourteen_days_is_refused() -> None:
    paused, _ = begin().pause(START + 5 * MIN)
    assert refusal_of(lambda: paused.extend(START, MAX_DURATION)) is Refusal.TOO_LONG


@pytest.mark.parametrize("added", [timedelta(0), -MIN])
def test_extend_by_nothing_is_a_programming_error(added: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        begin().extend(START, added)


# -- end ------------------------------------------------------------------------------------------


def test_end_closes_the_step_and_the_session() -> None:
    session, _ = begin().advance(START + MIN)
    ended, events = session.end(START + 2 * MIN)
    assert events == [StepEnded(1), SessionEnded(START + 2 * MIN)]
    assert ended.status is SessionStatus.ENDED
    assert ended.ended_at == START + 2 * MIN
    assert ended.due_at is None
    assert ended.remaining is None


def test_end_while_paused() -> None:
    paused, _ = begin().pause(START + MIN)
    ended, events = paused.end(START + 2 * MIN)
    assert ended.status is SessionStatus.ENDED
    assert ended.remaining is None
    assert events == [StepEnded(0), SessionEnded(START + 2 * MIN)]


@pytest.mark.parametrize(
    "operation",
    [
        lambda s, now: s.advance(now),
        lambda s, now: s.advance(now, expected_step=s.step_index),
        lambda s, now: s.go_back(now),
        lambda s, now: s.pause(now),
        lambda s, now: s.resume(now),
        lambda s, now: s.extend(now, MIN),
        lambda s, now: s.end(now),
        lambda s, now: s.time_up(now, s.step_index),
        lambda s, now: s.remind(now),
        lambda s, now: s.remind(now, expected_step=s.step_index),
    ],
    ids=[
        "advance",
        "advance-expected",
        "go_back",
        "pause",
        "resume",
        "extend",
        "end",
        "time_up",
        "remind",
        "remind-expected",
    ],
)
def test_nothing_happens_to_an_ended_session(operation: object) -> None:
    session, _ = begin().advance(START + MIN)
    ended, _ = session.end(START + 2 * MIN)
    assert callable(operation)
    assert refusal_of(lambda: operation(ended, START + 3 * MIN)) is Refusal.ENDED


# -- reminders ------------------------------------------------------------------------------------


def test_remind_posts_once_per_step() -> None:
    session = begin()
    reminded, events = session.remind(START + 13 * MIN, expected_step=0)
    assert events == [ReminderDue(0, START + 15 * MIN)]
    assert reminded.reminded_step == 0
    assert refusal_of(lambda: reminded.remind(START + 14 * MIN, expected_step=0)) is Refusal.STALE
    assert refusal_of(lambda: reminded.remind(START + 14 * MIN)) is Refusal.STALE


def test_remind_at_or_after_the_deadline_is_stale() -> None:
    session = begin()
    assert refusal_of(lambda: session.remind(START + 15 * MIN, expected_step=0)) is Refusal.STALE
    assert refusal_of(lambda: session.remind(START + 40 * MIN, expected_step=0)) is Refusal.STALE
    reminded, _ = session.remind(START + 15 * MIN - timedelta(seconds=1), expected_step=0)
    assert reminded.reminded_step == 0


def test_remind_for_another_step_is_stale() -> None:
    session, _ = begin().advance(START + MIN)
    assert refusal_of(lambda: session.remind(START + 2 * MIN, expected_step=0)) is Refusal.STALE
    assert session.reminded_step == -1


def test_remind_while_paused_is_refused() -> None:
    paused, _ = begin().pause(START + MIN)
    assert refusal_of(lambda: paused.remind(START + 2 * MIN, expected_step=0)) is Refusal.PAUSED


def test_the_next_step_can_be_reminded_again() -> None:
    reminded, _ = begin().remind(START + 13 * MIN)
    moved, _ = reminded.advance(START + 15 * MIN)
    assert moved.reminder_at() == START + 15 * MIN + 8 * MIN
    again, events = moved.remind(START + 23 * MIN, expected_step=1)
    assert events == [ReminderDue(1, START + 25 * MIN)]
    assert again.reminded_step == 1


def test_reminder_at_is_the_deadline_minus_the_lead() -> None:
    assert begin().reminder_at() == START + 13 * MIN


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (4 * MIN, START + 2 * MIN),  # exactly twice the lead: yes
        (4 * MIN - timedelta(seconds=1), None),  # a second less: no
        (3 * MIN, None),
    ],
)
def test_reminder_only_for_steps_at_least_twice_the_lead(
    duration: timedelta, expected: datetime | None
) -> None:
    assert begin(steps=(StepPlan("ideate", duration),)).reminder_at() == expected


def test_no_reminder_after_reminding_while_paused_or_when_switched_off() -> None:
    session = begin()
    reminded, _ = session.remind(START + 13 * MIN)
    assert reminded.reminder_at() is None
    paused, _ = session.pause(START + MIN)
    assert paused.reminder_at() is None
    assert begin(reminder_before=timedelta(0)).reminder_at() is None
    ended, _ = session.end(START + MIN)
    assert ended.reminder_at() is None


def test_reminder_follows_an_extension_and_a_resume() -> None:
    session = begin()
    extended, _ = session.extend(START + MIN, 5 * MIN)
    assert extended.reminder_at() == START + 18 * MIN
    paused, _ = extended.pause(START + 10 * MIN)  # 10 minutes left
    resumed, _ = paused.resume(START + 30 * MIN)
    assert resumed.reminder_at() == START + 38 * MIN


# -- queries --------------------------------------------------------------------------------------


def test_time_left_running_overdue_paused_and_ended() -> None:
    session = begin()
    assert session.time_left(START) == 15 * MIN
    assert session.time_left(START + 14 * MIN) == MIN
    assert session.time_left(START + 15 * MIN) == timedelta(0)
    assert session.time_left(START + 60 * MIN) == timedelta(0)
    paused, _ = session.pause(START + 5 * MIN)
    assert paused.time_left(START + 500 * MIN) == 10 * MIN
    ended, _ = session.end(START + MIN)
    assert ended.time_left(START + MIN) == timedelta(0)


def test_saw_message_only_moves_forward() -> None:
    session = begin()
    assert session.saw_message(10).last_message_id == 10
    seen = session.saw_message(10)
    assert seen.saw_message(5) is seen
    assert seen.saw_message(10) is seen
    assert seen.saw_message(11).last_message_id == 11


def test_transitions_do_not_change_the_original() -> None:
    session = begin()
    snapshot = replace(session)
    session.advance(START + MIN)
    session.pause(START + MIN)
    session.extend(START + MIN, MIN)
    session.end(START + MIN)
    assert session == snapshot


# -- random sequences -----------------------------------------------------------------------------


def check_invariants(session: Session, now: datetime) -> None:
    assert 0 <= session.step_index < len(session.steps)
    assert session.reminded_step == -1 or 0 <= session.reminded_step < len(session.steps)
    if session.status is SessionStatus.RUNNING:
        assert session.due_at is not None
        assert session.remaining is None
        assert session.due_at >= session.step_started_at
        assert session.ended_at is None
    elif session.status is SessionStatus.PAUSED:
        assert session.remaining is not None
        assert session.remaining >= timedelta(0)
        assert session.due_at is None
        assert session.ended_at is None
    else:
        assert session.due_at is None
        assert session.remaining is None
        assert session.ended_at is not None
        assert session.reminder_at() is None
    assert timedelta(0) <= session.time_left(now) <= MAX_DURATION
    reminder = session.reminder_at()
    if reminder is not None:
        assert session.due_at is not None
        assert reminder == session.due_at - session.reminder_before
        assert session.reminded_step != session.step_index


class SessionMachine(RuleBasedStateMachine):
    """Random legal and illegal operations on a moving clock; the rules must hold."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.session = begin()
        self.seen = 0

    @initialize(
        durations=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=5),
        lead=st.integers(min_value=0, max_value=10),
    )
    def start(self, durations: list[int], lead: int) -> None:
        steps = tuple(StepPlan("ideate", m * MIN) for m in durations)
        self.session = begin(steps=steps, reminder_before=lead * MIN, now=self.now)

    def apply(self, name: str, operation: object) -> None:
        before = self.session
        assert callable(operation)
        refusal: Refusal | None = None
        try:
            after, events = operation()
        except SessionRuleError as error:
            refusal = error.refusal
        if refusal is not None:
            # A refusal changes nothing, and an ended session refuses everything.
            assert self.session is before
            if before.status is SessionStatus.ENDED:
                assert refusal is Refusal.ENDED, name
            return
        assert before.status is not SessionStatus.ENDED, f"{name} worked on an ended session"
        assert events, f"{name} returned no events"
        assert after.version == before.version
        assert after.id == before.id
        self.session = after

    @rule(minutes=st.integers(min_value=0, max_value=60 * 24))
    def tick(self, minutes: int) -> None:
        self.now += minutes * MIN

    @rule()
    def advance(self) -> None:
        index = self.session.step_index
        was_last = self.session.is_last_step
        self.apply("advance", lambda: self.session.advance(self.now))
        if self.session.active:
            assert self.session.step_index == index + 1
            assert self.session.status is SessionStatus.RUNNING
        else:
            assert was_last or self.session.ended_at is not None

    @rule(expected=st.integers(min_value=-1, max_value=5))
    def timer_fires(self, expected: int) -> None:
        before = self.session
        self.apply("advance-expected", lambda: self.session.advance(self.now, expected))
        if expected != before.step_index:
            assert self.session is before

    @rule(expected=st.integers(min_value=-1, max_value=5))
    def step_timer_fires(self, expected: int) -> None:
        before = self.session
        self.apply("time_up", lambda: self.session.time_up(self.now, expected))
        if self.session is not before:
            # Only a running step whose time has come moves on.
            assert before.status is SessionStatus.RUNNING
            assert before.due_at is not None
            assert before.due_at <= self.now + TIMER_SLACK
            assert expected == before.step_index

    @rule()
    def go_back(self) -> None:
        before = self.session
        self.apply("go_back", lambda: self.session.go_back(self.now))
        if before.active and before.step_index == 0:
            assert self.session is before

    @rule()
    def pause(self) -> None:
        before = self.session
        self.apply("pause", lambda: self.session.pause(self.now))
        if before.status is SessionStatus.RUNNING:
            assert self.session.status is SessionStatus.PAUSED
            assert self.session.remaining == before.time_left(self.now)

    @rule()
    def resume(self) -> None:
        before = self.session
        self.apply("resume", lambda: self.session.resume(self.now))
        if before.status is SessionStatus.PAUSED:
            assert before.remaining is not None
            assert self.session.due_at == self.now + before.remaining

    @rule(minutes=st.integers(min_value=1, max_value=60 * 24 * 15))
    def extend(self, minutes: int) -> None:
        before = self.session
        self.apply("extend", lambda: self.session.extend(self.now, minutes * MIN))
        if self.session is not before:
            assert self.session.time_left(self.now) == before.time_left(self.now) + minutes * MIN

    @rule(expected=st.none() | st.integers(min_value=-1, max_value=5))
    def remind(self, expected: int | None) -> None:
        before = self.session
        self.apply("remind", lambda: self.session.remind(self.now, expected))
        if self.session is not before:
            assert before.due_at is not None
            assert self.now < before.due_at, "a reminder after the deadline"
            assert before.reminded_step != before.step_index
            assert self.session.reminded_step == self.session.step_index

    @rule()
    def end(self) -> None:
        self.apply("end", lambda: self.session.end(self.now))
        assert self.session.status is SessionStatus.ENDED

    @rule(message_id=st.integers(min_value=1, max_value=1000))
    def saw_message(self, message_id: int) -> None:
        self.session = self.session.saw_message(message_id)
        self.seen = max(self.seen, message_id)
        assert self.session.last_message_id == self.seen

    @invariant()
    def holds(self) -> None:
        check_invariants(self.session, self.now)


SessionMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestSessionMachine = SessionMachine.TestCase
