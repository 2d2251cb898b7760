"""Privacy on a real SQLite file: forgetting one person leaves no trace of them in any table
or any export while everyone else's data stays; the nightly retention job removes exactly
the sessions past their server's period, with everything in them."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.domain.board import CommentDraft, Note, NoteDraft, NoteKind, NoteSource
from bot.domain.server_settings import SettingKey
from bot.domain.session import Session, SessionStatus
from bot.domain.templates import StepPlan
from bot.domain.themes import ThemePlan
from bot.domain.voting import RoundStatus, VoteRound, VoteTarget
from bot.export import ExportFormat, ExportOptions, build_board, render_text
from bot.i18n import catalog
from bot.privacy import RetentionJob, expired, personal_data_file
from bot.render import text
from bot.server_config import ServerConfig
from bot.settings import FacilitationSettings, LocaleSettings, Settings
from bot.storage.db import connect
from bot.storage.export_reader import open_reader
from bot.storage.privacy_repo import FORGOTTEN_MENTION, SessionAge
from bot.storage.sqlite_store import SqliteStore
from tests.fakes import FakeClock, ManualTimers

CAT = catalog()
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)

# Discord ids are snowflakes; the names are the kind residents use on Discord.
ANNE = 301234567890123456
ANNE_NAME = "Annelies Verhoeven"
BRAM = 401234567890123457
BRAM_NAME = "Bram de Wit"
FATIMA = 501234567890123458  # facilitates the first session

STEPS = (
    StepPlan("empathise", 15 * MIN),
    StepPlan("define", 10 * MIN, themes=True, vote=VoteTarget.QUESTIONS, vote_duration=3 * MIN),
    StepPlan("ideate", 10 * MIN, vote=VoteTarget.NOTES),
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cocreate.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    connection = await connect(db_path)
    try:
        yield SqliteStore(connection)
    finally:
        await connection.close()


async def new_session(
    store: SqliteStore,
    *,
    guild: int,
    channel: int,
    facilitator: int,
    topic: str,
    created: datetime = NOW,
    ended: datetime | None = None,
) -> Session:
    draft, _ = Session.begin(
        guild_id=guild,
        channel_id=channel,
        thread_id=channel + 1000,
        facilitator_id=facilitator,
        topic=topic,
        locale="nl",
        template="classic",
        steps=STEPS,
        reminder_before=2 * MIN,
        now=created,
    )
    if ended is not None:
        draft = replace(draft, status=SessionStatus.ENDED, ended_at=ended, due_at=None)
    return await store.create_session(draft)


async def note(
    store: SqliteStore,
    session: Session,
    author: int,
    name: str,
    words: str,
    *,
    step: int = 0,
    kind: NoteKind = NoteKind.NOTE,
    at: datetime = NOW,
    attachments: tuple[str, ...] = (),
) -> Note:
    stored = await store.add_note(
        NoteDraft(
            session_id=session.id,
            step_index=step,
            author_id=author,
            author_name=name,
            text=words,
            source=NoteSource.MESSAGE,
            created_at=at,
            attachments=attachments,
            kind=kind,
        )
    )
    assert stored is not None
    return stored


async def comment(store: SqliteStore, on: Note, author: int, name: str, words: str) -> None:
    await store.add_comment(CommentDraft(on.id, author, name, words, NOW + MIN))


async def vote_round(store: SqliteStore, session: Session, step: int, options: list[Note]) -> int:
    opened = await store.open_round(
        VoteRound(
            id=0,
            session_id=session.id,
            step_index=step,
            target=VoteTarget.NOTES,
            options=tuple(n.id for n in options),
            budget=5,
            per_note_cap=3,
            status=RoundStatus.OPEN,
            opened_at=NOW,
            closes_at=NOW + 4 * MIN,
        )
    )
    return opened.id


# -- scanning the whole file ------------------------------------------------------------------


def _matches(value: object, numbers: set[int], texts: list[str]) -> bool:
    if isinstance(value, int):
        return value in numbers or any(t in str(value) for t in texts)
    if isinstance(value, str):
        return any(t in value for t in texts)
    if isinstance(value, bytes):
        return any(t.encode() in value for t in texts)
    return False


def hits(db_path: Path, needles: list[int | str]) -> list[tuple[str, str, object]]:
    """Every (table, column, value) in any table that is, or contains, one of ``needles``
    (ids as integers and as text, names as text, in blobs too)."""
    found: list[tuple[str, str, object]] = []
    texts = [str(n) for n in needles]
    numbers = {n for n in needles if isinstance(n, int)}
    with sqlite3.connect(db_path) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        assert {"notes", "comments", "votes", "takers", "nudges", "nudge_optouts"} <= set(tables)
        for table in tables:
            cursor = db.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from sqlite_master
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if _matches(value, numbers, texts):
                        found.append((table, column, value))
    return found


def rows_per_table(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in tables
        }


async def exports(db_path: Path) -> dict[tuple[int, ExportFormat], str]:
    """Every session's board in every format, with real names (the export that names most)."""
    rendered: dict[tuple[int, ExportFormat], str] = {}
    async with open_reader(db_path) as reader:
        for listing in await reader.sessions():
            session = await reader.session(listing.id)
            assert session is not None
            board = await build_board(reader, session, CAT, ExportOptions(locale="nl"))
            for export_format in ExportFormat:
                rendered[(listing.id, export_format)] = render_text(board, export_format, CAT)
    return rendered


# -- a realistic board with two people ----------------------------------------------------------


@dataclass
class Board:
    first: Session
    second: Session
    anne_notes: list[Note]
    bram_notes: list[Note]
    bram_question: Note
    bram_mention: Note


async def two_people_write(store: SqliteStore) -> Board:
    """Two sessions in two servers. Anne writes, comments, votes, takes an idea, gets a
    nudge, opts out, changes a setting and facilitates the second session; Bram does the
    same kind of things and mentions Anne. Themes and vectors cover both."""
    first = await new_session(
        store, guild=1, channel=10, facilitator=FATIMA, topic="Jongeren in de bieb"
    )
    second = await new_session(
        store, guild=2, channel=20, facilitator=ANNE, topic="Stilte in de examentijd"
    )
    anne = [
        await note(store, first, ANNE, ANNE_NAME, "Jongeren hangen in de hal rond"),
        await note(
            store,
            first,
            ANNE,
            ANNE_NAME,
            "Er is geen plek voor tieners",
            attachments=("https://cdn.example/anne-foto.png",),
        ),
    ]
    bram = [
        await note(store, first, BRAM, BRAM_NAME, "Na school is het druk bij de ingang"),
        await note(store, first, BRAM, BRAM_NAME, "Tieners willen samen gamen"),
    ]
    anne_question = await note(
        store,
        first,
        ANNE,
        ANNE_NAME,
        "Hoe kunnen we tieners een eigen hoek geven?",
        step=1,
        kind=NoteKind.QUESTION,
    )
    bram_question = await note(
        store,
        first,
        BRAM,
        BRAM_NAME,
        "Hoe kunnen we de hal rustiger maken?",
        step=1,
        kind=NoteKind.QUESTION,
    )
    anne_idea = await note(store, first, ANNE, ANNE_NAME, "Een gamehoek op vrijdag", step=2)
    bram_idea = await note(store, first, BRAM, BRAM_NAME, "Tieners richten zelf in", step=2)
    bram_mention = await note(
        store, first, BRAM, BRAM_NAME, f"Net als <@{ANNE}> zei: meer banken", step=2
    )
    anne += [anne_question, anne_idea]
    bram += [bram_question, bram_idea, bram_mention]
    # In the second server: Anne facilitates; Bram mentions her the older way.
    anne.append(await note(store, second, ANNE, ANNE_NAME, "Studieplekken zijn om negen uur vol"))
    bram.append(
        await note(store, second, BRAM, BRAM_NAME, f"<@!{ANNE}> heeft gelijk, het is te vol")
    )

    await comment(store, anne[0], BRAM, BRAM_NAME, "Klopt, vooral op woensdag")
    await comment(store, bram[0], ANNE, ANNE_NAME, "Ik zie het ook elke dag")
    await comment(store, bram[1], BRAM, BRAM_NAME, "Met de consoles van thuis")

    # Themes: one mixed, one only Anne's; a facilitator renamed the mixed one.
    themes = await store.save_theme_run(
        first.id,
        0,
        [
            ThemePlan(None, "hal · druk", ("hal", "druk"), (anne[0].id, bram[0].id)),
            ThemePlan(None, "plek · tieners", ("plek", "tieners"), (anne[1].id,)),
            ThemePlan(None, "gamen", ("gamen",), (bram[1].id,)),
        ],
        NOW,
    )
    await store.rename_theme(themes[0].id, "De hal")
    every_note = [*anne, *bram]
    await store.save_vectors("lexical", {n.id: bytes([n.id % 256]) * 16 for n in every_note})

    # Votes: each on the other's idea and on their own.
    round_id = await vote_round(store, first, 2, [anne_idea, bram_idea, bram_mention])
    await store.cast_vote(round_id, ANNE, bram_idea.id)
    await store.cast_vote(round_id, ANNE, bram_idea.id)
    await store.cast_vote(round_id, ANNE, anne_idea.id)
    await store.cast_vote(round_id, BRAM, anne_idea.id)
    await store.cast_vote(round_id, BRAM, bram_idea.id)
    await store.close_round(round_id, NOW + 4 * MIN)

    # Takers: each takes up the other's idea, and Bram his own.
    await store.add_taker(bram_idea.id, ANNE, ANNE_NAME, NOW + 5 * MIN)
    await store.add_taker(anne_idea.id, BRAM, BRAM_NAME, NOW + 5 * MIN)
    await store.add_taker(bram_idea.id, BRAM, BRAM_NAME, NOW + 6 * MIN)

    # Nudges, opt-outs, a recap and an owed announcement, a setting Anne changed.
    for person in (ANNE, BRAM):
        await store.claim_nudge(first.id, 1, person, NOW)
        await store.set_nudges_for_user(person, False, NOW)
    await store.claim_recap(first.id, "recap", "2026-03-10", NOW - DAY, NOW, NOW)
    saved = await store.save_session(
        replace(first, chosen_question=bram_question.text), [{"type": "StepEnded", "step_index": 1}]
    )
    assert saved is not None
    await store.set_server_setting(2, SettingKey.RETENTION_DAYS, 30, ANNE, NOW)
    await store.set_server_setting(1, SettingKey.LANGUAGE, "nl", FATIMA, NOW)
    return Board(saved, second, anne, bram, bram_question, bram_mention)


# -- forgetting a person -------------------------------------------------------------------------


async def test_forgetting_a_person_leaves_no_trace_of_them_in_any_table_or_export(
    store: SqliteStore, db_path: Path
) -> None:
    board = await two_people_write(store)
    anne_traces: list[int | str] = [ANNE, ANNE_NAME, "Annelies"]
    # The scan and the exports do find her before: they can fail.
    before = hits(db_path, anne_traces)
    assert {table for table, _, _ in before} >= {
        "notes",
        "comments",
        "votes",
        "takers",
        "nudges",
        "nudge_optouts",
        "sessions",
        "server_settings",
    }
    assert any(ANNE_NAME in out for out in (await exports(db_path)).values())
    bram_before = await store.user_data(BRAM)

    report = await store.forget_user(ANNE)

    assert hits(db_path, anne_traces) == []
    for (session_id, export_format), out in (await exports(db_path)).items():
        assert str(ANNE) not in out, (session_id, export_format)
        assert ANNE_NAME not in out and "Annelies" not in out, (session_id, export_format)
    assert report.notes == len(board.anne_notes) == 5
    assert report.comments == 1
    assert report.votes == 3  # dots
    assert report.takers == 1
    assert (report.nudges, report.nudge_optout) == (1, 1)
    # What went with her notes: Bram's comment, dot and taker on them.
    assert (report.replies_on_notes, report.votes_on_notes, report.takers_on_notes) == (1, 1, 1)
    assert report.theme_places == 2
    assert report.themes == 1  # "plek · tieners" held only her note
    assert report.vectors == 5
    assert report.sessions == 1  # she facilitated the second session
    assert report.settings == 1
    assert report.mentions == 2

    # Bram's data is intact, apart from what was attached to her notes.
    bram_after = await store.user_data(BRAM)
    assert [n["id"] for n in bram_after["notes"]] == [n["id"] for n in bram_before["notes"]]
    assert [c["text"] for c in bram_after["comments"]] == ["Met de consoles van thuis"]
    assert [(v["note"], v["dots"]) for v in bram_after["votes"]] == [
        (board.bram_notes[3].id, 1)  # his dot on his own idea
    ]
    assert [t["note"] for t in bram_after["takers"]] == [board.bram_notes[3].id]
    assert len(bram_after["nudges"]) == 1 and bram_after["no_nudges_since"] is not None
    assert not await store.wants_nudges(BRAM)
    mentioned = await store.note(board.bram_mention.id)
    assert mentioned is not None
    assert mentioned.text == f"Net als {FORGOTTEN_MENTION} zei: meer banken"
    assert mentioned.author_name == BRAM_NAME
    # Themes: the mixed one keeps Bram's note and its name; his own theme is untouched.
    themes = {t.name: t.note_ids for t in await store.themes(board.first.id, 0)}
    assert themes == {"De hal": (board.bram_notes[0].id,), "gamen": (board.bram_notes[1].id,)}
    vectors = await store.cached_vectors([n.id for n in board.bram_notes], "lexical")
    assert set(vectors) == {n.id for n in board.bram_notes}
    # The sessions stay: the first with its facilitator, the second without Anne.
    first = await store.get_session(board.first.id)
    second = await store.get_session(board.second.id)
    assert first is not None and second is not None
    assert first.facilitator_id == FATIMA
    assert first.chosen_question == board.bram_question.text
    assert second.facilitator_id == 0
    assert second.topic == "Stilte in de examentijd"
    # The vote round offers only what is left; its tallies count only Bram's dot.
    (vote,) = await store.rounds_of(board.first.id)
    assert vote.options == (board.bram_notes[3].id, board.bram_mention.id)
    assert await store.round_votes(vote.id) == [(BRAM, board.bram_notes[3].id, 1)]
    # The settings Anne changed keep their value.
    assert (await store.server_settings(2)).retention_days == 30
    # And there is nothing left to hand her.
    left = await store.user_data(ANNE)
    assert all(
        left[key] == [] for key in ("notes", "comments", "votes", "takers", "nudges", "names")
    )
    assert left["facilitated"] == [] and left["settings"] == []
    assert left["no_nudges_since"] is None


async def test_forgetting_is_one_transaction(
    store: SqliteStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_people_write(store)
    before = rows_per_table(db_path)

    async def broken(db: aiosqlite.Connection, user_id: int) -> int:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(SqliteStore, "_drop_mentions", staticmethod(broken))
    with pytest.raises(RuntimeError):
        await store.forget_user(ANNE)
    assert rows_per_table(db_path) == before
    assert (await store.get_session(2)) is not None
    assert len((await store.user_data(ANNE))["notes"]) == 5


async def test_forgetting_someone_unknown_changes_nothing(
    store: SqliteStore, db_path: Path
) -> None:
    await two_people_write(store)
    before = rows_per_table(db_path)
    report = await store.forget_user(999)
    assert report.theirs == 0 and sum(report.counts().values()) == 0
    assert rows_per_table(db_path) == before


async def test_my_data_holds_only_the_persons_own_words_with_keys_in_their_language(
    store: SqliteStore,
) -> None:
    board = await two_people_write(store)
    data = await store.user_data(ANNE)
    assert [n["text"] for n in data["notes"]] == [n.text for n in board.anne_notes]
    assert data["names"] == [ANNE_NAME]
    assert {n["topic"] for n in data["notes"]} == {"Jongeren in de bieb", "Stilte in de examentijd"}
    assert [n["step_kind"] for n in data["notes"]] == [
        "empathise",
        "empathise",
        "define",
        "ideate",
        "empathise",
    ]
    assert data["notes"][1]["attachments"] == ["https://cdn.example/anne-foto.png"]
    assert [c["text"] for c in data["comments"]] == ["Ik zie het ook elke dag"]
    assert sum(v["dots"] for v in data["votes"]) == 3
    assert [t["note"] for t in data["takers"]] == [board.bram_notes[3].id]
    assert [s["session"] for s in data["facilitated"]] == [board.second.id]
    assert data["settings"] == [{"server": 2, "setting": "retention_days", "time": NOW.isoformat()}]
    assert data["no_nudges_since"] == NOW.isoformat()

    for locale, notes_key, text_key, step_name in (
        ("nl", "notities", "tekst", "Inleven"),
        ("en", "notes", "text", "Empathise"),
    ):
        raw = personal_data_file(CAT, locale, data, NOW).decode("utf-8")
        assert BRAM_NAME not in raw
        for words in [n.text for n in board.bram_notes] + ["Klopt, vooral op woensdag"]:
            assert words not in raw
        parsed = json.loads(raw)
        assert [n[text_key] for n in parsed[notes_key]] == [n.text for n in board.anne_notes]
        assert step_name in raw


# -- retention ----------------------------------------------------------------------------------

THIRTY = 3  # a server that keeps sessions 30 days
DEFAULT = 4  # a server on the deployment's 180 days
KEEP = 5  # a server that keeps everything (0)


@dataclass(frozen=True)
class Planned:
    guild: int
    name: str
    created: datetime
    ended: datetime | None
    purged: bool


PLAN = [
    Planned(THIRTY, "dertig-oud", NOW - 40 * DAY, NOW - 31 * DAY, True),
    Planned(THIRTY, "dertig-net-binnen", NOW - 40 * DAY, NOW - 29 * DAY, False),
    Planned(THIRTY, "dertig-nooit-klaar-oud", NOW - 61 * DAY, None, True),
    Planned(THIRTY, "dertig-nooit-klaar-jong", NOW - 59 * DAY, None, False),
    Planned(DEFAULT, "standaard-oud", NOW - 200 * DAY, NOW - 181 * DAY, True),
    Planned(DEFAULT, "standaard-net-binnen", NOW - 200 * DAY, NOW - 179 * DAY, False),
    Planned(DEFAULT, "standaard-nooit-klaar-oud", NOW - 211 * DAY, None, True),
    Planned(DEFAULT, "standaard-nooit-klaar-jong", NOW - 209 * DAY, None, False),
    Planned(KEEP, "bewaren-oud", NOW - 2000 * DAY, NOW - 1999 * DAY, False),
    Planned(KEEP, "bewaren-nooit-klaar", NOW - 3000 * DAY, None, False),
]


async def fill(store: SqliteStore, session: Session, marker: str, at: datetime) -> None:
    """The same rows in every table for every session, each text carrying ``marker``."""
    first = await note(store, session, 71, "Ria", f"{marker}: een idee", step=2, at=at)
    other = await note(store, session, 72, "Sem", f"{marker}: nog een", step=2, at=at)
    await comment(store, first, 72, "Sem", f"{marker}: reactie")
    round_id = await vote_round(store, session, 2, [first, other])
    await store.cast_vote(round_id, 71, other.id)
    await store.cast_vote(round_id, 72, first.id)
    await store.save_theme_run(
        session.id, 2, [ThemePlan(None, f"{marker} thema", (marker,), (first.id, other.id))], at
    )
    await store.save_vectors("lexical", {first.id: b"\x01" * 8, other.id: b"\x02" * 8})
    await store.add_taker(first.id, 72, "Sem", at)
    await store.claim_nudge(session.id, 2, 71, at)
    await store.claim_recap(session.id, "recap", at.date().isoformat(), at - DAY, at, at)
    await store.save_session(session, [{"type": "StepEnded", "step_index": 2}])


def per_session_rows() -> dict[str, int]:
    """What ``fill`` (and the session itself) adds to each table."""
    return {
        "sessions": 1,
        "notes": 2,
        "comments": 1,
        "vote_rounds": 1,
        "votes": 2,
        "themes": 1,
        "note_themes": 2,
        "note_vectors": 2,
        "takers": 1,
        "outbox": 1,
        "recaps": 1,
        "nudges": 1,
    }


@pytest.fixture
async def aged(store: SqliteStore) -> dict[str, Session]:
    sessions: dict[str, Session] = {}
    for channel, planned in enumerate(PLAN, start=100):
        session = await new_session(
            store,
            guild=planned.guild,
            channel=channel,
            facilitator=FATIMA,
            topic=f"Sessie {planned.name}",
            created=planned.created,
            ended=planned.ended,
        )
        await fill(store, session, f"MARK-{planned.name}", planned.created + DAY)
        sessions[planned.name] = session
    await store.set_server_setting(THIRTY, SettingKey.RETENTION_DAYS, 30, FATIMA, NOW)
    await store.set_server_setting(KEEP, SettingKey.RETENTION_DAYS, 0, FATIMA, NOW)
    return sessions


def deployment(retention_days: int = 180) -> Settings:
    return Settings(
        locale=LocaleSettings(timezone="Europe/Amsterdam"),
        facilitation=FacilitationSettings(retention_days=retention_days),
    )


async def test_the_nightly_job_removes_exactly_the_sessions_past_their_servers_period(
    store: SqliteStore,
    db_path: Path,
    aged: dict[str, Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert FacilitationSettings().retention_days == 180  # the default
    clock = FakeClock(NOW)
    timers = ManualTimers()
    job = RetentionJob(store, timers, clock, ServerConfig(store, deployment()))
    moment = job.arm()
    # 03:30 in Amsterdam, the next night.
    assert moment.astimezone(AMS).time() == time(3, 30)
    assert moment.astimezone(AMS).date().isoformat() == "2026-03-11"
    (armed,) = timers.jobs.values()
    assert armed.job_id == "daily:retention:2026-03-11"
    assert rows_per_table(db_path)["notes"] == 2 * len(PLAN)

    clock.set(moment)
    caplog.set_level(logging.INFO, logger="bot.privacy")
    await timers.fire(armed)

    # Re-armed for the next night.
    (next_job,) = timers.jobs.values()
    assert next_job.job_id == "daily:retention:2026-03-12"
    # Only the expired sessions are gone (the clock moved ~13.5 hours, no border crossed).
    left = {session.topic for session in await store_sessions(store)}
    assert left == {f"Sessie {p.name}" for p in PLAN if not p.purged}
    purged = [p for p in PLAN if p.purged]
    # Everything of them went: no marker anywhere, and every table holds the kept ones only.
    assert hits(db_path, [f"MARK-{p.name}" for p in purged]) == []
    assert hits(db_path, [f"MARK-{p.name}" for p in PLAN if not p.purged])
    kept = len(PLAN) - len(purged)
    counts = rows_per_table(db_path)
    for table, each in per_session_rows().items():
        assert counts[table] == each * kept, table
    assert counts["server_settings"] == 2  # a server's settings are not a session's
    # Their alarms go too (a session nobody ended may still have some armed).
    disarmed = {int(entry) for kind, entry in timers.log if kind == "disarm"}
    assert disarmed == {aged[p.name].id for p in purged}
    # One INFO line per session, with its id and counts, never a note's words.
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.privacy"]
    assert len(lines) == len(purged)
    for planned in purged:
        (line,) = [x for x in lines if f"removed session {aged[planned.name].id} " in x]
        assert line.endswith(
            ": notes 2, comments 1, votes 2, rounds 1, themes 1, vectors 2, takers 1,"
            " outbox 1, recaps 1, nudges 1, sessions 1"
        )
        assert f"server {planned.guild}" in line
    assert not any("MARK-" in x or "idee" in x for x in lines)
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "bot.privacy")


async def store_sessions(store: SqliteStore) -> list[Session]:
    sessions = []
    for age in await store.session_ages():
        session = await store.get_session(age.session_id)
        assert session is not None
        sessions.append(session)
    return sessions


async def test_running_again_removes_nothing_more_and_keep_forever_keeps(
    store: SqliteStore, aged: dict[str, Session]
) -> None:
    config = ServerConfig(store, deployment())
    job = RetentionJob(store, ManualTimers(), FakeClock(NOW), config)
    assert await job.run(NOW) == 4
    assert await job.run(NOW) == 0
    # Years later, the server that keeps everything still has both sessions.
    assert await job.run(NOW + 3650 * DAY) == 4
    left = {s.topic for s in await store_sessions(store)}
    assert left == {"Sessie bewaren-oud", "Sessie bewaren-nooit-klaar"}


async def test_a_deployment_that_keeps_everything_removes_nothing(
    store: SqliteStore, aged: dict[str, Session]
) -> None:
    # The 30-day server still purges on its own setting; the others keep everything.
    config = ServerConfig(store, deployment(retention_days=0))
    job = RetentionJob(store, ManualTimers(), FakeClock(NOW), config)
    assert await job.run(NOW + 10_000 * DAY) == 4
    left = {s.guild_id for s in await store_sessions(store)}
    assert left == {DEFAULT, KEEP}


@pytest.mark.parametrize(
    ("ended_days_ago", "created_days_ago", "retention", "gone"),
    [
        (31, 40, 30, True),
        (30, 40, 30, False),  # exactly the period: kept until it has passed
        (None, 60, 30, False),  # never ended: 30 extra days from its start
        (None, 61, 30, True),
        (5000, 6000, 0, False),  # 0 keeps forever
        (None, 6000, 0, False),
    ],
)
def test_when_a_session_has_expired(
    ended_days_ago: int | None, created_days_ago: int, retention: int, gone: bool
) -> None:
    age = SessionAge(
        session_id=1,
        guild_id=1,
        created_at=NOW - created_days_ago * DAY,
        ended_at=None if ended_days_ago is None else NOW - ended_days_ago * DAY,
    )
    assert expired(age, retention, NOW) is gone


def welcome_session(locale: str) -> Session:
    session, _ = Session.begin(
        guild_id=1,
        channel_id=1,
        thread_id=2,
        facilitator_id=3,
        topic="Lezen",
        locale=locale,
        template="classic",
        steps=STEPS,
        reminder_before=2 * MIN,
        now=NOW,
    )
    return session


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_retention_zero_is_told_as_kept_until_the_library_removes_them(locale: str) -> None:
    zero = "\n".join(text.welcome(CAT, welcome_session(locale), retention_days=0))
    days = "\n".join(text.welcome(CAT, welcome_session(locale), retention_days=30))
    assert text.count(CAT, locale, "day", 0) not in zero
    assert CAT.t(locale, "session.kept.privacy") in zero
    assert text.count(CAT, locale, "day", 30) in days
    assert CAT.t(locale, "session.kept.privacy") not in days
