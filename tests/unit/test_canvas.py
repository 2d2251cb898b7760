"""The canvas core: lane prefixes, columns, lane groups, and notes landing in lanes
through the use cases; running a step again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.board import NoteSource
from bot.domain.canvas import (
    Canvas,
    Columns,
    Lane,
    find_column,
    lane_groups,
    route,
)
from bot.domain.session import Refusal, SessionRuleError
from bot.facilitation import Facilitation, UnknownLaneError
from bot.ports import Store
from tests.fakes import RecordingAnnouncer
from tests.unit.test_facilitation import CHANNEL, message, start


def lane(key: str, nl: str, en: str, *prefixes: str) -> Lane:
    return Lane(key, {"nl": nl, "en": en}, {"nl": "…"}, {"nl": "…"}, prefixes)


JOURNEY = Canvas(
    "journey",
    {"nl": "Klantreis"},
    {"nl": "…"},
    (
        lane("actions", "Acties", "Actions", "actie", "action"),
        lane("pains", "Pijnpunten", "Pain points", "pijnpunt", "pain"),
    ),
    Columns({"nl": "fase"}, {"nl": ("Horen van", "Aankomen", "Daarna")}),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pijnpunt: lange rij", ("pains", None, "lange rij")),
        ("Pain: long queue", ("pains", None, "long queue")),
        ("PIJNPUNTEN:   druk", ("pains", None, "druk")),  # a lane's name works too
        ("actie/aank: parkeren", ("actions", "Aankomen", "parkeren")),
        ("actions / daarna: napraten", ("actions", "Daarna", "napraten")),
        ("actie/onbekend: x", ("actions", None, "x")),  # no such column: lane only
        ("Let op: de bieb is dicht", (None, None, "Let op: de bieb is dicht")),
        ("https://bieb.nl: kijk", (None, None, "https://bieb.nl: kijk")),
        ("pijnpunt:", (None, None, "pijnpunt:")),  # nothing after the prefix
        ("gewoon een notitie", (None, None, "gewoon een notitie")),
    ],
)
def test_prefixes_route_in_both_languages(
    text: str, expected: tuple[str | None, str | None, str]
) -> None:
    routed = route(text, JOURNEY, JOURNEY.columns.default("nl") if JOURNEY.columns else ())
    assert (routed.lane, routed.column, routed.text) == expected


def test_open_columns_are_named_by_the_writers() -> None:
    routed = route("actie/Fatima: leest veel", JOURNEY, (), open_columns=True)
    assert (routed.lane, routed.column) == ("actions", "Fatima")


def test_a_column_word_must_name_one_column() -> None:
    assert find_column("a", ("Aankomen", "Afscheid")) is None
    assert find_column("aan", ("Aankomen", "Afscheid")) == "Aankomen"
    assert find_column("afscheid", ("Aankomen", "Afscheid")) == "Afscheid"


def test_lane_groups_keep_empty_lanes_and_put_unsorted_last() -> None:
    from tests.unit.test_private_writing import note

    notes = [
        replace(note(1, 7), lane="pains", column="Aankomen"),
        replace(note(2, 8), lane=None),
        replace(note(3, 9), lane="actions", column="Daarna"),
        replace(note(4, 9), lane="actions", column="Elders"),
    ]
    groups = lane_groups(JOURNEY, ("Horen van", "Aankomen", "Daarna"), notes)
    shape = [(g.lane, g.column, [n.id for n in g.notes]) for g in groups]
    assert shape == [
        ("actions", "Horen van", []),
        ("actions", "Aankomen", []),
        ("actions", "Daarna", [3]),
        ("actions", None, [4]),
        ("pains", "Horen van", []),
        ("pains", "Aankomen", [1]),
        ("pains", "Daarna", []),
        (None, None, [2]),
    ]


# -- through the use cases -----------------------------------------------------------------


async def start_canvas(facilitation: Facilitation, store: Store, canvas: str) -> int:
    session = await start(facilitation)
    stored = await store.get_session(session.id)
    assert stored is not None
    steps = (replace(stored.steps[0], canvas=canvas), *stored.steps[1:])
    assert await store.save_session(replace(stored, steps=steps)) is not None
    facilitation.forget_session(session.id)
    return session.id


async def test_notes_land_in_lanes_by_prefix_by_pick_or_unsorted(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session_id = await start_canvas(facilitation, store, "empathy-map")
    session = await store.get_session(session_id)
    assert session is not None
    await message(facilitation, session, 500, "zegt: ik kom hier graag")
    await message(facilitation, session, 501, "Feels: left out")
    await message(facilitation, session, 502, "gewoon iets")
    picked = await facilitation.add_note(
        channel_id=CHANNEL,
        author_id=8,
        author_name="P8",
        text="komt alleen voor boeken",
        source=NoteSource.BUTTON,
        lane="does",
    )
    assert picked.lane == "does"
    with pytest.raises(UnknownLaneError) as unknown:
        await facilitation.add_note(
            channel_id=CHANNEL,
            author_id=8,
            author_name="P8",
            text="x",
            source=NoteSource.COMMAND,
            lane="ruikt",
        )
    assert "says" in unknown.value.known
    stored = {n.text: (n.lane, n.column) for n in await store.notes(session_id)}
    assert stored == {
        "ik kom hier graag": ("says", None),
        "left out": ("feels", None),
        "gewoon iets": (None, None),
        "komt alleen voor boeken": ("does", None),
    }
    # The facilitator moves the unsorted one; the step summary shows it lane by lane.
    loose = next(n for n in await store.notes(session_id) if n.lane is None)
    moved = await facilitation.move_to_lane(loose.id, "denkt", None)
    assert moved.lane == "thinks"
    await facilitation.next_step(session_id)
    summary = announcer.of("step_summary")[-1].args["summary"]
    assert summary.canvas == "empathy-map"
    by_lane = {g.lane: [n.text for n in g.notes] for g in summary.lanes}
    assert by_lane["thinks"] == ["gewoon iets"]
    assert by_lane["gains"] == []
    assert None not in by_lane  # nothing unsorted any more


async def test_a_step_without_canvas_keeps_its_prefixes(
    facilitation: Facilitation, store: Store
) -> None:
    session = await start(facilitation)
    await message(facilitation, session, 500, "zegt: ik kom hier graag")
    [stored] = await store.notes(session.id)
    assert (stored.text, stored.lane) == ("zegt: ik kom hier graag", None)


async def test_a_step_runs_again_after_the_current_one(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session = await start(facilitation)
    await facilitation.next_step(session.id)  # now in define (step 2 of 4)
    again = await facilitation.repeat(session.id, 0)
    assert again.step_index == 2
    assert [s.kind for s in again.steps] == [
        "empathise",
        "define",
        "empathise",
        "ideate",
        "prototype",
    ]
    assert again.due_at == again.step_started_at + timedelta(minutes=15)
    with pytest.raises(SessionRuleError) as refused:
        await facilitation.repeat(session.id, 9)
    assert refused.value.refusal is Refusal.NO_SUCH_STEP
    assert announcer.coached[-1] == (2, None)


async def test_status_names_who_has_not_written_yet_and_counts_lanes(
    facilitation: Facilitation, store: Store
) -> None:
    session_id = await start_canvas(facilitation, store, "empathy-map")
    session = await store.get_session(session_id)
    assert session is not None
    await message(facilitation, session, 500, "zegt: hallo", author=7)
    await message(facilitation, session, 501, "iets", author=8)
    await facilitation.next_step(session_id)
    view = await facilitation.status(CHANNEL)
    assert view.not_yet == ((7, "Person7"), (8, "Person8"))
    await facilitation.go_back(session_id)  # back on the canvas step: both wrote there
    view = await facilitation.status(CHANNEL)
    assert view.not_yet == ()
    assert dict(view.lane_counts) == {
        "says": 1,
        "thinks": 0,
        "does": 0,
        "feels": 0,
        "pains": 0,
        "gains": 0,
        None: 1,
    }
