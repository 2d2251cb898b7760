"""The prompts catalogue: complete in every locale, consistent, and used correctly by the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.deadlines import DeadlineProblem
from bot.domain.durations import DurationProblem
from bot.domain.recap import RecapKind
from bot.domain.session import Refusal
from bot.domain.templates import STEP_KINDS
from bot.domain.voting import BallotRefusal, VoteTarget
from bot.i18n import LOCALES, PROMPTS_DIR, Catalog, catalog, load_locale, placeholders
from bot.template_files import load_templates

BOT = Path(__file__).resolve().parents[2] / "bot"
SENTENCES = {locale: load_locale(PROMPTS_DIR / locale) for locale in LOCALES}
ALL_KEYS = sorted(set().union(*(set(s) for s in SENTENCES.values())))

# Discord's rule for command and option names (the \w covers letters and digits of any
# script); names must also be lower case where the script has case.
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def test_every_locale_has_prompts() -> None:
    for locale in LOCALES:
        assert (PROMPTS_DIR / locale).is_dir()
        assert SENTENCES[locale], f"no sentences for {locale}"


def test_every_locale_has_the_same_files() -> None:
    files = {
        locale: sorted(p.name for p in (PROMPTS_DIR / locale).glob("*.toml")) for locale in LOCALES
    }
    first = files[LOCALES[0]]
    for locale in LOCALES:
        assert files[locale] == first, locale


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_exists_in_every_locale(locale: str) -> None:
    missing = [key for key in ALL_KEYS if key not in SENTENCES[locale]]
    assert not missing, f"{locale} lacks {missing}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_placeholders_match_across_locales(key: str) -> None:
    found = {locale: placeholders(SENTENCES[locale][key]) for locale in LOCALES}
    first = found[LOCALES[0]]
    for locale in LOCALES:
        assert found[locale] == first, f"{key}: {found}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_sentence_is_non_empty_and_formats(key: str) -> None:
    for locale in LOCALES:
        text = SENTENCES[locale][key]
        assert text.strip(), f"{locale}:{key} is empty"
        # Formatting with its own placeholders must not raise (no stray braces).
        text.format(**dict.fromkeys(placeholders(text), "x"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_kind_has_a_name_and_a_prompt(locale: str, kind: str) -> None:
    assert SENTENCES[locale].get(f"steps.{kind}.name", "").strip()
    assert SENTENCES[locale].get(f"steps.{kind}.prompt", "").strip()
    # A step name is used inside headings: one line.
    assert "\n" not in SENTENCES[locale][f"steps.{kind}.name"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_has_a_choice_name(locale: str) -> None:
    for key in load_templates():
        name = SENTENCES[locale].get(f"commands.templates.{key}", "")
        assert 1 <= len(name) <= 100, f"{locale}: commands.templates.{key}"


@pytest.mark.parametrize("locale", LOCALES)
def test_count_forms_exist_for_every_noun(locale: str) -> None:
    nouns = {key.split(".")[2] for key in SENTENCES[locale] if key.startswith("common.count.")}
    assert {"note", "person", "comment", "day", "hour", "minute", "second"} <= nouns
    for noun in nouns:
        for form in ("one", "other"):
            text = SENTENCES[locale][f"common.count.{noun}.{form}"]
            assert placeholders(text) == {"n"}


def command_entries(locale: str) -> dict[str, str]:
    return {
        key: text
        for key, text in SENTENCES[locale].items()
        if key.startswith("commands.")
        and not key.startswith(("commands.templates.", "commands.languages."))
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_command_names_follow_discord_rules(locale: str) -> None:
    names = {k: v for k, v in command_entries(locale).items() if k.endswith(".name")}
    assert names
    for key, name in names.items():
        assert COMMAND_NAME.fullmatch(name), f"{locale}:{key} = {name!r}"
        assert name == name.lower(), f"{locale}:{key} = {name!r} is not lower case"
        assert " " not in name


@pytest.mark.parametrize("locale", LOCALES)
def test_command_descriptions_fit_discord(locale: str) -> None:
    descriptions = {k: v for k, v in command_entries(locale).items() if k.endswith(".description")}
    assert descriptions
    for key, text in descriptions.items():
        assert 1 <= len(text) <= 100, f"{locale}:{key} has {len(text)} characters"
    # Every name has a description and the other way round.
    names = {k.removesuffix(".name") for k in command_entries(locale) if k.endswith(".name")}
    described = {k.removesuffix(".description") for k in descriptions}
    assert names == described


@pytest.mark.parametrize("locale", LOCALES)
def test_sibling_commands_and_options_have_distinct_names(locale: str) -> None:
    entries = command_entries(locale)
    siblings: dict[str, list[str]] = {}
    for key, name in entries.items():
        if key.endswith(".name"):
            parent = key.removesuffix(".name").rsplit(".", 1)[0]
            siblings.setdefault(parent, []).append(name)
    for parent, names in siblings.items():
        assert len(names) == len(set(names)), f"{locale}: {parent} has {names}"


@pytest.mark.parametrize("locale", LOCALES)
def test_choice_names_fit_discord(locale: str) -> None:
    for key, text in SENTENCES[locale].items():
        if key.startswith(("commands.templates.", "commands.languages.")):
            assert 1 <= len(text) <= 100, key


def test_the_catalogue_falls_back_and_resolves_discord_locales() -> None:
    sentences = catalog()
    assert set(sentences.locales) == set(LOCALES)
    assert sentences.resolve("en-US") == "en"
    assert sentences.resolve("en-GB") == "en"
    assert sentences.resolve("nl") == "nl"
    assert sentences.resolve("fr") == sentences.default
    assert sentences.resolve(None) == sentences.default
    small = Catalog({"nl": {"a.b": "nl {x}", "a.c": "alleen nl"}, "en": {"a.b": "en {x}"}}, "nl")
    assert small.t("en", "a.b", x=1) == "en 1"
    assert small.t("en", "a.c") == "alleen nl"  # falls back to the default locale
    assert small.t("de", "a.b", x=2) == "nl 2"


# -- keys used in the code ---------------------------------------------------------------------

# Calls whose argument is a catalogue key: name -> (argument index, prefix, suffixes).
KEY_CALLS: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "t": (1, "", ("",)),  # catalog.t(locale, key, ...)
    "_t": (1, "", ("",)),  # cog helper self._t(interaction, key, ...)
    "raw": (1, "", ("",)),  # catalog.raw(locale, key)
    "command_text": (0, "commands.", ("",)),
    "ct": (0, "commands.", ("",)),
    "_fail": (2, "cli.", ("",)),  # cli._fail(sentences, locale, key, code)
    "count": (2, "common.count.", (".one", ".other")),  # render.text.count(c, l, noun, n)
    "step_name": (2, "steps.", (".name",)),
    "WrongPlaceError": (0, "errors.", ("",)),
    "_steer": (2, "", ("",)),  # SessionCog._steer(interaction, action, reply_key)
    "demo_text": (0, "demo.", ("",)),  # bot.demo: self.demo_text(key, ...)
}

# f-string keys, with their formatted parts shown as {}: how to expand them, or None when
# the key is checked at the call sites instead (say why).
FSTRING_KEYS: dict[str, list[str] | None] = {
    "errors.session.{}": [r.value for r in Refusal],
    "errors.duration.{}": [p.value for p in DurationProblem],
    "errors.deadline.{}": [p.value for p in DeadlineProblem],
    "steps.{}.name": list(STEP_KINDS),
    "steps.{}.prompt": list(STEP_KINDS),
    "commands.templates.{}": sorted(load_templates()),
    "vote.opened.{}": [t.value for t in VoteTarget],
    "vote.ballot.refused.{}": [r.value for r in BallotRefusal],
    # VoteRefusedError reasons raised in bot/facilitation.py.
    "errors.vote.{}": ["too_few_options", "unknown_round"],
    "common.month.m{}": [str(month) for month in range(1, 13)],
    "recap.{}.heading": [kind.value for kind in RecapKind],
    # The helpers themselves: their callers' arguments are checked through KEY_CALLS.
    "demo.{}": None,  # _Demo.demo_text(key): callers' literal keys are checked via KEY_CALLS
    "common.count.{}.{}": None,
    "cli.{}": None,
    "errors.{}": None,
    "commands.{}": None,
}

FILE_PREFIXES = tuple(sorted({key.split(".")[0] for key in ALL_KEYS}))
KEY_LIKE = re.compile(rf"^(?:{'|'.join(FILE_PREFIXES)})(?:\.[a-z_0-9]+)+$")


def python_files() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "sandbox" not in p.parts)


def callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def shape(node: ast.JoinedStr) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        else:
            parts.append("{}")
    return "".join(parts)


def strings_assigned(function: ast.AST, name: str) -> list[str]:
    """Every string constant assigned to ``name`` inside ``function``."""
    found: list[str] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found.extend(literal_strings(node.value))
    return found


def literal_strings(value: ast.expr) -> list[str]:
    """The texts a plain literal (or a conditional choice of literals) can have."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        return literal_strings(value.body) + literal_strings(value.orelse)
    return []


def used_keys() -> Iterator[tuple[str, str, list[str] | None]]:
    """(where, key or f-string shape, concrete keys or None when skipped)."""
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where_base = str(path.relative_to(BOT.parent))
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = callee(node)
            if name not in KEY_CALLS:
                continue
            index, prefix, suffixes = KEY_CALLS[name]
            if len(node.args) <= index:
                continue
            arg = node.args[index]
            where = f"{where_base}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield where, prefix + arg.value, [prefix + arg.value + s for s in suffixes]
            elif isinstance(arg, ast.JoinedStr):
                key_shape = prefix + shape(arg)
                if key_shape not in FSTRING_KEYS:
                    yield where, key_shape, []  # unknown: the test fails and says where
                    continue
                values = FSTRING_KEYS[key_shape]
                yield (
                    where,
                    key_shape,
                    None if values is None else [key_shape.replace("{}", v) for v in values],
                )
            elif isinstance(arg, ast.Name):
                enclosing = [
                    f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)
                ]
                literals = strings_assigned(enclosing[-1], arg.id) if enclosing else []
                # A parameter passed through (like `key` in a helper) is checked at its callers.
                yield (
                    where,
                    f"<{arg.id}>",
                    [prefix + lit + s for lit in literals for s in suffixes] or None,
                )


USED = [entry for entry in used_keys() if entry[2] is not None]
# Keys a helper passes through from its parameters; the helpers' callers are checked.
PASSED_THROUGH = {
    "<key>",  # Catalog.t/raw, the cog's _t, the translator
    "<full_key>",  # command_text
    "<reply_key>",  # SessionCog._steer: its callers' literal keys are checked via KEY_CALLS
    "<unit>",  # human_duration's loop over day/hour/minute (see test_render)
    "<kind>",  # step_name(kind)
    "<step_kind>",  # step_name(step_kind): a StepPlan's kind, one of STEP_KINDS
    "cli.{}",
    "demo.{}",
    "errors.{}",
    "common.count.{}.{}",
}


def test_keys_passed_through_are_the_known_helpers() -> None:
    skipped = {key for _, key, keys in used_keys() if keys is None}
    assert skipped <= PASSED_THROUGH, (
        f"new keys passed through variables: {skipped - PASSED_THROUGH}; check their callers "
        "and add them to PASSED_THROUGH or FSTRING_KEYS"
    )


def test_the_scan_finds_the_keys_the_code_uses() -> None:
    # A guard against a scanner that silently finds nothing.
    concrete = {key for _, _, keys in USED if keys for key in keys}
    assert len(concrete) > 40
    assert "session.step.heading" in concrete  # reached through a variable
    assert "commands.session.start.name" in concrete
    assert "errors.session.stale" in concrete


@pytest.mark.parametrize(("where", "key", "keys"), USED, ids=[f"{w} {k}" for w, k, _ in USED])
def test_every_key_used_in_the_code_exists(where: str, key: str, keys: list[str]) -> None:
    assert keys, f"{where}: f-string key {key!r} — add its values to FSTRING_KEYS in this test"
    for locale in LOCALES:
        missing = [k for k in keys if k not in SENTENCES[locale]]
        assert not missing, f"{where}: {missing} missing in {locale}"


def key_like_literals() -> Iterator[tuple[str, str]]:
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # A piece of an f-string ("common.month.m" in f"common.month.m{n}") is not a key
        # of its own; the whole f-string is checked through FSTRING_KEYS.
        pieces = {
            id(value)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for value in node.values
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and id(node) not in pieces
                and isinstance(node.value, str)
                and KEY_LIKE.fullmatch(node.value)
            ):
                yield f"{path.relative_to(BOT.parent)}:{node.lineno}", node.value


@pytest.mark.parametrize(("where", "literal"), list(key_like_literals()))
def test_key_like_literals_exist(where: str, literal: str) -> None:
    # A literal such as "session.step.again" is a key even when it travels in a variable.
    known = set(SENTENCES[LOCALES[0]])
    if literal in known:
        return
    assert any(key.startswith(literal + ".") for key in known) or f"commands.{literal}" in known, (
        f"{where}: {literal!r} looks like a catalogue key but is not one"
    )


# -- no sentences in Python --------------------------------------------------------------------

SENTENCE_DIRS = ("render", "cogs", "ui")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def excluded_nodes(tree: ast.AST) -> set[int]:
    """Docstrings, log calls and raised exceptions' messages (for developers, not users)."""
    ids = docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            ids.update(id(child) for child in ast.walk(node))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOG_METHODS
        ):
            ids.update(id(child) for child in ast.walk(node))
    return ids


def words(text: str) -> list[str]:
    return [w for w in text.split() if re.search(r"[A-Za-zÀ-ÿ]{2,}", w)]


def sentence_literals() -> Iterator[tuple[str, str]]:
    for folder in SENTENCE_DIRS:
        for path in sorted((BOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = excluded_nodes(tree)
            for node in ast.walk(tree):
                if id(node) in skip:
                    continue
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and len(words(node.value)) >= 4
                ):
                    yield f"{path.relative_to(BOT.parent)}:{node.lineno}", node.value


def test_no_sentences_in_render_cogs_or_ui() -> None:
    found = list(sentence_literals())
    assert not found, "sentences belong in prompts/: " + "; ".join(f"{w}: {t!r}" for w, t in found)


def test_the_sentence_heuristic_catches_a_sentence() -> None:
    tree = ast.parse('"""Docstrings are fine here."""\nx = "Welcome to the session, everyone"\n')
    skip = excluded_nodes(tree)
    hits = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and id(n) not in skip and len(words(str(n.value))) >= 4
    ]
    assert hits == ["Welcome to the session, everyone"]
