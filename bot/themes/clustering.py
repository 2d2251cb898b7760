"""Affinity mapping: group a step's notes into themes and find notes that fit nowhere.

The method, and why (measured on tests/fixtures/library_notes.toml with
bench/themes_quality.py; plain Ward or k-means on the same vectors reached ARI ~0.3-0.4
and picked the number of themes erratically):

1. Centre and re-normalise the vectors. Sentence encoders put every text in a narrow
   cone (all cosines ~0.8); subtracting the step's mean vector spreads them out so that
   cosine similarity tells topics apart.
2. Work on a bounded random sample (``sample_size``, default 1,500) so that nothing of
   size n x n is ever built: 10,000 notes cost about the same as 1,500 plus one pass of
   nearest-centroid assignment in chunks.
3. Denoise: move each sampled note towards the mean of its nearest neighbours. One
   short note is a noisy point; its neighbourhood is a better estimate of its topic.
4. Evidence accumulation clustering (Fred & Jain 2005): run k-means many times (on the
   sample's top 48 principal components, for speed) with different seeds and different,
   deliberately too large, k; count how often each pair of notes lands together (the
   co-association matrix, sample x sample); cluster that with average linkage. Pairs
   that belong together co-occur in nearly every run, so the consensus is much more
   stable than any single k-means or Ward cut.
5. The number of themes comes from the data: the cut of the consensus tree that lives
   longest (the largest gap between successive merge heights), counting only groups
   with at least 5% of the sample and ``min_theme_size`` notes; at most ``max_themes``.
   "All one theme" is chosen only if it clearly outlives every split.
6. Theme centres are the mean (centred) vectors of the groups; every note joins its
   nearest centre, with a few rounds of spherical k-means to settle. A note whose
   similarity to its centre is unusually low for this step (a robust z-score below
   ``-outlier_z``, or not above zero) goes to "other", as do themes left with fewer
   than ``min_theme_size`` notes. ``outlier_z`` = 1.5 puts ~5% of the fixture's notes
   in "other" and raised the ARI both with "other" as a group and without it.

Everything here is pure CPU work without I/O; callers run it in a thread.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.themes.language import l2_normalise
from bot.themes.naming import KeywordIndex
from bot.themes.text import has_content

Vectors = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]

_CHUNK = 4096
# A group of the consensus counts as a theme only if it holds this share of the sample
# (and at least ``min_theme_size`` notes); smaller groups join their nearest theme or
# "other". Without it the chosen number of themes ranged 6-11 over seeds on the 7-theme
# fixture; with it 6-9, at the same ARI.
_MIN_SHARE = 0.05
# k-means runs of the ensemble use k between these multiples of sqrt(sample size): more
# groups than themes, so each run splits rather than merges (tuned on the fixture: wider
# ranges find one or two themes too many, narrower ones are less stable).
_ENSEMBLE_K_LOW = 0.5
_ENSEMBLE_K_HIGH = 1.25
_ENSEMBLE_DIMS = 48
_INIT = "random"
# "All one theme" must beat the clearest split by this factor: on weakly structured
# notes (lexical vectors of short texts) the one-group cut otherwise wins by a hair and
# hides every theme; on structureless data it wins by 5x or more.
_ONE_THEME_MARGIN = 2.0
_MAX_ITER = 50


@dataclass(frozen=True)
class FoundTheme:
    """One theme: its notes (closest to the centre first), name words and centre."""

    note_ids: list[int]
    keywords: list[str]
    centroid: Vectors = field(repr=False)
    similarities: list[float] = field(default_factory=list, repr=False)

    @property
    def size(self) -> int:
        """Number of notes in the theme."""
        return len(self.note_ids)


@dataclass(frozen=True)
class ThemeSet:
    """The result of :func:`find_themes`.

    ``themes`` are ordered largest first. ``other`` holds the notes that fit no theme
    (empty ones too). ``center`` is the mean vector that was subtracted before comparing
    (centroids live in that centred space) and ``threshold`` the lowest similarity to a
    centroid that still counts as belonging; pass both to :func:`assign_to_themes` to
    place new or corrected notes consistently.
    """

    themes: list[FoundTheme]
    other: list[int]
    center: Vectors = field(repr=False)
    threshold: float = 0.0

    def centroids(self) -> Vectors:
        """The themes' centroids as one (k, d) array, in theme order."""
        if not self.themes:
            return np.zeros((0, self.center.shape[0]), dtype=np.float32)
        return np.stack([t.centroid for t in self.themes]).astype(np.float32)


def centre_vectors(vectors: npt.ArrayLike, center: Vectors | None) -> Vectors:
    """Rows L2-normalised, ``center`` subtracted (if given), and normalised again."""
    out = l2_normalise(vectors)
    if center is not None and center.size:
        zero = ~out.any(axis=1)
        out = l2_normalise(out - center.astype(np.float32)[None, :])
        out[zero] = 0.0
    return out


def theme_centroids(
    vectors: npt.ArrayLike,
    groups: Sequence[Sequence[int]],
    center: Vectors | None = None,
) -> Vectors:
    """Unit centroids of groups of rows of ``vectors`` (e.g. facilitator-made themes).

    ``groups`` holds row positions. With the ``center`` of a :class:`ThemeSet`, the
    centroids are comparable with that set's. An empty group gets an all-zero row.
    """
    centred = centre_vectors(vectors, center)
    rows = [
        centred[list(g)].mean(axis=0) if len(g) else np.zeros(centred.shape[1], np.float32)
        for g in groups
    ]
    if not rows:
        return np.zeros((0, centred.shape[1]), dtype=np.float32)
    return l2_normalise(np.stack(rows))


def assign_to_themes(
    vectors: npt.ArrayLike,
    centroids: npt.ArrayLike,
    threshold: float,
    *,
    center: Vectors | None = None,
) -> tuple[Labels, Vectors]:
    """The nearest centroid for each row, or -1 where the best similarity < ``threshold``.

    Returns ``(labels, similarities)``; similarities are cosine, in the centred space if
    ``center`` is given (use the ``center`` and ``threshold`` of a :class:`ThemeSet`).
    Works in chunks, so memory stays O(n x k). All-zero rows get -1.
    """
    centred = centre_vectors(vectors, center)
    cents = l2_normalise(centroids)
    n = centred.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    sims = np.zeros(n, dtype=np.float32)
    if n == 0 or cents.shape[0] == 0:
        return labels, sims
    for start in range(0, n, _CHUNK):
        block = centred[start : start + _CHUNK] @ cents.T
        best = block.argmax(axis=1)
        labels[start : start + _CHUNK] = best
        sims[start : start + _CHUNK] = block[np.arange(block.shape[0]), best]
    empty = ~centred.any(axis=1)
    labels[(sims < threshold) | empty] = -1
    return labels, sims


def find_themes(
    note_ids: Sequence[int],
    texts: Sequence[str],
    vectors: npt.ArrayLike,
    *,
    max_themes: int = 12,
    min_theme_size: int = 2,
    random_state: int = 0,
    sample_size: int = 1500,
    ensemble_runs: int = 30,
    refine_rounds: int = 3,
    outlier_z: float = 1.5,
    keywords: int = 4,
    n_themes: int | None = None,
) -> ThemeSet:
    """Group notes into themes; the number of themes is chosen from the data.

    ``vectors`` are the notes' embeddings (rows in the order of ``note_ids``/``texts``,
    from one :class:`~bot.themes.embedders.Embedder`). Notes with no content (empty,
    whitespace or punctuation only, or an all-zero vector) always go to ``other``. Fewer
    than four notes, or notes that are all identical, form a single theme (if there are
    at least ``min_theme_size`` of them). Deterministic for a given ``random_state``.
    Memory is O(n x d + sample_size^2).

    ``n_themes`` asks for that many themes instead of choosing the number from the data
    (e.g. a facilitator's "make it five"); fewer come back if the notes do not allow it.
    ``sample_size``, ``ensemble_runs``, ``refine_rounds`` and ``outlier_z`` tune the
    method (see the module docstring); the defaults are what was measured best.
    """
    ids = [int(i) for i in note_ids]
    raw = np.asarray(vectors, dtype=np.float32)
    if raw.ndim != 2:
        raw = raw.reshape(len(ids), -1)
    if not (len(ids) == len(texts) == raw.shape[0]):
        raise ValueError("note_ids, texts and vectors must have the same length")
    max_themes = max(1, max_themes)
    min_theme_size = max(1, min_theme_size)
    dim = raw.shape[1]
    unit = l2_normalise(raw)
    valid = np.flatnonzero(unit.any(axis=1) & np.array([has_content(t) for t in texts], bool))
    invalid = sorted(set(range(len(ids))) - set(valid.tolist()))
    empty_center = np.zeros(dim, dtype=np.float32)
    if valid.size == 0:
        return ThemeSet(themes=[], other=[ids[i] for i in invalid], center=empty_center)

    rng = np.random.default_rng(random_state)
    sample = (
        np.sort(rng.choice(valid, size=sample_size, replace=False))
        if valid.size > sample_size
        else valid
    )
    center = unit[sample].mean(axis=0).astype(np.float32)
    centred = centre_vectors(unit[valid], center)

    labels_valid = _initial_labels(
        centred,
        np.searchsorted(valid, sample),
        n_total=valid.size,
        max_themes=max_themes,
        min_theme_size=min_theme_size,
        rng=rng,
        ensemble_runs=ensemble_runs,
        unit_valid=unit[valid],
        n_themes=n_themes,
    )
    n_groups = int(labels_valid.max()) + 1 if labels_valid.size else 0
    if n_groups == 0:
        return ThemeSet(
            themes=[], other=[ids[i] for i in sorted(valid.tolist() + invalid)], center=center
        )

    if n_groups == 1:
        # One theme: its centre is the mean, which centring would erase. Compare in the
        # uncentred space instead (and say so with a zero ``center``).
        center = empty_center
        centred = unit[valid]
    groups = [np.flatnonzero(labels_valid == g) for g in range(n_groups)]
    cents = theme_centroids(centred, [g.tolist() for g in groups])
    for _ in range(max(0, refine_rounds)):
        labels_now, _sims = assign_to_themes(centred, cents, -np.inf)
        new = theme_centroids(
            centred, [np.flatnonzero(labels_now == g).tolist() for g in range(n_groups)]
        )
        keep = new.any(axis=1)
        new[~keep] = cents[~keep]
        if np.allclose(new, cents, atol=1e-6):
            break
        cents = new

    labels_now, sims = assign_to_themes(centred, cents, -np.inf)
    threshold = _outlier_threshold(sims, outlier_z) if valid.size >= 8 else -np.inf
    labels_now[sims < threshold] = -1

    members = [np.flatnonzero(labels_now == g) for g in range(n_groups)]
    kept = [g for g in range(n_groups) if members[g].size >= min_theme_size]
    other_rows = set(invalid)
    for g in range(n_groups):
        if g not in kept:
            other_rows.update(valid[members[g]].tolist())
    other_rows.update(valid[labels_now == -1].tolist())
    # Final centres from the final members, and each member's similarity to its centre.
    final = theme_centroids(centred, [members[g].tolist() for g in kept])
    for j, g in enumerate(kept):
        cents[g] = final[j]
        sims[members[g]] = centred[members[g]] @ final[j]
    kept.sort(key=lambda g: (-members[g].size, int(members[g][np.argmax(sims[members[g]])])))

    index = KeywordIndex([texts[int(i)] for i in valid], n_themes=max(1, len(kept)))
    themes: list[FoundTheme] = []
    for g in kept:
        rows = members[g]
        order = rows[np.lexsort((rows, -sims[rows]))]
        themes.append(
            FoundTheme(
                note_ids=[ids[valid[r]] for r in order],
                keywords=index.keywords(order.tolist(), top_n=keywords),
                centroid=cents[g].copy(),
                similarities=[float(sims[r]) for r in order],
            )
        )
    finite = float(threshold) if math.isfinite(threshold) else -1.0
    return ThemeSet(
        themes=themes,
        other=[ids[i] for i in sorted(other_rows)],
        center=center,
        threshold=finite,
    )


def _outlier_threshold(sims: Vectors, z: float) -> float:
    """Lowest similarity-to-own-centre that is still normal for this step."""
    median = float(np.median(sims))
    mad = float(np.median(np.abs(sims - median))) * 1.4826
    return max(0.0, median - z * mad) if mad > 0 else 0.0


def _initial_labels(
    centred: Vectors,
    sample_rows: npt.NDArray[np.intp],
    *,
    n_total: int,
    max_themes: int,
    min_theme_size: int,
    rng: np.random.Generator,
    ensemble_runs: int,
    unit_valid: Vectors,
    n_themes: int | None,
) -> Labels:
    """Consensus groups on the sample, extended to all rows by nearest centre.

    Returns one label per row of ``centred`` (-1: not in a group yet).
    """
    m = sample_rows.size
    labels = np.full(n_total, -1, dtype=np.int64)
    distinct = _count_distinct(unit_valid[sample_rows], limit=3)
    if distinct == 1 or m < 4:
        # All notes alike, or too few to compare: one group if it is big enough.
        if n_total >= min_theme_size:
            labels[:] = 0
        return labels
    points = _smooth(centred[sample_rows])
    sample_labels = _consensus(
        points,
        max_themes=max_themes,
        min_size=max(2, math.ceil(min_theme_size * m / n_total), math.ceil(_MIN_SHARE * m)),
        rng=rng,
        runs=ensemble_runs,
        wanted=n_themes,
    )
    groups = [np.flatnonzero(sample_labels == g) for g in range(int(sample_labels.max()) + 1)]
    if not groups:
        return labels
    cents = theme_centroids(centred[sample_rows], [g.tolist() for g in groups])
    labels, _ = assign_to_themes(centred, cents, -np.inf)
    return labels


def _count_distinct(rows: Vectors, limit: int) -> int:
    """Number of distinct rows (up to ``limit``), tolerant to float noise."""
    seen: list[Vectors] = []
    for row in rows:
        if all(float(np.abs(row - s).max()) > 1e-5 for s in seen):
            seen.append(row)
            if len(seen) >= limit:
                break
    return len(seen)


def _neighbours(points: Vectors, k: int) -> npt.NDArray[np.intp]:
    """Indices of each row's k most similar other rows (chunked; sample-sized input)."""
    m = points.shape[0]
    out = np.empty((m, k), dtype=np.intp)
    for start in range(0, m, 512):
        block = points[start : start + 512] @ points.T
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        out[start : start + 512] = top
    return out


def _smooth(points: Vectors) -> Vectors:
    """Each row averaged with the mean of its nearest neighbours, re-normalised."""
    m = points.shape[0]
    k = min(m - 1, max(3, min(10, round(math.sqrt(m) / 1.5))))
    if k < 1:
        return points
    nn = _neighbours(points, k)
    return l2_normalise(points + points[nn].mean(axis=1))


def _consensus(
    points: Vectors,
    *,
    max_themes: int,
    min_size: int,
    rng: np.random.Generator,
    runs: int,
    wanted: int | None,
) -> Labels:
    """Evidence-accumulation clustering; labels 0..g-1 for groups, -1 for leftovers.

    The cut of the consensus tree is the one that lives longest among those with 2 to
    ``max_themes`` groups of ``min_size`` or more, unless a single group outlives it by
    ``_ONE_THEME_MARGIN``; with ``wanted``, among those whose number of such groups is
    closest to it.
    """
    from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped,unused-ignore]
    from sklearn.cluster import KMeans  # type: ignore[import-untyped,unused-ignore]

    m = points.shape[0]
    points = _reduce(points, _ENSEMBLE_DIMS)
    root = math.sqrt(m)
    low = max(2, round(root * _ENSEMBLE_K_LOW))
    high = min(m - 1, max(low + 1, round(root * _ENSEMBLE_K_HIGH)))
    low = min(low, high)
    together = np.zeros((m, m), dtype=np.float32)
    runs = max(1, runs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k-means on near-duplicates warns; harmless
        for _ in range(runs):
            k = int(rng.integers(low, high + 1))
            seed = int(rng.integers(0, 2**31 - 1))
            km = KMeans(
                n_clusters=k, init=_INIT, n_init=1, max_iter=_MAX_ITER, random_state=seed
            ).fit(points)
            onehot = np.zeros((m, k), dtype=np.float32)
            onehot[np.arange(m), km.labels_] = 1.0
            together += onehot @ onehot.T
    together /= runs
    distance = 1.0 - together
    condensed = distance[np.triu_indices(m, k=1)].astype(np.float64)
    del together, distance
    tree = linkage(np.clip(condensed, 0.0, 1.0), method="average")
    heights = tree[:, 2]

    best: tuple[float, float] | None = None
    best_labels: Labels | None = None
    one_group_lifetime = 0.0
    for cut in range(1, min(m, 3 * max_themes + 1) + 1):
        upper = 1.0 if cut == 1 else float(heights[m - cut])
        lower = float(heights[m - cut - 1]) if cut < m else 0.0
        lifetime = upper - lower
        cut_labels = fcluster(tree, cut, criterion="maxclust") - 1
        sizes = np.bincount(cut_labels)
        big = int((sizes >= min_size).sum())
        if big < 1 or big > max_themes:
            continue
        if big == 1 and not wanted:
            one_group_lifetime = max(one_group_lifetime, lifetime)
            continue
        miss = -abs(big - wanted) if wanted else 0.0
        if best is None or (miss, lifetime) > (best[0], best[1] + 1e-9):
            best = (miss, lifetime)
            best_labels = _keep_big(cut_labels, sizes, min_size)
    if best is not None and one_group_lifetime > _ONE_THEME_MARGIN * best[1]:
        # No split is nearly as clear as "it is all one thing" (e.g. structureless data).
        return np.zeros(m, dtype=np.int64)
    if best_labels is None:
        return np.zeros(m, dtype=np.int64)
    return best_labels


def _reduce(points: Vectors, dims: int) -> Vectors:
    """The sample's top principal components (at most ``dims``), to speed up k-means."""
    m, d = points.shape
    if dims <= 0 or d <= dims or m <= dims:
        return points
    centred = points - points.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    return np.ascontiguousarray(centred @ vt[:dims].T.astype(np.float32), dtype=np.float32)


def _keep_big(labels: npt.NDArray[np.int32], sizes: npt.NDArray[np.intp], min_size: int) -> Labels:
    """Renumber groups of at least ``min_size`` to 0..g-1; the rest become -1."""
    mapping = np.full(sizes.size, -1, dtype=np.int64)
    big = np.flatnonzero(sizes >= min_size)
    mapping[big] = np.arange(big.size)
    return mapping[labels]
