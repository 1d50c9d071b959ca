"""Retrieval over the regulation texts: index, hybrid retriever, extractive answerer.

`knowledge` never imports `bot` or `ingest`; the composition root picks the embedder.
Names load lazily, so `import knowledge.documents` does not pull in Chroma, bm25s or a model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge import embedders
    from knowledge.answer import Answer, ExtractiveAnswerer
    from knowledge.confidence import DEFAULT_THRESHOLD
    from knowledge.documents import Chunk, Citation, DocumentMeta, Passage
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import HybridRetriever

_HOME = {
    "Answer": "knowledge.answer",
    "ExtractiveAnswerer": "knowledge.answer",
    "DEFAULT_THRESHOLD": "knowledge.confidence",
    "Chunk": "knowledge.documents",
    "Citation": "knowledge.documents",
    "DocumentMeta": "knowledge.documents",
    "Passage": "knowledge.documents",
    "KnowledgeIndex": "knowledge.index",
    "HybridRetriever": "knowledge.retriever",
}

__all__ = [
    "DEFAULT_THRESHOLD",
    "Answer",
    "Chunk",
    "Citation",
    "DocumentMeta",
    "ExtractiveAnswerer",
    "HybridRetriever",
    "KnowledgeIndex",
    "Passage",
    "embedders",
]


def __getattr__(name: str) -> Any:
    if name == "embedders":
        return importlib.import_module("knowledge.embedders")
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
