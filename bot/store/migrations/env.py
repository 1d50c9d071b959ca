"""Alembic environment: runs on the connection handed in by bot.store.db.migrate."""

from alembic import context

from bot.store import schema  # noqa: F401  (registers every table)
from bot.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
