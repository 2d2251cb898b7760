"""Session templates: the shipped files load; broken files are refused with clear messages."""

from __future__ import annotations

import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.canvas_files import load_canvases
from bot.domain.templates import (
    STEP_KINDS,
    StepPlan,
    Template,
    TemplateError,
    template_from_mapping,
)
from bot.domain.voting import VoteTarget
from bot.i18n import LOCALES, PROMPTS_DIR, load_locale
from bot.settings import ConfigError, load_settings
from bot.template_files import load_template_catalog, load_templates, read_template

MIN = timedelta(minutes=1)


def test_the_classic_template_ships_with_its_four_steps() -> None:
    templates = load_templates()
    assert "classic" in templates
    classic = templates["classic"]
    assert classic.key == "classic"
    assert classic.steps == (
        StepPlan("empathise", 15 * MIN),
        StepPlan("define", 10 * MIN, themes=True, vote=VoteTarget.QUESTIONS, vote_duration=3 * MIN),
        StepPlan("ideate", 10 * MIN, vote=VoteTarget.NOTES, vote_duration=4 * MIN),
        StepPlan("prototype", 15 * MIN),
    )
    assert classic.default_durations == [15 * MIN, 10 * MIN, 10 * MIN, 15 * MIN]


def test_every_shipped_template_uses_known_kinds_and_is_keyed_by_its_key() -> None:
    templates = load_templates()
    assert templates
    for key, template in templates.items():
        assert key == template.key
        assert template.steps
        for step in template.steps:
            assert step.kind in STEP_KINDS
            assert step.duration > timedelta(0)


def test_the_template_folder_is_the_one_in_prompts() -> None:
    assert (PROMPTS_DIR / "templates" / "classic.toml").is_file()


GOOD: dict[str, Any] = {
    "key": "mini",
    "steps": [{"kind": "ideate", "duration": "5m"}, {"kind": "test", "duration": "1u30"}],
}


def test_a_good_mapping_becomes_a_template() -> None:
    template = template_from_mapping(GOOD, "mini.toml")
    assert template == Template("mini", (StepPlan("ideate", 5 * MIN), StepPlan("test", 90 * MIN)))


def test_the_key_is_trimmed() -> None:
    assert template_from_mapping({**GOOD, "key": "  mini "}, "x.toml").key == "mini"


@pytest.mark.parametrize(
    ("data", "field", "where"),
    [
        ({"steps": GOOD["steps"]}, "'key'", None),
        ({**GOOD, "key": "  "}, "'key'", None),
        ({**GOOD, "key": 7}, "'key'", None),
        ({"key": "mini"}, "'steps'", None),
        ({"key": "mini", "steps": []}, "'steps'", None),
        ({"key": "mini", "steps": "ideate"}, "'steps'", None),
        ({"key": "mini", "steps": [{"kind": "ideate", "duration": "5m"}, "x"]}, "table", "step 2"),
        ({"key": "mini", "steps": [{"kind": "brainstorm", "duration": "5m"}]}, "'kind'", "step 1"),
        ({"key": "mini", "steps": [{"duration": "5m"}]}, "'kind'", "step 1"),
        (
            {"key": "mini", "steps": [{"kind": "ideate", "duration": "5m"}, {"kind": "test"}]},
            "'duration'",
            "step 2",
        ),
        ({"key": "mini", "steps": [{"kind": "ideate", "duration": 5}]}, "'duration'", "step 1"),
        (
            {"key": "mini", "steps": [{"kind": "ideate", "duration": "soon"}]},
            "'duration'",
            "step 1",
        ),
        ({"key": "mini", "steps": [{"kind": "ideate", "duration": "30d"}]}, "'duration'", "step 1"),
        ({"key": "mini", "steps": [{"kind": "ideate", "duration": "0"}]}, "'duration'", "step 1"),
    ],
)
def test_a_bad_mapping_is_refused_naming_file_and_field(
    data: dict[str, Any], field: str, where: str | None
) -> None:
    with pytest.raises(TemplateError) as caught:
        template_from_mapping(data, "prompts/templates/broken.toml")
    message = str(caught.value)
    assert message.startswith("prompts/templates/broken.toml")
    assert field in message
    if where is not None:
        assert where in message


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(TemplateError) as caught:
        template_from_mapping({"key": "x", "steps": [{"kind": "dream", "duration": "5m"}]}, "x")
    for kind in STEP_KINDS:
        assert kind in str(caught.value)


def test_with_durations_keeps_kinds_in_order() -> None:
    template = template_from_mapping(GOOD, "mini.toml")
    assert template.with_durations([MIN, 2 * MIN]) == (
        StepPlan("ideate", MIN),
        StepPlan("test", 2 * MIN),
    )
    # The template itself is unchanged.
    assert template.default_durations == [5 * MIN, 90 * MIN]


def test_with_durations_needs_one_per_step() -> None:
    template = template_from_mapping(GOOD, "mini.toml")
    with pytest.raises(ValueError, match="zip"):
        template.with_durations([MIN])


# -- loading files ------------------------------------------------------------------------------


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_load_templates_reads_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'key = "a"\n[[steps]]\nkind = "ideate"\nduration = "5m"\n')
    write(tmp_path, "b.toml", 'key = "b"\n[[steps]]\nkind = "test"\nduration = "90s"\n')
    write(tmp_path, "notes.txt", "not a template")
    templates = load_templates(tmp_path)
    assert sorted(templates) == ["a", "b"]
    assert templates["b"].steps == (StepPlan("test", timedelta(seconds=90)),)


def test_load_templates_refuses_a_key_used_twice(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'key = "same"\n[[steps]]\nkind = "ideate"\nduration = "5m"\n')
    second = write(tmp_path, "b.toml", 'key = "same"\n[[steps]]\nkind = "test"\nduration = "5m"\n')
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert str(second) in str(caught.value)
    assert "same" in str(caught.value)


def test_load_templates_refuses_bad_toml_naming_the_file(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.toml", 'key = "x\n')
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert str(broken) in str(caught.value)


def test_load_templates_refuses_a_bad_step_naming_the_file(tmp_path: Path) -> None:
    broken = write(tmp_path, "odd.toml", 'key = "odd"\n[[steps]]\nkind = "nap"\nduration = "5m"\n')
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert str(broken) in str(caught.value)
    assert "'kind'" in str(caught.value)


def test_load_templates_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no templates"):
        load_templates(tmp_path)


# -- the shipped templates -------------------------------------------------------------------

CANVASES = load_canvases()
SENTENCES = {locale: load_locale(PROMPTS_DIR / locale) for locale in LOCALES}


def test_the_masterclass_templates_and_the_check_in_ship() -> None:
    templates = load_templates()
    assert {"classic", "masterclass-dag-1", "masterclass-dag-2", "check-in"} <= set(templates)
    day_1 = templates["masterclass-dag-1"].steps
    assert [(step.kind, step.canvas) for step in day_1] == [
        ("empathise", "stakeholders"),
        ("empathise", "context"),
        ("empathise", "empathy-map"),
        ("define", "persona"),
    ]
    day_2 = templates["masterclass-dag-2"].steps
    assert [(step.kind, step.canvas) for step in day_2] == [
        ("define", "customer-journey"),
        ("ideate", None),
        ("prototype", "prototyping"),
        ("prototype", "service-blueprint"),
    ]
    assert day_2[1].vote is VoteTarget.NOTES
    assert [step.kind for step in templates["check-in"].steps] == ["checkin"]
    assert "checkin" in STEP_KINDS


@pytest.mark.parametrize("key", sorted(load_templates()))
def test_every_shipped_template_fits_the_methods(key: str) -> None:
    template = load_templates()[key]
    for step in template.steps:
        # METHODS.md timeboxes: 10-20 minutes a live step, a check-in a few minutes.
        low, high = (3 * MIN, 10 * MIN) if step.kind == "checkin" else (10 * MIN, 20 * MIN)
        assert low <= step.duration <= high, (key, step.kind)
        if step.vote is not None:
            assert 3 * MIN <= step.vote_duration <= 5 * MIN
        if step.canvas is not None:
            assert step.canvas in CANVASES, f"{key}: unknown canvas {step.canvas}"
            canvas = CANVASES[step.canvas]
            assert not step.columns or canvas.columns is not None


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(load_templates()))
def test_every_shipped_template_has_a_name_and_a_description(locale: str, key: str) -> None:
    name = SENTENCES[locale].get(f"commands.templates.{key}", "")
    about = SENTENCES[locale].get(f"commands.templates_about.{key}", "")
    assert 1 <= len(name) <= 100, f"{locale}: commands.templates.{key}"
    assert about.strip(), f"{locale}: commands.templates_about.{key}"
    assert "\n" not in about


def test_names_and_descriptions_are_only_for_templates_that_exist() -> None:
    keys = set(load_templates())
    for locale in LOCALES:
        for prefix in ("commands.templates.", "commands.templates_about."):
            named = {k.removeprefix(prefix) for k in SENTENCES[locale] if k.startswith(prefix)}
            assert named == keys, (locale, prefix)


def test_the_step_prompts_know_the_check_in() -> None:
    for locale in LOCALES:
        assert SENTENCES[locale]["steps.checkin.name"].strip()
        assert "{topic}" in SENTENCES[locale]["steps.checkin.prompt"]


# -- validation with canvases ----------------------------------------------------------------


def steps(*tables: dict[str, Any]) -> dict[str, Any]:
    return {"key": "mini", "steps": list(tables)}


@pytest.mark.parametrize(
    ("data", "at", "problem"),
    [
        (
            steps({"kind": "empathise", "duration": "5m", "canvas": "persona-kaart"}),
            ("steps", 0, "canvas"),
            "step 1: 'canvas' \"persona-kaart\" is not a canvas; known: context, customer-journey",
        ),
        (
            steps({"kind": "define", "duration": "5m", "canvas": "empathy-map", "columns": ["a"]}),
            ("steps", 0, "columns"),
            'step 1: canvas "empathy-map" has no columns',
        ),
        (
            steps({"kind": "define", "duration": "5m", "columns": ["a"]}),
            ("steps", 0, "columns"),
            "step 1: 'columns' needs a 'canvas'",
        ),
        (
            steps({"kind": "define", "duration": "5m", "canvas": "persona", "columns": ["A", "a"]}),
            ("steps", 0, "columns"),
            "names a column twice",
        ),
        (
            steps({"kind": "ideate", "duration": "5m", "vote_duration": "3m"}),
            ("steps", 0, "vote_duration"),
            "'vote_duration' without 'vote'",
        ),
        (
            steps({"kind": "ideate", "duration": "5m", "vote": "ideas"}),
            ("steps", 0, "vote"),
            "'vote' \"ideas\" is not something to vote on; known: notes, questions",
        ),
        (
            steps({"kind": "checkin", "duration": "5m", "vote": "notes"}),
            ("steps", 0, "vote"),
            'a "checkin" step does not vote',
        ),
        (
            steps({"kind": "ideate", "duration": "5m", "vote": "notes", "vote_duration": 4}),
            ("steps", 0, "vote_duration"),
            "'vote_duration' must be a text",
        ),
        (
            steps({"kind": "ideate", "duration": "5m", "themes": True}),
            ("steps", 0, "themes"),
            "the first step has none",
        ),
        (
            steps({"kind": "ideate", "durration": "5m"}),
            ("steps", 0, "durration"),
            'step 1: unknown field "durration"; known: kind, duration',
        ),
        (
            steps({"kind": "ideate"}),
            ("steps", 0, "duration"),
            "step 1: 'duration' is missing",
        ),
        (
            {**steps({"kind": "ideate", "duration": "5m"}), "stpes": []},
            ("stpes",),
            'unknown field "stpes"',
        ),
        (
            {**steps({"kind": "ideate", "duration": "5m"}), "name": {"de": "Mini"}},
            ("name", "de"),
            "'name' has a text in \"de\"",
        ),
        ({**steps({"kind": "ideate", "duration": "5m"}), "key": "Mini Sessie"}, ("key",), "'key'"),
    ],
)
def test_a_bad_step_says_where_and_what(
    data: dict[str, Any], at: tuple[str | int, ...], problem: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        template_from_mapping(data, "mini.toml", CANVASES, LOCALES)
    assert caught.value.at == at
    assert str(caught.value).startswith("mini.toml: ")
    assert problem in str(caught.value)


def test_columns_may_name_a_journeys_phases() -> None:
    data = steps(
        {"kind": "define", "duration": "15m", "canvas": "customer-journey", "columns": ["Zien"]}
    )
    template = template_from_mapping(data, "mini.toml", CANVASES, LOCALES)
    assert template.steps[0].columns == ("Zien",)


def test_a_library_template_may_carry_its_own_name() -> None:
    data = {
        **steps({"kind": "ideate", "duration": "5m"}),
        "name": {"nl": "Onze sessie", "en": "Our session"},
        "about": {"nl": "Kort en krachtig."},
    }
    template = template_from_mapping(data, "mini.toml", CANVASES, LOCALES)
    assert template.name("en") == "Our session"
    assert template.about("en") == "Kort en krachtig."  # falls back to the one given
    assert template_from_mapping(GOOD, "mini.toml").name("nl") is None


# -- broken files: file, line, problem -------------------------------------------------------

BODY = """\
# Our own session
key = "eigen"

[[steps]]
kind = "empathise"
duration = "15m"

[[steps]]
kind = "define"
canvas = "persona"
duration = "10m"

[[steps]]
kind = "ideate"
duration = "10m"
vote = "notes"
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        (
            'canvas = "persona"',
            'canvas = "persona-kaart"',
            10,
            "step 2: 'canvas' \"persona-kaart\" is not a canvas; known: ",
        ),
        ('duration = "10m"\n\n', 'duration = "tien"\n\n', 11, "step 2: 'duration' \"tien\""),
        ('kind = "ideate"', 'kind = "brainstorm"', 14, "step 3: 'kind' \"brainstorm\" is not"),
        ('vote = "notes"', 'vote = "everything"', 16, "step 3: 'vote' \"everything\""),
        ('vote = "notes"', 'vote = "notes"\nvote_time = "3m"', 17, 'unknown field "vote_time"'),
        ('duration = "15m"\n', "", 4, "step 1: 'duration' is missing"),
        ('key = "eigen"', 'key = "eigen"\nthemes = true', 3, 'unknown field "themes"'),
        ('kind = "define"', 'kind = "define"\nthemes = "ja"', 10, "step 2: 'themes' must be"),
        ('duration = "15m"', 'duration = "15m', 6, "not valid TOML"),
        ('[[steps]]\nkind = "ideate"', '[steps]\nkind = "ideate"', 13, "not valid TOML"),
    ],
)
def test_a_broken_file_names_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, problem: str
) -> None:
    assert old in BODY
    path = write(tmp_path, "eigen.toml", BODY.replace(old, new, 1))
    with pytest.raises(TemplateError) as caught:
        read_template(path, CANVASES)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert problem in message


def test_the_good_body_loads(tmp_path: Path) -> None:
    template = read_template(write(tmp_path, "eigen.toml", BODY), CANVASES)
    assert [step.canvas for step in template.steps] == [None, "persona", None]


def test_a_missing_key_at_the_top_has_no_line(tmp_path: Path) -> None:
    path = write(tmp_path, "eigen.toml", BODY.replace('key = "eigen"\n', ""))
    with pytest.raises(TemplateError) as caught:
        read_template(path, CANVASES)
    assert str(caught.value).startswith(f"{path}: 'key' must be")
    assert caught.value.line is None


def test_load_templates_names_the_line_of_a_key_used_twice(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", BODY)
    second = write(tmp_path, "b.toml", BODY)
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert str(caught.value) == (
        f'{second}, line 2: template key "eigen" is also used by {tmp_path / "a.toml"}'
    )


# -- a library's own folder ------------------------------------------------------------------


def test_without_a_folder_the_catalog_is_the_shipped_templates() -> None:
    catalog = load_template_catalog()
    assert catalog.usable == load_templates()
    assert catalog.broken == {}
    assert catalog.custom == frozenset()


def test_own_templates_load_after_the_shipped_ones_and_broken_ones_are_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "eigen.toml", BODY)
    write(
        tmp_path,
        "kapot.toml",
        BODY.replace('key = "eigen"', 'key = "kapot"').replace(
            'canvas = "persona"', 'canvas = "persona-kaart"'
        ),
    )
    write(tmp_path, "stuk.toml", 'key = "stuk-sessie"\n[[steps]]\nkind = "ideate"\n')
    write(tmp_path, "klassiek.toml", BODY.replace('key = "eigen"', 'key = "classic"'))
    write(tmp_path, "leesmij.txt", "not a template")
    with caplog.at_level(logging.WARNING, logger="bot.template_files"):
        catalog = load_template_catalog(tmp_path)
    # The rest load: the shipped ones first, then the library's own.
    shipped = list(load_templates())
    assert list(catalog.usable) == [*shipped, "eigen"]
    assert catalog.custom == frozenset({"eigen"})
    assert catalog.usable["classic"] == load_templates()["classic"]  # shipped ones win
    # The broken ones are skipped, reported with file, line and problem, and kept.
    assert set(catalog.broken) == {"kapot", "stuk", "stuk-sessie", "klassiek"}
    assert catalog.broken["kapot"] == (
        f"{tmp_path / 'kapot.toml'}, line 10: step 2: 'canvas' \"persona-kaart\" is not a "
        f"canvas; known: {', '.join(sorted(CANVASES))}"
    )
    assert catalog.broken["stuk"] == catalog.broken["stuk-sessie"]
    assert catalog.broken["stuk"].startswith(f"{tmp_path / 'stuk.toml'}, line 2: step 1:")
    assert "'duration' is missing" in catalog.broken["stuk"]
    assert catalog.broken["klassiek"].startswith(f"{tmp_path / 'klassiek.toml'}, line 2: ")
    assert (
        'template key "classic" is also used by prompts/templates/classic.toml'
        in (catalog.broken["klassiek"])
    )
    assert catalog.problem("kapot") == catalog.broken["kapot"]
    assert catalog.problem("eigen") is None
    assert catalog.problem("classic") is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    for record, name in zip(warnings, ("kapot", "klassiek", "stuk"), strict=True):
        assert f"{tmp_path / name}.toml, line " in record.getMessage()


def test_a_broken_file_that_a_later_one_repairs_is_not_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'key = "b"\n[[steps]]\nkind = "nap"\nduration = "5m"\n')
    write(tmp_path, "b.toml", 'key = "b"\n[[steps]]\nkind = "ideate"\nduration = "5m"\n')
    catalog = load_template_catalog(tmp_path)
    assert "b" in catalog.usable
    assert set(catalog.broken) == {"a"}


def test_a_missing_folder_is_logged_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.template_files"):
        catalog = load_template_catalog(tmp_path / "nope")
    assert catalog.usable == load_templates()
    assert "is not a folder" in caplog.text


def test_no_usable_template_at_all_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'key = "a"\n')
    with pytest.raises(TemplateError, match="no usable templates"):
        load_template_catalog(builtin=tmp_path)


def test_the_templates_folder_setting(tmp_path: Path) -> None:
    assert load_settings(None).templates.folder is None
    config = tmp_path / "config.toml"
    config.write_text(f'[templates]\nfolder = "{tmp_path}"\n', encoding="utf-8")
    assert load_settings(config).templates.folder == tmp_path
    config.write_text('[templates]\nfolder = ""\n', encoding="utf-8")
    assert load_settings(config).templates.folder is None
    config.write_text(f'[templates]\nfolder = "{tmp_path / "nope"}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"templates\.folder: .*is not a folder"):
        load_settings(config)


def test_the_examples_in_the_docs_are_valid_templates() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "templates.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", docs, re.DOTALL) if "[[steps]]" in b]
    assert len(blocks) == 2  # the Dutch and the English example
    for block in blocks:
        template = template_from_mapping(tomllib.loads(block), "docs", CANVASES, LOCALES)
        assert [step.kind for step in template.steps] == ["checkin", "empathise", "ideate"]
        assert template.name("nl") == "Buurtavond"
