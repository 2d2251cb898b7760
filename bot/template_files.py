"""Load session templates: the shipped ones (``prompts/templates/*.toml``) and a
library's own (the folder in ``[templates] folder`` of the config), validated with errors
that name the file, the line and the problem::

    masterclass-dag-1.toml, line 12: step 3: 'canvas' "persona-kaart" is not a canvas; known: …

A library's broken file never stops the bot: :func:`load_template_catalog` skips it with
a warning in the log and keeps the message, so a facilitator who asks for that template
hears what is wrong with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.canvas_files import PROJECT_DIR, load_canvases
from bot.domain.canvas import Canvas
from bot.domain.file_errors import shown
from bot.domain.templates import Template, TemplateError, template_from_mapping
from bot.i18n import LOCALES, PROMPTS_DIR
from bot.toml_lines import locate, read_data_file, shown_path

TEMPLATE_DIR = PROMPTS_DIR / "templates"

log = logging.getLogger(__name__)


def read_template(path: Path, canvases: Mapping[str, Canvas]) -> Template:
    """One template file, its steps' canvases checked against ``canvases``;
    TemplateError names the file, the line and the problem."""
    source = shown_path(path, PROJECT_DIR)
    data, text = read_data_file(path, TemplateError, source)
    try:
        return template_from_mapping(data, source, canvases, LOCALES)
    except TemplateError as error:
        raise locate(error, source, text) from None


def _key_used_twice(path: Path, key: str, other: str) -> TemplateError:
    source = shown_path(path, PROJECT_DIR)
    problem = TemplateError(source, f"template key {shown(key)} is also used by {other}", ("key",))
    try:
        _, text = read_data_file(path, TemplateError, source)
    except TemplateError:
        return problem
    return locate(problem, source, text)


def load_templates(
    folder: Path = TEMPLATE_DIR, canvases: Mapping[str, Canvas] | None = None
) -> dict[str, Template]:
    """Every template in ``folder`` by key, all or nothing: the first problem raises
    TemplateError (file, line, problem). For the shipped templates, tests and checks; the
    bot itself uses :func:`load_template_catalog`."""
    known = load_canvases() if canvases is None else canvases
    templates: dict[str, Template] = {}
    files: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        template = read_template(path, known)
        if template.key in templates:
            raise _key_used_twice(path, template.key, files[template.key])
        templates[template.key] = template
        files[template.key] = shown_path(path, PROJECT_DIR)
    if not templates:
        raise TemplateError(shown_path(folder, PROJECT_DIR), "no templates found")
    return templates


@dataclass(frozen=True)
class TemplateCatalog:
    """The templates a facilitator can use, and the files that could not be used.

    ``usable``: by key, shipped ones first. ``broken``: key → the problem, one sentence
    naming file and line (the key is the file's name without ``.toml``, and the ``key``
    the file declares when it can be read); never a key that is usable. ``custom``: the
    usable keys that came from the library's own folder.
    """

    usable: dict[str, Template]
    broken: dict[str, str] = field(default_factory=dict)
    custom: frozenset[str] = frozenset()

    def problem(self, key: str) -> str | None:
        """Why the template ``key`` cannot be used, if it is a broken file's."""
        return None if key in self.usable else self.broken.get(key)


_DECLARED_KEY = re.compile(r"""^\s*key\s*=\s*["']([^"'\n]+)["']""", re.MULTILINE)


def _broken_keys(path: Path) -> set[str]:
    """The keys a facilitator may use for a broken file: its name, and the key it declares."""
    keys = {path.stem}
    try:
        declared = _DECLARED_KEY.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        declared = None
    if declared is not None and declared.group(1).strip():
        keys.add(declared.group(1).strip())
    return keys


def load_template_catalog(
    custom: Path | None = None,
    *,
    builtin: Path = TEMPLATE_DIR,
    canvases: Mapping[str, Canvas] | None = None,
) -> TemplateCatalog:
    """The shipped templates, then those in the library's folder ``custom`` (if set).

    A file that cannot be used is skipped with a WARNING naming file, line and problem,
    and recorded in ``broken``; a key already taken keeps its first template (shipped
    ones win). Raises TemplateError only when no template at all can be used.
    """
    known = load_canvases() if canvases is None else canvases
    usable: dict[str, Template] = {}
    files: dict[str, str] = {}
    broken: dict[str, str] = {}
    own: set[str] = set()
    folders = [(builtin, False)]
    if custom is not None:
        if custom.is_dir():
            folders.append((custom, True))
        else:
            log.warning("templates folder %s is not a folder; no own templates loaded", custom)
    for folder, is_custom in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                template = read_template(path, known)
                if template.key in usable:
                    raise _key_used_twice(path, template.key, files[template.key])
            except TemplateError as error:
                log.warning("template file skipped: %s", error)
                for key in _broken_keys(path):
                    broken.setdefault(key, str(error))
                continue
            usable[template.key] = template
            files[template.key] = shown_path(path, PROJECT_DIR)
            if is_custom:
                own.add(template.key)
    if not usable:
        raise TemplateError(shown_path(builtin, PROJECT_DIR), "no usable templates found")
    return TemplateCatalog(
        usable=usable,
        broken={key: message for key, message in broken.items() if key not in usable},
        custom=frozenset(own),
    )
