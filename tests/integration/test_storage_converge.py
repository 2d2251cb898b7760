"""Converging in storage: migration 0002 on an existing file, vote rounds and ballots, themes
with facilitator corrections, cached vectors and takers, on a real SQLite file.

The semantics tests also run against ``InMemoryStore``, so the fake the use-case tests rely
on keeps the same rules as the real store.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.board import NoteDraft, NoteKind, NoteSource
from bot.domain.session import Phase, Session, SessionStatus
from bot.domain.templates import StepPlan
from bot.domain.themes import ThemePlan
from bot.domain.voting import BallotError, BallotRefusal, RoundStatus, VoteRound, VoteTarget
from bot.ports import Store
from bot.storage.db import connect, migrations, schema_version
from bot.storage.sqlite_store import SqliteStore
from tests.fakes import START, InMemoryStore

MIN = timedelta(minutes=1)
LATEST = max(version for version, _ in migrations())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cocreate.sqlite3"


@pytest.fixture
async def connection(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    opened = await connect(db_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def sqlite_store(connection: aiosqlite.Connection) -> SqliteStore:
    return SqliteStore(connection)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, sqlite_store: SqliteStore) -> Store:
    """The real store, and the fake held to the same rules."""
    if request.param == "memory":
        return InMemoryStore()
    return sqlite_store


def draft(channel: int = 10, thread: int = 20) -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=channel,
        thread_id=thread,
        facilitator_id=5,
        topic="Lezen in de wijk",
        locale="nl",
        template="classic",
        steps=(
            StepPlan("empathise", 15 * MIN),
            StepPlan(
                "define", 10 * MIN, themes=True, vote=VoteTarget.QUESTIONS, vote_duration=3 * MIN
            ),
            StepPlan("ideate", 10 * MIN, vote=VoteTarget.NOTES),
        ),
        reminder_before=2 * MIN,
        now=START,
    )
    return session


async def notes_in(
    store: Store, session: Session, texts: list[str], step: int = 0, first_message: int = 100
) -> list[int]:
    ids = []
    for offset, text in enumerate(texts):
        note = await store.add_note(
            NoteDraft(
                session_id=session.id,
                step_index=step,
                author_id=7,
                author_name="Zeven",
                text=text,
                source=NoteSource.MESSAGE,
                created_at=START + offset * timedelta(seconds=1),
                message_id=first_message + offset,
            )
        )
        assert note is not None
        ids.append(note.id)
    return ids


def round_draft(
    session: Session,
    options: list[int],
    *,
    budget: int = 3,
    cap: int = 2,
    target: VoteTarget = VoteTarget.NOTES,
    step: int = 0,
) -> VoteRound:
    return VoteRound(
        id=0,
        session_id=session.id,
        step_index=step,
        target=target,
        options=tuple(options),
        budget=budget,
        per_note_cap=cap,
        status=RoundStatus.OPEN,
        opened_at=START + MIN,
        closes_at=START + 5 * MIN,
    )


async def a_round(
    store: Store, *, notes: int = 3, budget: int = 3, cap: int = 2
) -> tuple[Session, list[int], VoteRound]:
    session = await store.create_session(draft())
    ids = await notes_in(store, session, [f"idee {i}" for i in range(notes)])
    vote = await store.open_round(round_draft(session, ids, budget=budget, cap=cap))
    return session, ids, vote


# -- migration 0002 on a version-1 file ---------------------------------------------------------


V1_SESSION = (
    "INSERT INTO sessions (id, guild_id, channel_id, thread_id, facilitator_id, topic, locale,"
    " template, steps, step_index, status, step_started_at, due_at, remaining_seconds,"
    " reminder_before_seconds, reminded_step, last_message_id, created_at, ended_at, version)"
    " VALUES (?, 1, ?, ?, 5, 'Oud onderwerp', 'nl', 'classic', ?, ?, ?, ?, ?, NULL, 120, -1,"
    " ?, ?, ?, 3)"
)
V1_NOTE = (
    "INSERT INTO notes (id, session_id, step_index, author_id, author_name, text, attachments,"
    " source, message_id, created_at) VALUES (?, ?, ?, 7, 'Zeven', ?, ?, 'message', ?, ?)"
)


async def make_version_1(path: Path) -> None:
    """A database as the previous release left it: schema 1 with sessions and notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scripts = dict(migrations())
    steps = json.dumps([{"kind": "empathise", "seconds": 900}, {"kind": "define", "seconds": 600}])
    at = START.isoformat()
    raw = await aiosqlite.connect(path, isolation_level=None)
    try:
        await raw.execute("PRAGMA foreign_keys=ON")
        await raw.executescript(f"BEGIN;\n{scripts[1]}\nPRAGMA user_version = 1;\nCOMMIT;")
        await raw.execute(
            V1_SESSION,
            (1, 10, 20, steps, 1, "running", at, (START + 10 * MIN).isoformat(), 502, at, None),
        )
        await raw.execute(V1_SESSION, (2, 11, 21, steps, 0, "ended", at, None, None, at, at))
        await raw.execute(
            V1_NOTE, (1, 1, 0, "De bieb is te druk", '["https://cdn/x.png"]', 500, at)
        )
        await raw.execute(V1_NOTE, (2, 1, 1, "Hoe kunnen we de bieb stiller maken?", "[]", 501, at))
        await raw.execute(
            "INSERT INTO comments (id, note_id, author_id, author_name, text, message_id,"
            " created_at) VALUES (1, 1, 8, 'Acht', 'klopt', 502, ?)",
            (at,),
        )
    finally:
        await raw.close()


async def test_migration_2_keeps_the_data_of_a_version_1_file(db_path: Path) -> None:
    await make_version_1(db_path)
    opened = await connect(db_path)
    try:
        assert await schema_version(opened) == LATEST >= 2
        store = SqliteStore(opened)
        running = await store.get_session(1)
        assert running is not None
        assert running.status is SessionStatus.RUNNING
        assert (running.step_index, running.version, running.last_message_id) == (1, 3, 502)
        assert running.due_at == START + 10 * MIN
        assert running.phase is Phase.WRITING
        assert running.chosen_question is None
        assert [(s.kind, s.duration, s.themes, s.vote) for s in running.steps] == [
            ("empathise", 15 * MIN, False, None),
            ("define", 10 * MIN, False, None),
        ]
        ended = await store.get_session(2)
        assert ended is not None
        assert (ended.status, ended.phase) == (SessionStatus.ENDED, Phase.WRITING)

        first, second = await store.notes(1)
        assert (first.id, first.text, first.attachments, first.message_id) == (
            1,
            "De bieb is te druk",
            ("https://cdn/x.png",),
            500,
        )
        # Old notes are plain notes, even one written as a question: nothing is guessed.
        assert (first.kind, second.kind) == (NoteKind.NOTE, NoteKind.NOTE)
        assert await store.comment_counts(1) == {1: 1}
        assert await store.note_id_for_message(502) == 1

        # The migrated session takes part in the new features.
        saved = await store.save_session(replace(running, phase=Phase.VOTING))
        assert saved is not None
        assert saved.phase is Phase.VOTING
        vote = await store.open_round(round_draft(saved, [1, 2], step=1))
        assert (await store.cast_vote(vote.id, 9, 2)) == {2: 1}
    finally:
        await opened.close()


async def test_migration_2_adds_its_tables_and_columns(connection: aiosqlite.Connection) -> None:
    async with connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = {row[0] for row in await cursor.fetchall()}
    assert {"vote_rounds", "votes", "themes", "note_themes", "note_vectors", "takers"} <= tables
    for table, column in (
        ("notes", "kind"),
        ("sessions", "phase"),
        ("sessions", "chosen_question"),
    ):
        async with connection.execute(f"PRAGMA table_info({table})") as cursor:
            assert column in {row[1] for row in await cursor.fetchall()}


async def test_the_new_columns_refuse_unknown_values(
    connection: aiosqlite.Connection, sqlite_store: SqliteStore
) -> None:
    session = await sqlite_store.create_session(draft())
    [note_id] = await notes_in(sqlite_store, session, ["x"])
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute("UPDATE notes SET kind = 'idea' WHERE id = ?", (note_id,))
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute("UPDATE sessions SET phase = 'done' WHERE id = ?", (session.id,))


async def test_note_kind_and_session_phase_round_trip(sqlite_store: SqliteStore) -> None:
    session = await sqlite_store.create_session(draft())
    note = await sqlite_store.add_note(
        NoteDraft(
            session_id=session.id,
            step_index=1,
            author_id=7,
            author_name="Zeven",
            text="Hoe kunnen we…?",
            source=NoteSource.COMMAND,
            created_at=START,
            kind=NoteKind.QUESTION,
        )
    )
    assert note is not None
    assert note.kind is NoteKind.QUESTION
    assert [n.kind for n in await sqlite_store.notes(session.id)] == [NoteKind.QUESTION]
    assert await sqlite_store.note(note.id) == note
    changed = replace(session, phase=Phase.VOTING, chosen_question="Hoe kunnen we…?")
    saved = await sqlite_store.save_session(changed)
    assert saved is not None
    assert (saved.phase, saved.chosen_question) == (Phase.VOTING, "Hoe kunnen we…?")
    # A step's vote settings survive the JSON round trip.
    assert saved.steps == session.steps


# -- vote tables ---------------------------------------------------------------------------------


async def test_a_round_round_trips(store: Store) -> None:
    session, ids, vote = await a_round(store, notes=4, budget=3, cap=2)
    expected = replace(round_draft(session, ids, budget=3, cap=2), id=vote.id)
    assert vote == expected
    assert await store.get_round(vote.id) == vote
    assert await store.open_round_of(session.id) == vote
    await store.set_round_message(vote.id, 777)
    with_post = await store.get_round(vote.id)
    assert with_post is not None
    assert with_post.message_id == 777
    assert await store.get_round(vote.id + 1000) is None


async def test_one_open_round_per_session(store: Store) -> None:
    session, ids, vote = await a_round(store)
    with pytest.raises(sqlite3.IntegrityError):
        await store.open_round(round_draft(session, ids))
    assert [r.id for r in await store.rounds_of(session.id)] == [vote.id]

    other = await store.create_session(draft(channel=11, thread=21))
    other_ids = await notes_in(store, other, ["a", "b"], first_message=300)
    assert (await store.open_round(round_draft(other, other_ids))).session_id == other.id

    closed = await store.close_round(vote.id, START + 6 * MIN)
    assert closed is not None
    assert (closed.status, closed.closed_at) == (RoundStatus.CLOSED, START + 6 * MIN)
    assert await store.open_round_of(session.id) is None
    again = await store.open_round(round_draft(session, ids, step=2))
    assert [r.id for r in await store.rounds_of(session.id)] == [vote.id, again.id]
    assert await store.open_round_of(session.id) == again


async def test_the_index_itself_refuses_a_second_open_round(
    connection: aiosqlite.Connection, sqlite_store: SqliteStore
) -> None:
    session, ids, _ = await a_round(sqlite_store)
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute(
            "INSERT INTO vote_rounds (session_id, step_index, target, options, budget,"
            " per_note_cap, status, opened_at) VALUES (?, 0, 'notes', ?, 3, 1, 'open', ?)",
            (session.id, json.dumps(ids), START.isoformat()),
        )


@pytest.mark.parametrize(
    "update",
    [
        "UPDATE vote_rounds SET budget = -1 WHERE id = ?",
        "UPDATE vote_rounds SET per_note_cap = 0 WHERE id = ?",
        "UPDATE vote_rounds SET target = 'ideas' WHERE id = ?",
        "UPDATE vote_rounds SET status = 'paused' WHERE id = ?",
    ],
)
async def test_round_columns_refuse_nonsense(
    connection: aiosqlite.Connection, sqlite_store: SqliteStore, update: str
) -> None:
    _, _, vote = await a_round(sqlite_store)
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute(update, (vote.id,))


async def test_votes_refuse_zero_counts_and_missing_notes(
    connection: aiosqlite.Connection, sqlite_store: SqliteStore
) -> None:
    _, ids, vote = await a_round(sqlite_store)
    insert = "INSERT INTO votes (round_id, voter_id, note_id, count) VALUES (?, ?, ?, ?)"
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute(insert, (vote.id, 1, ids[0], 0))
    with pytest.raises(sqlite3.IntegrityError):
        await connection.execute(insert, (vote.id, 1, 99_999, 1))


async def test_casting_returns_the_allocation_and_enforces_the_rules(store: Store) -> None:
    _, (a, b, c), vote = await a_round(store, budget=3, cap=2)
    assert await store.cast_vote(vote.id, 1, a) == {a: 1}
    assert await store.cast_vote(vote.id, 1, a) == {a: 2}
    with pytest.raises(BallotError) as caught:
        await store.cast_vote(vote.id, 1, a)
    assert caught.value.refusal is BallotRefusal.CAP
    with pytest.raises(BallotError) as caught:
        await store.cast_vote(vote.id, 1, 99_999)
    assert caught.value.refusal is BallotRefusal.NOT_AN_OPTION
    assert await store.cast_vote(vote.id, 1, b) == {a: 2, b: 1}
    with pytest.raises(BallotError) as caught:
        await store.cast_vote(vote.id, 1, c)
    assert caught.value.refusal is BallotRefusal.BUDGET
    assert await store.cast_vote(vote.id, 2, c) == {c: 1}

    assert await store.allocation(vote.id, 1) == {a: 2, b: 1}
    assert await store.allocation(vote.id, 3) == {}
    assert await store.voter_count(vote.id) == 2
    assert sorted(await store.round_votes(vote.id)) == [(1, a, 2), (1, b, 1), (2, c, 1)]
    with pytest.raises(LookupError):
        await store.cast_vote(vote.id + 1000, 1, a)


async def test_close_is_idempotent_and_stops_casting_and_clearing(store: Store) -> None:
    _, (a, b, _), vote = await a_round(store)
    await store.cast_vote(vote.id, 1, a)
    await store.clear_votes(vote.id, 1)
    assert await store.allocation(vote.id, 1) == {}
    await store.cast_vote(vote.id, 1, b)

    closed = await store.close_round(vote.id, START + 5 * MIN)
    assert closed is not None
    assert closed.status is RoundStatus.CLOSED
    assert await store.close_round(vote.id, START + 9 * MIN) is None
    stored = await store.get_round(vote.id)
    assert stored is not None
    assert stored.closed_at == START + 5 * MIN, "the second close changes nothing"
    assert await store.close_round(vote.id + 1000, START) is None

    with pytest.raises(BallotError) as caught:
        await store.cast_vote(vote.id, 1, a)
    assert caught.value.refusal is BallotRefusal.CLOSED
    await store.clear_votes(vote.id, 1)
    assert await store.allocation(vote.id, 1) == {b: 1}, "a closed round keeps its votes"


async def test_deleting_a_note_takes_its_votes_placements_and_takers(store: Store) -> None:
    session, (a, b, c), vote = await a_round(store)
    await store.cast_vote(vote.id, 1, a)
    await store.cast_vote(vote.id, 1, b)
    await store.cast_vote(vote.id, 2, a)
    [theme] = await store.save_theme_run(
        session.id, 0, [ThemePlan(None, "t", ("t",), (a, b, c))], START
    )
    await store.add_taker(a, 21, "Anna", START)
    await store.add_taker(b, 21, "Anna", START)

    assert await store.delete_by_message([100]) == 1  # the message note a came from
    assert sorted(await store.round_votes(vote.id)) == [(1, b, 1)]
    assert await store.voter_count(vote.id) == 1
    assert await store.allocation(vote.id, 2) == {}
    [after] = await store.themes(session.id, 0)
    assert (after.id, after.note_ids) == (theme.id, (b, c))
    assert await store.takers([a, b]) == {b: ["Anna"]}
    # The round's options are fixed at opening; the gone note simply has no votes.
    assert (await store.get_round(vote.id)) == vote


async def test_deleting_a_session_takes_its_rounds_votes_and_themes(
    connection: aiosqlite.Connection, sqlite_store: SqliteStore
) -> None:
    session, ids, vote = await a_round(sqlite_store)
    await sqlite_store.cast_vote(vote.id, 1, ids[0])
    await sqlite_store.save_theme_run(session.id, 0, [ThemePlan(None, "t", (), tuple(ids))], START)
    await connection.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
    counts = (
        "SELECT COUNT(*) FROM vote_rounds",
        "SELECT COUNT(*) FROM votes",
        "SELECT COUNT(*) FROM themes",
        "SELECT COUNT(*) FROM note_themes",
        "SELECT COUNT(*) FROM notes",
    )
    for query in counts:
        async with connection.execute(query) as cursor:
            assert (await cursor.fetchone())[0] == 0, query


async def test_concurrent_casts_by_one_voter_never_exceed_budget_or_cap(store: Store) -> None:
    _, ids, vote = await a_round(store, budget=4, cap=2)
    results = await asyncio.gather(
        *(store.cast_vote(vote.id, 1, ids[i % 3]) for i in range(30)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(accepted) == 4
    assert all(isinstance(r, BallotError) for r in refused)
    final = await store.allocation(vote.id, 1)
    assert sum(final.values()) == 4
    assert max(final.values()) <= 2
    # Each accepted cast saw every earlier one: the totals it returned are 1, 2, 3, 4.
    assert sorted(sum(r.values()) for r in accepted) == [1, 2, 3, 4]


async def test_casts_through_two_connections_never_exceed_the_budget(db_path: Path) -> None:
    # Two processes on one file: only BEGIN IMMEDIATE keeps them apart, not the asyncio lock.
    first, second = await connect(db_path), await connect(db_path)
    try:
        one, two = SqliteStore(first), SqliteStore(second)
        _, ids, vote = await a_round(one, budget=5, cap=3)
        results = await asyncio.gather(
            *((one if i % 2 else two).cast_vote(vote.id, 1, ids[i % 3]) for i in range(24)),
            return_exceptions=True,
        )
        assert all(isinstance(r, dict | BallotError) for r in results), results
        final = await two.allocation(vote.id, 1)
        assert sum(final.values()) == 5
        assert max(final.values()) <= 3
    finally:
        await first.close()
        await second.close()


# -- themes --------------------------------------------------------------------------------------


async def themed(store: Store) -> tuple[Session, list[int]]:
    session = await store.create_session(draft())
    ids = await notes_in(store, session, ["a1", "a2", "b1", "b2", "c1", "x"])
    return session, ids


async def test_a_first_run_stores_themes_in_plan_order(store: Store) -> None:
    session, (a1, a2, b1, b2, c1, _) = await themed(store)
    themes = await store.save_theme_run(
        session.id,
        0,
        [
            ThemePlan(None, "b-thema", ("b", "bee"), (b2, b1)),
            ThemePlan(None, "a-thema", ("a",), (a1, a2, b1)),  # b1 is placed already
            ThemePlan(None, "c-thema", ("c",), (c1,)),
        ],
        START,
    )
    assert [(t.position, t.name, t.keywords) for t in themes] == [
        (0, "b-thema", ("b", "bee")),
        (1, "a-thema", ("a",)),
        (2, "c-thema", ("c",)),
    ]
    assert [t.note_ids for t in themes] == [(b1, b2), (a1, a2), (c1,)]  # by note id
    assert all(not t.renamed and not t.pinned and not t.corrected for t in themes)
    assert await store.themes(session.id, 0) == themes
    assert await store.themes(session.id, 1) == []


async def test_a_rerun_replaces_what_nobody_corrected(store: Store) -> None:
    session, (a1, a2, b1, b2, c1, x) = await themed(store)
    await store.save_theme_run(
        session.id,
        0,
        [ThemePlan(None, "a", ("a",), (a1, a2)), ThemePlan(None, "b", ("b",), (b1, b2))],
        START,
    )
    again = await store.save_theme_run(
        session.id, 0, [ThemePlan(None, "alles", ("alles",), (a1, b1, c1, x))], START + MIN
    )
    assert [(t.name, t.note_ids, t.position) for t in again] == [("alles", (a1, b1, c1, x), 0)]
    assert await store.themes(session.id, 0) == again


async def test_a_rerun_with_nothing_placed_clears_the_board(store: Store) -> None:
    session, (a1, a2, *_) = await themed(store)
    await store.save_theme_run(session.id, 0, [ThemePlan(None, "a", (), (a1, a2))], START)
    assert await store.save_theme_run(session.id, 0, [], START) == []


async def test_a_renamed_theme_keeps_its_name_and_survives(store: Store) -> None:
    session, (a1, a2, b1, b2, c1, _) = await themed(store)
    a, b = await store.save_theme_run(
        session.id,
        0,
        [ThemePlan(None, "a", ("a",), (a1, a2)), ThemePlan(None, "b", ("b",), (b1, b2))],
        START,
    )
    assert await store.rename_theme(a.id, "Aandacht")
    assert await store.rename_theme(b.id, "Buurt")
    assert not await store.rename_theme(99_999, "niets")

    again = await store.save_theme_run(
        session.id,
        0,
        [
            ThemePlan(None, "c", ("c",), (c1,)),
            ThemePlan(a.id, "a-nieuw", ("a", "aa"), (a1, a2, b1)),  # kept: name stays
        ],
        START + MIN,
    )
    by_id = {t.id: t for t in again}
    assert (by_id[a.id].name, by_id[a.id].keywords, by_id[a.id].position) == (
        "Aandacht",
        ("a", "aa"),
        1,
    )
    assert by_id[a.id].note_ids == (a1, a2, b1)
    assert by_id[a.id].renamed
    # b was renamed but left out of the plan: it stays (without its unpinned notes).
    assert (by_id[b.id].name, by_id[b.id].note_ids) == ("Buurt", ())
    assert [t.name for t in again if t.id not in (a.id, b.id)] == ["c"]


async def test_a_kept_theme_that_nobody_renamed_takes_the_new_name(store: Store) -> None:
    session, (a1, a2, b1, *_) = await themed(store)
    [a] = await store.save_theme_run(session.id, 0, [ThemePlan(None, "a", (), (a1,))], START)
    assert await store.move_note(a2, a.id)
    [again] = await store.save_theme_run(
        session.id, 0, [ThemePlan(a.id, "a-beter", ("a",), (b1,))], START
    )
    assert (again.id, again.name, again.renamed) == (a.id, "a-beter", False)
    assert again.note_ids == (a2, b1)


async def test_moved_notes_are_pinned_and_survive_a_rerun(store: Store) -> None:
    session, (a1, a2, b1, b2, c1, x) = await themed(store)
    a, b = await store.save_theme_run(
        session.id,
        0,
        [ThemePlan(None, "a", ("a",), (a1, a2)), ThemePlan(None, "b", ("b",), (b1, b2))],
        START,
    )
    assert await store.move_note(a1, b.id)  # from a to b
    assert await store.move_note(x, a.id)  # from "other" to a
    [a_now, b_now] = await store.themes(session.id, 0)
    assert (a_now.note_ids, a_now.pinned) == ((a2, x), frozenset({x}))
    assert (b_now.note_ids, b_now.pinned) == ((a1, b1, b2), frozenset({a1}))
    assert a_now.corrected and b_now.corrected

    # A run that places the pinned notes elsewhere (and keeps neither theme) changes
    # nothing for them; both themes stay because they hold pinned notes.
    again = await store.save_theme_run(
        session.id, 0, [ThemePlan(None, "alles", (), (a1, a2, b1, b2, c1, x))], START + MIN
    )
    by_name = {t.name: t for t in again}
    assert set(by_name) == {"a", "b", "alles"}
    assert by_name["a"].note_ids == (x,)
    assert by_name["b"].note_ids == (a1,)
    assert by_name["alles"].note_ids == (a2, b1, b2, c1)


async def test_moving_to_a_theme_that_does_not_exist_is_refused(store: Store) -> None:
    session, (a1, *_) = await themed(store)
    assert await store.move_note(a1, 99_999) is False
    assert await store.themes(session.id, 0) == []


async def test_merge_pins_the_notes_in_the_target_and_drops_the_source(store: Store) -> None:
    session, (a1, a2, b1, b2, c1, _) = await themed(store)
    a, b, c = await store.save_theme_run(
        session.id,
        0,
        [
            ThemePlan(None, "a", (), (a1, a2)),
            ThemePlan(None, "b", (), (b1, b2)),
            ThemePlan(None, "c", (), (c1,)),
        ],
        START,
    )
    assert await store.merge_themes(b.id, a.id)
    assert not await store.merge_themes(b.id, a.id), "the source is gone"
    themes = await store.themes(session.id, 0)
    assert [t.id for t in themes] == [a.id, c.id]
    assert themes[0].note_ids == (a1, a2, b1, b2)
    assert themes[0].pinned == frozenset({b1, b2})

    # A rerun that knows nothing of the merge keeps it.
    again = await store.save_theme_run(
        session.id, 0, [ThemePlan(None, "b", (), (b1, b2)), ThemePlan(None, "a", (), (a1,))], START
    )
    merged = next(t for t in again if t.id == a.id)
    assert set(merged.note_ids) >= {b1, b2}
    assert merged.name == "a"


async def test_themes_belong_to_one_step(store: Store) -> None:
    session = await store.create_session(draft())
    step0 = await notes_in(store, session, ["a", "b"], step=0)
    step1 = await notes_in(store, session, ["c", "d"], step=1, first_message=200)
    await store.save_theme_run(session.id, 0, [ThemePlan(None, "nul", (), tuple(step0))], START)
    await store.save_theme_run(session.id, 1, [ThemePlan(None, "een", (), tuple(step1))], START)
    await store.save_theme_run(session.id, 1, [], START)
    assert [t.name for t in await store.themes(session.id, 0)] == ["nul"]
    assert await store.themes(session.id, 1) == []


# -- cached vectors (SQLite only: the ThemeService's cache) ------------------------------------


async def test_cached_vectors_round_trip_per_embedder(sqlite_store: SqliteStore) -> None:
    session = await sqlite_store.create_session(draft())
    a, b, c = await notes_in(sqlite_store, session, ["a", "b", "c"])
    await sqlite_store.save_vectors("tfidf", {})  # nothing to do
    await sqlite_store.save_vectors("minilm", {a: b"\x00\x01", b: b"\x02\x03"})
    await sqlite_store.save_vectors("tfidf", {a: b"\xff"})
    assert await sqlite_store.cached_vectors([a, b, c], "minilm") == {
        a: b"\x00\x01",
        b: b"\x02\x03",
    }
    assert await sqlite_store.cached_vectors([a, b, c], "tfidf") == {a: b"\xff"}
    assert await sqlite_store.cached_vectors([], "minilm") == {}
    await sqlite_store.save_vectors("minilm", {a: b"\x09"})  # replaced
    assert (await sqlite_store.cached_vectors([a], "minilm")) == {a: b"\x09"}
    await sqlite_store.delete_by_message([100])  # note a
    assert await sqlite_store.cached_vectors([a, b], "minilm") == {b: b"\x02\x03"}


async def test_cached_vectors_for_many_notes(sqlite_store: SqliteStore) -> None:
    session = await sqlite_store.create_session(draft())
    ids = await notes_in(sqlite_store, session, [f"n{i}" for i in range(1200)])
    await sqlite_store.save_vectors("e", {i: i.to_bytes(4, "little") for i in ids})
    found = await sqlite_store.cached_vectors(ids, "e")
    assert len(found) == 1200
    assert all(found[i] == i.to_bytes(4, "little") for i in ids)


# -- takers --------------------------------------------------------------------------------------


async def test_takers_in_order_once_per_person(store: Store) -> None:
    session = await store.create_session(draft())
    a, b, c = await notes_in(store, session, ["a", "b", "c"])
    assert await store.add_taker(a, 21, "Anna", START + 2 * MIN)
    assert await store.add_taker(a, 22, "Bram", START + MIN)
    assert not await store.add_taker(a, 21, "Anna (again)", START + 3 * MIN)
    assert await store.add_taker(b, 21, "Anna", START)
    assert await store.add_taker(a, 23, "Cem", START + MIN)  # same time: in the order said
    assert await store.takers([a, b, c]) == {a: ["Bram", "Cem", "Anna"], b: ["Anna"]}
    assert await store.takers([b]) == {b: ["Anna"]}
    assert await store.takers([]) == {}


async def test_a_taker_needs_a_note(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.add_taker(99_999, 21, "Anna", START)
