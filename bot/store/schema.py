"""Every table the application owns, in one metadata: the modules that declare models are
imported here once, so the migrations' environment, `db copy` and the tests see them all,
whichever feature module a process happened to import first."""

from __future__ import annotations

from sqlalchemy import MetaData

from bot.store import (  # noqa: F401  (each registers its tables on Base.metadata)
    awards,
    callbacks,
    inbox,
    link_attempts,
    nominations,
    outbox,
    qa_models,
    reminders,
    tokens,
    unreachable,
    web_sessions,
)
from bot.store.models import Base

METADATA: MetaData = Base.metadata
