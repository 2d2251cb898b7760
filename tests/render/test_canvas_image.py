"""The canvas picture: every canvas renders with many and long notes; the layout gives
every lane its own cell, nothing overlaps, columns run left to right; labels are drawn.

``python -m tests.render.test_canvas_image docs/images/canvas-empathy-map.png`` writes
the picture in docs/canvases.md from the sample notes below.
"""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from PIL import Image, ImageChops

from bot.canvas_files import load_canvases
from bot.domain.board import Note, NoteSource
from bot.domain.canvas import Canvas, all_columns, lane_groups, step_columns
from bot.domain.summary import StepSummary, summarise_step
from bot.i18n import LOCALES, catalog
from bot.render.board_image import MAX_WIDTH, BoardNote
from bot.render.canvas_image import (
    MAX_COLUMNS,
    Box,
    CanvasCell,
    CanvasLane,
    CanvasLayout,
    CanvasPicture,
    layout_canvas,
    measured_layout,
    render_canvas,
)
from bot.ui.pictures import canvas_picture, file_slug

CAT = catalog()
CANVASES = load_canvases()
WHEN = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
TOPIC = "Hoe wordt de bibliotheek een plek waar jongeren graag komen?"
PERSONAS = ("Samira", "Daan", "Mevrouw de Vries")

# An empathy map of one person, as a group in a masterclass might fill it in.
SAMPLE: tuple[tuple[str | None, str], ...] = (
    ("says", "“Thuis is het te druk om te leren.”"),
    ("says", "“In de bieb moet je altijd stil zijn, toch?”"),
    ("says", "“Ik wist niet dat je hier gratis kon printen.”"),
    ("thinks", "Daar zitten alleen maar oude mensen."),
    ("thinks", "Misschien kan ik hier wel rustig werken voor mijn examens."),
    ("thinks", "Durf ik de medewerker iets te vragen?"),
    ("does", "Zit na school met vrienden bij de snackbar, voor de wifi."),
    ("does", "Leert voor toetsen aan de keukentafel, met haar broertjes erbij."),
    ("does", "Leent alleen boeken die op de leeslijst staan."),
    ("feels", "Onzeker: hoort ze hier wel bij?"),
    ("feels", "Gestrest door de examens."),
    ("feels", "Blij als ze een plek voor zichzelf heeft."),
    ("pains", "Na vijf uur is de bieb dicht."),
    ("pains", "Geen stopcontacten bij de tafels."),
    ("pains", "Voelt zich bekeken als ze met vrienden praat."),
    ("gains", "Een plek waar je samen mag leren én kletsen."),
    ("gains", "Huiswerkbegeleiding door studenten."),
    ("gains", "Langer open in de examenperiode."),
    (None, "Vraag ook eens op school wat leerlingen missen."),
)
SAMPLE_VOTES = {16: 5, 17: 3, 13: 2}  # note id -> votes


def make_note(number: int, text: str, lane: str | None, column: str | None = None) -> Note:
    return Note(
        session_id=1,
        step_index=0,
        author_id=100 + number % 5,
        author_name=f"Deelnemer {number % 5}",
        text=text,
        source=NoteSource.MESSAGE,
        created_at=WHEN + timedelta(seconds=number),
        lane=lane,
        column=column,
        id=number + 1,
    )


def summary_of(canvas: Canvas, notes: list[Note], locale: str = "nl") -> StepSummary:
    summary = summarise_step(0, "empathise", notes)
    columns = all_columns(step_columns(canvas, (), locale), (n.column for n in notes))
    return replace(
        summary, canvas=canvas.key, columns=columns, lanes=lane_groups(canvas, columns, notes)
    )


def picture_of(
    canvas: Canvas, notes: list[Note], locale: str = "nl", votes: dict[int, int] | None = None
) -> CanvasPicture:
    subtitle = f"{canvas.name(locale)} · 24 november 2026"
    return canvas_picture(
        CAT, locale, canvas, summary_of(canvas, notes, locale), TOPIC, subtitle, votes
    )


def many_notes(canvas: Canvas, per_lane: int, locale: str = "nl") -> list[Note]:
    """``per_lane`` notes in every lane (spread over the columns), long ones among them,
    and a few unsorted ones."""
    columns = step_columns(canvas, (), locale) or (PERSONAS if canvas.columns else ())
    notes = []
    number = 0
    long = "Een lang verhaal over wat er in de bibliotheek gebeurt als de school uitgaat " * 6
    for lane in canvas.lanes:
        for index in range(per_lane):
            words = "kort" if index % 3 else long[: 20 + 37 * index]
            column = columns[index % len(columns)] if columns else None
            notes.append(make_note(number, f"{index}. {words}", lane.key, column))
            number += 1
    notes += [make_note(number + i, f"zonder vak {i}", None) for i in range(7)]
    return notes


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: Box, layout: CanvasLayout) -> bool:
    return 0 <= box[0] < box[2] <= layout.width and 0 <= box[1] < box[3] <= layout.height


def decoded(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.convert("RGB")


def differs(a: Image.Image, b: Image.Image, box: Box) -> bool:
    """Whether something is drawn differently in ``box`` (not just a palette shade: each
    page is saved with a palette of its own)."""
    extrema = ImageChops.difference(a.crop(box), b.crop(box)).getextrema()
    return max(high for _, high in extrema) > 60


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(CANVASES))
def test_every_canvas_renders_with_many_long_notes(key: str, locale: str) -> None:
    canvas = CANVASES[key]
    notes = many_notes(canvas, 14, locale)
    picture = picture_of(canvas, notes, locale, {notes[0].id: 3})
    page = render_canvas(picture)
    layout = measured_layout(picture)
    assert (page.width, page.height) == (layout.width, layout.height)
    assert page.note_count == len(notes)
    image = decoded(page.png)
    assert image.size == (page.width, page.height)
    assert 1600 <= page.width <= MAX_WIDTH
    assert page.height < 6 * page.width  # a canvas, not an endless scroll


@pytest.mark.parametrize("key", sorted(CANVASES))
def test_an_empty_canvas_still_shows_its_lanes(key: str) -> None:
    canvas = CANVASES[key]
    picture = picture_of(canvas, [])
    page = render_canvas(picture)
    layout = measured_layout(picture)
    assert page.note_count == 0
    assert {cell.lane for cell in layout.cells} == {lane.key for lane in canvas.lanes}


def test_a_page_too_big_for_the_limit_is_made_smaller() -> None:
    canvas = CANVASES["empathy-map"]
    page = render_canvas(picture_of(canvas, many_notes(canvas, 10)), max_bytes=60_000)
    assert len(page.png) <= 60_000
    assert page.width < 1600


def test_a_width_outside_the_limits_is_refused() -> None:
    picture = picture_of(CANVASES["empathy-map"], [])
    with pytest.raises(ValueError, match="width"):
        render_canvas(picture, width=100)


# -- the layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(CANVASES))
def test_every_lane_gets_its_cells_and_nothing_overlaps(key: str) -> None:
    canvas = CANVASES[key]
    picture = picture_of(canvas, many_notes(canvas, 9))
    layout = layout_canvas(picture)
    columns = range(len(picture.columns)) if layout.mode == "table" else [None]
    for lane in canvas.lanes:
        for column in columns:
            assert layout.cell(lane.key, column) is not None, (lane.key, column)
    assert layout.cell(None) is not None  # the unsorted strip
    boxes = [cell.box for cell in layout.cells]
    boxes += [box for _, box in layout.lane_labels] + [box for _, box in layout.column_labels]
    boxes.append(layout.header)
    assert all(inside(box, layout) for box in boxes)
    for a, b in combinations(boxes, 2):
        assert not overlap(a, b), (a, b)
    for cell in layout.cells:  # the cards stay inside their cell
        for slot in range(cell.slots):
            card = cell.card(slot)
            assert cell.box[0] <= card[0] < card[2] <= cell.box[2]
            assert cell.box[1] <= card[1] < card[3] <= cell.box[3]


@pytest.mark.parametrize("key", sorted(k for k, c in CANVASES.items() if c.columns))
def test_columns_run_left_to_right_under_their_names(key: str) -> None:
    canvas = CANVASES[key]
    picture = picture_of(canvas, many_notes(canvas, 6))
    layout = layout_canvas(picture)
    assert layout.mode == "table"
    assert [index for index, _ in layout.column_labels] == list(range(len(picture.columns)))
    for lane in canvas.lanes:
        cells = [layout.cell(lane.key, column) for column in range(len(picture.columns))]
        lefts = [cell.box[0] for cell in cells if cell is not None]
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)
        for (_, label), cell in zip(layout.column_labels, cells, strict=True):
            assert cell is not None
            assert (label[0], label[2]) == (cell.box[0], cell.box[2])
            assert label[3] <= cell.box[1]
    label_rows = [box for _, box in layout.lane_labels]
    assert [box[1] for box in label_rows] == sorted(box[1] for box in label_rows)


def test_the_empathy_map_is_a_grid_of_fields() -> None:
    canvas = CANVASES["empathy-map"]
    layout = layout_canvas(picture_of(canvas, many_notes(canvas, 2)))
    assert layout.mode == "grid"
    box = {lane.key: layout.cell(lane.key).box for lane in canvas.lanes}  # type: ignore[union-attr]
    assert box["says"][1] == box["thinks"][1] and box["says"][2] < box["thinks"][0]
    assert box["says"][0] == box["does"][0] and box["says"][3] < box["does"][1]
    assert box["pains"][3] < layout.cell(None).box[1]  # type: ignore[union-attr]


def test_a_lone_field_in_a_grid_row_spans_the_row() -> None:
    lanes = (CanvasLane("a", "A", 0, 0), CanvasLane("b", "B", 0, 1), CanvasLane("c", "C", 1, 0))
    layout = layout_canvas(CanvasPicture("t", "s", lanes, (), grid=True))
    a, b, c = (layout.cell(key).box for key in "abc")  # type: ignore[union-attr]
    assert (c[0], c[2]) == (a[0], b[2])


def test_a_cell_with_more_notes_than_slots_keeps_its_size() -> None:
    canvas = CANVASES["empathy-map"]
    few = layout_canvas(picture_of(canvas, many_notes(canvas, 12)))
    lots = layout_canvas(picture_of(canvas, many_notes(canvas, 400)))
    assert few.cell("says") == lots.cell("says")
    cell = lots.cell("says")
    assert cell is not None and cell.slots < 400


def test_the_line_of_visibility_lies_between_front_and_back() -> None:
    canvas = CANVASES["service-blueprint"]
    layout = layout_canvas(picture_of(canvas, many_notes(canvas, 3)))
    assert layout.line_y is not None
    above = [lane.key for lane in canvas.lanes if not lane.below_line]
    below = [lane.key for lane in canvas.lanes if lane.below_line]
    assert above and below
    bottom = max(box[3] for key, box in layout.lane_labels if key in above)
    top = min(box[1] for key, box in layout.lane_labels if key in below)
    assert bottom < layout.line_y < top
    plain = CANVASES["customer-journey"]
    assert layout_canvas(picture_of(plain, many_notes(plain, 3))).line_y is None


def test_many_open_columns_share_the_last_one_within_the_widest_page() -> None:
    canvas = CANVASES["persona"]
    notes = [make_note(n, f"persona {n}", "goals", f"Persona {n}") for n in range(30)]
    picture = picture_of(canvas, notes)
    assert len(picture.columns) == 30
    layout = layout_canvas(picture)
    assert len(layout.column_labels) == MAX_COLUMNS
    assert layout.width <= MAX_WIDTH
    page = render_canvas(picture)
    assert page.note_count == 30


# -- what is drawn -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["empathy-map", "customer-journey", "context"])
def test_lane_labels_are_drawn_where_the_layout_puts_them(key: str) -> None:
    canvas = CANVASES[key]
    picture = picture_of(canvas, many_notes(canvas, 2))
    blank = replace(picture, lanes=tuple(replace(lane, title="") for lane in picture.lanes))
    with_names = decoded(render_canvas(picture).png)
    without = decoded(render_canvas(blank).png)
    layout = measured_layout(picture)
    assert layout == measured_layout(blank)
    for lane in canvas.lanes:
        if layout.lane_labels:
            box = dict(layout.lane_labels)[lane.key]
        else:  # a grid field's title band
            cell = layout.cell(lane.key)
            assert cell is not None
            box = (cell.box[0], cell.box[1], cell.box[2], cell.cards[1])
        assert differs(with_names, without, box), lane.key


def test_the_more_card_says_how_many_notes_are_left_out() -> None:
    canvas = CANVASES["empathy-map"]
    picture = picture_of(canvas, many_notes(canvas, 40))
    other = replace(picture, more_text="{n} ×××")
    layout = measured_layout(picture)
    cell = layout.cell("says")
    assert cell is not None
    last = cell.card(cell.slots - 1)
    a, b = decoded(render_canvas(picture).png), decoded(render_canvas(other).png)
    assert differs(a, b, last)
    assert not differs(a, b, cell.card(0))


# -- the picture's data ------------------------------------------------------------------------


def test_canvas_picture_keeps_lanes_columns_votes_and_no_names() -> None:
    canvas = CANVASES["customer-journey"]
    assert canvas.columns is not None
    phases = canvas.columns.default("nl")
    first = canvas.lanes[0].key
    notes = [
        make_note(0, "in een fase", first, phases[2]),
        make_note(1, "in geen fase", first, None),
        make_note(2, "nergens", None),
    ]
    picture = picture_of(canvas, notes, votes={1: 4})
    assert picture.columns[: len(phases)] == phases
    assert picture.columns[-1] == CAT.t("nl", "canvas.picture.no_column", label="fase")
    cells = {(cell.lane, cell.column): cell.notes for cell in picture.cells}
    assert cells[first, 2] == (BoardNote("in een fase", None, 4),)
    assert cells[first, len(picture.columns) - 1] == (BoardNote("in geen fase", None, 0),)
    assert cells[None, None] == (BoardNote("nergens", None, 0),)
    assert all(note.author is None for cell in picture.cells for note in cell.notes)
    assert [lane.title for lane in picture.lanes] == [lane.name("nl") for lane in canvas.lanes]


def test_lanes_below_the_line_are_marked() -> None:
    canvas = CANVASES["service-blueprint"]
    picture = picture_of(canvas, [])
    assert [lane.below_line for lane in picture.lanes] == [lane.below_line for lane in canvas.lanes]
    assert picture.line_text == CAT.t("nl", "canvas.picture.line")


def test_cells_of_unknown_lanes_count_as_unsorted() -> None:
    lanes = (CanvasLane("a", "A"),)
    cells = (CanvasCell("gone", None, (BoardNote("x"),)), CanvasCell(None, None, (BoardNote("y"),)))
    layout = layout_canvas(CanvasPicture("t", "s", lanes, cells))
    strip = layout.cell(None)
    assert strip is not None and layout.cell("gone") is None


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Empathiekaart", "empathiekaart"), ("Service blauwdruk", "service-blauwdruk"),
     ("Contextanalyse: verleden, heden", "contextanalyse-verleden-heden"), ("💡", "canvas")],
)  # fmt: skip
def test_file_names_are_plain(name: str, slug: str) -> None:
    assert file_slug(name) == slug


def sample_picture() -> CanvasPicture:
    canvas = CANVASES["empathy-map"]
    notes = [make_note(n, text, lane) for n, (lane, text) in enumerate(SAMPLE)]
    return picture_of(canvas, notes, votes=SAMPLE_VOTES)


def test_the_sample_in_the_docs_renders() -> None:
    page = render_canvas(sample_picture())
    assert page.note_count == len(SAMPLE)


if __name__ == "__main__":  # pragma: no cover - writes the picture in docs/canvases.md
    target = sys.argv[1] if len(sys.argv) > 1 else "docs/images/canvas-empathy-map.png"
    with open(target, "wb") as handle:
        handle.write(render_canvas(sample_picture()).png)
