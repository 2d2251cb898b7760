"""Name a theme by its most telling words: class-based TF-IDF (c-TF-IDF) over stems.

A word tells a theme apart when many of the theme's notes use it and few notes outside
the theme do. Following BERTopic's c-TF-IDF, a stem's score in a theme is

    (notes in the theme that use it / words in the theme) * log(1 + A / notes that use it)

where A is the average number of words per theme. Words are Snowball-stemmed per note
(Dutch or English, guessed per note) with Dutch and English stop words removed, and each
stem is shown as the form people wrote most often in the theme ("jongeren", not "jonger").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.themes.text import Term, terms


class KeywordIndex:
    """Word statistics of all notes of a step, computed once, to name many themes.

    ``texts`` are all the notes being grouped; themes are given as positions in it.
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        n_themes: int | None = None,
        extra_stop_words: Iterable[str] = (),
    ) -> None:
        extra = tuple(extra_stop_words)
        self._terms: list[list[Term]] = [terms(t, extra_stop_words=extra) for t in texts]
        self._note_freq: Counter[str] = Counter()
        total = 0
        for note_terms in self._terms:
            total += len(note_terms)
            self._note_freq.update({t.stem for t in note_terms})
        self._total_words = total
        self._n_themes = n_themes

    def keywords(self, members: Sequence[int], *, top_n: int = 4) -> list[str]:
        """The 2-``top_n`` most telling words of the theme made of notes ``members``.

        Fewer come back only if the notes hold fewer content words (e.g. emoji only).
        """
        return _best_words(
            [self._terms[i] for i in members],
            self._note_freq,
            n_notes=len(self._terms),
            total_words=self._total_words,
            n_themes=self._n_themes,
            top_n=top_n,
        )


def theme_keywords(
    texts_in_theme: Sequence[str],
    all_texts: Sequence[str],
    *,
    top_n: int = 4,
    n_themes: int | None = None,
    extra_stop_words: Iterable[str] = (),
) -> list[str]:
    """The most telling words (2 to ``top_n``) of a theme, lower-case, as written.

    ``all_texts`` are all notes of the step (the theme's included; if not, they are
    counted anyway). ``n_themes`` is how many themes the step has; by default it is
    estimated as ``len(all_texts) / len(texts_in_theme)``.
    """
    extra = tuple(extra_stop_words)
    theme_terms = [terms(t, extra_stop_words=extra) for t in texts_in_theme]
    note_freq: Counter[str] = Counter()
    total = 0
    for text in all_texts:
        note_terms = terms(text, extra_stop_words=extra)
        total += len(note_terms)
        note_freq.update({t.stem for t in note_terms})
    return _best_words(
        theme_terms,
        note_freq,
        n_notes=max(len(all_texts), len(texts_in_theme)),
        total_words=total,
        n_themes=n_themes,
        top_n=top_n,
    )


def _best_words(
    theme_terms: Sequence[Sequence[Term]],
    corpus_note_freq: Counter[str],
    *,
    n_notes: int,
    total_words: int,
    n_themes: int | None,
    top_n: int,
) -> list[str]:
    if top_n <= 0 or not theme_terms:
        return []
    in_theme: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    theme_words = 0
    for note_terms in theme_terms:
        theme_words += len(note_terms)
        in_theme.update({t.stem for t in note_terms})
        for t in note_terms:
            surfaces.setdefault(t.stem, Counter())[t.surface] += 1
    if not in_theme:
        return []
    size = len(theme_terms)
    classes = n_themes if n_themes and n_themes > 0 else max(1, round(n_notes / size))
    avg_words = max(total_words, theme_words) / classes

    def score(stem: str) -> float:
        freq = max(corpus_note_freq.get(stem, 0), in_theme[stem])
        return in_theme[stem] / max(theme_words, 1) * math.log(1.0 + avg_words / freq)

    ranked = sorted(in_theme, key=lambda s: (-score(s), -in_theme[s], s))
    # Prefer words that several notes share; single-note words only fill up.
    shared = [s for s in ranked if in_theme[s] >= 2] if size >= 3 else ranked
    chosen = shared[:top_n]
    if len(chosen) < 2:
        chosen += [s for s in ranked if s not in chosen][: 2 - len(chosen)]
    out: list[str] = []
    for stem in chosen:
        forms = surfaces[stem]
        word = min(forms, key=lambda w: (-forms[w], len(w), w))
        if word not in out:
            out.append(word)
    return out
