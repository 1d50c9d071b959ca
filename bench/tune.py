"""Tuning on the ALQAC `dev` split only: the dense weight of the hybrid sum and the answer
threshold (dev questions should be answered, out-of-scope questions refused).

The out-of-scope questions in bench/data/out_of_scope.txt were written for this project.
Prints a table, then one JSON line; the chosen values are the defaults in knowledge/.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alqac import build_index, cached_embedder, evaluate, load_queries, strip_diacritics

from knowledge.answer import ExtractiveAnswerer
from knowledge.confidence import DEFAULT_THRESHOLD
from knowledge.retriever import HybridRetriever

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
OUT_OF_SCOPE = Path(__file__).resolve().parent / "data" / "out_of_scope.txt"


def main() -> None:
    embedder = cached_embedder()
    dev = load_queries("dev")
    oos = [line.strip() for line in OUT_OF_SCOPE.read_text(encoding="utf-8").splitlines()]
    oos = [q for q in oos if q]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index, _, _ = build_index(Path(tmp) / "index", embedder)
        print(f"dev split: {len(dev)} queries; dense weight sweep (MRR@10)")
        for weight in WEIGHTS:
            retriever = HybridRetriever(index, dense_weight=weight)
            scores = evaluate(lambda q, r=retriever: [p.chunk.id for p in r.search(q, 10)], dev)
            print(f"  dense_weight {weight:.1f}: MRR@10 {scores.mrr10:.4f}  R@1 {scores.r1:.4f}")
            figures[f"dev_mrr10_w{int(weight * 10):02d}"] = round(scores.mrr10, 4)

        retriever = HybridRetriever(index)
        answerer = ExtractiveAnswerer()
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
