"""The canvas files: the seven toolbox methods ship complete in every language, their
prefixes route notes to the right lanes, and a broken file is refused naming file, line
and problem. Also the line finder those messages rely on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.canvas_files import CANVAS_DIR, PROJECT_DIR, load_canvases, read_canvas
from bot.domain.canvas import Canvas, CanvasError, canvas_from_mapping, fold, route
from bot.i18n import LOCALES
from bot.toml_lines import find_line, shown_path

CANVASES = load_canvases()
TOOLBOX = (
    "stakeholders",
    "context",
    "empathy-map",
    "persona",
    "customer-journey",
    "prototyping",
    "service-blueprint",
)


def test_the_seven_toolbox_methods_ship() -> None:
    assert set(TOOLBOX) <= set(CANVASES)
    assert "past-present-future" in CANVASES  # the second way of context analysis
    for key, canvas in CANVASES.items():
        assert canvas.key == key
        assert (CANVAS_DIR / f"{key}.toml").is_file(), "a canvas file is named after its key"


@pytest.mark.parametrize("key", sorted(CANVASES))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_canvas_speaks_every_language(key: str, locale: str) -> None:
    canvas = CANVASES[key]
    assert canvas.names[locale].strip()
    assert canvas.intros[locale].strip()
    for lane in canvas.lanes:
        for texts in (lane.names, lane.prompts, lane.examples):
            assert texts[locale].strip(), f"{key}.{lane.key} in {locale}"
        assert "\n" not in lane.names[locale]
    if canvas.columns is not None:
        assert canvas.columns.labels[locale].strip()
        assert canvas.columns.open or canvas.columns.defaults[locale]


@pytest.mark.parametrize("key", sorted(CANVASES))
def test_prefixes_are_lower_case_and_in_both_languages(key: str) -> None:
    canvas = CANVASES[key]
    for lane in canvas.lanes:
        assert lane.prefixes, f"{key}.{lane.key} has no prefixes"
        assert all(prefix == fold(prefix) for prefix in lane.prefixes)
        # Each lane's own names work as prefixes too, in each language.
        for locale in LOCALES:
            assert fold(lane.names[locale]) in lane.words()


@pytest.mark.parametrize("key", sorted(CANVASES))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_word_routes_to_its_own_lane(key: str, locale: str) -> None:
    canvas = CANVASES[key]
    columns = canvas.columns.default(locale) if canvas.columns else ()
    is_open = canvas.columns is not None and canvas.columns.open
    for lane in canvas.lanes:
        for word in sorted(lane.words()):
            routed = route(f"{word}: een notitie", canvas, columns, open_columns=is_open)
            assert (routed.lane, routed.text) == (lane.key, "een notitie"), word
            upper = route(f"{word.upper()} :  a note ", canvas, columns, open_columns=is_open)
            assert (upper.lane, upper.text) == (lane.key, "a note"), word
        for column in columns:
            routed = route(f"{lane.prefixes[0]}/{column.lower()}: x", canvas, columns)
            assert (routed.lane, routed.column) == (lane.key, column)


@pytest.mark.parametrize("key", sorted(CANVASES))
@pytest.mark.parametrize("locale", LOCALES)
def test_the_example_in_each_intro_lands_in_a_lane(key: str, locale: str) -> None:
    canvas = CANVASES[key]
    examples = re.findall(r"`([^`]+)`", canvas.intros[locale])
    assert examples, f"{key}: the {locale} intro shows how to start a note"
    columns = canvas.columns.default(locale) if canvas.columns else ()
    is_open = canvas.columns is not None and canvas.columns.open
    for example in examples:
        routed = route(example, canvas, columns, open_columns=is_open)
        assert routed.lane is not None, example
        if "/" in example.split(":")[0]:
            assert routed.column is not None, example


@pytest.mark.parametrize(
    ("key", "text", "lane", "column"),
    [
        ("stakeholders", "nauw betrekken: het wijkteam", "manage-closely", None),
        ("stakeholders", "Keep satisfied: the council", "keep-satisfied", None),
        ("stakeholders", "informeren: ouders", "keep-informed", None),
        ("stakeholders", "monitor: sports club", "monitor", None),
        ("stakeholders", "geeft: ruimte", "gives", None),
        ("stakeholders", "Gets: contact with tenants", "gets", None),
        ("context", "sociaal: meer ouderen", "social", None),
        ("context", "Legal: privacy rules", "legal", None),
        ("context", "klimaat: hittegolven", "environmental", None),
        ("past-present-future", "vroeger: vol met scholieren", "past", None),
        ("past-present-future", "Future: a study place", "future", None),
        ("empathy-map", "zegt: ik kom hier graag", "says", None),
        ("empathy-map", "Feels: left out", "feels", None),
        ("empathy-map", "pijn: openingstijden", "pains", None),
        ("persona", "doelen/Fatima: huiswerk", "goals", "Fatima"),
        ("persona", "Quote/Fatima: I don't want…", "quote", "Fatima"),
        ("persona", "typische dag/Joop: krant lezen", "typical-day", "Joop"),
        ("customer-journey", "pijnpunt/aankomen: de ingang", "pains", "Aankomen"),
        ("customer-journey", "contactmoment/horen: poster", "contact-moments", "Horen van"),
        ("customer-journey", "kans/daarna: nabellen", "opportunities", "Daarna"),
        ("prototyping", "uitproberen/boekenkast: een zaterdag", "try-out", "boekenkast"),
        ("prototyping", "+/boekenkast: kinderen komen", "works", "boekenkast"),
        ("prototyping", "Δ: geen schaduw", "change", None),
        ("prototyping", "?: mag dat zonder pas", "questions", None),
        ("prototyping", "💡: voorlezen", "new-ideas", None),
        ("prototyping", "voor wie: gezinnen", "for-whom", None),
        ("service-blueprint", "voorkant/ontvangst: vrijwilliger", "frontstage", "Ontvangst"),
        ("service-blueprint", "achter de schermen: rooster", "backstage", None),
        ("service-blueprint", "fysiek bewijs/aanmelden: flyer", "physical-evidence", "Aanmelden"),
    ],
)
def test_prefixes_in_dutch_and_english_route_notes(
    key: str, text: str, lane: str, column: str | None
) -> None:
    canvas = CANVASES[key]
    columns = canvas.columns.default("nl") if canvas.columns else ()
    is_open = canvas.columns is not None and canvas.columns.open
    routed = route(text, canvas, columns, open_columns=is_open)
    assert (routed.lane, routed.column) == (lane, column)


def test_english_columns_route_in_an_english_session() -> None:
    journey = CANVASES["customer-journey"]
    columns = journey.columns.default("en") if journey.columns else ()
    routed = route("pain/arriving: the entrance is hard to find", journey, columns)
    assert (routed.lane, routed.column) == ("pains", "Arriving")
    blueprint = CANVASES["service-blueprint"]
    columns = blueprint.columns.default("en") if blueprint.columns else ()
    routed = route("Backstage / wrap: tidy the room", blueprint, columns)
    assert (routed.lane, routed.column) == ("backstage", "Wrap-up")


def test_the_shapes_of_the_methods() -> None:
    stakeholders = CANVASES["stakeholders"]
    assert stakeholders.grid
    quadrants = {lane.key: (lane.row, lane.column) for lane in stakeholders.lanes[:4]}
    assert quadrants == {
        "manage-closely": (0, 1),
        "keep-satisfied": (0, 0),
        "keep-informed": (1, 1),
        "monitor": (1, 0),
    }
    assert [lane.key for lane in CANVASES["context"].lanes] == [
        "political",
        "economic",
        "social",
        "technological",
        "legal",
        "environmental",
    ]
    for key in ("persona", "prototyping"):
        columns = CANVASES[key].columns
        assert columns is not None and columns.open and not columns.defaults
    for key in ("customer-journey", "service-blueprint"):
        columns = CANVASES[key].columns
        assert columns is not None and not columns.open
        assert len(columns.defaults["nl"]) == len(columns.defaults["en"]) >= 4
    blueprint = CANVASES["service-blueprint"]
    assert [lane.key for lane in blueprint.lanes if lane.below_line] == ["backstage", "support"]
    assert not any(lane.below_line for key in TOOLBOX[:-1] for lane in CANVASES[key].lanes)


# -- broken files ----------------------------------------------------------------------------

GOOD = """\
# a small canvas
key = "mini"

[name]
nl = "Mini"
en = "Mini"

[intro]
nl = "Probeer `a: x`."
en = "Try `a: x`."

[[lanes]]
key = "a"
prefixes = ["aa"]
name = { nl = "A", en = "A" }
prompt = { nl = "Wat?", en = "What?" }
example = { nl = "Dit.", en = "This." }

[[lanes]]
key = "b"
prefixes = ["bb"]
name = { nl = "B", en = "B" }
prompt = { nl = "Wat?", en = "What?" }
example = { nl = "Dat.", en = "That." }
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    canvas = read_canvas(write(tmp_path, "mini.toml", GOOD))
    assert isinstance(canvas, Canvas)
    assert [lane.key for lane in canvas.lanes] == ["a", "b"]


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        (
            'prompt = { nl = "Wat?", en = "What?" }\nexample = { nl = "Dat."',
            'prompt = { nl = "Wat?" }\nexample = { nl = "Dat."',
            23,
            "lane 2 (b): 'prompt' lacks a text in en",
        ),
        ('prefixes = ["bb"]', 'prefixes = ["aa"]', 21, 'the word "aa" also names lane "a"'),
        ('prefixes = ["bb"]', 'prefixes = ["Bb"]', 21, 'prefix "Bb" must be lower case'),
        ('prefixes = ["bb"]', 'prefixes = ["b/c"]', 21, "without ':' or '/'"),
        ('prefixes = ["bb"]', 'prefixes = ["bb"]\ncolour = 1', 22, 'unknown field "colour"'),
        ('key = "b"', 'key = "a"', 20, 'the key "a" is also lane 1\'s'),
        ('key = "b"', 'key = "B b"', 20, "lane 2: 'key' must be lower-case"),
        ('en = "Try `a: x`."', 'de = "Probier `a: x`."', 10, "'intro' has a text in \"de\""),
        ('key = "mini"', 'key = "Mini"', 2, "'key' must be lower-case"),
        ('prefixes = ["aa"]', 'prefixes = ["aa"]\nrow = -1', 15, "'row' must be a whole number"),
        ('prefixes = ["bb"]', 'prefixes = ["bb"]\nbelow_line = "yes"', 22, "'below_line'"),
    ],
)
def test_a_broken_canvas_names_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, problem: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, "broken.toml", GOOD.replace(old, new, 1))
    with pytest.raises(CanvasError) as caught:
        read_canvas(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert problem in message
    assert caught.value.line == line


def test_a_grid_needs_one_lane_per_cell(tmp_path: Path) -> None:
    body = GOOD.replace('key = "mini"', 'key = "mini"\ngrid = true').replace(
        'prefixes = ["bb"]', 'prefixes = ["bb"]\nrow = 0'
    )
    with pytest.raises(CanvasError, match=r"line 23: lane 2 \(b\): row 0, column 0 is also"):
        read_canvas(write(tmp_path, "grid.toml", body))


def test_lanes_below_the_line_come_last(tmp_path: Path) -> None:
    body = GOOD.replace('prefixes = ["aa"]', 'prefixes = ["aa"]\nbelow_line = true')
    with pytest.raises(CanvasError, match=r"line 20: lane 2 \(b\): lanes below the line"):
        read_canvas(write(tmp_path, "line.toml", body))


@pytest.mark.parametrize(
    ("columns", "line", "problem"),
    [
        ('label = { nl = "fase", en = "phase" }', 26, "give 'defaults'"),
        (
            'label = { nl = "fase", en = "phase" }\n'
            'defaults = { nl = ["Een", "Twee"], en = ["One"] }',
            28,
            "as many columns in every language",
        ),
        (
            'label = { nl = "fase", en = "phase" }\ndefaults = { nl = ["Een"] }',
            28,
            "lacks the names in en",
        ),
        (
            'label = { nl = "fase", en = "phase" }\ndefaults = { nl = ["Een/twee"], en = ["x"] }',
            28,
            "may not hold ':' or '/'",
        ),
        ("open = true", 26, "'label' must be a table of texts"),
        ('label = { nl = "fase", en = "phase" }\nopen = "ja"', 28, "'open' must be true or false"),
    ],
)
def test_broken_columns_are_refused(tmp_path: Path, columns: str, line: int, problem: str) -> None:
    path = write(tmp_path, "cols.toml", f"{GOOD}\n[columns]\n{columns}\n")
    with pytest.raises(CanvasError) as caught:
        read_canvas(path)
    assert str(caught.value).startswith(f"{path}, line {line}: "), str(caught.value)
    assert problem in str(caught.value)


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", GOOD.replace('key = "a"', 'key = "a'))
    with pytest.raises(CanvasError) as caught:
        load_canvases(tmp_path)
    assert str(caught.value).startswith(f"{path}, line 13: not valid TOML")


def test_a_key_used_twice_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", GOOD)
    second = write(tmp_path, "b.toml", GOOD)
    with pytest.raises(CanvasError) as caught:
        load_canvases(tmp_path)
    assert str(caught.value) == f'{second}, line 2: canvas key "mini" is also used by {first}'


def test_a_problem_in_an_inline_table_points_at_its_line() -> None:
    path = CANVAS_DIR / "persona.toml"
    broken = path.read_text(encoding="utf-8").replace('en = "Goals"', 'en = ""')
    assert broken != path.read_text(encoding="utf-8")
    with pytest.raises(CanvasError) as caught:
        canvas_from_mapping(tomllib.loads(broken), "prompts/canvases/persona.toml", LOCALES)
    assert caught.value.at == ("lanes", 2, "name", "en")
    line = find_line(broken, caught.value.at)
    assert line is not None and 'en = ""' in broken.splitlines()[line - 1]


def test_shipped_files_are_named_from_the_project_folder(tmp_path: Path) -> None:
    assert read_canvas(CANVAS_DIR / "persona.toml").key == "persona"
    assert shown_path(CANVAS_DIR / "persona.toml", PROJECT_DIR) == "prompts/canvases/persona.toml"
    assert shown_path(tmp_path / "x.toml", PROJECT_DIR) == str(tmp_path / "x.toml")


# -- the line finder -----------------------------------------------------------------------

TEXT = '''\
key = "x"            # 1
intro = """          # 2
[[lanes]]            # 3: inside a string, not a table
key = "fake"
"""
[[lanes]]            # 6
key = "a"
prefixes = [         # 8
  "a",
  "[[lanes]]",
]
[lanes.name]         # 12
nl = "A"             # 13

[[lanes]]            # 15
"key" = "b"          # 16
name.nl = "B"        # 17

[columns]            # 19
defaults = { nl = ["x"] }  # 20
'''


@pytest.mark.parametrize(
    ("at", "line"),
    [
        (("key",), 1),
        (("intro",), 2),
        (("lanes", 0), 6),
        (("lanes", 0, "key"), 7),
        (("lanes", 0, "prefixes"), 8),
        (("lanes", 0, "name"), 12),
        (("lanes", 0, "name", "nl"), 13),
        (("lanes", 0, "prompt"), 6),  # missing: its [[lanes]]
        (("lanes", 1), 15),
        (("lanes", 1, "key"), 16),
        (("lanes", 1, "name"), 17),
        (("columns", "defaults", "nl"), 20),
        (("columns", "label"), 19),
        (("grid",), None),  # missing at the top: no line to point at
    ],
)
def test_find_line(at: tuple[str | int, ...], line: int | None) -> None:
    assert find_line(TEXT, at) == line
