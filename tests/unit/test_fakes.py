"""The fakes keep up with the ports: every method of a port, with the same parameters.

mypy checks bot/ only, so without this a port could grow a method the fakes lack and the
use-case tests would fail far from the cause (or pass on the SQLite store only).
"""

from __future__ import annotations

import inspect

import pytest

from bot.domain.board import Note, NoteSource
from bot.domain.themes import Theme
from bot.ports import Announcer, Store, ThemeFinder, Timers
from tests.fakes import (
    START,
    FakeThemeFinder,
    InMemoryStore,
    ManualTimers,
    RecordingAnnouncer,
)

PAIRS = [
    (Store, InMemoryStore),
    (Announcer, RecordingAnnouncer),
    (ThemeFinder, FakeThemeFinder),
    (Timers, ManualTimers),
]


def port_methods(port: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(("port", "fake"), PAIRS, ids=[p.__name__ for p, _ in PAIRS])
def test_the_fake_has_every_method_of_its_port(port: type, fake: type) -> None:
    for name, wanted in port_methods(port).items():
        assert hasattr(fake, name), f"{fake.__name__} lacks {name}"
        member = getattr(fake, name)
        got = inspect.signature(member)
        assert list(got.parameters) == list(wanted.parameters), f"{fake.__name__}.{name}"
        assert inspect.iscoroutinefunction(member) == inspect.iscoroutinefunction(
            getattr(port, name)
        ), f"{fake.__name__}.{name}: async or not, as the port"


def note(note_id: int, text: str) -> Note:
    return Note(
        session_id=1,
        step_index=0,
        author_id=7,
        author_name="Zeven",
        text=text,
        source=NoteSource.COMMAND,
        created_at=START,
        id=note_id,
    )


async def test_the_fake_theme_finder_groups_by_first_word() -> None:
    finder = FakeThemeFinder()
    notes = [note(1, "Bieb te druk"), note(2, "koffie!"), note(3, "bieb, te vol"), note(4, "?")]
    plans = await finder.plan(notes, [])
    assert [(p.theme_id, p.name, p.keywords, p.note_ids) for p in plans] == [
        (None, "bieb", ("bieb",), (1, 3)),
        (None, "koffie", ("koffie",), (2,)),
    ]
    assert finder.calls == [((1, 2, 3, 4), ())]
    assert [p.name for p in await FakeThemeFinder(min_size=2).plan(notes, [])] == ["bieb"]


async def test_the_fake_theme_finder_lets_notes_join_kept_themes() -> None:
    kept = Theme(
        id=50,
        session_id=1,
        step_index=0,
        position=0,
        name="Drukte",  # renamed; its keyword still says what it is about
        keywords=("bieb",),
        renamed=True,
        note_ids=(1, 2),
        pinned=frozenset({2}),
    )
    notes = [note(1, "bieb druk"), note(2, "koffie hier"), note(3, "Bieb vol"), note(4, "wifi")]
    plans = await FakeThemeFinder().plan(notes, [kept])
    assert [(p.theme_id, p.name, p.note_ids) for p in plans] == [
        (50, "Drukte", (1, 3)),  # note 2 is pinned here: the finder leaves it alone
        (None, "wifi", (4,)),
    ]


async def test_the_recording_announcer_numbers_vote_posts() -> None:
    announcer = RecordingAnnouncer()
    first = await announcer.vote_opened(None, None)  # type: ignore[arg-type]
    second = await announcer.vote_opened(None, None)  # type: ignore[arg-type]
    assert second > first
    assert [call.args["message_id"] for call in announcer.of("vote_opened")] == [first, second]
