"""Load session templates from ``prompts/templates/*.toml``, validated with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.domain.templates import Template, TemplateError, template_from_mapping
from bot.i18n import PROMPTS_DIR


def load_templates(folder: Path = PROMPTS_DIR / "templates") -> dict[str, Template]:
    """Every template in ``folder`` by key; TemplateError names the file at fault."""
    templates: dict[str, Template] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise TemplateError(f"{path}: {error}") from None
        template = template_from_mapping(data, str(path))
        if template.key in templates:
            raise TemplateError(f"{path}: template key {template.key!r} is used twice")
        templates[template.key] = template
    if not templates:
        raise TemplateError(f"{folder}: no templates found")
    return templates
