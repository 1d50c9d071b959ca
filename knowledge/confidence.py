"""Absolute confidence that a passage answers a question, for refusing and for in-force-first.

Fused scores are min-max normalised, so the best passage of a hopeless list still scores 1.
Confidence instead uses what does not depend on the list: the raw dense cosine and how much
of the question's content (syllables and syllable pairs) the passage actually contains.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from knowledge.documents import Chunk, Passage
from knowledge.vntext import (
    bigrams,
    content_syllables,
    folded_syllables,
    is_unaccented,
    syllables,
)

DIRECT_SCORE = 2.0  # fused scores lie in [0, 1]; a direct lookup scores DIRECT_SCORE + fused

# Tuned on ALQAC dev (362 questions, also with diacritics stripped) against 45 out-of-scope
# questions: at 0.55 every out-of-scope one is refused (highest 0.49) and 99% of dev found.
# Recalibrate on the office's own texts with `features`.
DEFAULT_THRESHOLD = 0.55
DENSE_FLOOR = 0.80  # multilingual-e5: out-of-scope best cosines ~0.79-0.86, answered ~0.88-0.94
DENSE_CEIL = 0.92
DENSE_SHARE = 0.4
BIGRAM_SHARE = 0.6


@dataclass(frozen=True)
class Features:
    """What confidence is made of; a calibration script can log these per question."""

    dense: float  # raw cosine of the passage (0 when the query was not embedded)
    coverage: float  # share of the question's content syllables found in the passage
    bigram_coverage: float  # share of the question's content syllable pairs found
    unaccented: bool  # coverage was measured on the diacritic-free forms; dense ignored
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
    def of(cls, question: str) -> QuestionTerms:
        unaccented = is_unaccented(question)
        tokens = folded_syllables(question) if unaccented else syllables(question)
        content = frozenset(content_syllables(tokens))
        pairs = frozenset(f"{a}_{b}" for a, b in pairwise(tokens) if a in content and b in content)
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
    """One number in [0, 1]; 1 for a direct lookup."""
    if f.direct:
        return 1.0
    lexical = (1 - BIGRAM_SHARE) * f.coverage + BIGRAM_SHARE * f.bigram_coverage
    if f.unaccented or not f.embedded:
        return lexical
    dense = min(max((f.dense - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0), 1.0)
    return DENSE_SHARE * dense + (1 - DENSE_SHARE) * lexical
