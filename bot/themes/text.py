"""Words of a sticky note: tokens, Dutch + English stop words, Snowball stems.

Notes are short and often mix Dutch and English, so every note gets a language guess
(from the stop words it uses) and its words are stemmed with that language's Snowball
stemmer. Stems group inflections ("jongeren", "jongere"); the surface forms people wrote
are kept next to them so that theme names read naturally.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Language = Literal["nl", "en"]

_WORD_RE = re.compile(r"[^\W\d_]{2,}", re.UNICODE)

# Function words the `stop-words` package's Dutch list (106 words) lacks.
_EXTRA_DUTCH = frozenset(
    [
        "alle",
        "alleen",
        "allemaal",
        "beetje",
        "best",
        "bijna",
        "daarom",
        "deed",
        "dezelfde",
        "doet",
        "doe",
        "echt",
        "eigen",
        "eigenlijk",
        "elk",
        "elke",
        "enige",
        "enkel",
        "enkele",
        "even",
        "ga",
        "gaan",
        "gaat",
        "gedaan",
        "geen",
        "gehad",
        "gewoon",
        "graag",
        "hadden",
        "heel",
        "hele",
        "hen",
        "hoor",
        "hebt",
        "hunne",
        "ieder",
        "iedere",
        "iedereen",
        "jij",
        "jou",
        "jouw",
        "jullie",
        "komt",
        "komen",
        "kun",
        "kunt",
        "laat",
        "laten",
        "liever",
        "mag",
        "mee",
        "meer",
        "meeste",
        "mijn",
        "misschien",
        "moeten",
        "mogen",
        "mocht",
        "nee",
        "net",
        "niks",
        "nooit",
        "nou",
        "ofzo",
        "ok",
        "oké",
        "onze",
        "ooit",
        "paar",
        "per",
        "precies",
        "sinds",
        "soms",
        "staat",
        "steeds",
        "terwijl",
        "tussen",
        "vaak",
        "van",
        "vanaf",
        "veel",
        "verder",
        "via",
        "vooral",
        "waar",
        "waarom",
        "wanneer",
        "weer",
        "weet",
        "weten",
        "welke",
        "werden",
        "wilt",
        "willen",
        "zeer",
        "zegt",
        "zien",
        "ziet",
        "zit",
        "zitten",
        "zoals",
        "zoveel",
        "zullen",
        "zouden",
        "hunner",
        "iets",
        "ergens",
        "nergens",
        "niemand",
        "heen",
    ]
)

# Contractions and fragments that the tokenizer produces from English text, and verbs
# that notes use to say anything at all ("people need ...", "they want ...").
_EXTRA_ENGLISH = frozenset(
    [
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "haven",
        "hasn",
        "hadn",
        "won",
        "wouldn",
        "couldn",
        "shouldn",
        "can",
        "ll",
        "ve",
        "re",
        "let",
        "lets",
        "ok",
        "okay",
        "yeah",
        "really",
        "just",
        "also",
        "very",
        "much",
        "many",
        "lot",
        "lots",
        "get",
        "gets",
        "got",
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "wanted",
        "feel",
        "feels",
        "think",
        "thinks",
        "say",
        "says",
        "said",
        "like",
    ]
)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Dutch and English stop words, lower-case.

    Dutch: the `stop-words` package's list plus common function words it lacks.
    English: the `stop-words` package's list restricted to its core function words (the
    ones scikit-learn's list also has): the package's full English list (1,333 words)
    also holds content words such as "young", "open", "help" and "home", which are
    exactly the telling words of some themes.
    """
    from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
        ENGLISH_STOP_WORDS,
    )
    from stop_words import get_stop_words  # type: ignore[import-untyped,unused-ignore]

    dutch = {w.casefold() for w in get_stop_words("dutch")}
    english_full = {w.casefold() for w in get_stop_words("english")}
    english = english_full & {w.casefold() for w in ENGLISH_STOP_WORDS}
    return frozenset(dutch | _EXTRA_DUTCH | english | _EXTRA_ENGLISH)


@lru_cache(maxsize=1)
def _language_cues() -> tuple[frozenset[str], frozenset[str]]:
    """Words that point at Dutch and at English (the full lists, minus shared words)."""
    from stop_words import get_stop_words

    dutch = {w.casefold() for w in get_stop_words("dutch")} | _EXTRA_DUTCH
    english = {w.casefold() for w in get_stop_words("english")} | _EXTRA_ENGLISH
    shared = dutch & english
    return frozenset(dutch - shared), frozenset(english - shared)


def has_content(text: str) -> bool:
    """True if the text holds anything but whitespace and punctuation.

    Emoji count as content (they are symbols, not punctuation).
    """
    for ch in text:
        if ch.isspace():
            continue
        category = unicodedata.category(ch)
        if category[0] in "LNS":
            return True
    return False


def words(text: str) -> list[str]:
    """The words of a text, lower-case, in order (letters only, at least two)."""
    return _WORD_RE.findall(text.casefold())


def guess_language(tokens: Sequence[str], default: Language = "nl") -> Language:
    """Dutch or English, by which language's function words the tokens use more."""
    dutch, english = _language_cues()
    nl = sum(1 for t in tokens if t in dutch)
    en = sum(1 for t in tokens if t in english)
    if en > nl:
        return "en"
    if nl > en:
        return "nl"
    return default


@lru_cache(maxsize=2)
def _stemmer(language: Language) -> _Stemmer:
    import snowballstemmer  # type: ignore[import-untyped,unused-ignore]

    name = "dutch" if language == "nl" else "english"
    return _Stemmer(snowballstemmer.stemmer(name))


class _Stemmer:
    """A Snowball stemmer with a memo (stemming is the slow part of naming)."""

    def __init__(self, impl: object) -> None:
        self._impl = impl
        self._memo: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = self._memo.get(word)
        if found is None:
            found = str(self._impl.stemWord(word))  # type: ignore[attr-defined]
            if len(self._memo) < 200_000:
                self._memo[word] = found
        return found


@dataclass(frozen=True)
class Term:
    """One content word of a note: its stem (the key) and the form as written."""

    stem: str
    surface: str


def terms(text: str, *, extra_stop_words: Iterable[str] = ()) -> list[Term]:
    """Content words of a note with stems; stop words and very short words dropped.

    The note's language (Dutch or English) is guessed from its function words and
    chooses the stemmer for all its words; in a mixed note the minority language's
    words are stemmed by the other stemmer, which mostly leaves them as they are.
    """
    tokens = words(text)
    language = guess_language(tokens)
    stemmer = _stemmer(language)
    stops = stop_words()
    extra = {w.casefold() for w in extra_stop_words}
    out: list[Term] = []
    for token in tokens:
        if token in stops or token in extra or len(token) < 3:
            continue
        stem = stemmer.stem(token)
        if len(stem) < 2:
            continue
        out.append(Term(stem=stem, surface=token))
    return out


def normalise_for_embedding(text: str, max_chars: int = 2000) -> str:
    """Whitespace collapsed and length capped, so one huge note cannot stall a batch."""
    collapsed = " ".join(text.split())
    if len(collapsed) > max_chars:
        collapsed = collapsed[:max_chars]
    return collapsed
