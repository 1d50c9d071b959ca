"""Diacritics put back on a question typed without them, from the index's own vocabulary.

Cadres often type 'tieu chuan lao dong tien tien'. The folded BM25 index finds the right
article, but the dense model collapses on such text (MRR 0.05 on ALQAC) and a folded syllable
matches several words ('co' is có, cơ, cờ, cô…), so the answer could differ from the one the
same question gets typed with its marks. The accented BM25 vocabulary already counts, for every
syllable and syllable pair, how many passages hold it: a Viterbi pass over those counts picks,
for each folded syllable, the accented form the texts make most likely after the previous one
('co thi dua' -> 'cờ thi đua'). No other data and no model are involved.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from knowledge.vntext import STOPWORDS, fold, normalize, token_matches

_PUNCTUATION = re.compile(r"[^\w\s]+|_")  # pairs never span these
_CANDIDATES = 8  # accented forms kept per folded syllable, the most frequent first
_BIGRAM_WEIGHT = 0.8  # interpolation of the pair's count with the syllable's own frequency
# Questions hold words legal texts rarely do ('gì', 'mấy', 'bao nhiêu', 'thế nào'): these and
# the stopwords count as if a tenth of the passages held them (and these pairs too), so 'can
# nhung gi' reads 'cần những gì', not 'cán nhũng gì'.
_COMMON_SHARE = 0.1
_QUESTION_WORDS = "mấy gì nào đâu sao thế bao nhiêu lâu không có được những cần"
_QUESTION_PAIRS = (
    "bao_nhiêu bao_lâu thế_nào như_thế khi_nào ở_đâu là_gì những_gì có_được được_không "
    "hay_không có_phải cần_những là_bao"
)


@dataclass(frozen=True)
class Accents:
    """Accented syllables by their folded form, and passage counts of syllables and pairs."""

    forms: Mapping[str, tuple[str, ...]]
    counts: Mapping[str, int]
    total: int

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Accents:
        """Counts of syllables and adjacent pairs over the passages `texts`."""
        counts: Counter[str] = Counter()
        for text in texts:
            terms: set[str] = set()
            for phrase in _PUNCTUATION.split(normalize(text)):
                tokens = phrase.split()
                terms.update(tokens)
                terms.update(map("_".join, pairwise(tokens)))
            counts.update(terms)
        return cls.from_counts(counts)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Accents:
        """`counts`: passages holding each syllable and each 'a_b' pair."""
        merged = dict(counts)
        common = max(1, int(_COMMON_SHARE * max(counts.values(), default=0)))
        for term in (*STOPWORDS, *_QUESTION_WORDS.split(), *_QUESTION_PAIRS.split()):
            merged[term] = max(merged.get(term, 0), common)
        by_form: dict[str, list[str]] = {}
        for term in merged:
            if "_" in term or not term.isalpha():
                continue
            by_form.setdefault(fold(term), []).append(term)
        forms = {
            folded: tuple(sorted(terms, key=lambda t: -merged[t])[:_CANDIDATES])
            for folded, terms in by_form.items()
        }
        total = sum(merged[t] for terms in forms.values() for t in terms) or 1
        return cls(forms, merged, total)

    def restore(self, text: str) -> str:
        """The most likely accented form of a diacritic-free text; case, punctuation, numbers
        and syllables the texts do not hold are kept as typed."""
        matches = token_matches(text)
        if not matches:
            return text
        source = matches[0].string
        chosen = self._best_path([m.group().lower() for m in matches])
        out, end = [], 0
        for match, form in zip(matches, chosen, strict=True):
            out.append(source[end : match.start()])
            out.append(_same_case(match.group(), form))
            end = match.end()
        out.append(source[end:])
        return "".join(out)

    def _best_path(self, tokens: list[str]) -> list[str]:
        """Viterbi over the accented forms of each folded syllable."""
        options = [self.forms.get(t, (t,)) if t.isalpha() else (t,) for t in tokens]
        # best[i][form] = (log probability of the best path ending in form, previous form)
        best: list[dict[str, tuple[float, str]]] = [
            {form: (self._unigram(form), "") for form in options[0]}
        ]
        for forms in options[1:]:
            prev = best[-1]
            step: dict[str, tuple[float, str]] = {}
            for form in forms:
                step[form] = max(
                    (
                        (score + self._bigram(before, form), before)
                        for before, (score, _) in prev.items()
                    ),
                    key=lambda pair: pair[0],
                )
            best.append(step)
        form = max(best[-1], key=lambda f: best[-1][f][0])
        path = [form]
        for step_back in reversed(best[1:]):
            form = step_back[form][1]
            path.append(form)
        return path[::-1]

    def _unigram(self, form: str) -> float:
        return math.log((self.counts.get(form, 0) + 0.5) / (self.total + 0.5))

    def _bigram(self, before: str, form: str) -> float:
        single = (self.counts.get(form, 0) + 0.5) / (self.total + 0.5)
        base = self.counts.get(before, 0)
        if not base:
            return math.log(single)
        pair = self.counts.get(f"{before}_{form}", 0) / base
        return math.log(_BIGRAM_WEIGHT * pair + (1 - _BIGRAM_WEIGHT) * single)


def _same_case(typed: str, form: str) -> str:
    """'Tieu' + 'tiêu' -> 'Tiêu'; 'UBND' stays 'UBND'."""
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


__all__ = ["Accents"]
