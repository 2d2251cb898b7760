"""Session templates: the shipped files load; broken files are refused with clear messages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.templates import (
    STEP_KINDS,
    StepPlan,
    Template,
    TemplateError,
    template_from_mapping,
)
from bot.domain.voting import VoteTarget
from bot.i18n import PROMPTS_DIR
from bot.template_files import load_templates

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
