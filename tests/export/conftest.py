"""A realistic board in a real SQLite file, written through the storage API.

Three people (with real-looking names that pseudonyms must hide) go through the classic
steps: empathise notes with comments and two themes, define questions with a question
vote, ideate ideas with an idea vote and people taking ideas further. Some texts try to
break the formats: HTML, Markdown, a formula, a mention, line breaks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.board import CommentDraft, NoteDraft, NoteKind, NoteSource
from bot.domain.session import Session
from bot.domain.templates import StepPlan
from bot.domain.themes import ThemePlan
from bot.domain.voting import RoundStatus, VoteRound, VoteTarget
from bot.export import ExportOptions
from bot.storage.db import connect
from bot.storage.export_reader import ExportReader
from bot.storage.sqlite_store import SqliteStore

START = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)
TOPIC = "Hoe wordt de bibliotheek een <ontmoetingsplek> voor *jongeren*?"

ALICE = (1001, "Alice Jansen")
BOB = (1002, "Bob de Vries")
CAROL = (1003, "Carol Bakker")
FACILITATOR = 1000
PEOPLE = (ALICE, BOB, CAROL)

SCRIPT = "<script>alert('xss')</script> Jongeren willen een eigen plek"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
MARKDOWN = "# Geen kop\n- geen lijst\n[geen link](http://example.org) **niet vet**"


@dataclass
class BoardFacts:
    """What the fixture stored, for the tests to compare against."""

    path: Path
    session_id: int
    channel_id: int
    thread_id: int
    notes: dict[str, int] = field(default_factory=dict)  # text -> note id
    question_round: int = 0
    idea_round: int = 0

    @property
    def note_ids(self) -> set[int]:
        return set(self.notes.values())


def options(pseudonyms: bool = False, locale: str = "nl") -> ExportOptions:
    """Export options with a fixed export time, so two exports can be compared."""
    return ExportOptions(
        locale=locale,
        timezone="Europe/Amsterdam",
        pseudonyms=pseudonyms,
        exported_at=START + timedelta(days=1),
    )


async def fill_board(path: Path, *, channel_id: int = 10, thread_id: int = 20) -> BoardFacts:
    """Write the realistic board into the SQLite file at ``path``."""
    db = await connect(path)
    try:
        store = SqliteStore(db)
        draft, _ = Session.begin(
            guild_id=555,
            channel_id=channel_id,
            thread_id=thread_id,
            facilitator_id=FACILITATOR,
            topic=TOPIC,
            locale="nl",
            template="classic",
            steps=(
                StepPlan("empathise", 15 * MIN),
                StepPlan("define", 10 * MIN, themes=True, vote=VoteTarget.QUESTIONS),
                StepPlan("ideate", 10 * MIN, vote=VoteTarget.NOTES),
                StepPlan("prototype", 15 * MIN),
            ),
            reminder_before=2 * MIN,
            now=START,
        )
        session = await store.create_session(draft)
        facts = BoardFacts(path, session.id, channel_id, thread_id)
        clock = [START]
        message = [thread_id * 1000]

        async def note(
            step: int,
            who: tuple[int, str],
            text: str,
            kind: NoteKind = NoteKind.NOTE,
            attachments: tuple[str, ...] = (),
        ) -> int:
            clock[0] += MIN
            message[0] += 1
            stored = await store.add_note(
                NoteDraft(
                    session_id=session.id,
                    step_index=step,
                    author_id=who[0],
                    author_name=who[1],
                    text=text,
                    source=NoteSource.MESSAGE,
                    created_at=clock[0],
                    message_id=message[0],
                    kind=kind,
                    attachments=attachments,
                )
            )
            assert stored is not None
            facts.notes[text] = stored.id
            return stored.id

        async def comment(note_id: int, who: tuple[int, str], text: str) -> None:
            clock[0] += MIN
            message[0] += 1
            await store.add_comment(
                CommentDraft(note_id, who[0], who[1], text, clock[0], message_id=message[0])
            )

        # Empathise: observations, two themes, one note left outside them.
        hall = await note(0, ALICE, "Jongeren zitten na school in de hal omdat er geen plek is")
        script = await note(0, BOB, SCRIPT)
        exams = await note(0, CAROL, "Tijdens de examens zijn alle studieplekken om 9 uur bezet")
        floor = await note(0, ALICE, "Scholieren zitten in de examentijd\nop de grond te leren")
        formula = await note(0, BOB, FORMULA)
        await note(
            0,
            CAROL,
            MARKDOWN,
            attachments=("https://cdn.example.org/foto.png", "javascript:alert(1)"),
        )
        await note(0, CAROL, f"Eens met <@{BOB[0]}>: er is hier niks voor tieners")
        await comment(hall, BOB, "Klopt, ik zie ze elke middag")
        await comment(hall, CAROL, "<b>ook</b> in het weekend?")
        await comment(exams, ALICE, "=1+1 en @alle studenten")
        await store.save_theme_run(
            session.id,
            0,
            [
                ThemePlan(None, "een eigen plek", ("plek", "hal"), (hall, script)),
                ThemePlan(None, "examens · rust", ("examens", "rust"), (exams, floor, formula)),
            ],
            clock[0],
        )

        # Define: questions and a point of view; a question vote Alice's question wins.
        q1 = await note(
            1, ALICE, "Hoe kunnen we jongeren een eigen plek geven?", kind=NoteKind.QUESTION
        )
        q2 = await note(
            1, BOB, "Hoe kunnen we in de examentijd meer rust bieden?", kind=NoteKind.QUESTION
        )
        await note(
            1,
            CAROL,
            "Scholieren hebben behoefte aan rust, omdat het thuis te druk is",
            kind=NoteKind.POINT_OF_VIEW,
        )
        question_round = await store.open_round(
            VoteRound(
                id=0,
                session_id=session.id,
                step_index=1,
                target=VoteTarget.QUESTIONS,
                options=(q1, q2),
                budget=2,
                per_note_cap=2,
                status=RoundStatus.OPEN,
                opened_at=clock[0],
                closes_at=clock[0] + 3 * MIN,
            )
        )
        for voter, chosen in ((ALICE, q1), (ALICE, q1), (BOB, q1), (BOB, q2), (CAROL, q2)):
            await store.cast_vote(question_round.id, voter[0], chosen)
        await store.close_round(question_round.id, clock[0] + 3 * MIN)
        facts.question_round = question_round.id

        # Ideate: ideas, an idea vote, takers.
        i1 = await note(2, ALICE, "Een jongerenhoek met banken, muziek en gamen op vrijdag")
        i2 = await note(2, BOB, "Jongeren zelf de inrichting laten ontwerpen")
        i3 = await note(2, CAROL, "Een avond per week open alleen voor tieners")
        idea_round = await store.open_round(
            VoteRound(
                id=0,
                session_id=session.id,
                step_index=2,
                target=VoteTarget.NOTES,
                options=(i1, i2, i3),
                budget=3,
                per_note_cap=3,
                status=RoundStatus.OPEN,
                opened_at=clock[0],
                closes_at=clock[0] + 4 * MIN,
            )
        )
        for voter, chosen in ((ALICE, i2), (ALICE, i3), (BOB, i2), (CAROL, i2), (CAROL, i1)):
            await store.cast_vote(idea_round.id, voter[0], chosen)
        await store.close_round(idea_round.id, clock[0] + 4 * MIN)
        facts.idea_round = idea_round.id
        await store.add_taker(i2, CAROL[0], CAROL[1], clock[0] + 5 * MIN)
        await store.add_taker(i2, ALICE[0], ALICE[1], clock[0] + 6 * MIN)

        # The session ends with the chosen question remembered.
        current = await store.get_session(session.id)
        assert current is not None
        choosing = current.choose_question("Hoe kunnen we jongeren een eigen plek geven?")
        ended, _ = choosing.end(clock[0] + 10 * MIN)
        saved = await store.save_session(ended)
        assert saved is not None
        return facts
    finally:
        await db.close()


@pytest.fixture
async def board_db(tmp_path: Path) -> BoardFacts:
    return await fill_board(tmp_path / "data" / "cocreate.sqlite3")


@pytest.fixture
async def reader(board_db: BoardFacts) -> AsyncIterator[ExportReader]:
    connection = await aiosqlite.connect(board_db.path)
    connection.row_factory = aiosqlite.Row
    try:
        yield ExportReader(connection, page_size=2)  # small pages: paging is exercised
    finally:
        await connection.close()


# The end-to-end harness (the real bot against the local Discord sandbox) for
# test_discord.py: the fixture lives with the other end-to-end tests.
from tests.e2e.conftest import harness  # noqa: E402, F401
