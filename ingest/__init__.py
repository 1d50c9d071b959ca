"""Ingestion: files -> documents -> Vietnamese legal structure -> chunks -> the knowledge index."""

from ingest.chunker import chunk_document, chunk_records, chunk_text
from ingest.errors import IngestError
from ingest.legal import Article, Clause, Point, Section, parse_legal
from ingest.loaders import SUPPORTED_EXTENSIONS, LoadedDocument, Record, load_document
from ingest.meta import parse_date
from ingest.pipeline import IngestReport, ingest_paths
from ingest.progress import IngestProgress, NullProgress, RichProgress

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Article",
    "Clause",
    "IngestError",
    "IngestProgress",
    "IngestReport",
    "LoadedDocument",
    "NullProgress",
    "Point",
    "Record",
    "RichProgress",
    "Section",
    "chunk_document",
    "chunk_records",
    "chunk_text",
    "ingest_paths",
    "load_document",
    "parse_date",
    "parse_legal",
]
