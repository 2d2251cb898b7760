"""Every user-facing sentence, loaded from ``prompts/<locale>/*.toml``.

A key is the file name and the dotted path inside it: ``session.welcome.title`` is the
``title`` of table ``[welcome]`` in ``session.toml``. Placeholders use ``{name}``.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"
# bot/prompts links to the repository's prompts/ folder; in an installed wheel it is the
# folder itself.
PROMPTS_DIR = Path(__file__).parent / "prompts"


class PromptsError(ValueError):
    """A prompts file that is missing, unreadable or incomplete."""


def _flatten(prefix: str, table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, Mapping):
            yield from _flatten(key, value)
        elif isinstance(value, str):
            yield key, value
        else:
            raise PromptsError(f"{key}: expected text, found {type(value).__name__}")


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a sentence expects."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def load_locale(folder: Path) -> dict[str, str]:
    """All sentences of one locale folder, keyed ``file.dotted.path``."""
    sentences: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise PromptsError(f"{path}: {error}") from error
        sentences.update(_flatten(path.stem, data))
    return sentences


class Catalog:
    """Sentences per locale, with the default locale as the fallback."""

    def __init__(self, sentences: Mapping[str, Mapping[str, str]], default: str) -> None:
        if default not in sentences:
            raise PromptsError(f"no prompts for the default locale {default!r}")
        self._sentences = sentences
        self.default = default

    @classmethod
    def load(cls, root: Path = PROMPTS_DIR, default: str = DEFAULT_LOCALE) -> Catalog:
        """Read every locale folder under ``root``."""
        sentences = {locale: load_locale(root / locale) for locale in LOCALES}
        return cls(sentences, default)

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales with sentences."""
        return tuple(self._sentences)

    def keys(self, locale: str) -> set[str]:
        """Every key a locale defines."""
        return set(self._sentences[locale])

    def raw(self, locale: str, key: str) -> str:
        """The unformatted sentence (falls back to the default locale)."""
        table = self._sentences.get(self.resolve(locale), {})
        if key in table:
            return table[key]
        return self._sentences[self.default][key]

    def t(self, locale: str, key: str, **values: object) -> str:
        """The sentence for ``key`` in ``locale``, with its placeholders filled."""
        return self.raw(locale, key).format(**values)

    def resolve(self, locale: str | None) -> str:
        """Map a Discord locale (``nl``, ``en-US``, ``en-GB``…) to one we speak."""
        if locale:
            short = str(locale).split("-")[0].lower()
            if short in self._sentences:
                return short
        return self.default


@cache
def catalog() -> Catalog:
    """The catalogue shipped in ``prompts/`` (loaded once)."""
    return Catalog.load()
