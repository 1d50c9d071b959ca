"""How our check treats a model's answers, and what the model path adds to an answer's time.

    PYTHONPATH=. .venv/bin/python bench/llm.py [--delay 0.05] [--data-dir DIR] [--limit N]

The in-scope questions of bench/data/in_scope.tsv go through the real retriever and the
extractive answerer over the bundled texts; for each one answered, the fake OpenAI-compatible
server (tests/fakes/openai_api.py, `--delay` seconds per answer) "writes" scripted answers
from the very clauses the bot sent it, through LangChain's ChatOpenAI and our check
(knowledge.llm.ModelWriter):

- faithful: a line of a clause copied with its marker; the same under "Theo Điều N", or under
  the clause's whole basis (document number, issuer, date); a line quoted in «…»; two
  sentences from two clauses, each with its own marker;
- unfaithful: an invented percentage, number, date, document number, article number or award
  title; a marker to a clause not given; a sentence without a marker; a quote rewritten; a
  number from the second clause cited to the first (a citation that does not match).

It prints the share of each kind shown, per variant, and the time the model path adds to an
answer over the fake's own delay (HTTP, LangChain, the check), at the 50th and 95th percentile.
The faithful answers are built by copying the clauses, so their share measures what the check
wrongly refuses of answers that do stay within the text, not how often a real model stays
within it. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot import wiring
from bot.config import Settings
from knowledge.answer import LLM, Answer, ExtractiveAnswerer
from knowledge.documents import Passage
from knowledge.llm import Endpoint, LangChainModel, ModelWriter
from knowledge.llm_check import TITLES, canonical, numbers_in
from knowledge.retriever import HybridRetriever
from knowledge.vntext import fold
from tests.fakes.openai_api import FakeLLM

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 3, 10)
_BULLET = re.compile(r"^\s*(?:\d{1,3}[.)]|[a-zđ]\))\s+")
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ])")

Variant = Callable[[list[Passage]], str | None]  # None: does not apply to these clauses


def lines_of(passage: Passage) -> list[str]:
    """The first sentence of each of the clause's content lines (no heading), bullets dropped,
    long enough to say something: a sentence each, as the prompt asks for one marker each."""
    out = []
    for raw in passage.chunk.text.splitlines()[1:]:
        line = _SENTENCE_END.split(_BULLET.sub("", raw).strip())[0].rstrip(";:.")
        if len(line.split()) >= 6 and "[" not in line:
            out.append(line)
    return out


def _line(clauses: list[Passage], which: int = 0) -> str | None:
    found = lines_of(clauses[which]) if len(clauses) > which else []
    return found[0] if found else None


def _with(clauses: list[Passage], make: Callable[[str], str | None]) -> str | None:
    line = _line(clauses)
    return make(line) if line else None


def _fresh(held: set[str], candidates: list[int]) -> int:
    return next(n for n in candidates if canonical(str(n)) not in held)


def _held(passage: Passage) -> set[str]:
    return numbers_in(passage.chunk.text + " " + passage.chunk.citation.basis())


FAITHFUL: dict[str, Variant] = {
    "copied": lambda c: _with(c, lambda line: f"{line} [1]."),
    "under_its_article": lambda c: _with(
        c,
        lambda line: (
            f"Theo Điều {c[0].chunk.citation.article}, {line[0].lower()}{line[1:]} [1]."
            if c[0].chunk.citation.article
            else None
        ),
    ),
    "with_its_document": lambda c: _with(
        c, lambda line: f"Theo {c[0].chunk.citation.basis()}: {line[0].lower()}{line[1:]} [1]."
    ),
    "quoted": lambda c: _with(c, lambda line: f"Văn bản quy định: «{line}» [1]."),
    "two_clauses": lambda c: (
        f"{_line(c)} [1]. {_line(c, 1)} [2]." if _line(c) and _line(c, 1) else None
    ),
}


def _invented_title(clauses: list[Passage]) -> str | None:
    text = fold(clauses[0].chunk.text)
    title = next((t for t in TITLES if fold(t) not in text and " " in t), None)
    return _with(clauses, lambda line: f"{line}, kèm danh hiệu {title} [1].") if title else None


def _wrong_citation(clauses: list[Passage]) -> str | None:
    """A line of clause 2 holding a number clause 1 lacks, cited to clause 1."""
    if len(clauses) < 2:
        return None
    first = _held(clauses[0])
    for line in lines_of(clauses[1]):
        if any(canonical(n) not in first for n in re.findall(r"\d+", line)):
            return f"{line} [1]."
    return None


UNFAITHFUL: dict[str, Variant] = {
    "invented_percentage": lambda c: _with(
        c, lambda line: f"{line}; tỷ lệ tối thiểu là {_fresh(_held(c[0]), [83, 67, 45, 91])}% [1]."
    ),
    "invented_number": lambda c: _with(
        c, lambda line: f"{line}, trong thời hạn {_fresh(_held(c[0]), [17, 23, 29, 31])} ngày [1]."
    ),
    "invented_date": lambda c: _with(c, lambda line: f"{line}, áp dụng từ ngày 17/9/2021 [1]."),
    "invented_document": lambda c: _with(
        c, lambda line: f"{line}, theo Nghị định 45/2019/NĐ-CP [1]."
    ),
    "invented_article": lambda c: _with(
        c,
        lambda line: (
            f"Theo Điều {_fresh(_held(c[0]), [137, 141, 149])}, {line[0].lower()}{line[1:]} [1]."
        ),
    ),
    "invented_title": _invented_title,
    "marker_out_of_range": lambda c: _with(c, lambda line: f"{line} [{len(c) + 1}]."),
    "sentence_without_marker": lambda c: _with(
        c, lambda line: f"{line} [1]. Quy định này áp dụng cho mọi trường hợp."
    ),
    "rewritten_quote": lambda c: _with(
        c,
        lambda line: (
            f"Văn bản quy định: «{' '.join(line.split()[: len(line.split()) // 2])} được ưu tiên "
            "xét tặng mà không cần hồ sơ» [1]."
        ),
    ),
    "wrong_citation": _wrong_citation,
}


def questions(limit: int | None) -> list[str]:
    rows = (DATA / "in_scope.tsv").read_text(encoding="utf-8").splitlines()
    found = [r.split("\t", 1)[1] for r in rows if r and not r.startswith("#") and "\t" in r]
    return found[:limit] if limit else found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.05, help="the fake model's seconds")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="questions at most")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-llm-"))
    settings = Settings(data_dir=data_dir)
    index = wiring.open_index(settings)
    wiring.ensure_bundled_index(index, settings)
    retriever = HybridRetriever(index)
    extractive = ExtractiveAnswerer(restore=retriever.restore)

    answered: list[tuple[str, Answer]] = []
    for question in questions(args.limit):
        answer = extractive.answer(question, retriever.search(question, k=5, today=TODAY))
        if answer.found:
            answered.append((question, answer))

    shown: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    added_ms: list[float] = []
    with FakeLLM(delay_s=args.delay).running_in_thread() as fake:
        writer = ModelWriter(LangChainModel(Endpoint(fake.url, "fake", timeout_s=10.0)))
        writer.write(*answered[0])  # LangChain's import and client, once, not measured
        for question, answer in answered:
            clauses = answer.clauses()
            for kind, variants in (("faithful", FAITHFUL), ("unfaithful", UNFAITHFUL)):
                for name, variant in variants.items():
                    text = variant(clauses)
                    if text is None:
                        continue
                    fake.script = lambda _request, text=text: text
                    started = time.perf_counter()
                    result = writer.write(question, answer)
                    added_ms.append(1000 * (time.perf_counter() - started - args.delay))
                    was_shown = result.answered_by == LLM
                    shown[f"{kind}:{name}"]["shown" if was_shown else "refused"] += 1
                    shown[kind]["shown" if was_shown else "refused"] += 1
                    if kind == "faithful" and not was_shown:
                        reasons[result.rejected] += 1

    def share(counts: Counter[str]) -> float:
        return counts["shown"] / max(1, counts["shown"] + counts["refused"])

    print(f"{len(answered)} of {len(questions(args.limit))} questions answered from the texts")
    for key in sorted(shown):
        counts = shown[key]
        total = counts["shown"] + counts["refused"]
        print(f"{key:36} shown {counts['shown']:4}/{total:<4} ({share(counts):.1%})")
    if reasons:
        print("faithful answers refused, by reason:", dict(reasons.most_common()))
    cuts = statistics.quantiles(added_ms, n=100)
    print(
        json.dumps(
            {
                "questions_answered": len(answered),
                "faithful_answers": sum(shown["faithful"].values()),
                "unfaithful_answers": sum(shown["unfaithful"].values()),
                "unfaithful_shown_share": round(share(shown["unfaithful"]), 4),
                "faithful_shown_share": round(share(shown["faithful"]), 4),
                "fake_delay_ms": round(1000 * args.delay, 1),
                "added_p50_ms": round(cuts[49], 1),
                "added_p95_ms": round(cuts[94], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
