"""A picture of a canvas: its lanes as fields, the notes as sticky notes inside them.

``render_canvas`` draws a :class:`CanvasPicture` as one PNG page that looks like the
canvas on the wall: a header (topic, canvas name · date), then

* a *grid* canvas (quadrants, the empathy map) as fields placed by their lane's row and
  column, each with its title band;
* a canvas with *columns* (the phases of a customer journey, one card per persona) as a
  table: lane names down the left, column names along the top, a cell per lane × column;
* any other canvas as stacked lanes, their names on the left;

and the notes not sorted into a lane as a strip at the bottom. A cell shows as many notes
as fit (a few rows of cards); the rest is a ``+N`` card (``more_text``): every note is in
the step summary's text and the export. Lanes marked ``below_line`` (a service
blueprint's backstage) sit under a dashed line of visibility with its label.

Where everything goes is :func:`layout_canvas`, a pure function of the picture's lanes,
columns and note counts (no fonts), so the layout can be checked on its own. Drawing
reuses the board picture's fonts, text cleaning, cards and encoding
(:mod:`bot.render.board_image`); it is CPU work without Discord or storage: callers run
it in ``asyncio.to_thread``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw

from bot.render.board_image import (
    _LOCK,
    BACKGROUND,
    FONT_CANDIDATES,
    INK,
    INK_MUTED,
    MAX_WIDTH,
    MIN_WIDTH,
    RGB,
    WHITE,
    BoardNote,
    RenderedPage,
    _bold,
    _card_sprite,
    _clean,
    _ellipsize,
    _encode,
    _Face,
    _Family,
    _fill_rounded,
    _fit,
    _has_word,
    _mix,
    _more_text,
    _pick_family,
    _pill,
    _regular,
    _swatch,
    _tidy,
    _wrap,
)

__all__ = [
    "MANY_LANES",
    "MAX_COLUMNS",
    "CanvasCell",
    "CanvasLane",
    "CanvasLayout",
    "CanvasPicture",
    "CellBox",
    "layout_canvas",
    "measured_layout",
    "prepare",
    "render_canvas",
]

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class CanvasLane:
    key: str
    title: str  # the lane's name in the session's language
    row: int = 0
    column: int = 0  # grid canvases only
    below_line: bool = False  # under the line of visibility (a service blueprint)


@dataclass(frozen=True)
class CanvasCell:
    lane: str | None  # a lane's key; None: the notes not sorted into a lane
    column: int | None  # an index into CanvasPicture.columns; None without columns
    notes: tuple[BoardNote, ...]


@dataclass(frozen=True)
class CanvasPicture:
    title: str  # the session topic
    subtitle: str  # e.g. "Empathiekaart · 24 november 2026", localised by the caller
    lanes: tuple[CanvasLane, ...]
    cells: tuple[CanvasCell, ...]
    columns: tuple[str, ...] = ()  # column titles (phases, personas), in order
    grid: bool = False  # quadrants: lanes placed by row and column
    unsorted_title: str = ""
    line_text: str = ""  # the line of visibility's label
    more_text: str = "+{n}"  # a cell's left-over notes, ``{n}`` of them


# A canvas shows at most this many columns; the notes of the rest share the last one ("…").
MAX_COLUMNS = 15
# A table of more lanes than this gets two rows of cards a cell instead of three (a persona
# card of eight lanes stays a picture you can scroll on a phone).
MANY_LANES = 5


@dataclass(frozen=True)
class CellBox:
    """Where one cell goes: its panel, the area for its cards, and how many fit."""

    lane: str | None
    column: int | None
    box: Box
    cards: Box
    card_columns: int
    card_rows: int
    card_width: int
    card_height: int
    card_gap: int

    @property
    def slots(self) -> int:
        return self.card_columns * self.card_rows

    def card(self, index: int) -> Box:
        """The box of the ``index``-th card, row by row."""
        row, column = divmod(index, self.card_columns)
        x = self.cards[0] + column * (self.card_width + self.card_gap)
        y = self.cards[1] + row * (self.card_height + self.card_gap)
        return (x, y, x + self.card_width, y + self.card_height)


@dataclass(frozen=True)
class CanvasLayout:
    mode: str  # "grid", "table" (lanes × columns) or "stacked"
    width: int
    height: int
    scale: float
    margin: int
    header: Box
    cells: tuple[CellBox, ...]  # every lane's cell(s), then the unsorted strip if any
    lane_labels: tuple[tuple[str, Box], ...]  # table, stacked: the strip on the left
    column_labels: tuple[tuple[int, Box], ...]  # table: the names along the top
    line_y: int | None  # the line of visibility

    def cell(self, lane: str | None, column: int | None = None) -> CellBox | None:
        return next((c for c in self.cells if c.lane == lane and c.column == column), None)


def prepare(picture: CanvasPicture) -> CanvasPicture:
    """The picture as it is drawn: one cell per lane (× column), notes of cells that name
    no known lane among the unsorted ones, columns beyond :data:`MAX_COLUMNS` sharing the
    last one (titled ``…``), a cell without a column in the last column."""
    known = {lane.key for lane in picture.lanes}
    columns = picture.columns if not picture.grid else ()
    if len(columns) > MAX_COLUMNS:
        columns = (*columns[: MAX_COLUMNS - 1], "…")
    merged: dict[tuple[str | None, int | None], list[BoardNote]] = {}
    for cell in picture.cells:
        lane = cell.lane if cell.lane in known else None
        column: int | None = None
        if lane is not None and columns:
            column = len(columns) - 1
            if cell.column is not None and 0 <= cell.column < len(columns):
                column = cell.column
        merged.setdefault((lane, column), []).extend(cell.notes)
    cells = tuple(
        CanvasCell(lane, column, tuple(notes)) for (lane, column), notes in merged.items()
    )
    return replace(picture, columns=columns, cells=cells)


def layout_canvas(
    picture: CanvasPicture, width: int = 1600, header_height: int | None = None
) -> CanvasLayout:
    """Where the header, every lane's cell(s), the labels, the unsorted strip and the line
    of visibility go; ``header_height`` is the title's and subtitle's (two lines and a
    subtitle when not given). Pure: sizes follow from the note counts, never from text.

    A cell holds up to three rows of cards (two in a table of more than
    :data:`MANY_LANES` lanes), as many cards a row as its width allows; a table wider than
    ``width`` allows (many columns) makes the page wider, up to ``MAX_WIDTH``."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be between {MIN_WIDTH} and {MAX_WIDTH}, not {width}")
    picture = prepare(picture)
    g = _Geometry(width / 1600)
    counts: dict[tuple[str | None, int | None], int] = {}
    for cell in picture.cells:
        counts[cell.lane, cell.column] = counts.get((cell.lane, cell.column), 0) + len(cell.notes)
    mode = "grid" if picture.grid else "table" if picture.columns else "stacked"
    if mode == "table":
        needed = 2 * g.margin + g.label + len(picture.columns) * (g.gap + g.min_cell)
        width = min(max(width, needed), MAX_WIDTH)
    content_w = width - 2 * g.margin
    if header_height is None:
        header_height = g.px(48 * 1.26 * 2 + 28 * 1.26)
    top = g.px(40)
    header = (g.margin, top, width - g.margin, top + header_height)
    y = top + header_height + g.px(34)
    if mode == "grid":
        cells, lane_labels, column_labels, line_y, y = _grid(picture, g, counts, content_w, y)
    else:
        cells, lane_labels, column_labels, line_y, y = _table(picture, g, counts, content_w, y)
    unsorted = counts.get((None, None), 0)
    if unsorted:
        y += g.gap * 2
        cells.append(_cell(g, None, None, (g.margin, y), content_w, unsorted, g.head, 2))
        y = cells[-1].box[3]
    return CanvasLayout(
        mode=mode,
        width=width,
        height=y + g.margin,
        scale=g.scale,
        margin=g.margin,
        header=header,
        cells=tuple(cells),
        lane_labels=tuple(lane_labels),
        column_labels=tuple(column_labels),
        line_y=line_y,
    )


def render_canvas(
    picture: CanvasPicture, *, max_bytes: int = 8 * 1024 * 1024, width: int = 1600
) -> RenderedPage:
    """Draw ``picture`` as one PNG page of at most ``max_bytes`` bytes (scaled down when
    needed, like the board picture). ``ValueError`` for a width outside
    ``MIN_WIDTH``..``MAX_WIDTH`` or an absurdly small ``max_bytes``."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    picture = prepare(picture)
    with _LOCK:
        family = _pick_family(FONT_CANDIDATES)
        g = _Geometry(width / 1600)
        layout, header = _measured(picture, width, g, family)
        image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
        draw = ImageDraw.Draw(image)
        _draw_header(draw, layout, header)
        _draw_canvas(image, draw, picture, layout, g, family)
        png, w, h = _encode(image, max_bytes)
        notes = sum(len(cell.notes) for cell in picture.cells)
        return RenderedPage(png=png, width=w, height=h, note_count=notes)


def measured_layout(picture: CanvasPicture, width: int = 1600) -> CanvasLayout:
    """The layout :func:`render_canvas` draws ``picture`` with (its header measured)."""
    with _LOCK:
        family = _pick_family(FONT_CANDIDATES)
        return _measured(prepare(picture), width, _Geometry(width / 1600), family)[0]


def _measured(
    picture: CanvasPicture, width: int, g: _Geometry, family: _Family
) -> tuple[CanvasLayout, _Header]:
    room = layout_canvas(picture, width).width - 2 * g.margin
    header = _header(picture, g, family, room)
    return layout_canvas(picture, width, header.height), header


# --------------------------------------------------------------------------- geometry


class _Geometry:
    """Sizes for one scale; the design is made for a 1600 px wide page."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.margin = self.px(44)
        self.gap = self.px(12)  # between cells
        self.pad = self.px(14)  # inside a cell
        self.card_gap = self.px(10)
        self.card_height = self.px(150)
        self.min_card = self.px(190)
        self.min_cell = self.min_card + 2 * self.pad
        self.label = self.px(250)  # the lane names' strip (table, stacked)
        self.column_head = self.px(64)
        self.head = self.px(52)  # a grid field's or the unsorted strip's title band
        self.line_gap = self.px(64)  # room for the line of visibility and its label
        self.max_rows = 3  # rows of cards in a cell (a table of many lanes: fewer)

    def px(self, value: float) -> int:
        return max(1, round(value * self.scale))


def _cell(
    g: _Geometry,
    lane: str | None,
    column: int | None,
    at: tuple[int, int],
    width: int,
    notes: int,
    head: int,
    max_rows: int,
    height: int | None = None,
) -> CellBox:
    """A cell at ``at`` of ``width``: a title band of ``head``, then cards. ``height``
    (a row's, when another cell in it is taller) only adds room; it never adds slots."""
    x, y = at
    inner = max(1, width - 2 * g.pad)
    columns = max(1, (inner + g.card_gap) // (g.min_card + g.card_gap))
    card_width = max(1, (inner - (columns - 1) * g.card_gap) // columns)
    rows = min(max(1, math.ceil(notes / columns)), max_rows)
    needed = head + 2 * g.pad + rows * g.card_height + (rows - 1) * g.card_gap
    bottom = y + max(needed, height or 0)
    cards = (x + g.pad, y + head + g.pad, x + width - g.pad, bottom - g.pad)
    return CellBox(
        lane=lane,
        column=column,
        box=(x, y, x + width, bottom),
        cards=cards,
        card_columns=columns,
        card_rows=rows,
        card_width=card_width,
        card_height=g.card_height,
        card_gap=g.card_gap,
    )


def _cell_height(g: _Geometry, width: int, notes: int, head: int, max_rows: int) -> int:
    cell = _cell(g, None, None, (0, 0), width, notes, head, max_rows)
    return cell.box[3]


def _line_before(rows: Sequence[Sequence[CanvasLane]]) -> int | None:
    """The first row under the line of visibility (all its lanes below it, some lane
    above it earlier), if any."""
    for index, row in enumerate(rows):
        if index and all(lane.below_line for lane in row):
            if any(not lane.below_line for earlier in rows[:index] for lane in earlier):
                return index
            return None
    return None


Placed = tuple[list[CellBox], list[tuple[str, Box]], list[tuple[int, Box]], int | None, int]


def _table(
    picture: CanvasPicture,
    g: _Geometry,
    counts: dict[tuple[str | None, int | None], int],
    content_w: int,
    y: int,
) -> Placed:
    """Lanes down the page (by row, then their order), columns across."""
    lanes = sorted(picture.lanes, key=lambda lane: lane.row)
    columns: list[int | None] = list(range(len(picture.columns))) or [None]
    x0 = g.margin + g.label + g.gap
    span = content_w - g.label - g.gap
    widths = [
        (span - (len(columns) - 1) * g.gap) // len(columns)
        + (1 if i < (span - (len(columns) - 1) * g.gap) % len(columns) else 0)
        for i in range(len(columns))
    ]
    xs = [x0 + sum(widths[:i]) + i * g.gap for i in range(len(columns))]
    column_labels: list[tuple[int, Box]] = []
    if picture.columns:
        for index, x in enumerate(xs):
            column_labels.append((index, (x, y, x + widths[index], y + g.column_head)))
        y += g.column_head + g.gap
    line_row = _line_before([[lane] for lane in lanes])
    line_y = None
    cells: list[CellBox] = []
    labels: list[tuple[str, Box]] = []
    rows = g.max_rows if len(lanes) <= MANY_LANES else g.max_rows - 1
    for number, lane in enumerate(lanes):
        if number == line_row:
            line_y = y - g.gap + (g.line_gap + g.gap) // 2
            y += g.line_gap
        height = max(
            _cell_height(g, widths[i], counts.get((lane.key, column), 0), 0, rows)
            for i, column in enumerate(columns)
        )
        for i, column in enumerate(columns):
            count = counts.get((lane.key, column), 0)
            cells.append(_cell(g, lane.key, column, (xs[i], y), widths[i], count, 0, rows, height))
        labels.append((lane.key, (g.margin, y, g.margin + g.label, y + height)))
        y += height + g.gap
    return cells, labels, column_labels, line_y, y - g.gap


def _grid(
    picture: CanvasPicture,
    g: _Geometry,
    counts: dict[tuple[str | None, int | None], int],
    content_w: int,
    y: int,
) -> Placed:
    """Fields placed by row and column; a field spans to the next one in its row. Two
    lanes on one spot: the later one gets a row of its own at the bottom."""
    taken: set[tuple[int, int]] = set()
    rows: dict[int, list[CanvasLane]] = {}
    extra = max((lane.row for lane in picture.lanes), default=0) + 1
    for lane in picture.lanes:
        spot = (lane.row, max(0, lane.column))
        if spot in taken:
            spot = (extra, 0)
            extra += 1
        taken.add(spot)
        rows.setdefault(spot[0], []).append(replace(lane, row=spot[0], column=spot[1]))
    grid_columns = max((lane.column for row in rows.values() for lane in row), default=0) + 1
    unit = (content_w - (grid_columns - 1) * g.gap) / grid_columns
    ordered = [sorted(rows[key], key=lambda lane: lane.column) for key in sorted(rows)]
    line_row = _line_before(ordered)
    line_y = None
    cells: list[CellBox] = []
    for number, row in enumerate(ordered):
        if number == line_row:
            line_y = y - g.gap + (g.line_gap + g.gap) // 2
            y += g.line_gap
        spans = []
        for index, lane in enumerate(row):
            end = row[index + 1].column if index + 1 < len(row) else grid_columns
            x = g.margin + round(lane.column * (unit + g.gap))
            right = g.margin + round(end * (unit + g.gap) - g.gap)
            spans.append((lane, x, right - x))
        height = max(
            _cell_height(g, w, counts.get((lane.key, None), 0), g.head, g.max_rows)
            for lane, _, w in spans
        )
        for lane, x, w in spans:
            count = counts.get((lane.key, None), 0)
            cells.append(_cell(g, lane.key, None, (x, y), w, count, g.head, g.max_rows, height))
        y += height + g.gap
    return cells, [], [], line_y, y - g.gap


# --------------------------------------------------------------------------- drawing

UNSORTED_NOTE: RGB = (250, 247, 238)
UNSORTED_PANEL: RGB = _mix(BACKGROUND, INK, 0.07)
COLUMN_HEAD: RGB = _mix(BACKGROUND, INK, 0.1)


@dataclass(frozen=True)
class _Header:
    title: tuple[str, ...]
    title_face: _Face
    subtitle: str
    subtitle_face: _Face
    height: int


def _header(picture: CanvasPicture, g: _Geometry, family: _Family, room: int) -> _Header:
    title = _clean(picture.title, multiline=False)
    lines: list[str] = []
    face = _bold(family, g.px(48))
    for size in (g.px(48), g.px(40)):
        face = _bold(family, size)
        lines, overflow = _fit(_tidy(face.display(title), multiline=False), face, room, 2)
        if not overflow:
            break
    sub_face = _regular(family, g.px(28))
    subtitle = _tidy(sub_face.display(_clean(picture.subtitle, multiline=False)), multiline=False)
    if subtitle and sub_face.measure(subtitle) > room:
        subtitle = _ellipsize(subtitle, sub_face, room)
    height = max(1, len(lines)) * face.line_height + (sub_face.line_height if subtitle else 0)
    return _Header(tuple(lines), face, subtitle, sub_face, height)


def _draw_header(draw: ImageDraw.ImageDraw, layout: CanvasLayout, header: _Header) -> None:
    x, top, x1, bottom = layout.header
    face = header.title_face
    baseline = top + face.ascent
    for line in header.title:
        face.draw(draw, x, baseline, line, INK, BACKGROUND)
        baseline += face.line_height
    if header.subtitle:
        sub_face = header.subtitle_face
        baseline += sub_face.ascent - face.ascent + round(4 * layout.scale)
        sub_face.draw(draw, x, baseline, header.subtitle, INK_MUTED, BACKGROUND)
    rule = bottom + round(18 * layout.scale)
    draw.line(
        (x, rule, x1, rule),
        fill=_mix(BACKGROUND, INK, 0.14),
        width=max(1, round(2 * layout.scale)),
    )


def _draw_canvas(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    picture: CanvasPicture,
    layout: CanvasLayout,
    g: _Geometry,
    family: _Family,
) -> None:
    index = {lane.key: number for number, lane in enumerate(picture.lanes)}
    titles = {lane.key: lane.title for lane in picture.lanes}
    notes: dict[tuple[str | None, int | None], tuple[BoardNote, ...]] = {
        (given.lane, given.column): given.notes for given in picture.cells
    }
    totals: dict[str | None, int] = {}
    for given in picture.cells:
        totals[given.lane] = totals.get(given.lane, 0) + len(given.notes)
    for column, box in layout.column_labels:
        _fill_rounded(image, box, g.px(12), COLUMN_HEAD)
        _centred(draw, box, picture.columns[column], _bold(family, g.px(23)), INK, COLUMN_HEAD, g)
    for key, box in layout.lane_labels:
        swatch = _swatch(index[key])
        _fill_rounded(image, box, g.px(14), swatch.accent)
        _fill_rounded(image, (box[0] + g.px(8), box[1], box[2], box[3]), g.px(12), swatch.panel)
        _lane_label(image, draw, box, titles[key], totals.get(key, 0), swatch.panel, g, family)
    for cell in layout.cells:
        if cell.lane is None:
            note_colour, panel, accent = UNSORTED_NOTE, UNSORTED_PANEL, _mix(INK, BACKGROUND, 0.45)
            title = picture.unsorted_title
        else:
            swatch = _swatch(index[cell.lane])
            note_colour, panel, accent = swatch.note, swatch.panel, swatch.accent
            title = titles[cell.lane]
        if layout.mode == "grid" or cell.lane is None:
            _fill_rounded(image, cell.box, g.px(18), accent)
            x0, y0, x1, y1 = cell.box
            _fill_rounded(image, (x0, y0 + g.px(7), x1, y1), g.px(18), panel)
            total = totals.get(cell.lane, 0)
            _field_title(image, draw, cell, title, total, accent, panel, g, family)
        else:
            _fill_rounded(image, cell.box, g.px(14), panel)
        shown = notes.get((cell.lane, cell.column), ())
        _draw_cards(image, draw, cell, shown, note_colour, panel, picture.more_text, g, family)
    if layout.line_y is not None:
        _line_of_visibility(image, draw, layout, picture.line_text, g, family)


def _centred(
    draw: ImageDraw.ImageDraw,
    box: Box,
    text: str,
    face: _Face,
    colour: RGB,
    background: RGB,
    g: _Geometry,
) -> None:
    x0, y0, x1, y1 = box
    shown = _tidy(face.display(_clean(text, multiline=False)), multiline=False)
    lines, _ = _fit(shown, face, x1 - x0 - 2 * g.px(10), 2) if shown else ([], False)
    block = (len(lines) - 1) * face.line_height + face.ascent + face.descent
    baseline = y0 + (y1 - y0 - block) // 2 + face.ascent
    for line in lines:
        face.draw(draw, x0 + (x1 - x0 - face.measure(line)) / 2, baseline, line, colour, background)
        baseline += face.line_height


def _chip(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    right: int,
    top: int,
    total: int,
    g: _Geometry,
    family: _Family,
) -> int:
    """A white pill with the note count, right-aligned at ``right``; its width."""
    face = _bold(family, g.px(20))
    text = str(total)
    width = round(face.measure(text)) + g.px(22)
    height = face.line_height + g.px(6)
    _pill(image, (right - width, top, right, top + height), WHITE)
    baseline = top + (height + face.ascent - face.descent) // 2
    face.draw(draw, right - width + (width - face.measure(text)) / 2, baseline, text, INK, WHITE)
    return width


def _lane_label(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    box: Box,
    title: str,
    total: int,
    panel: RGB,
    g: _Geometry,
    family: _Family,
) -> None:
    """A lane's name in the strip on the left (up to four lines), its count under it."""
    x0, y0, x1, y1 = box
    left = x0 + g.px(8) + g.pad
    room = x1 - left - g.pad
    lines: list[str] = []
    # A smaller size before a word is broken (Contactmomenten), an ellipsis last.
    for size in (g.px(24), g.px(21), g.px(19)):
        face = _bold(family, size)
        shown = _tidy(face.display(_clean(title, multiline=False)), multiline=False)
        most = min(4, max(1, (y1 - y0 - 2 * g.pad - g.px(40)) // face.line_height))
        lines, overflow = _wrap(shown, face, room, most, break_words=False)
        if not overflow:
            break
    else:
        face = _bold(family, g.px(21))
        shown = _tidy(face.display(_clean(title, multiline=False)), multiline=False)
        most = min(4, max(1, (y1 - y0 - 2 * g.pad - g.px(40)) // face.line_height))
        lines, _ = _fit(shown, face, room, most)
    baseline = y0 + g.pad + face.ascent
    for line in lines:
        face.draw(draw, left, baseline, line, INK, panel)
        baseline += face.line_height
    chip_top = baseline - face.ascent + g.px(8)
    if chip_top + g.px(32) <= y1 - g.px(6):
        face_w = _bold(family, g.px(20))
        width = round(face_w.measure(str(total))) + g.px(22)
        _chip(image, draw, left + width, chip_top, total, g, family)


def _field_title(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    cell: CellBox,
    title: str,
    total: int,
    accent: RGB,
    panel: RGB,
    g: _Geometry,
    family: _Family,
) -> None:
    """A grid field's (or the unsorted strip's) title band: swatch, name, count."""
    x0, y0, x1, _ = cell.box
    face = _bold(family, g.px(27))
    band_top = y0 + g.px(7)
    band = g.head - g.px(7)
    size = g.px(22)
    sx = x0 + g.pad + g.px(4)
    sy = band_top + (band - size) // 2 + g.px(4)
    _fill_rounded(image, (sx, sy, sx + size, sy + size), g.px(5), accent)
    chip_h = _bold(family, g.px(20)).line_height + g.px(6)
    chip_w = _chip(image, draw, x1 - g.pad, sy + (size - chip_h) // 2, total, g, family)
    left = sx + size + g.px(12)
    room = x1 - g.pad - chip_w - g.px(12) - left
    shown = _tidy(face.display(_clean(title, multiline=False)), multiline=False)
    if shown and face.measure(shown) > room:
        shown = _ellipsize(shown, face, room)
    baseline = sy + (size + face.ascent - face.descent) // 2
    face.draw(draw, left, baseline, shown, INK, panel)


def _draw_cards(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    cell: CellBox,
    notes: tuple[BoardNote, ...],
    colour: RGB,
    panel: RGB,
    more_text: str,
    g: _Geometry,
    family: _Family,
) -> None:
    """As many notes as the cell has slots; the last slot says how many more there are."""
    shown = notes if len(notes) <= cell.slots else notes[: cell.slots - 1]
    blur = g.px(5)
    for number, note in enumerate(shown):
        x0, y0, x1, y1 = cell.card(number)
        sprite = _card_sprite(x1 - x0, y1 - y0, g.px(8), blur, g.px(3), colour)
        image.paste(sprite, (x0 - 2 * blur, y0 - 2 * blur), sprite)
        _card_text(draw, (x0, y0, x1, y1), note, colour, g, family)
    hidden = len(notes) - len(shown)
    if hidden:
        box = cell.card(len(shown))
        _dashed(draw, box, _mix(panel, INK, 0.35), g)
        face = _bold(family, g.px(24))
        _centred(draw, box, _more_text(more_text, hidden), face, INK_MUTED, panel, g)


def _card_text(
    draw: ImageDraw.ImageDraw,
    box: Box,
    note: BoardNote,
    colour: RGB,
    g: _Geometry,
    family: _Family,
) -> None:
    x0, y0, x1, y1 = box
    pad = g.px(12)
    room = x1 - x0 - 2 * pad
    votes = max(0, note.votes)
    footer = g.px(30) if votes else 0
    raw = _clean(note.text[:2400], multiline=True)[:1200]
    face = _regular(family, g.px(21))
    text = _tidy(face.display(raw), multiline=True)
    if not _has_word(text) and _has_word(raw):
        text = ""
    lines: list[str] = [face.ellipsis]
    muted = not text
    if text:
        for size in (g.px(21), g.px(19), g.px(17)):
            face = _regular(family, size)
            most = max(1, (y1 - y0 - 2 * pad - footer - face.ascent - face.descent))
            most = most // face.line_height + 1
            lines, overflow = _wrap(text, face, room, most, break_words=size != g.px(21))
            if not overflow:
                break
        else:
            lines, _ = _fit(text, face, room, most)
    baseline = y0 + pad + face.ascent
    for line in lines:
        face.draw(draw, x0 + pad, baseline, line, INK_MUTED if muted else INK, colour)
        baseline += face.line_height
    if votes:
        _votes(draw, x1 - pad, y1 - pad, votes, g, family)


def _votes(
    draw: ImageDraw.ImageDraw, right: int, bottom: int, votes: int, g: _Geometry, family: _Family
) -> None:
    """A dark pill with a dot and the number of votes, bottom right of a card."""
    face = _bold(family, g.px(19))
    text = str(votes)
    height = g.px(28)
    width = round(face.measure(text)) + height // 2 + g.px(24)
    x0, y0 = right - width, bottom - height
    draw.rounded_rectangle((x0, y0, right - 1, bottom - 1), radius=height // 2, fill=INK)
    r = g.px(6)
    cx, cy = x0 + height // 2, y0 + height // 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    baseline = y0 + (height + face.ascent - face.descent) // 2
    face.draw(draw, cx + r + g.px(6), baseline, text, WHITE, INK)


def _dashed(draw: ImageDraw.ImageDraw, box: Box, colour: RGB, g: _Geometry) -> None:
    x0, y0, x1, y1 = box
    x1, y1 = x1 - 1, y1 - 1
    dash, gap, width = g.px(12), g.px(9), g.px(2)
    for x in range(x0, x1, dash + gap):
        draw.line((x, y0, min(x + dash, x1), y0), fill=colour, width=width)
        draw.line((x, y1, min(x + dash, x1), y1), fill=colour, width=width)
    for y in range(y0, y1, dash + gap):
        draw.line((x0, y, x0, min(y + dash, y1)), fill=colour, width=width)
        draw.line((x1, y, x1, min(y + dash, y1)), fill=colour, width=width)


def _line_of_visibility(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    layout: CanvasLayout,
    text: str,
    g: _Geometry,
    family: _Family,
) -> None:
    """A dashed line across the canvas, its label in a pill on the left."""
    assert layout.line_y is not None
    y = layout.line_y
    x0, x1 = layout.margin, layout.width - layout.margin
    dash, gap = g.px(18), g.px(10)
    for x in range(x0, x1, dash + gap):
        draw.line((x, y, min(x + dash, x1), y), fill=INK_MUTED, width=g.px(3))
    face = _bold(family, g.px(20))
    shown = _tidy(face.display(_clean(text, multiline=False)), multiline=False)
    if not shown:
        return
    room = x1 - x0 - g.px(80)
    if face.measure(shown) > room:
        shown = _ellipsize(shown, face, room)
    width = round(face.measure(shown)) + g.px(32)
    height = face.line_height + g.px(8)
    left = x0 + g.px(24)
    _pill(image, (left, y - height // 2, left + width, y - height // 2 + height), INK)
    baseline = y - height // 2 + (height + face.ascent - face.descent) // 2
    face.draw(draw, left + g.px(16), baseline, shown, WHITE, INK)
