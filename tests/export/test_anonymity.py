"""Anonymity must not leak: a scan of everything the bot shows and exports.

Two sessions run through the real use cases on a real SQLite file: one anonymous
(``always``) and one anonymous while writing (``while_writing``), each stopped while a
private step is being written (its notes unrevealed), then finished. At both moments
every output is rendered, the thread's posts (step summaries, reveals, vote results,
themes, the session summary, the private counter), the daily recap, the text and names
that go onto the board pictures, every export format, the command line's export, and
scanned: no participant's user id, display name or mention where names must be hidden,
no text of the step still being written anywhere, and a nameless step's notes in an
order that is neither the order of writing nor by person.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.between_days import BetweenDays, RecapSettings
from bot.cli import main, stream_export
from bot.domain.board import Note, NoteSource
from bot.domain.deadlines import StepTime
from bot.domain.private_writing import reveal_order
from bot.domain.recap import RecapKind
from bot.domain.session import Anonymity, Session
from bot.domain.summary import StepSummary, ThemeGroup
from bot.domain.themes import ThemePlan
from bot.export import ExportFormat, ExportOptions, board_from_json, build_board, render_text
from bot.facilitation import Facilitation, PrivateChoice, SessionDefaults
from bot.i18n import catalog
from bot.render import private_text, text
from bot.storage.db import connect
from bot.storage.export_reader import open_reader
from bot.storage.sqlite_store import SqliteStore
from bot.template_files import load_templates
from bot.ui.pictures import board_groups
from tests.fakes import FakeClock, ManualTimers, RecordingAnnouncer

CAT = catalog()
AMS = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
FRIDAY_10 = datetime(2026, 10, 23, 10, 0, tzinfo=AMS).astimezone(UTC)
FRIDAY_17 = datetime(2026, 10, 23, 17, 0, tzinfo=AMS).astimezone(UTC)

# Snowflake-sized ids: long enough that finding one in an output is never a coincidence.
ANNA = (311_111_111_111_111_101, "Anna Vermeulen")
BRAM = (311_111_111_111_111_102, "Bram Kuipers")
CHLOE = (311_111_111_111_111_103, "Chloé de Wit")
DAAN = (311_111_111_111_111_104, "Daan Smit")  # writes in private steps only
ERIN = (311_111_111_111_111_105, "Erin Mol")  # never writes; is mentioned
SECRET = "GEHEIM"  # what the step still being written holds


def traces(*people: tuple[int, str]) -> list[str]:
    """What would give a person away: their display name, user id and mention."""
    found = []
    for user_id, name in people:
        found += [name, str(user_id), f"<@{user_id}>"]
    return found


def assert_nowhere(outputs: dict[str, str], forbidden: Iterable[str]) -> None:
    for where, output in outputs.items():
        for trace in forbidden:
            assert trace not in output, f"{trace!r} leaks in {where}"


@dataclass
class World:
    store: SqliteStore
    path: Path
    clock: FakeClock
    announcer: RecordingAnnouncer
    between: BetweenDays
    facilitation: Facilitation
    written: dict[int, list[str]] = field(default_factory=dict)  # step -> texts, in order

    async def note(self, session: Session, who: tuple[int, str], body: str) -> None:
        self.clock.advance(timedelta(minutes=7))
        await self.facilitation.add_note(
            channel_id=session.thread_id,
            author_id=who[0],
            author_name=who[1],
            text=body,
            source=NoteSource.COMMAND,
        )
        current = await self.store.get_session(session.id)
        assert current is not None
        self.written.setdefault(current.step_index, []).append(body)

    async def current(self, session: Session) -> Session:
        found = await self.store.get_session(session.id)
        assert found is not None
        return found


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "cocreate.sqlite3"
    connection = await connect(path)
    store = SqliteStore(connection)
    clock = FakeClock(FRIDAY_10)
    timers = ManualTimers()
    announcer = RecordingAnnouncer()
    between = BetweenDays(
        store=store,
        announcer=announcer,
        timers=timers,
        clock=clock,
        settings=RecapSettings(zone="Europe/Amsterdam"),
        board=lambda session: facilitation.board_summary(session),
    )
    facilitation = Facilitation(
        store=store,
        timers=timers,
        announcer=announcer,
        clock=clock,
        templates=load_templates(),
        defaults=SessionDefaults(
            reminder_before=timedelta(minutes=2), retention_days=90, zone="Europe/Amsterdam"
        ),
    )
    try:
        yield World(store, path, clock, announcer, between, facilitation)
    finally:
        await connection.close()


# -- the two sessions -------------------------------------------------------------------------


async def start(world: World, anonymity: Anonymity, private: str) -> Session:
    # Steps of two days: the session is "between days", so it gets daily recaps.
    return await world.facilitation.start_session(
        guild_id=1,
        channel_id=10 if anonymity is Anonymity.ALWAYS else 11,
        facilitator_id=42,
        topic="Stille plekken in de bieb",
        locale="nl",
        template_key="classic",
        times=[StepTime(duration=2 * DAY)] * 4,
        private=private,
        anonymity=anonymity,
    )


async def empathise(world: World, session: Session, people: Sequence[tuple[int, str]]) -> None:
    """Eight observations, by person one after the other (so the order of writing is
    the order of people), one mentioning Erin; two themes; two comments."""
    for number, who in enumerate(people):
        for n in range(8 // len(people)):
            await world.note(session, who, f"Observatie {number}.{n} over lawaai")
    await world.note(session, people[0], f"Vraag het ook aan <@{ERIN[0]}> van de balie")
    notes = await world.store.notes(session.id, 0)
    await world.store.save_theme_run(
        session.id,
        0,
        [ThemePlan(None, "lawaai", ("lawaai",), tuple(n.id for n in notes[:4]))],
        world.clock.now(),
    )


async def comment(world: World, note: Note, who: tuple[int, str], body: str) -> None:
    from bot.domain.board import CommentDraft

    world.clock.advance(timedelta(minutes=3))
    await world.store.add_comment(CommentDraft(note.id, who[0], who[1], body, world.clock.now()))


async def define_and_vote(
    world: World, session: Session, people: Sequence[tuple[int, str]]
) -> None:
    """Questions by each, then a question vote everyone takes part in."""
    for n, who in enumerate(people):
        await world.note(session, who, f"Hoe kunnen we groep {n} een stille hoek geven?")
    current = await world.current(session)
    if current.writing_privately:
        await world.facilitation.reveal(session.id)
    else:
        await world.facilitation.next_step(session.id)
    vote = await world.store.open_round_of(session.id)
    assert vote is not None
    for who in people:
        await world.facilitation.cast_votes(vote.id, who[0], [vote.options[0]])
    await world.facilitation.next_step(session.id)


async def secret_step(world: World, session: Session, people: Sequence[tuple[int, str]]) -> None:
    """The ideate step, private, with notes nobody may see yet."""
    current = await world.current(session)
    assert current.step_index == 2 and current.writing_privately
    for n, who in enumerate(people):
        await world.note(session, who, f"{SECRET}-idee-{n} met <@{ERIN[0]}>")
    assert (await world.current(session)).hidden(2)


async def finish(world: World, session: Session, taker: tuple[int, str]) -> None:
    """Reveal the ideas, vote, take one further and end."""
    await world.facilitation.reveal(session.id)
    vote = await world.store.open_round_of(session.id)
    if vote is not None:
        await world.facilitation.cast_votes(vote.id, taker[0], list(vote.options[:2]))
    await world.facilitation.next_step(session.id)
    await world.facilitation.end(session.id)
    ideas = await world.store.notes(session.id, 2)
    taken = await world.facilitation.take_idea(
        ideas[0].id, taker[0], taker[1], thread_id=session.thread_id
    )
    assert taken is not None


# -- rendering everything ---------------------------------------------------------------------


def picture_lines(themes: Sequence[ThemeGroup], rest: Sequence[Note]) -> tuple[str, list[str]]:
    """What a board picture would draw (titles, texts, names), and every name it carries."""
    groups = board_groups(themes, rest, "Overig", {})
    drawn, names = [], []
    for group in groups:
        drawn.append(group.title)
        for card in group.notes:
            drawn.append(card.text)
            if card.author is not None:
                assert card.author, "an empty name on a picture card"
                names.append(card.author)
                drawn.append(card.author)
    return "\n".join(drawn), names


def step_picture(summary: StepSummary) -> str:
    placed = {n.id for theme in summary.themes for n in theme.notes}
    everything = [n for group in summary.groups for n in group.notes]
    if summary.themes:
        drawn, _ = picture_lines(summary.themes, [n for n in everything if n.id not in placed])
    else:
        drawn, _ = picture_lines((ThemeGroup("stap", tuple(everything)),), ())
    return drawn


def thread_outputs(world: World) -> dict[str, str]:
    """Every post the thread (or a recap channel) got so far, rendered in both languages,
    with what the pictures attached to them draw."""
    out: dict[str, str] = {}
    for number, call in enumerate(world.announcer.calls):
        where = f"{number}:{call.name}"
        for locale in ("nl", "en"):
            match call.name:
                case "step_summary":
                    summary = call.args["summary"]
                    out[f"{where}:{locale}"] = "\n".join(text.step_summary(CAT, locale, summary))
                    out[f"{where}:picture"] = step_picture(summary)
                case "session_summary":
                    summary = call.args["summary"]
                    out[f"{where}:{locale}"] = "\n".join(
                        text.session_summary(CAT, locale, summary, 90)
                    )
                    out[f"{where}:picture"] = picture_lines(summary.board, ())[0]
                case "vote_results":
                    out[f"{where}:{locale}"] = "\n".join(
                        text.vote_results(
                            CAT,
                            locale,
                            call.args["vote"],
                            call.args["ranking"],
                            call.args["voters"],
                        )
                    )
                case "themes":
                    assert call.session is not None
                    kind = call.session.steps[call.args["step_index"]].kind
                    out[f"{where}:{locale}"] = "\n".join(
                        text.themes_post(CAT, locale, kind, call.args["groups"], call.args["other"])
                    )
                case "private_progress":
                    out[f"{where}:{locale}"] = private_text.private_counter(
                        CAT, locale, call.args["progress"]
                    )
                case "daily_recap":
                    assert call.session is not None
                    session = replace(call.session, locale=locale)
                    recap = call.args["recap"]
                    out[f"{where}:{locale}"] = "\n".join(text.daily_recap(CAT, session, recap))
                    board = call.args["board"]
                    if board is not None:
                        out[f"{where}:picture"] = step_picture(board)
    return out


async def export_outputs(world: World, session: Session, tmp_path: Path) -> dict[str, str]:
    """Every export format, with real names and with pseudonyms, as the bot builds them,
    as the command line streams them, and as ``cocreate export`` writes the file."""
    out: dict[str, str] = {}
    async with open_reader(world.path) as reader:
        record = await reader.session(session.id)
        assert record is not None
        for pseudonyms in (False, True):
            options = ExportOptions(locale="nl", pseudonyms=pseudonyms, exported_at=FRIDAY_17 + DAY)
            board = await build_board(reader, record, CAT, options)
            for export_format in ExportFormat:
                key = f"{export_format.value}:pseudonyms={pseudonyms}"
                out[key] = render_text(board, export_format, CAT)
                streamed = _Sink()
                await stream_export(reader, session.id, export_format, streamed, CAT, options)
                out[f"cli-stream:{key}"] = streamed.text
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\npath = "{world.path.as_posix()}"\n\n[locale]\ndefault = "nl"\n',
        encoding="utf-8",
    )
    for export_format in ExportFormat:
        target = tmp_path / f"export.{export_format.extension}"
        code = await asyncio.to_thread(
            main,
            [
                "export",
                "--session",
                str(session.id),
                "--format",
                export_format.value,
                "--output",
                str(target),
                "--config",
                str(config),
            ],
        )
        assert code == 0
        out[f"cocreate export:{export_format.value}"] = target.read_text(encoding="utf-8-sig")
    return out


class _Sink:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, part: str) -> int:
        self.parts.append(part)
        return len(part)

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def recap_now(world: World) -> None:
    """The 17:00 recap of every session (what the thread or a recap channel gets)."""
    world.clock.set(FRIDAY_17)
    await world.between.run(RecapKind.RECAP, FRIDAY_17)


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("COCREATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def json_board(outputs: dict[str, str]) -> dict[str, object]:
    data = json.loads(outputs["json:pseudonyms=False"])
    assert isinstance(data, dict)
    return data


def step_notes(data: dict[str, object], index: int) -> list[dict[str, object]]:
    steps = data["steps"]
    assert isinstance(steps, list)
    step = steps[index]
    return [n for theme in step["themes"] for n in theme["notes"]] + step["other_notes"]


def assert_shuffled(world: World, data: dict[str, object], index: int) -> None:
    """A nameless step in the export: without names or times, numbered with numbers that
    are no stored ids, and listed neither in the order of writing nor by id."""
    notes = step_notes(data, index)
    assert len(notes) >= 5, "enough notes for the order to say something"
    for note in notes:
        assert note["author"] is None
        assert note["created_at"] is None and note["edited_at"] is None
        assert note["source"] == ""
        assert isinstance(note["id"], int) and note["id"] < 0
    exported = [str(note["text"]) for note in notes]
    written = [t.replace(f"<@{ERIN[0]}>", "@…") for t in world.written[index]]
    assert sorted(exported) == sorted(written)
    steps = data["steps"]
    assert isinstance(steps, list)
    groups = [theme["notes"] for theme in steps[index]["themes"]] + [steps[index]["other_notes"]]
    # The order itself is checked against the session's keyed reveal order (a random salt
    # per session: any fixed "not as written" check would fail now and then by chance).
    assert groups


# -- the scans --------------------------------------------------------------------------------


async def test_an_anonymous_session_names_nobody_anywhere(world: World, tmp_path: Path) -> None:
    session = await start(world, Anonymity.ALWAYS, PrivateChoice.TEMPLATE)
    everyone = (ANNA, BRAM, CHLOE)
    await empathise(world, session, everyone)
    notes = await world.store.notes(session.id, 0)
    await comment(world, notes[0], BRAM, f"Eens, zegt <@{CHLOE[0]}> ook")
    await world.facilitation.reveal(session.id)  # step 0 revealed, on to define
    await define_and_vote(world, session, everyone)
    await secret_step(world, session, everyone)
    await recap_now(world)

    # While the ideas are being written: nobody's name, nothing of the ideas, anywhere.
    # (A mention in a note is what its writer wrote: the thread shows it, the export
    # keeps no user id.)
    posts = thread_outputs(world)
    exports = await export_outputs(world, session, tmp_path)
    assert_nowhere(posts, [*traces(*everyone), SECRET])
    assert_nowhere(exports, [*traces(*everyone, ERIN), SECRET])
    running = posts | exports
    data = json_board(running)
    assert data["anonymity"] == "always"
    assert step_notes(data, 2) == []
    assert data["steps"][2]["withheld"] == 3  # type: ignore[index]
    assert "3 notities staan daarom nog niet in deze export" in running["markdown:pseudonyms=False"]
    assert "3 notities staan daarom nog niet in deze export" in running["html:pseudonyms=False"]
    recaps = [o for k, o in running.items() if "daily_recap" in k and k.endswith(":nl")]
    assert recaps and all("Stil geschreven: 3 notities" in recap for recap in recaps)
    assert_shuffled(world, data, 0)
    stored = await world.store.notes(session.id, 0)
    salt = session.reveal_salt
    assert salt, "every new session gets its own random reveal key"
    assert_exported_in_reveal_order(data, stored, session.id, 0, salt)
    # The thread's reveal lists every theme in the reveal order too (never as written).
    reveal = world.announcer.of("step_summary")[0].args["summary"]
    assert reveal.revealed and reveal.themes
    posted = "\n".join(text.step_summary(CAT, "nl", reveal))
    for theme in reveal.themes:
        listed = sorted(theme.notes, key=lambda n: posted.index(text.quote(n.text)))
        revealed = reveal_order(theme.notes, session.id, 0, salt)
        assert [n.id for n in listed] == [n.id for n in revealed]

    # Finished: the ideas are revealed, still nobody is named (nor who takes an idea on).
    await finish(world, session, ANNA)
    posts = thread_outputs(world)
    exports = await export_outputs(world, session, tmp_path)
    assert_nowhere(posts, traces(*everyone))
    assert_nowhere(exports, traces(*everyone, ERIN))
    ended = posts | exports
    data = json_board(ended)
    assert data["steps"][2]["withheld"] == 0  # type: ignore[index]
    assert any(SECRET in str(n["text"]) for n in step_notes(data, 2))
    for index in range(3):
        for note in step_notes(data, index):
            assert note["takers"] == []
            for said in note["comments"]:  # type: ignore[attr-defined]
                assert said["author"] is None and said["created_at"] is None
    # Note numbers are unique over the board, and the results point at them.
    numbers = [n["id"] for i in range(4) for n in step_notes(data, i)]
    assert len(numbers) == len(set(numbers))
    for step in data["steps"]:  # type: ignore[attr-defined]
        for vote in step["rounds"]:
            assert {r["note_id"] for r in vote["results"]} <= set(numbers)
    assert set(data["chosen_notes"]) <= set(numbers)  # type: ignore[arg-type]
    board = board_from_json(ended["json:pseudonyms=False"])
    assert all(note.author is None for note in board.notes)
    # JSON gives back the board it shows (not the stored one: that is the point).
    assert render_text(board, ExportFormat.JSON, CAT) == ended["json:pseudonyms=False"]


async def test_anonymous_while_writing_hides_the_private_steps_only(
    world: World, tmp_path: Path
) -> None:
    session = await start(world, Anonymity.WHILE_WRITING, PrivateChoice.TEMPLATE)
    # Private: empathise and ideate; define (with its question vote) is written openly.
    stored = await world.current(session)
    steps = tuple(replace(s, private=i in (0, 2)) for i, s in enumerate(stored.steps))
    assert await world.store.save_session(replace(stored, steps=steps)) is not None
    world.facilitation.forget_session(session.id)
    await empathise(world, session, (ANNA, DAAN))
    await world.facilitation.reveal(session.id)
    await define_and_vote(world, session, (ANNA, BRAM))
    await secret_step(world, session, (DAAN,) * 5)
    await recap_now(world)

    posts = thread_outputs(world)
    exports = await export_outputs(world, session, tmp_path)
    # Daan only wrote privately (and Erin was only mentioned there): never named. Nobody's
    # name comes with a private step's notes; the open step still names its writers.
    assert_nowhere(posts, [*traces(DAAN), SECRET])
    assert_nowhere(exports, [*traces(DAAN, ERIN), SECRET])
    running = posts | exports
    nameless = {
        key: output
        for key, output in thread_outputs(world).items()
        if "step_summary" in key and key.endswith(":nl") and "🔓" in output
    }
    assert nameless, "the reveal of the first step was posted"
    assert_nowhere(nameless, traces(ANNA, BRAM, DAAN))
    recaps = {k: o for k, o in running.items() if "daily_recap" in k}
    assert recaps
    joined = CAT.t("nl", "recap.newcomers_counted", people=text.count(CAT, "nl", "person", 3))
    assert all(joined in o for k, o in recaps.items() if k.endswith(":nl"))
    data = json_board(running)
    assert data["anonymity"] == "while_writing"
    assert_shuffled(world, data, 0)
    current = await world.current(session)
    assert_exported_in_reveal_order(
        data, await world.store.notes(session.id, 0), session.id, 0, current.reveal_salt
    )
    assert [n["author"] for n in step_notes(data, 1)] == [ANNA[1], BRAM[1]]
    assert ANNA[1] in running["markdown:pseudonyms=False"]
    markdown = running["markdown:pseudonyms=False"]
    first_step = markdown[markdown.index("## Stap 1") : markdown.index("## Stap 2")]
    assert_nowhere({"markdown, step 1": first_step}, traces(ANNA, DAAN))
    html = running["html:pseudonyms=False"]
    first_html = html[html.index('id="step-1"') : html.index('id="step-2"')]
    assert_nowhere({"html, step 1": first_html}, traces(ANNA, DAAN))
    assert "Anoniem: deze notities staan zonder naam en zonder tijd" in first_step
    rows = running["csv:pseudonyms=False"].splitlines()
    assert all(DAAN[1] not in row for row in rows)

    await finish(world, session, BRAM)
    posts = thread_outputs(world)
    exports = await export_outputs(world, session, tmp_path)
    assert_nowhere(posts, traces(DAAN))
    assert_nowhere(exports, traces(DAAN, ERIN))
    ended = posts | exports
    data = json_board(ended)
    assert_shuffled(world, data, 2)
    # Taking an idea further is done in the open: named under "while writing".
    assert any(n["takers"] == [BRAM[1]] for n in step_notes(data, 2))


def assert_exported_in_reveal_order(
    data: dict[str, object], stored: list[Note], session_id: int, index: int, salt: str
) -> None:
    """Within each theme (and the rest) the export keeps the thread's reveal order."""
    by_text = {n.text.replace(f"<@{ERIN[0]}>", "@…"): n for n in stored}
    steps = data["steps"]
    assert isinstance(steps, list)
    groups = [theme["notes"] for theme in steps[index]["themes"]] + [steps[index]["other_notes"]]
    revealed = [n.id for n in reveal_order(stored, session_id, index, salt)]
    for group in groups:
        ids = [by_text[str(note["text"])].id for note in group]
        assert ids == [i for i in revealed if i in ids]


def test_the_scan_finds_a_leak() -> None:
    with pytest.raises(AssertionError, match="leaks"):
        assert_nowhere({"post": f"• idee — *{ANNA[1]}*"}, traces(ANNA))
    assert re.search(r"\d{18}", str(ANNA[0]))
