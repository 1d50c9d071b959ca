"""BM25 (bm25s) over syllables + syllable bigrams, accented and diacritic-free.

Two indexes over the same rows: the accented one for normal queries and a folded one for
queries typed without diacritics (dense retrieval collapses on those: MRR 0.05 against 0.87).
Each also has a line-level twin: every line of a chunk (a khoản, a điểm), with the chunk's
first line, is scored on its own, and a row's line score is its best line's. A question
usually restates one clause of a long article, which the article's own score dilutes; the
blend of both (`LexicalIndex.blend`) ranks that article higher. All persist as bm25s' own
numpy/JSON files, so loading never re-tokenises the corpus.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from knowledge.vntext import accented_terms, folded_terms

Analyzer = Callable[[str], list[str]]
_IDS_FILE = "ids.json"
_TAG_FILE = "tag"
_LINE_ROWS_FILE = "line_rows.json"
# Tuned on ALQAC dev for the hybrid sum (bench/tune.py): MRR@10 0.905 (real questions 0.884)
# against 0.897 (0.871) with k1=0.9, b=0.5, the best for BM25 alone (0.891; bm25s' defaults
# k1=1.5, b=0.75: 0.867). Legal articles vary a lot in length and repeat their key terms.
# With the line-level blend below: 0.924 at (0.5, 0.4), 0.925 at (0.4, 0.3, the grid's edge,
# one question), 0.921 at (0.6, 0.4), 0.916 at (0.9, 0.5).
K1 = 0.5
B = 0.4
# The line-level index, and the share of the article score in the blend (each side divided by
# its best row's). Tuned on ALQAC dev (bench/tune.py) with the dense weight: hybrid MRR@10
# 0.924 (real questions 0.894) at share 0.4 and dense weight 0.25, against 0.905 (0.884) for
# articles alone; 0.920-0.926 over shares 0.2-0.45 at weights 0.25-0.3; BM25 alone 0.914
# against 0.892. Line k1, b from BM25 alone on dev: 0.913 at (1.2, 0.75), 0.903 at (1.5, 0.5).
LINE_K1 = 1.2
LINE_B = 0.75
ARTICLE_SHARE = 0.4

# bm25s logs an INFO line for empty queries and shows progress bars unless told not to.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class Bm25:
    """One bm25s index plus the analyzer that produced its vocabulary."""

    def __init__(self, analyzer: Analyzer, model: Any | None = None) -> None:
        self._analyzer = analyzer
        self._model = model

    @classmethod
    def build(
        cls, analyzer: Analyzer, texts: Sequence[str], params: tuple[float, float] | None = None
    ) -> Bm25:
        """`params`: (k1, b); default the article-level K1, B as they are now."""
        if not texts:
            return cls(analyzer)
        k1, b = params or (K1, B)
        model = bm25s.BM25(k1=k1, b=b)
        model.index([analyzer(t) for t in texts], show_progress=False)
        return cls(analyzer, model)

    @classmethod
    def load(
        cls, analyzer: Analyzer, directory: Path, params: tuple[float, float] | None = None
    ) -> Bm25 | None:
        """The persisted index; None when it was built with other parameters (rebuild it)."""
        if not (directory / "params.index.json").exists():
            return cls(analyzer)
        model = bm25s.BM25.load(str(directory), show_progress=False)
        if (model.k1, model.b) != (params or (K1, B)):
            return None
        return cls(analyzer, model)

    @property
    def empty(self) -> bool:
        return self._model is None

    def save(self, directory: Path) -> None:
        if self._model is not None:
            self._model.save(str(directory), show_progress=False)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """Raw BM25 score of every row for the query (zeros when nothing matches)."""
        if self._model is None:
            return np.zeros(0, dtype=np.float32)
        ids = self._model.get_tokens_ids(self._analyzer(query))
        num_docs = int(self._model.scores["num_docs"])
        if not ids:
            return np.zeros(num_docs, dtype=np.float32)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)


class Lines:
    """The line-level twin of a pair of indexes: which row each indexed line belongs to."""

    def __init__(self, accented: Bm25, folded: Bm25, rows: Sequence[int]) -> None:
        self.accented = accented
        self.folded = folded
        self.rows = np.asarray(rows, dtype=np.int64)

    @classmethod
    def build(cls, texts: Sequence[str]) -> Lines:
        lines, rows = [], []
        for row, text in enumerate(texts):
            for line in row_lines(text):
                lines.append(line)
                rows.append(row)
        params = (LINE_K1, LINE_B)
        return cls(
            Bm25.build(accented_terms, lines, params),
            Bm25.build(folded_terms, lines, params),
            rows,
        )

    def best(self, query: str, *, folded: bool, size: int) -> npt.NDArray[np.float32]:
        """Each row's best line score (zeros for rows without a match)."""
        out = np.zeros(size, dtype=np.float32)
        scores = (self.folded if folded else self.accented).scores(query)
        if scores.size:
            np.maximum.at(out, self.rows, scores)
        return out


def row_lines(text: str) -> list[str]:
    """A chunk's lines to index on their own, each after the chunk's first line (its title)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return lines
    return [f"{lines[0]}\n{line}" for line in lines[1:]]


class LexicalIndex:
    """The accented and folded BM25 indexes over rows identified by chunk ids, and their
    line-level twins."""

    def __init__(self, ids: Sequence[str], accented: Bm25, folded: Bm25, lines: Lines) -> None:
        self.ids: list[str] = list(ids)
        self._accented = accented
        self._folded = folded
        self._lines = lines

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> LexicalIndex:
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        return cls(
            ids,
            Bm25.build(accented_terms, texts),
            Bm25.build(folded_terms, texts),
            Lines.build(texts),
        )

    @classmethod
    def load(cls, directory: Path, tag: str | None = None) -> LexicalIndex | None:
        """The persisted indexes, or None when nothing (or something unreadable, or saved
        with another `tag` when one is asked for) is there."""
        try:
            if tag is not None and (directory / _TAG_FILE).read_text(encoding="utf-8") != tag:
                return None
            ids = json.loads((directory / _IDS_FILE).read_text(encoding="utf-8"))
            accented = Bm25.load(accented_terms, directory / "accented")
            folded = Bm25.load(folded_terms, directory / "folded")
            params = (LINE_K1, LINE_B)
            line_rows = json.loads((directory / _LINE_ROWS_FILE).read_text(encoding="utf-8"))
            line_accented = Bm25.load(accented_terms, directory / "lines-accented", params)
            line_folded = Bm25.load(folded_terms, directory / "lines-folded", params)
        except (OSError, ValueError, KeyError):
            return None
        if accented is None or folded is None or line_accented is None or line_folded is None:
            return None
        if line_rows and (line_accented.empty or line_folded.empty):
            return None  # lines without their index: a half-written or foreign directory
        return cls(ids, accented, folded, Lines(line_accented, line_folded, line_rows))

    def save(self, directory: Path, tag: str = "") -> None:
        """Write to a sibling temp directory of this process's own, then swap it in, so
        readers never see half; `tag` names what the indexes were built from. When another
        process swaps in its own at the same moment, the one that got there stays."""
        mine = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = directory.with_name(f"{directory.name}.{mine}.tmp")
        tmp.mkdir(parents=True)
        self._accented.save(tmp / "accented")
        self._folded.save(tmp / "folded")
        self._lines.accented.save(tmp / "lines-accented")
        self._lines.folded.save(tmp / "lines-folded")
        rows = json.dumps(self._lines.rows.tolist())
        (tmp / _LINE_ROWS_FILE).write_text(rows, encoding="utf-8")
        (tmp / _IDS_FILE).write_text(json.dumps(self.ids, ensure_ascii=False), encoding="utf-8")
        (tmp / _TAG_FILE).write_text(tag, encoding="utf-8")
        old = directory.with_name(f"{directory.name}.{mine}.old")
        try:
            if directory.exists():
                directory.rename(old)
            tmp.rename(directory)
        except OSError:
            pass  # another process's indexes took the place first
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)

    def scores(self, query: str, *, folded: bool) -> npt.NDArray[np.float32]:
        """Raw scores for every row, from the folded index when `folded`."""
        return (self._folded if folded else self._accented).scores(query)

    def blend(self, accented_query: str, folded_query: str) -> npt.NDArray[np.float32]:
        """The ranking score of every row: the accented and the folded scores summed, at the
        article and at the line level, the two levels each divided by their best row's and
        weighted by ARTICLE_SHARE."""
        size = len(self.ids)
        article = self.scores(accented_query, folded=False) + self.scores(folded_query, folded=True)
        if article.size == 0:
            return article
        line = self._lines.best(accented_query, folded=False, size=size) + self._lines.best(
            folded_query, folded=True, size=size
        )
        share = ARTICLE_SHARE
        return np.asarray(share * _scaled(article) + (1 - share) * _scaled(line), dtype=np.float32)

    def top(self, query: str, n: int, *, folded: bool = False) -> list[tuple[int, float]]:
        """(row, raw score) of the best n rows with a positive score, best first."""
        return top_rows(self.scores(query, folded=folded), n)


def _scaled(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    best = float(scores.max()) if scores.size else 0.0
    return scores / best if best > 0 else scores


def top_rows(scores: npt.NDArray[np.float32], n: int) -> list[tuple[int, float]]:
    """Indices and values of the n largest positive scores, best first."""
    if n <= 0 or scores.size == 0:
        return []
    n = min(n, scores.size)
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(int(i), float(scores[i])) for i in idx if scores[i] > 0]
