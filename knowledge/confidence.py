"""Absolute confidence that a passage answers a question, for refusing and for in-force-first.

Fused scores are min-max normalised, so the best passage of a hopeless list still scores 1.
Confidence instead uses what does not depend on the list: the raw dense cosine and how much
of the question's content (syllables and syllable pairs) the passage actually contains, mapped
to a probability by a logistic model fitted on questions written for the purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from knowledge.documents import Chunk, Passage
from knowledge.lookup import without_references
from knowledge.vntext import (
    bigrams,
    expand_abbreviations,
    folded_syllables,
    is_content,
    is_unaccented,
    syllables,
)

DIRECT_SCORE = 2.0  # fused scores lie in [0, 1]; a direct lookup scores DIRECT_SCORE + fused

# P(this passage answers the question), a logistic model fitted by bench/confidence.py on the
# dev half of bench/data (in-scope questions over the whole Law against near-domain
# out-of-scope ones): intercept, then weights of the raw dense cosine, the share of the
# question's content syllables the passage holds and the share of its content syllable pairs.
EMBEDDED_MODEL = (-41.75, 42.2, 2.99, 4.97)
# The same without the cosine, for a query that was not embedded (BM25 alone was decisive).
LEXICAL_MODEL = (-6.91, 4.34, 6.8)
# The confidence from which a passage answers: on the dev half every threshold from 0.4 to 0.8
# gives the same answered and refused shares (bench/confidence.py), so even odds.
DEFAULT_THRESHOLD = 0.5
# A text no longer (or not yet) in force answers a question that does not name it only from
# this confidence: its rule may have changed since, so a loose match is worse than none. On the
# dev half, near-domain questions answered from the superseded decree (tax on award money, the
# forms of discipline) are refused from 0.7 up; 0.8 leaves a margin.
SUPERSEDED_THRESHOLD = 0.8


@dataclass(frozen=True)
class Features:
    """What confidence is made of; a calibration script can log these per question."""

    dense: float  # raw cosine of the passage (0 when the query was not embedded)
    coverage: float  # share of the question's content syllables found in the passage
    bigram_coverage: float  # share of the question's content syllable pairs found
    unaccented: bool  # coverage was measured on the diacritic-free forms
    direct: bool  # the passage is the provision the question names
    embedded: bool = True  # False: the query was not embedded, confidence is lexical only


def is_direct(passage: Passage) -> bool:
    return passage.score >= DIRECT_SCORE


@dataclass(frozen=True)
class QuestionTerms:
    """A question's content syllables and content pairs, in the form it was typed in."""

    content: frozenset[str]
    pairs: frozenset[str]
    unaccented: bool

    @classmethod
    def of(cls, question: str, restored: str | None = None) -> QuestionTerms:
        """`restored`: the question with its diacritics put back (knowledge.accents), when
        typed without them; it tells which folded syllables are stopwords ('can' may be cần
        or cán), while matching stays on the folded forms."""
        question = without_references(expand_abbreviations(question))
        restored = without_references(restored) if restored else None
        unaccented = is_unaccented(question)
        tokens = folded_syllables(question) if unaccented else syllables(question)
        guide = syllables(restored) if unaccented and restored else tokens
        if len(guide) != len(tokens):
            guide = tokens
        kept = [is_content(g) and is_content(t) for t, g in zip(tokens, guide, strict=True)]
        content = frozenset(t for t, keep in zip(tokens, kept, strict=True) if keep)
        pairs = frozenset(
            f"{a}_{b}"
            for (a, keep_a), (b, keep_b) in pairwise(zip(tokens, kept, strict=True))
            if keep_a and keep_b
        )
        return cls(content, pairs, unaccented)

    def features(self, passage: Passage, chunk_sets: ChunkTerms | None = None) -> Features:
        words, word_pairs = chunk_sets or chunk_terms(passage.chunk, self.unaccented)
        content, pairs = self.content, self.pairs
        coverage = len(content & words) / len(content) if content else 0.0
        bigram_coverage = len(pairs & word_pairs) / len(pairs) if pairs else coverage
        return Features(
            dense=float(passage.dense),
            coverage=coverage,
            bigram_coverage=bigram_coverage,
            unaccented=self.unaccented,
            direct=is_direct(passage),
            embedded=passage.embedded,
        )


ChunkTerms = tuple[frozenset[str], frozenset[str]]


def chunk_terms(chunk: Chunk, unaccented: bool) -> ChunkTerms:
    """Syllables and pairs of a chunk (title included), in the question's form."""
    tokens = folded_syllables(chunk.embed_text) if unaccented else syllables(chunk.embed_text)
    return frozenset(tokens), frozenset(bigrams(tokens))


def features(question: str, passage: Passage) -> Features:
    """Confidence features of one passage for one question (for calibration scripts)."""
    return QuestionTerms.of(question).features(passage)


def confidence(f: Features) -> float:
    """P(the passage answers) in [0, 1]; 1 for a direct lookup."""
    if f.direct:
        return 1.0
    if f.embedded:
        b0, b_dense, b_cov, b_pairs = EMBEDDED_MODEL
        z = b0 + b_dense * f.dense + b_cov * f.coverage + b_pairs * f.bigram_coverage
    else:
        b0, b_cov, b_pairs = LEXICAL_MODEL
        z = b0 + b_cov * f.coverage + b_pairs * f.bigram_coverage
    return 1.0 / (1.0 + math.exp(-z))
