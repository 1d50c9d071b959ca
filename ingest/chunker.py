"""Chunks with stable ids: one per Điều (per khoản when long), per section, per passage.

Ids depend only on the structure they name (`<doc>#d24`, `<doc>#d24-k1`, `<doc>#s3`,
a passage's own id), so editing one Điều leaves every other chunk id and content hash alone
and the index re-embeds only what changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from ingest.legal import Article, Section, parse_legal
from ingest.loaders import LoadedDocument, Record
from knowledge.documents import Chunk, Citation, DocumentMeta

ARTICLE_MAX_CHARS = 1500  # a longer Điều is split by khoản
INTRO_INLINE_CHARS = 300  # a Điều's lead-in up to this size is repeated in each khoản chunk
SECTION_MIN_CHARS = 300
SECTION_MAX_CHARS = 1200
PASSAGE_MAX_CHARS = 8000  # jsonl passages are kept whole up to this size

_SENTENCE_END = re.compile(r"(?<=[.;:!?…])\s+")


def chunk_document(document: LoadedDocument) -> list[Chunk]:
    """All chunks of a loaded file, in document order."""
    if document.records:
        return chunk_records(document.meta, document.records)
    return chunk_text(document.meta, document.text)


def chunk_text(meta: DocumentMeta, text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    used: set[str] = set()
    section_number = 0
    for block in parse_legal(text):
        if isinstance(block, Article):
            chunks.extend(
                _article_chunks(meta, block, _unique(f"{meta.doc_id}#d{block.number}", used))
            )
        else:
            for piece in _section_pieces(block):
                section_number += 1
                chunks.append(_section_chunk(meta, block, piece, section_number))
    return chunks


def _unique(base: str, used: set[str]) -> str:
    """A repeated Điều number (an amending text, a pasted duplicate) gets '_2', '_3', …"""
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    used.add(candidate)
    return candidate


def _article_chunks(meta: DocumentMeta, article: Article, base_id: str) -> Iterator[Chunk]:
    title = f"{meta.title} - {article.heading}"
    headings = (*article.headings, article.heading)

    def make(suffix: str, text: str, clause: str = "") -> Chunk:
        citation = Citation(meta, article=article.number, clause=clause, headings=headings)
        return Chunk(id=base_id + suffix, text=text, citation=citation, title=title)

    if len(article.text) <= ARTICLE_MAX_CHARS:
        yield make("", article.text)
        return
    if len(article.clauses) < 2:
        for n, piece in enumerate(pack(article.body.split("\n"), ARTICLE_MAX_CHARS), start=1):
            yield make(f"-p{n}", piece)
        return
    lead = ""
    if len(article.intro) <= INTRO_INLINE_CHARS:
        lead = article.intro + "\n" if article.intro else ""
    else:
        intro_pieces = pack(article.intro.split("\n"), ARTICLE_MAX_CHARS)
        for n, piece in enumerate(intro_pieces, start=1):
            yield make("-k0" + (f"-{n}" if len(intro_pieces) > 1 else ""), piece)
    for clause in article.clauses:
        pieces = pack((lead + clause.text).split("\n"), 2 * ARTICLE_MAX_CHARS)
        for n, piece in enumerate(pieces, start=1):
            suffix = f"-k{clause.number}" + (f"-{n}" if len(pieces) > 1 else "")
            yield make(suffix, piece, clause.number)


def _section_pieces(section: Section) -> list[str]:
    return pack(section.lines, SECTION_MAX_CHARS, SECTION_MIN_CHARS)


def _section_chunk(meta: DocumentMeta, section: Section, text: str, number: int) -> Chunk:
    visible = [h for h in section.headings if h.casefold() != meta.title.casefold()]
    title = " - ".join([meta.title, *visible])
    citation = Citation(meta, headings=section.headings)
    return Chunk(id=f"{meta.doc_id}#s{number}", text=text, citation=citation, title=title)


def chunk_records(meta: DocumentMeta, records: Iterable[Record]) -> list[Chunk]:
    """One chunk per passage: its own id, title and text, untouched unless it must be split."""
    chunks: list[Chunk] = []
    for record in records:
        citation = _record_citation(meta, record)
        if len(record.text) <= PASSAGE_MAX_CHARS:
            chunks.append(
                Chunk(id=record.id, text=record.text, citation=citation, title=record.title)
            )
            continue
        for n, piece in enumerate(pack(record.text.split("\n"), PASSAGE_MAX_CHARS), start=1):
            chunks.append(Chunk(f"{record.id}#{n}", piece, citation, record.title))
    return chunks


def _record_citation(meta: DocumentMeta, record: Record) -> Citation:
    """`law`/`doc_number` name the text a record quotes; `article`/`clause`/`point` locate it."""
    fields = record.fields

    def scalar(key: str) -> str:
        value = fields.get(key)
        return "" if value is None or isinstance(value, dict | list) else str(value).strip()

    document = meta
    law, number = scalar("law"), scalar("doc_number")
    if law or number:
        document = replace(meta, title=law or number, doc_number=number or meta.doc_number)
    return Citation(
        document,
        article=scalar("article"),
        clause=scalar("clause"),
        point=scalar("point"),
    )


def pack(units: Sequence[str], max_chars: int, min_chars: int = 0) -> list[str]:
    """Greedy grouping of lines into pieces of at most `max_chars`, joined by newlines.

    A line longer than `max_chars` is cut at sentence ends (then at spaces). A piece shorter
    than `min_chars` is joined to its predecessor when together they stay within 1.25×max.
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in (part for line in units if line.strip() for part in _split_long(line, max_chars)):
        if current and size + 1 + len(unit) > max_chars:
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit) + (1 if size else 0)
    if current:
        pieces.append("\n".join(current))
    merged: list[str] = []
    for piece in pieces:
        small = len(piece) < min_chars or (bool(merged) and len(merged[-1]) < min_chars)
        if merged and small and len(merged[-1]) + 1 + len(piece) <= max_chars * 1.25:
            merged[-1] = f"{merged[-1]}\n{piece}"
        else:
            merged.append(piece)
    return merged


def _split_long(line: str, max_chars: int) -> Iterator[str]:
    if len(line) <= max_chars:
        yield line
        return
    buffer = ""
    for sentence in _SENTENCE_END.split(line):
        for part in _hard_split(sentence, max_chars):
            if buffer and len(buffer) + 1 + len(part) > max_chars:
                yield buffer
                buffer = ""
            buffer = f"{buffer} {part}" if buffer else part
    if buffer:
        yield buffer


def _hard_split(text: str, max_chars: int) -> Iterator[str]:
    """Cut a sentence with no usable punctuation at spaces (or mid-word as a last resort)."""
    while len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        yield text[:cut].rstrip()
        text = text[cut:].lstrip()
    if text:
        yield text
