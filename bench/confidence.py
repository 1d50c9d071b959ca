"""Confidence that refuses, on the bundled texts: in-scope questions answered with the right
Điều, near-domain out-of-scope questions refused; the calibration behind knowledge.confidence.

The sets are written for this project and kept in bench/data/: in_scope.tsv (questions over
the whole Luật Thi đua, khen thưởng as cadres type them, each with the Điều that answer it) and
near_scope.tsv (other fields of law and administration a cadre also asks about). Each splits
into a dev and a test half by a hash of the question; every question is also asked with its
diacritics stripped (reported apart: the sets already hold questions typed without them).

1. Fit: on dev only, a logistic model of "this passage answers" from the passage's raw dense
   cosine, the share of the question's content syllables it holds and the share of its
   content syllable pairs (a second model without the cosine, for passages of a query that
   was not embedded). Positives: passages of the expected Điều among the top 5 of an
   in-scope question; negatives: the top 5 of every out-of-scope one (bench/data/
   out_of_scope.txt, far from the domain, included). The coefficients shipped in
   knowledge/confidence.py are these, rounded.
2. Report: the shipped defaults through the bot's own question path (bot.core.qa) on dev and
   test: answered with the right Điều among the first three citations, refused, the Brier
   score of the shipped confidence, a threshold sweep on dev, and the latency of a search and
   of a whole answer (the query embedded fresh each time).

    .venv/bin/python bench/confidence.py

Prints a table, then one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import wiring  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.qa import QuestionAnswering  # noqa: E402
from bot.messages import Incoming, Reply  # noqa: E402
from knowledge.answer import ExtractiveAnswerer  # noqa: E402
from knowledge.confidence import (  # noqa: E402
    DEFAULT_THRESHOLD,
    EMBEDDED_MODEL,
    LEXICAL_MODEL,
    SUPERSEDED_THRESHOLD,
    QuestionTerms,
)
from knowledge.documents import Passage  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.registry import DocumentRegistry  # noqa: E402
from knowledge.retriever import HybridRetriever  # noqa: E402
from knowledge.vntext import is_unaccented  # noqa: E402

DATA = ROOT / "bench" / "data"
LAW_NUMBER = "06/2022/QH15"
LAW_ID = "luat-tdkt-2022"
TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
TOP = 5  # candidates per question in the fit
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
SUPERSEDED_BARS = (0.55, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Question:
    text: str
    half: str  # "dev" or "test"
    kind: str  # "in", "near" (near-domain out of scope) or "far"
    articles: frozenset[str] = frozenset()  # the Law's Điều that answer (in-scope only)
    stripped: bool = False  # diacritics stripped by the bench from a question written with them

    @property
    def in_scope(self) -> bool:
        return self.kind == "in"


def half_of(text: str) -> str:
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _rows(path: Path) -> Iterable[list[str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")


def load_questions() -> list[Question]:
    out: list[Question] = []
    for articles, text in _rows(DATA / "in_scope.tsv"):
        out.append(Question(text, half_of(text), "in", frozenset(articles.split(","))))
    for _topic, text in _rows(DATA / "near_scope.tsv"):
        out.append(Question(text, half_of(text), "near"))
    for [text] in _rows(DATA / "out_of_scope.txt"):
        out.append(Question(text, half_of(text), "far"))
    stripped = [
        Question(strip_diacritics(q.text), q.half, q.kind, q.articles, stripped=True)
        for q in out
        if not is_unaccented(q.text) and q.kind != "far"
    ]
    return out + stripped


# -- the fit ------------------------------------------------------------------------------


def candidate_rows(
    retriever: HybridRetriever, questions: Sequence[Question]
) -> tuple[list[list[float]], list[float]]:
    """(dense, coverage, pair coverage) of the top candidates, labelled as described above."""
    features: list[list[float]] = []
    labels: list[float] = []
    for question in questions:
        terms = QuestionTerms.of(question.text, retriever.restore(question.text))
        for passage in retriever.search(question.text, TOP, today=TODAY):
            f = terms.features(passage)
            if f.direct:
                continue
            if question.in_scope:
                if not _answers(passage, question):
                    continue  # another Điều may answer too: neither label fits
                labels.append(1.0)
            else:
                labels.append(0.0)
            features.append([f.dense, f.coverage, f.bigram_coverage])
    return features, labels


def _answers(passage: Passage, question: Question) -> bool:
    citation = passage.chunk.citation
    return citation.document.doc_id == LAW_ID and citation.article in question.articles


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01) -> list[float]:
    """Intercept first, then one weight per column, on the columns' own scale (Newton steps
    on standardised columns, a small ridge penalty)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.diag([0.0] + [l2] * x.shape[1]) * len(y)
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        w -= np.linalg.solve(hessian, gradient)
    weights = w[1:] / scale
    return [float(w[0] - (mean / scale) @ w[1:]), *map(float, weights)]


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    question: Question
    reply: Reply
    ms: float

    @property
    def right(self) -> bool:
        """Answered, and the expected Điều of the Law among the first three citations."""
        return bool(self.reply.found) and any(
            c.doc_number == LAW_NUMBER and c.article in self.question.articles
            for c in self.reply.citations[:3]
        )

    @property
    def refused(self) -> bool:
        return not self.reply.found


def share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def percentile(values: Sequence[float], q: int) -> float:
    ordered = sorted(values)
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1] if ordered else 0.0


class NoLog:
    """The unanswered log of a sweep: not kept."""

    def record(self, **_: object) -> None:
        pass


def qa_for(index: KnowledgeIndex, threshold: float, bar: float) -> QuestionAnswering:
    """The bot's question path (as bot.wiring builds it) at an answer threshold and a bar for
    superseded texts."""
    retriever = HybridRetriever(index, good_enough=threshold, superseded_bar=bar)
    return QuestionAnswering(
        retriever,
        ExtractiveAnswerer(threshold=threshold, restore=retriever.restore),
        NoLog(),
        now=lambda: datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")),
        registry=DocumentRegistry.bundled(),
        documents=index.documents,
        provisions=retriever.absent,
    )


def rates(qa: QuestionAnswering, questions: Sequence[Question]) -> tuple[float, float]:
    """(in-scope answered with a right Điều in the top 3, out-of-scope refused)."""
    outcomes = [Outcome(q, qa.ask(_message(q.text)), 0.0) for q in questions]
    right = [o.right for o in outcomes if o.question.in_scope]
    refused = [o.refused for o in outcomes if not o.question.in_scope]
    return share(right), share(refused)


def _message(text: str) -> Incoming:
    return Incoming(channel="bench", chat_id="bench", user_id="bench", text=text)


def pick(sweep: dict[float, tuple[float, float]]) -> float:
    """Of the thresholds with the best sum of the two shares on dev, the one nearest 0.5: the
    confidence is a fitted probability, and where dev cannot tell them apart, even odds."""
    best = max(right + refused for right, refused in sweep.values())
    tied = [t for t, (right, refused) in sweep.items() if right + refused >= best - 1e-9]
    return min(tied, key=lambda t: (abs(t - 0.5), t))


def main() -> None:
    questions = load_questions()
    dev = [q for q in questions if q.half == "dev"]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        started = time.perf_counter()
        assistant = wiring.build_assistant(settings)
        build_s = time.perf_counter() - started
        index = assistant.index
        # Every passage embedded, superseded texts always in: the fit sees what the answerer
        # may see.
        wide = HybridRetriever(index, lexical_lead=None, good_enough=2.0, superseded_bar=0.0)
        x, y = candidate_rows(wide, dev)
        xs, ys = np.asarray(x), np.asarray(y)
        embedded = fit_logistic(xs, ys)
        lexical = fit_logistic(xs[:, 1:], ys)
        dev_sweep = {
            t: rates(qa_for(index, t, max(t, SUPERSEDED_THRESHOLD)), dev) for t in THRESHOLDS
        }
        # A text no longer in force answers a question that does not name it only from a
        # higher confidence: the same at the shipped threshold, by that bar.
        bars = {
            bar: rates(qa_for(index, DEFAULT_THRESHOLD, max(bar, DEFAULT_THRESHOLD)), dev)
            for bar in SUPERSEDED_BARS
        }

        outcomes = []
        for question in questions:
            started = time.perf_counter()
            reply = assistant.qa.ask(_message(question.text))
            outcomes.append(Outcome(question, reply, (time.perf_counter() - started) * 1000))
        retriever = HybridRetriever(index)
        load_before = os.getloadavg()[0]
        search_ms = []
        for question in questions:
            started = time.perf_counter()
            retriever.search(question.text, 10, today=TODAY)
            search_ms.append((time.perf_counter() - started) * 1000)
        load_after = os.getloadavg()[0]

    print(
        f"bundled texts: {len(index.chunks())} passages; {len(x)} candidates in the dev fit "
        f"({int(ys.sum())} answering)"
    )
    print(f"fitted on dev, embedded: {[round(w, 3) for w in embedded]}")
    print(f"fitted on dev, lexical only: {[round(w, 3) for w in lexical]}")
    print(f"shipped: embedded {EMBEDDED_MODEL}, lexical {LEXICAL_MODEL}")
    print(f"shipped threshold {DEFAULT_THRESHOLD}, superseded texts {SUPERSEDED_THRESHOLD}")
    print("dev, by the bar for superseded texts (right in the top 3 / refused):")
    for bar, (right, refused) in bars.items():
        mark = "  <- shipped" if abs(bar - SUPERSEDED_THRESHOLD) < 1e-9 else ""
        print(f"  {bar:.2f}: {right:.3f} / {refused:.3f}{mark}")
    print("dev sweep (answered with a right Điều in the top 3 / out-of-scope refused):")
    for threshold, (right, refused) in dev_sweep.items():
        mark = "  <- shipped" if abs(threshold - DEFAULT_THRESHOLD) < 1e-9 else ""
        print(f"  {threshold:.2f}: {right:.3f} / {refused:.3f}{mark}")
    print(f"pick on dev (best sum, nearest even odds): {pick(dev_sweep)}")

    figures: dict[str, float] = {}
    header = f"{'half':<5} {'set':<22} {'n':>4} {'right/refused':>14}"
    print(header)
    print("-" * len(header))
    for half in ("dev", "test"):
        for name, kind, stripped in (
            ("in_scope", "in", False),
            ("in_scope_stripped", "in", True),
            ("near_scope", "near", False),
            ("near_scope_stripped", "near", True),
            ("far_scope", "far", False),
        ):
            chosen = [
                o
                for o in outcomes
                if o.question.half == half
                and o.question.kind == kind
                and o.question.stripped == stripped
            ]
            rate = share([o.right if kind == "in" else o.refused for o in chosen])
            key = "right" if kind == "in" else "refused"
            print(f"{half:<5} {name:<22} {len(chosen):>4} {rate:>14.3f}")
            figures[f"{half}_{name}_{key}_ratio"] = round(rate, 4)
            figures[f"{half}_{name}_questions"] = len(chosen)
        misses = [
            o.question.text
            for o in outcomes
            if o.question.half == half
            and (
                (o.question.in_scope and not o.right) or (not o.question.in_scope and not o.refused)
            )
        ]
        for text in misses:
            print(f"  {half} miss: {text}")

    brier = []
    answerer = ExtractiveAnswerer(restore=retriever.restore)
    for question in questions:
        if question.half != "test":
            continue
        answer = answerer.answer(question.text, retriever.search(question.text, 10, today=TODAY))
        right = question.in_scope and bool(answer.primary) and _answers(answer.primary[0], question)
        brier.append((answer.confidence - float(right)) ** 2)
    ask_ms = [o.ms for o in outcomes]
    print(
        f"search p50 {percentile(search_ms, 50):.1f} ms, p95 {percentile(search_ms, 95):.1f} ms; "
        f"whole answer p50 {percentile(ask_ms, 50):.1f} ms, p95 {percentile(ask_ms, 95):.1f} ms "
        f"({len(search_ms)} questions, load {load_before:.2f} -> {load_after:.2f}); "
        f"first answer on a fresh data dir after {build_s:.1f} s"
    )
    figures.update(
        {
            "threshold": DEFAULT_THRESHOLD,
            "dev_pick_threshold": pick(dev_sweep),
            "superseded_threshold": SUPERSEDED_THRESHOLD,
            "test_brier_score": round(statistics.fmean(brier), 4) if brier else math.nan,
            "search_p50_ms": round(percentile(search_ms, 50), 2),
            "search_p95_ms": round(percentile(search_ms, 95), 2),
            "answer_p50_ms": round(percentile(ask_ms, 50), 2),
            "answer_p95_ms": round(percentile(ask_ms, 95), 2),
            "load_avg_1min_before": round(load_before, 2),
            "load_avg_1min_after": round(load_after, 2),
            "fresh_data_dir_build_s": round(build_s, 2),
        }
    )
    for bar, (right, refused) in bars.items():
        key = f"superseded{round(bar * 100):03d}"
        figures[f"dev_sweep_{key}_right_ratio"] = round(right, 4)
        figures[f"dev_sweep_{key}_refused_ratio"] = round(refused, 4)
    for threshold, (right, refused) in dev_sweep.items():
        key = f"t{round(threshold * 100):03d}"
        figures[f"dev_sweep_{key}_right_ratio"] = round(right, 4)
        figures[f"dev_sweep_{key}_refused_ratio"] = round(refused, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
