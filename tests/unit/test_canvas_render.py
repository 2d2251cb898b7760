"""Canvas steps in the thread: the prompt names the canvas and its lanes (with a prefix
that routes), the summary lists the notes lane by lane, within Discord's limit, unsorted
last, and without names where the session hides them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.canvas_files import load_canvases
from bot.domain.board import Note, NoteSource
from bot.domain.canvas import (
    Canvas,
    Lane,
    all_columns,
    fold,
    lane_groups,
    route,
    step_columns,
)
from bot.domain.session import Session
from bot.domain.summary import AuthorGroup, StepSummary, summarise_step
from bot.domain.templates import StepPlan
from bot.i18n import LOCALES, catalog
from bot.render import text
from bot.render.text import MESSAGE_LIMIT
from bot.template_files import load_templates
from tests.fakes import START

CAT = catalog()
CANVASES = load_canvases()
MIN = timedelta(minutes=1)
TOPIC = "Hoe wordt de bibliotheek een ontmoetingsplek voor jongeren?"


def session(canvas: str, locale: str, columns: tuple[str, ...] = ()) -> Session:
    made, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=333,
        facilitator_id=44,
        topic=TOPIC,
        locale=locale,
        template="masterclass-dag-1",
        steps=(StepPlan("empathise", 15 * MIN, canvas=canvas, columns=columns),),
        reminder_before=2 * MIN,
        now=START,
    )
    return made


def note(number: int, lane: str | None, column: str | None = None, **extra: object) -> Note:
    fields: dict[str, object] = {
        "session_id": 1,
        "step_index": 0,
        "author_id": 100 + number % 4,
        "author_name": f"Deelnemer{number % 4}",
        "text": f"notitie {number}",
        "source": NoteSource.MESSAGE,
        "created_at": START + number * timedelta(seconds=1),
        "lane": lane,
        "column": column,
        "id": number + 1,
    }
    fields.update(extra)
    return Note(**fields)  # type: ignore[arg-type]


def canvas_summary(
    canvas: Canvas, notes: list[Note], locale: str = "nl", *, names: bool = True
) -> StepSummary:
    """As the use case builds it: by author when names show, else one nameless group."""
    summary = summarise_step(0, "empathise", notes)
    if not names:
        nameless = tuple(replace(n, author_name="") for n in notes)
        summary = replace(summary, groups=(AuthorGroup(0, "", nameless),), names_shown=False)
        notes = list(nameless)
    fixed = step_columns(canvas, (), locale)
    columns = all_columns(fixed, (n.column for n in notes))
    return replace(
        summary, canvas=canvas.key, columns=columns, lanes=lane_groups(canvas, columns, notes)
    )


def lines_of(parts: list[str]) -> list[str]:
    return "\n".join(parts).split("\n")


def where(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


# -- the prompt ---------------------------------------------------------------------------------


def test_there_are_canvases_to_check() -> None:
    assert {"empathy-map", "customer-journey", "persona", "service-blueprint"} <= set(CANVASES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(CANVASES))
def test_the_prompt_names_the_canvas_and_every_lane_with_a_prefix_that_routes(
    key: str, locale: str
) -> None:
    canvas = CANVASES[key]
    parts = text.step_prompt(CAT, session(key, locale), False, canvas)
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    out = "\n".join(parts)
    assert canvas.name(locale) in out.split("\n")[0]  # the heading names the canvas
    assert text.localised(canvas.intros, locale) in out
    for lane in canvas.lanes:
        prefix = text.lane_prefix(lane, locale)
        assert f"**{lane.name(locale)}** · `{prefix}: …`" in out
        assert text.localised(lane.prompts, locale) in out
        assert text.localised(lane.examples, locale) in out
        # What the prompt tells people to type puts the note in that lane.
        assert route(f"{prefix}: een notitie", canvas).lane == lane.key


@pytest.mark.parametrize("locale", LOCALES)
def test_the_prompt_shows_the_columns_and_a_column_form_that_routes(locale: str) -> None:
    canvas = CANVASES["customer-journey"]
    assert canvas.columns is not None
    phases = canvas.columns.default(locale)
    out = "\n".join(text.step_prompt(CAT, session(canvas.key, locale), False, canvas))
    assert " · ".join(phases) in out
    first = text.lane_prefix(canvas.lanes[0], locale)
    form = f"`{first}/{fold(phases[0])}: …`"
    assert form in out
    routed = route(f"{first}/{fold(phases[0])}: lange rij", canvas, phases)
    assert (routed.lane, routed.column) == (canvas.lanes[0].key, phases[0])


def test_a_templates_own_columns_are_shown() -> None:
    canvas = CANVASES["customer-journey"]
    out = "\n".join(
        text.step_prompt(CAT, session(canvas.key, "nl", ("Thuis", "In de bieb")), False, canvas)
    )
    assert "Thuis · In de bieb" in out
    assert "/thuis: …`" in out


@pytest.mark.parametrize("locale", LOCALES)
def test_open_columns_explain_one_card_each(locale: str) -> None:
    canvas = CANVASES["persona"]
    out = "\n".join(text.step_prompt(CAT, session(canvas.key, locale), False, canvas))
    placeholder = CAT.t(locale, "canvas.step.open_placeholder")
    assert f"/{placeholder}: …`" in out


def test_a_step_without_a_canvas_keeps_its_prompt() -> None:
    plain = session("empathy-map", "nl")
    without = text.step_prompt(CAT, plain, False)
    assert CAT.t("nl", "steps.empathise.prompt", topic=text.quote(TOPIC)) in without[0]
    assert "Empathiekaart" not in "\n".join(without)


def test_a_canvas_named_like_its_step_is_named_once() -> None:
    canvas = replace(CANVASES["empathy-map"], names={"nl": "Inleven", "en": "Empathise"})
    heading = text.step_prompt(CAT, session(canvas.key, "nl"), False, canvas)[0].split("\n")[0]
    assert heading.count("Inleven") == 1


def test_the_welcome_names_each_steps_canvas() -> None:
    made = session("empathy-map", "nl")
    out = "\n".join(text.welcome(CAT, made, 30, CANVASES))
    assert "Empathiekaart (Inleven)" in out
    assert "Empathiekaart" not in "\n".join(text.welcome(CAT, made, 30))


def lane(names: dict[str, str], *prefixes: str) -> Lane:
    return Lane("x", names, {"nl": "…"}, {"nl": "…"}, prefixes)


@pytest.mark.parametrize(
    ("names", "prefixes", "locale", "expected"),
    [
        ({"nl": "Zegt", "en": "Says"}, ("zegt", "says", "say"), "nl", "zegt"),
        ({"nl": "Zegt", "en": "Says"}, ("zegt", "says", "say"), "en", "says"),
        ({"nl": "Pijnpunten", "en": "Pains"}, ("pijn", "pijnpunt", "pains"), "nl", "pijn"),
        ({"nl": "➕ Wat werkt", "en": "➕ What works"}, ("+", "werkt", "works"), "nl", "werkt"),
        ({"nl": "➕ Wat werkt", "en": "➕ What works"}, ("+", "werkt", "works"), "en", "works"),
        ({"nl": "Achter de schermen", "en": "Backstage"}, ("achter", "backstage"), "nl", "achter"),
        # No prefix fits the name: the first that is no other language's.
        ({"nl": "Doet", "en": "Does"}, ("does", "handelt"), "nl", "handelt"),
        # No prefixes at all: the name itself (names route too).
        ({"nl": "Kansen", "en": "Chances"}, (), "nl", "kansen"),
    ],
)
def test_the_prefix_shown_is_in_the_sessions_language(
    names: dict[str, str], prefixes: tuple[str, ...], locale: str, expected: str
) -> None:
    assert text.lane_prefix(lane(names, *prefixes), locale) == expected


# -- the summary --------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_summary_lists_notes_lane_by_lane_with_unsorted_last(locale: str) -> None:
    canvas = CANVASES["empathy-map"]
    notes = [
        note(0, "feels"),
        note(1, None),
        note(2, "says"),
        note(3, "says"),
        note(4, "gains"),
    ]
    parts = text.step_summary(CAT, locale, canvas_summary(canvas, notes, locale), canvas)
    lines = lines_of(parts)
    assert canvas.name(locale) in lines[0]
    headings = [where(lines, f"**{lane.name(locale)}**") for lane in canvas.lanes]
    assert headings == sorted(headings)  # the canvas's order
    unsorted = where(lines, CAT.t(locale, "canvas.summary.unsorted", notes="").split("(")[0])
    assert unsorted > headings[-1]
    says = headings[0]
    assert "notitie 2" in lines[says + 1] and "notitie 3" in lines[says + 2]
    assert "notitie 1" in lines[unsorted + 1]
    # Empty lanes are one short line each.
    thinks = canvas.lanes[1].name(locale)
    assert CAT.t(locale, "canvas.summary.lane_empty", name=thinks) in lines


@pytest.mark.parametrize("locale", LOCALES)
def test_names_follow_notes_only_where_the_session_shows_them(locale: str) -> None:
    canvas = CANVASES["empathy-map"]
    notes = [note(n, canvas.lanes[n % 6].key if n % 7 else None) for n in range(20)]
    named = "\n".join(text.step_summary(CAT, locale, canvas_summary(canvas, notes), canvas))
    assert "Deelnemer1" in named
    nameless = text.step_summary(CAT, locale, canvas_summary(canvas, notes, names=False), canvas)
    out = "\n".join(nameless)
    assert "Deelnemer" not in out
    assert CAT.t(locale, "summary.step.nameless", notes="", people="").split()[0] in out
    assert all(f"notitie {n}" in out for n in range(20))


def test_a_nameless_summary_never_names_even_if_a_note_kept_its_name() -> None:
    canvas = CANVASES["empathy-map"]
    notes = [note(0, "says"), note(1, None)]
    summary = canvas_summary(canvas, notes)
    summary = replace(summary, names_shown=False)  # the lanes still hold named notes
    out = "\n".join(text.step_summary(CAT, "nl", summary, canvas))
    assert "Deelnemer" not in out


@pytest.mark.parametrize("locale", LOCALES)
def test_columns_within_a_lane_and_empty_ones_on_one_line(locale: str) -> None:
    canvas = CANVASES["customer-journey"]
    assert canvas.columns is not None
    phases = canvas.columns.default(locale)
    first, other = canvas.lanes[0].key, canvas.lanes[1].key
    notes = [
        note(0, first, phases[1]),
        note(1, first, phases[1]),
        note(2, first, None),  # in the lane, in no phase
        note(3, other, phases[0]),
    ]
    lines = lines_of(text.step_summary(CAT, locale, canvas_summary(canvas, notes, locale), canvas))
    lane_at = where(lines, f"**{canvas.lanes[0].name(locale)}**")
    column_at = where(lines, CAT.t(locale, "canvas.summary.column", name=text.quote(phases[1])))
    assert lane_at < column_at
    assert "notitie 0" in lines[column_at + 1] and "notitie 1" in lines[column_at + 2]
    label = canvas.columns.label(locale)
    loose = CAT.t(locale, "canvas.summary.no_column", label=label)
    assert where(lines, loose) > column_at
    empty = " · ".join(text.quote(p) for i, p in enumerate(phases) if i != 1)
    assert CAT.t(locale, "canvas.summary.column_empty", name=empty) in lines


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(CANVASES))
def test_a_big_canvas_summary_fits_discord(key: str, locale: str) -> None:
    canvas = CANVASES[key]
    columns = step_columns(canvas, (), locale) or ("Fatima", "Henk")
    long = "een heel lang verhaal over de bibliotheek " * 12
    notes = [
        note(
            n,
            canvas.lanes[n % len(canvas.lanes)].key if n % 9 else None,
            columns[n % len(columns)] if canvas.columns is not None else None,
            text=f"{n}: {long}",
        )
        for n in range(400)
    ]
    summary = canvas_summary(canvas, notes, locale)
    parts = text.step_summary(CAT, locale, summary, canvas)
    assert all(0 < len(part) <= MESSAGE_LIMIT for part in parts)
    lines = lines_of(parts)
    unsorted = CAT.t(locale, "canvas.summary.unsorted", notes="").split("(")[0]
    assert where(lines, unsorted) > max(
        where(lines, f"**{lane.name(locale)}**") for lane in canvas.lanes
    )
    assert any(CAT.t(locale, "summary.step.more", notes="").split("{")[0][:5] in x for x in lines)


def test_a_canvas_summary_without_its_canvas_reads_like_any_step() -> None:
    canvas = CANVASES["empathy-map"]
    summary = canvas_summary(canvas, [note(0, "says"), note(1, None)])
    out = "\n".join(text.step_summary(CAT, "nl", summary))
    assert "Empathiekaart" not in out
    assert CAT.t("nl", "summary.step.author", name=text.quote("Deelnemer0")) in out


# -- the docs -----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["docs/canvases.md", "README.md"])
def test_the_docs_list_every_canvas_and_template(doc: str) -> None:
    written = (ROOT / doc).read_text(encoding="utf-8")
    for key in [*CANVASES, *load_templates()]:
        assert f"`{key}`" in written, f"{doc} does not mention {key}"
    assert (ROOT / "docs/images/canvas-empathy-map.png").is_file()
