"""Tuning on the ALQAC `dev` split only: BM25's k1 and b, those of the line-level index and the
article's share of the blend (knowledge.lexical), the dense weight of the hybrid sum,
BM25's lead from which a query is not embedded, and the answer threshold (dev questions should
be answered, out-of-scope questions refused; the threshold itself is calibrated on the
bundled texts by bench/confidence.py, this only checks it on another corpus).

The out-of-scope questions in bench/data/out_of_scope.txt were written for this project.
Prints a table, then one JSON line; the chosen values are the defaults in knowledge/.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alqac import (
    Query,
    build_index,
    cached_embedder,
    evaluate,
    load_queries,
    strip_diacritics,
)

import knowledge.lexical
from knowledge.answer import ExtractiveAnswerer
from knowledge.confidence import DEFAULT_THRESHOLD
from knowledge.index import KnowledgeIndex
from knowledge.retriever import DEFAULT_LEXICAL_LEAD, HybridRetriever, lexical_lead

BM25_PARAMS = ((0.9, 0.5), (0.6, 0.4), (0.5, 0.4), (0.4, 0.3))  # (k1, b)
LINE_PARAMS = ((1.2, 0.75), (1.5, 0.75))  # line level (k1, b)
SHARES = (1.0, 0.5, 0.4, 0.3)  # of the article score in the blend; 1.0: articles only
WEIGHTS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
LEADS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
TOLERANCE = 0.001  # MRR@10 a skip rule may cost on dev
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
OUT_OF_SCOPE = Path(__file__).resolve().parent / "data" / "out_of_scope.txt"


def ranked(retriever: HybridRetriever) -> Callable[[str], list[str]]:
    """The retriever's 10 best chunk ids for a question."""
    return lambda q: [p.chunk.id for p in retriever.search(q, 10)]


def reciprocal_rank(ranked: list[str], relevant: frozenset[str]) -> float:
    hits = [i for i, doc_id in enumerate(ranked[:10]) if doc_id in relevant]
    return 1.0 / (hits[0] + 1) if hits else 0.0


def lead_sweep(index: KnowledgeIndex, dev: list[Query]) -> dict[str, float]:
    """MRR@10 and the share of queries not embedded, for each lead from which dense is skipped.

    The pick: the smallest lead (most queries skipped) whose MRR@10 on dev, overall and on
    real questions, is less than TOLERANCE below never skipping.
    """
    always = HybridRetriever(index, lexical_lead=None)
    never = HybridRetriever(index, lexical_lead=0.0)  # skips whenever BM25 matches anything
    rows = []
    for query in dev:
        view = index.view()
        lead = lexical_lead(view.lexical.blend(always.restore(query.text), query.text))
        full = reciprocal_rank([p.chunk.id for p in always.search(query.text, 10)], query.relevant)
        lex = reciprocal_rank([p.chunk.id for p in never.search(query.text, 10)], query.relevant)
        rows.append((lead, full, lex, query.is_real_question))
    n, n_real = len(rows), sum(r[3] for r in rows)
    base = sum(r[1] for r in rows) / n
    base_real = sum(r[1] for r in rows if r[3]) / n_real
    print(f"BM25 lead sweep (dense skipped from the lead on); never skipping: MRR@10 {base:.4f}")
    figures: dict[str, float] = {"dev_mrr10_never_skip": round(base, 4)}
    pick = None
    for threshold in LEADS:
        picked = [(r[2] if r[0] >= threshold else r[1], r[3]) for r in rows]
        mrr = sum(rr for rr, _ in picked) / n
        mrr_real = sum(rr for rr, real in picked if real) / n_real
        skipped = sum(r[0] >= threshold for r in rows) / n
        mark = "  <- default" if threshold == DEFAULT_LEXICAL_LEAD else ""
        print(
            f"  lead {threshold:.2f}: MRR@10 {mrr:.4f} (real {mrr_real:.4f}), "
            f"not embedded {skipped:.3f}{mark}"
        )
        key = f"lead{round(threshold * 100):03d}"
        figures[f"dev_mrr10_{key}"] = round(mrr, 4)
        figures[f"dev_skipped_ratio_{key}"] = round(skipped, 4)
        if pick is None and mrr > base - TOLERANCE and mrr_real > base_real - TOLERANCE:
            pick = threshold
    print(f"  pick: {pick}")
    figures["lead_pick"] = -1.0 if pick is None else pick
    return figures


def line_sweep(index: KnowledgeIndex, dev: list[Query], real: list[Query]) -> dict[str, float]:
    """Hybrid MRR@10 for the line-level index's k1, b and the article's share of the blend."""
    figures: dict[str, float] = {}
    shipped = (knowledge.lexical.LINE_K1, knowledge.lexical.LINE_B)
    shipped_share = knowledge.lexical.ARTICLE_SHARE
    print("line-level k1, b and article share sweep (hybrid MRR@10, real questions)")
    for k1, b in LINE_PARAMS:
        knowledge.lexical.LINE_K1, knowledge.lexical.LINE_B = k1, b
        index.refresh()
        for share in SHARES:
            knowledge.lexical.ARTICLE_SHARE = share
            search = ranked(HybridRetriever(index))
            scores, real_scores = evaluate(search, dev), evaluate(search, real)
            mark = "  <- default" if ((k1, b), share) == (shipped, shipped_share) else ""
            print(
                f"  lines k1 {k1}, b {b}, article share {share}: "
                f"{scores.mrr10:.4f} ({real_scores.mrr10:.4f}){mark}"
            )
            key = f"lk{round(k1 * 10):02d}_lb{round(b * 100):03d}_s{round(share * 10):02d}"
            figures[f"dev_mrr10_{key}"] = round(scores.mrr10, 4)
            figures[f"dev_real_mrr10_{key}"] = round(real_scores.mrr10, 4)
    knowledge.lexical.LINE_K1, knowledge.lexical.LINE_B = shipped
    knowledge.lexical.ARTICLE_SHARE = shipped_share
    index.refresh()
    return figures


def main() -> None:
    embedder = cached_embedder()
    dev = load_queries("dev")
    oos = [line.strip() for line in OUT_OF_SCOPE.read_text(encoding="utf-8").splitlines()]
    oos = [q for q in oos if q]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index, _, _ = build_index(Path(tmp) / "index", embedder)
        real = [q for q in dev if q.is_real_question]
        print(f"dev split: {len(dev)} queries; BM25 k1, b sweep (hybrid MRR@10, real questions)")
        shipped = (knowledge.lexical.K1, knowledge.lexical.B)
        for k1, b in BM25_PARAMS:
            knowledge.lexical.K1, knowledge.lexical.B = k1, b
            index.refresh()  # BM25 rebuilt with these
            retriever = HybridRetriever(index)
            search = lambda q, r=retriever: [p.chunk.id for p in r.search(q, 10)]  # noqa: E731
            scores, real_scores = evaluate(search, dev), evaluate(search, real)
            mark = "  <- default" if (k1, b) == shipped else ""
            print(f"  k1 {k1}, b {b}: {scores.mrr10:.4f} ({real_scores.mrr10:.4f}){mark}")
            key = f"k{round(k1 * 10):02d}_b{round(b * 10):02d}"
            figures[f"dev_mrr10_{key}"] = round(scores.mrr10, 4)
            figures[f"dev_real_mrr10_{key}"] = round(real_scores.mrr10, 4)
        knowledge.lexical.K1, knowledge.lexical.B = shipped
        figures.update(line_sweep(index, dev, real))
        print("dense weight sweep (MRR@10)")
        for weight in WEIGHTS:
            retriever = HybridRetriever(index, dense_weight=weight)
            scores = evaluate(ranked(retriever), dev)
            print(f"  dense_weight {weight:.2f}: MRR@10 {scores.mrr10:.4f}  R@1 {scores.r1:.4f}")
            figures[f"dev_mrr10_w{round(weight * 100):03d}"] = round(scores.mrr10, 4)

        figures.update(lead_sweep(index, dev))

        retriever = HybridRetriever(index)
        answerer = ExtractiveAnswerer(restore=retriever.restore)
        confidences: dict[str, list[float]] = {"dev": [], "dev_unaccented": [], "oos": []}
        for query in dev:
            for key, text in (
                ("dev", query.text),
                ("dev_unaccented", strip_diacritics(query.text)),
            ):
                confidences[key].append(
                    answerer.answer(text, retriever.search(text, 10)).confidence
                )
        for text in oos:
            confidences["oos"].append(answerer.answer(text, retriever.search(text, 10)).confidence)

    print(f"answer threshold sweep: dev answered / out-of-scope refused ({len(oos)} questions)")
    for threshold in THRESHOLDS:
        answered = sum(c >= threshold for c in confidences["dev"]) / len(dev)
        answered_u = sum(c >= threshold for c in confidences["dev_unaccented"]) / len(dev)
        refused = sum(c < threshold for c in confidences["oos"]) / len(oos)
        mark = "  <- default" if abs(threshold - DEFAULT_THRESHOLD) < 1e-9 else ""
        print(
            f"  {threshold:.2f}: answered {answered:.3f} (unaccented {answered_u:.3f}), "
            f"refused {refused:.3f}{mark}"
        )
        if abs(threshold - DEFAULT_THRESHOLD) < 1e-9:
            figures.update(
                {
                    "dev_answered_ratio": round(answered, 4),
                    "dev_unaccented_answered_ratio": round(answered_u, 4),
                    "oos_refused_ratio": round(refused, 4),
                }
            )
    figures["max_oos_confidence"] = round(max(confidences["oos"]), 4)
    figures["threshold"] = DEFAULT_THRESHOLD
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
