"""Queue a notice for people, each to the chat that reaches them (the reminders' routing), in
the caller's transaction: it goes out through the outbox with the change that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.messages import Reply
from bot.reminders.reach import RouteFinder
from bot.store import outbox
from bot.store.recipients import recipients


def push(
    session: Session,
    routes: RouteFinder,
    person_ids: Iterable[int],
    reply: Reply,
    *,
    key: str,
    now: datetime,
) -> int:
    """Queues `reply` once per person under `key`; returns how many were reachable."""
    queued: list[outbox.Queued] = []
    for person_id, recipient in recipients(session, person_ids).items():
        route = routes(recipient, now)
        if route is not None:
            queued.append(outbox.Queued(route.channel, route.chat_id, reply, f"{key}:{person_id}"))
    outbox.enqueue_many(session, queued, now=now)
    return len(queued)
