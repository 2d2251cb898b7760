"""The setup and facilitator docs name commands, options and settings that exist.

They are read by librarians who type exactly what they see, so a renamed option or
setting must fail here rather than in a masterclass. Dutch halves must use the Dutch
command names (prompts/nl/commands.toml), English halves may use either.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.i18n import PROMPTS_DIR
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "setup.md", ROOT / "docs" / "facilitator-guide.md"]
ALL_DOCS = [*DOCS, ROOT / "CONTRIBUTING.md"]

# top-level name -> subcommand name (None for a command without subcommands) -> options
Commands = dict[str, dict[str | None, set[str]]]


def _commands(locale: str) -> Commands:
    with (PROMPTS_DIR / locale / "commands.toml").open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)

    def options(table: dict[str, Any]) -> set[str]:
        return {value["name"] for value in table.values() if isinstance(value, dict)}

    found: Commands = {}
    # Groups: every table in them is a subcommand.
    for group in ("session", "board", "settings", "privacy"):
        table = data[group]
        found[table["name"]] = {
            sub["name"]: options(sub) for sub in table.values() if isinstance(sub, dict)
        }
    found[data["note"]["name"]] = {None: options(data["note"])}  # a command with options
    found[data["help"]["name"]] = {None: set()}
    return found


COMMANDS = {locale: _commands(locale) for locale in ("nl", "en")}


def _halves(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    dutch, marker, english = text.partition("\n## English")
    assert marker, f"{path.name} has no English half"
    return {"nl": dutch, "en": english}


def _code(text: str) -> list[str]:
    """Lines of fenced code blocks, and inline code spans (which may wrap lines)."""
    snippets: list[str] = []
    prose: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        (snippets if fenced else prose).append(line)
    joined = re.sub(r"\s*\n\s*", " ", "\n".join(prose))
    snippets.extend(re.findall(r"`([^`]+)`", joined))
    return snippets


# Folders in the docs that look like a slash command when they stand alone (`/data`).
PATH_ROOTS = {"data", "config", "opt", "etc", "var", "usr", "srv", "tmp"}


def _slash_commands(path: Path) -> list[tuple[str, str]]:
    """(half, snippet) for every code snippet that is a slash command."""
    found = []
    for half, text in _halves(path).items():
        for snippet in _code(text):
            match = re.match(r"^/([\w-]+)(?=\s|$)", snippet.strip())
            if match is not None and match.group(1) not in PATH_ROOTS:
                found.append((half, snippet.strip()))
    return found


SLASH = list(dict.fromkeys((path.name, *found) for path in DOCS for found in _slash_commands(path)))


def test_the_docs_name_slash_commands() -> None:
    assert len(SLASH) > 40


@pytest.mark.parametrize(("doc", "half", "snippet"), SLASH)
def test_every_slash_command_in_the_docs_exists(doc: str, half: str, snippet: str) -> None:
    words = snippet.split()
    locales = [locale for locale in ("nl", "en") if words[0][1:] in COMMANDS[locale]]
    assert locales, f"{doc}: {words[0]} is not a command: {snippet!r}"
    # A name the same in both languages (/privacy, /status) counts as the half's own.
    locale = half if half in locales else locales[0]
    if half == "nl":
        assert locale == "nl", f"{doc}: the Dutch half names commands in Dutch: {snippet!r}"
    command = COMMANDS[locale][words[0][1:]]
    if None in command:
        sub, rest = None, words[1:]
    else:
        if len(words) == 1:
            return  # the group alone ("type /sessie in a channel")
        sub, rest = words[1], words[2:]
        assert sub in command, f"{doc}: no subcommand {sub!r} in {snippet!r}"
    options = command[sub]
    text = " ".join(rest)
    named = re.findall(r"(?<!\S)([a-z][a-z-]*):(?=\s|$)", text)
    named += re.findall(r"\[([a-z][a-z-]*)\]", text)
    if ":" not in text:
        # A listing such as "/bord hernoemen thema naam": every word is an option.
        named += [word for word in rest if re.fullmatch(r"[a-z][a-z-]*", word)]
    for option in named:
        assert option in options, f"{doc}: {snippet!r}: no option {option!r} (has {options})"


def _cocreate_commands(path: Path) -> list[tuple[str, list[str]]]:
    """`cocreate <subcommand> --flags` as typed in the docs (after bin/, sudo, run --rm, exec)."""
    found = []
    for snippet in _code(path.read_text(encoding="utf-8")):
        for line in snippet.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for match in re.finditer(
                r"(?:^|bin/|sudo |--rm |exec cocreate |`)cocreate ([a-z][a-z-]*)([^|;&#]*)",
                line.strip(),
            ):
                flags = re.findall(r"(?<![^\s\[])(--[a-z][a-z-]*)", match.group(2))
                found.append((match.group(1), flags))
    return found


CLI = sorted({(sub, tuple(flags)) for path in ALL_DOCS for sub, flags in _cocreate_commands(path)})


def test_the_docs_name_the_admin_commands() -> None:
    named = {sub for sub, _ in CLI}
    assert {"invite-url", "sync-commands", "health", "demo", "check-config", "run"} <= named


@pytest.mark.parametrize(("sub", "flags"), CLI, ids=[" ".join([s, *f]) for s, f in CLI])
def test_every_cocreate_command_in_the_docs_exists(
    sub: str, flags: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([sub, "--help"])
    assert stopped.value.code == 0, f"`cocreate {sub}` is not a command"
    usage = capsys.readouterr().out
    for flag in flags:
        assert flag in usage, f"`cocreate {sub}` has no {flag}"


def _settings_named(path: Path) -> list[tuple[str, str, str]]:
    found = []
    text = path.read_text(encoding="utf-8")
    for section, name in re.findall(r"COCREATE_([A-Z]+)__([A-Z_]+)", text):
        found.append((path.name, section.lower(), name.lower()))
    for snippet in _code(text):
        for section, name in re.findall(r"^\[(\w+)\] (\w+)$", snippet.strip()):
            found.append((path.name, section, name))
    return found


SETTINGS = sorted({found for path in ALL_DOCS for found in _settings_named(path)})


@pytest.mark.parametrize(("doc", "section", "name"), SETTINGS)
def test_every_setting_in_the_docs_exists(doc: str, section: str, name: str) -> None:
    assert section in Settings.model_fields, f"{doc}: no section [{section}]"
    model = Settings.model_fields[section].annotation
    assert model is not None
    assert name in model.model_fields, f"{doc}: no setting {name} under [{section}]"


def test_both_docs_have_a_dutch_and_an_english_half_of_the_same_shape() -> None:
    for path in DOCS:
        halves = _halves(path)
        shape = {
            half: [len(re.findall(r"^### ", text, re.MULTILINE)), text.count("```")]
            for half, text in halves.items()
        }
        assert shape["nl"] == shape["en"], f"{path.name}: {shape}"
