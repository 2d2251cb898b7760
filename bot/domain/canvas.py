"""Canvases: a board with named lanes (fields, quadrants, rows), and optionally columns
across them (the phases of a customer journey, the steps of a service, one card per
persona or per idea). The facilitator's toolbox methods are canvases (prompts/canvases/).

A note lands in a lane by the lane picker, by ``/note lane:``, or by a prefix in a plain
message: ``zegt: …``, ``pijnpunt/aankomen: …`` (lane, then column), recognised in every
language the canvas has. A note without a lane is *unsorted*; the facilitator can move it.
Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.board import Note
from bot.domain.file_errors import FileProblem, shown

# How long the head before ``:`` may be to count as a lane prefix (a sentence with a colon
# later on is no prefix).
PREFIX_MAX = 48
_HEAD = re.compile(r"^\s*([^:\n]{1,48}?)\s*:\s*(.*)$", re.DOTALL)  # 48: PREFIX_MAX


class CanvasError(FileProblem):
    """A canvas file that cannot be used; the message names the file (and line)."""


@dataclass(frozen=True)
class Lane:
    """One field of a canvas: its names, what to write there, an example, and the words
    that put a note in it (``prefixes``, lower case, every language)."""

    key: str
    names: Mapping[str, str]
    prompts: Mapping[str, str]
    examples: Mapping[str, str]
    prefixes: tuple[str, ...] = ()
    # Where the lane sits in the picture: its row, and for grids (quadrants) its column.
    row: int = 0
    column: int = 0
    # Under the line of visibility (a service blueprint's backstage): what visitors don't see.
    below_line: bool = False

    def name(self, locale: str) -> str:
        """The lane's name in ``locale`` (else the first one given)."""
        return self.names.get(locale) or next(iter(self.names.values()))

    def words(self) -> set[str]:
        """Everything that names this lane, folded for matching."""
        return {fold(word) for word in (*self.prefixes, *self.names.values(), self.key)}


@dataclass(frozen=True)
class Columns:
    """Columns across the lanes: fixed defaults (phases, steps of a service) or open ones
    named by the group as they write (``open``: a card per persona, per idea)."""

    labels: Mapping[str, str]
    defaults: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    open: bool = False

    def label(self, locale: str) -> str:
        """What one column is called (``fase``, ``persona``)."""
        return self.labels.get(locale) or next(iter(self.labels.values()))

    def default(self, locale: str) -> tuple[str, ...]:
        """The columns a step starts with when its template names none."""
        if not self.defaults:
            return ()
        return self.defaults.get(locale) or next(iter(self.defaults.values()))


@dataclass(frozen=True)
class Canvas:
    """A toolbox method's board."""

    key: str
    names: Mapping[str, str]
    intros: Mapping[str, str]
    lanes: tuple[Lane, ...]
    columns: Columns | None = None
    # Quadrant canvases (power x interest) draw lanes on a grid; others stack them.
    grid: bool = False

    def name(self, locale: str) -> str:
        """The canvas's name in ``locale``."""
        return self.names.get(locale) or next(iter(self.names.values()))

    def lane(self, key: str | None) -> Lane | None:
        """The lane with this key, if any."""
        return next((lane for lane in self.lanes if lane.key == key), None)

    def find_lane(self, word: str) -> Lane | None:
        """The lane a typed word names (a prefix, a name in any language, or its key)."""
        wanted = fold(word)
        for lane in self.lanes:
            if wanted in lane.words():
                return lane
        return None


@dataclass(frozen=True)
class Routed:
    """Where a note goes: ``lane`` None is unsorted; ``text`` is without the prefix."""

    lane: str | None
    column: str | None
    text: str


def fold(word: str) -> str:
    """Case- and space-insensitive form of a lane or column word."""
    return " ".join(word.casefold().split())


def find_column(word: str, columns: Sequence[str]) -> str | None:
    """The column a typed word names: exactly, else the only one it starts."""
    wanted = fold(word)
    if not wanted:
        return None
    exact = [c for c in columns if fold(c) == wanted]
    if exact:
        return exact[0]
    starting = [c for c in columns if fold(c).startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


def route(
    text: str, canvas: Canvas, columns: Sequence[str] = (), *, open_columns: bool = False
) -> Routed:
    """Read a lane prefix (``zegt: …``, ``pijnpunt/aankomen: …``) off a note's text.

    Nothing is taken off when the head names no lane: "Let op: …" stays a whole note.
    A column that does not exist is made (``open_columns``: a new persona's card) or
    ignored (the note still lands in its lane, in no column).
    """
    match = _HEAD.match(text)
    if match is None:
        return Routed(None, None, text)
    head, rest = match.group(1), match.group(2).strip()
    lane_word, _, column_word = head.partition("/")
    lane = canvas.find_lane(lane_word)
    if lane is None or not rest:
        return Routed(None, None, text)
    column = None
    if column_word.strip():
        column = find_column(column_word, columns)
        if column is None and open_columns:
            column = " ".join(column_word.split())[:40]
    return Routed(lane.key, column, rest)


@dataclass(frozen=True)
class LaneGroup:
    """A lane's notes (in one column, when the canvas has columns)."""

    lane: str | None  # None: unsorted
    column: str | None
    notes: tuple[Note, ...]


def step_columns(canvas: Canvas, planned: Sequence[str], locale: str) -> tuple[str, ...]:
    """The columns of a canvas step: the template's, else the canvas's defaults."""
    if canvas.columns is None:
        return ()
    return tuple(planned) or canvas.columns.default(locale)


def all_columns(fixed: Sequence[str], seen: Iterable[str | None]) -> tuple[str, ...]:
    """Fixed columns first, then open ones in the order notes named them."""
    found = list(fixed)
    for column in seen:
        if column is not None and column not in found:
            found.append(column)
    return tuple(found)


def lane_groups(
    canvas: Canvas, columns: Sequence[str], notes: Iterable[Note]
) -> tuple[LaneGroup, ...]:
    """The notes lane by lane (in the canvas's order), column by column within a lane,
    then the unsorted ones; empty lanes are kept (the canvas shows its gaps)."""
    shown = list(notes)
    known = {lane.key for lane in canvas.lanes}
    groups: list[LaneGroup] = []
    for lane in canvas.lanes:
        in_lane = [note for note in shown if note.lane == lane.key]
        if columns:
            for column in columns:
                groups.append(
                    LaneGroup(lane.key, column, tuple(n for n in in_lane if n.column == column))
                )
            loose = tuple(n for n in in_lane if n.column not in columns)
            if loose:
                groups.append(LaneGroup(lane.key, None, loose))
        else:
            groups.append(LaneGroup(lane.key, None, tuple(in_lane)))
    unsorted = tuple(note for note in shown if note.lane not in known)
    if unsorted:
        groups.append(LaneGroup(None, None, unsorted))
    return tuple(groups)


# -- reading a canvas file -----------------------------------------------------------------

CANVAS_FIELDS = ("key", "name", "intro", "grid", "columns", "lanes")
LANE_FIELDS = ("key", "name", "prompt", "example", "prefixes", "row", "column", "below_line")
COLUMNS_FIELDS = ("label", "defaults", "open")
_KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]*")
_LANE_KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Characters that end a prefix or split lane from column: a word holding them can't be typed.
_ROUTING_MARKS = (":", "/")


class _Reader:
    """Checks one canvas file's parsed data; every problem names where it is."""

    def __init__(self, source: str, locales: Sequence[str]) -> None:
        self.source = source
        self.locales = tuple(locales)

    def fail(self, problem: str, *at: str | int) -> CanvasError:
        return CanvasError(self.source, problem, tuple(at))

    def only_known(
        self, table: Mapping[str, object], known: Sequence[str], label: str, *at: str | int
    ) -> None:
        for name in table:
            if name not in known:
                raise self.fail(
                    f"{label}unknown field {shown(name)}; known: {', '.join(known)}", *at, name
                )

    def texts(self, value: object, label: str, field_name: str, *at: str | int) -> dict[str, str]:
        """A ``{language: text}`` table: non-empty texts, every language the bot speaks."""
        if not isinstance(value, Mapping) or not value:
            raise self.fail(
                f"{label}'{field_name}' must be a table of texts per language, "
                f'e.g. {{ nl = "…", en = "…" }}',
                *at,
            )
        texts = {str(k): v for k, v in value.items()}
        for language, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                raise self.fail(
                    f"{label}'{field_name}.{language}' must be a non-empty text", *at, language
                )
            if self.locales and language not in self.locales:
                raise self.fail(
                    f"{label}'{field_name}' has a text in {shown(language)}; "
                    f"the languages are {', '.join(self.locales)}",
                    *at,
                    language,
                )
        missing = [language for language in self.locales if language not in texts]
        if missing:
            raise self.fail(f"{label}'{field_name}' lacks a text in {', '.join(missing)}", *at)
        return texts

    def flag(self, table: Mapping[str, object], name: str, label: str, *at: str | int) -> bool:
        value = table.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(f"{label}'{name}' must be true or false", *at, name)
        return value

    def lane(self, raw: object, number: int) -> Lane:
        at: tuple[str | int, ...] = ("lanes", number - 1)
        label = f"lane {number}: "
        if not isinstance(raw, Mapping):
            raise self.fail(f"lane {number} must be a [[lanes]] table", *at)
        self.only_known(raw, LANE_FIELDS, label, *at)
        lane_key = raw.get("key")
        if not isinstance(lane_key, str) or not _LANE_KEY_SHAPE.fullmatch(lane_key):
            raise self.fail(
                f"{label}'key' must be lower-case letters, digits, _ and - (e.g. \"pains\")",
                *at,
                "key",
            )
        label = f"lane {number} ({lane_key}): "
        prefixes = raw.get("prefixes", [])
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            raise self.fail(f"{label}'prefixes' must be a list of words", *at, "prefixes")
        for prefix in prefixes:
            if not prefix.strip():
                raise self.fail(f"{label}a prefix is empty", *at, "prefixes")
            if prefix != fold(prefix):
                raise self.fail(
                    f"{label}prefix {shown(prefix)} must be lower case with single spaces: "
                    f"write {shown(fold(prefix))}",
                    *at,
                    "prefixes",
                )
            if any(mark in prefix for mark in _ROUTING_MARKS) or len(prefix) > PREFIX_MAX:
                raise self.fail(
                    f"{label}prefix {shown(prefix)} must be at most {PREFIX_MAX} characters "
                    "without ':' or '/'",
                    *at,
                    "prefixes",
                )
        place: dict[str, int] = {}
        for name, default in (("row", number - 1), ("column", 0)):
            value = raw.get(name, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise self.fail(f"{label}'{name}' must be a whole number, 0 or more", *at, name)
            place[name] = value
        return Lane(
            key=lane_key,
            names=self.texts(raw.get("name"), label, "name", *at, "name"),
            prompts=self.texts(raw.get("prompt"), label, "prompt", *at, "prompt"),
            examples=self.texts(raw.get("example"), label, "example", *at, "example"),
            prefixes=tuple(prefixes),
            row=place["row"],
            column=place["column"],
            below_line=self.flag(raw, "below_line", label, *at),
        )

    def lanes(self, raw_lanes: object, grid: bool) -> tuple[Lane, ...]:
        if not isinstance(raw_lanes, list) or not raw_lanes:
            raise self.fail("'lanes' must be a list with at least one [[lanes]] table", "lanes")
        lanes = [self.lane(raw, number) for number, raw in enumerate(raw_lanes, start=1)]
        keys: dict[str, int] = {}
        words: dict[str, str] = {}
        cells: dict[tuple[int, int], str] = {}
        below = False
        for number, lane in enumerate(lanes, start=1):
            at: tuple[str | int, ...] = ("lanes", number - 1)
            label = f"lane {number} ({lane.key}): "
            if lane.key in keys:
                raise self.fail(
                    f"{label}the key {shown(lane.key)} is also lane {keys[lane.key]}'s", *at, "key"
                )
            keys[lane.key] = number
            for word in sorted(lane.words()):
                other = words.setdefault(word, lane.key)
                if other != lane.key:
                    raise self.fail(
                        f"{label}the word {shown(word)} also names lane {shown(other)}: "
                        "a prefix, name or key may name one lane only",
                        *at,
                        "prefixes",
                    )
            if grid:
                cell = (lane.row, lane.column)
                if cell in cells:
                    raise self.fail(
                        f"{label}row {lane.row}, column {lane.column} is also lane "
                        f"{shown(cells[cell])}'s place on the grid",
                        *at,
                        "row",
                    )
                cells[cell] = lane.key
            if below and not lane.below_line:
                raise self.fail(
                    f"{label}lanes below the line of visibility ('below_line = true') "
                    "must come last",
                    *at,
                    "below_line",
                )
            below = below or lane.below_line
        return tuple(lanes)

    def columns(self, raw: object) -> Columns | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self.fail("'columns' must be a table", "columns")
        self.only_known(raw, COLUMNS_FIELDS, "columns: ", "columns")
        label = self.texts(raw.get("label"), "columns: ", "label", "columns", "label")
        defaults = raw.get("defaults", {})
        if not isinstance(defaults, Mapping):
            raise self.fail(
                "columns: 'defaults' must list the column names per language", "columns", "defaults"
            )
        found: dict[str, tuple[str, ...]] = {}
        for language, names in defaults.items():
            at = ("columns", "defaults", language)
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(name, str) and name.strip() for name in names)
            ):
                raise self.fail(f"columns: 'defaults.{language}' must be a list of names", *at)
            if self.locales and language not in self.locales:
                raise self.fail(
                    f"columns: 'defaults' has names in {shown(language)}; "
                    f"the languages are {', '.join(self.locales)}",
                    *at,
                )
            for name in names:
                if any(mark in name for mark in _ROUTING_MARKS):
                    raise self.fail(f"columns: column {shown(name)} may not hold ':' or '/'", *at)
            if len({fold(name) for name in names}) != len(names):
                raise self.fail(f"columns: 'defaults.{language}' names a column twice", *at)
            found[str(language)] = tuple(" ".join(name.split()) for name in names)
        if found and self.locales:
            missing = [language for language in self.locales if language not in found]
            if missing:
                raise self.fail(
                    f"columns: 'defaults' lacks the names in {', '.join(missing)}",
                    "columns",
                    "defaults",
                )
        if len({len(names) for names in found.values()}) > 1:
            raise self.fail(
                "columns: 'defaults' must have as many columns in every language",
                "columns",
                "defaults",
            )
        is_open = self.flag(raw, "open", "columns: ", "columns")
        if not found and not is_open:
            raise self.fail(
                "columns: give 'defaults' (fixed columns) or 'open = true' (named as people write)",
                "columns",
            )
        return Columns(labels=label, defaults=found, open=is_open)


def canvas_from_mapping(
    data: Mapping[str, object], source: str, locales: Sequence[str] = ()
) -> Canvas:
    """Validate a parsed canvas file; raise :class:`CanvasError` naming ``source`` and
    where in it (the loader adds the line). With ``locales``, every text must be given in
    each of them and in no other."""
    reader = _Reader(source, locales)
    reader.only_known(data, CANVAS_FIELDS, "")
    key = data.get("key")
    if not isinstance(key, str) or not _KEY_SHAPE.fullmatch(key):
        raise reader.fail(
            "'key' must be lower-case letters, digits and dashes (e.g. \"empathy-map\")", "key"
        )
    names = reader.texts(data.get("name"), "", "name", "name")
    intros = reader.texts(data.get("intro"), "", "intro", "intro")
    grid = reader.flag(data, "grid", "")
    return Canvas(
        key=key,
        names=names,
        intros=intros,
        lanes=reader.lanes(data.get("lanes"), grid),
        columns=reader.columns(data.get("columns")),
        grid=grid,
    )
