"""Take the language (and the speaker's perspective) out of sentence vectors.

A multilingual encoder puts a Dutch note and its English translation close together,
but not on top of each other: every vector also carries a "which language is this"
component. In a session where people write in Dutch and English, that component is
strong enough that clustering splits notes by language before it splits them by topic.

The fix used here (after Libovický et al. 2020 and Xie et al. 2022, "low-rank
language subspace removal"): embed a fixed set of everyday Dutch/English translation
pairs, take the main directions of the differences between the two sides of each pair,
and project those directions out of every vector. The pairs are deliberately about
nothing in particular (weather, trains, cooking) so that no topic is projected out.

The same is done for perspective: empathise-step notes mix first-person quotes ("“Ik
durf niet te internetbankieren”") with observations ("Senioren durven niet ..."), and
the encoder groups quotes with quotes. Pairs of everyday sentences said as a quote and
reported in the third person give those directions. On the labelled fixture this
raised nearest-neighbour agreement from 0.78 to 0.83 and the theme ARI by ~0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# Everyday sentences and their translations; no library topics on purpose.
PARALLEL_NL_EN: tuple[tuple[str, str], ...] = (
    ("Het regent al de hele ochtend.", "It has been raining all morning."),
    ("Ik heb gisteren een nieuwe fiets gekocht.", "I bought a new bicycle yesterday."),
    ("De trein naar Utrecht heeft vertraging.", "The train to Utrecht is delayed."),
    ("Wat eten we vanavond?", "What are we having for dinner tonight?"),
    ("Mijn zus woont in een klein dorp.", "My sister lives in a small village."),
    ("Kun je het raam even dichtdoen?", "Could you close the window?"),
    ("De winkel is op maandag gesloten.", "The shop is closed on Mondays."),
    ("We gaan deze zomer kamperen in Frankrijk.", "We are going camping in France this summer."),
    ("Hij drinkt zijn koffie altijd zwart.", "He always drinks his coffee black."),
    ("De vergadering begint om tien uur.", "The meeting starts at ten o'clock."),
    ("Ik ben mijn sleutels kwijt.", "I have lost my keys."),
    ("Het was een mooie dag aan het strand.", "It was a lovely day at the beach."),
    ("De kat slaapt op de bank.", "The cat is sleeping on the sofa."),
    ("Wij moeten nog boodschappen doen.", "We still need to do the shopping."),
    ("Zij werkt drie dagen per week.", "She works three days a week."),
    ("Het concert was uitverkocht.", "The concert was sold out."),
    ("De weg is afgesloten wegens werkzaamheden.", "The road is closed because of roadworks."),
    ("Ik vind die film erg spannend.", "I find that film very exciting."),
    ("Morgen wordt het warmer.", "Tomorrow it will be warmer."),
    ("Hoeveel kost een kaartje?", "How much does a ticket cost?"),
    ("De buren hebben een nieuwe auto.", "The neighbours have a new car."),
    ("Ze lachte om de grap.", "She laughed at the joke."),
    ("Het brood is op.", "The bread is finished."),
    ("Ik ga vroeg naar bed.", "I am going to bed early."),
    ("Dank je wel voor je hulp.", "Thank you for your help."),
    ("De tuin moet gemaaid worden.", "The lawn needs mowing."),
    ("Waar is het station?", "Where is the station?"),
    ("Hij speelt elke zaterdag voetbal.", "He plays football every Saturday."),
    ("Het water is te koud om te zwemmen.", "The water is too cold to swim."),
    ("We hebben de hele avond gepraat.", "We talked all evening."),
    ("Vergeet niet de planten water te geven.", "Don't forget to water the plants."),
    ("Mijn telefoon is bijna leeg.", "My phone is almost dead."),
    ("De soep is te zout.", "The soup is too salty."),
    ("Zij heeft een hekel aan wachten.", "She hates waiting."),
    ("Het museum is gratis op zondag.", "The museum is free on Sundays."),
    ("Hij is verhuisd naar Amsterdam.", "He moved to Amsterdam."),
    ("Ik heb hoofdpijn.", "I have a headache."),
    ("De bus komt elk kwartier.", "The bus comes every fifteen minutes."),
    ("Ze schilderen de keuken geel.", "They are painting the kitchen yellow."),
    ("Dat is een goed idee.", "That is a good idea."),
)

# The same kind of everyday sentences, said as a first-person quote and reported.
PERSPECTIVE_PAIRS: tuple[tuple[str, str], ...] = (
    ("“Ik heb gisteren een nieuwe fiets gekocht.”", "Zij heeft gisteren een nieuwe fiets gekocht."),
    ("“Ik ben mijn sleutels kwijt.”", "Hij is zijn sleutels kwijt."),
    ("“Ik drink mijn koffie altijd zwart.”", "Hij drinkt zijn koffie altijd zwart."),
    ("“Ik vind die film erg spannend.”", "Zij vindt die film erg spannend."),
    ("“Ik ga vroeg naar bed.”", "Hij gaat vroeg naar bed."),
    ("“Ik heb hoofdpijn.”", "Zij heeft hoofdpijn."),
    ("“Mijn zus woont in een klein dorp.”", "Haar zus woont in een klein dorp."),
    ("“Ik speel elke zaterdag voetbal.”", "Hij speelt elke zaterdag voetbal."),
    ("“Ik heb een hekel aan wachten.”", "Zij heeft een hekel aan wachten."),
    ("“Ik ben verhuisd naar Amsterdam.”", "Hij is verhuisd naar Amsterdam."),
    ("“Mijn telefoon is bijna leeg.”", "Zijn telefoon is bijna leeg."),
    ("“We gaan deze zomer kamperen.”", "Ze gaan deze zomer kamperen."),
    ("“I bought a new bicycle yesterday.”", "She bought a new bicycle yesterday."),
    ("“I have lost my keys.”", "He has lost his keys."),
    ("“I always drink my coffee black.”", "He always drinks his coffee black."),
    ("“I find that film very exciting.”", "She finds that film very exciting."),
    ("“I am going to bed early.”", "He is going to bed early."),
    ("“I have a headache.”", "She has a headache."),
    ("“My sister lives in a small village.”", "Her sister lives in a small village."),
    ("“I play football every Saturday.”", "He plays football every Saturday."),
    ("“I hate waiting.”", "She hates waiting."),
    ("“I moved to Amsterdam.”", "He moved to Amsterdam."),
    ("“My phone is almost dead.”", "His phone is almost dead."),
    ("“We are going camping this summer.”", "They are going camping this summer."),
)

DEFAULT_RANK = 8
DEFAULT_PERSPECTIVE_RANK = 8


def language_basis(
    embed: Callable[[Sequence[str]], Vectors],
    rank: int = DEFAULT_RANK,
    pairs: Sequence[tuple[str, str]] = PARALLEL_NL_EN,
) -> Vectors:
    """Orthonormal rows spanning the main directions between the two sides of ``pairs``.

    By default the pairs are Dutch/English translations. ``embed`` is the raw encoder
    (same prefix/settings as for the notes). Returns an array of shape (rank, d); rank 0
    gives an empty basis (no change).
    """
    if rank <= 0 or not pairs:
        dim = embed(["x"]).shape[1]
        return np.zeros((0, dim), dtype=np.float32)
    dutch = embed([nl for nl, _ in pairs]).astype(np.float64)
    english = embed([en for _, en in pairs]).astype(np.float64)
    _, _, vt = np.linalg.svd(dutch - english, full_matrices=False)
    return np.ascontiguousarray(vt[: min(rank, vt.shape[0])], dtype=np.float32)


def nuisance_basis(
    embed: Callable[[Sequence[str]], Vectors],
    language_rank: int = DEFAULT_RANK,
    perspective_rank: int = DEFAULT_PERSPECTIVE_RANK,
) -> Vectors:
    """Orthonormal rows spanning the language and the perspective directions together."""
    parts = [
        language_basis(embed, language_rank, PARALLEL_NL_EN),
        language_basis(embed, perspective_rank, PERSPECTIVE_PAIRS),
    ]
    stacked = np.concatenate(parts, axis=0).astype(np.float64)
    if stacked.shape[0] == 0:
        return stacked.astype(np.float32)
    q, r = np.linalg.qr(stacked.T)
    independent = np.abs(np.diag(r)) > 1e-6
    return np.ascontiguousarray(q.T[independent], dtype=np.float32)


def remove_subspace(vectors: Vectors, basis: Vectors) -> Vectors:
    """Project ``basis`` (orthonormal rows) out of ``vectors`` and re-normalise rows."""
    out = np.asarray(vectors, dtype=np.float32)
    if basis.shape[0]:
        out = np.asarray(out - (out @ basis.T) @ basis, dtype=np.float32)
    return l2_normalise(out)


def l2_normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length; all-zero (or non-finite) rows stay zero."""
    arr = np.array(vectors, dtype=np.float32, copy=True)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {arr.shape}")
    arr[~np.isfinite(arr)] = 0.0
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    np.divide(arr, norms, out=arr, where=norms > 1e-12)
    arr[(norms <= 1e-12).ravel()] = 0.0
    return arr
