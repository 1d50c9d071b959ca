"""Receiving: a webhook's body or a poll's updates become inbox rows, the same way for both.

The webhook answers 200 (the polling loop confirms its offset) only after the commit that
holds its updates, so an acknowledged update is durable. A body that is not an update is
refused alone: each webhook request has its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Update
from bot.store import inbox
from bot.store.interactions import record_interaction

log = logging.getLogger(__name__)


class Inbound(Protocol):
    """A channel as receiving sees it: a name, a parser and, where the platform limits when
    we may write to a person (Zalo OA), the time of their last interaction."""

    name: str

    def parse(self, payload: Mapping[str, Any]) -> Update: ...

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None: ...


UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError)


def store_updates(
    sessions: sessionmaker[Session],
    channel: Inbound,
    payloads: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[Update | Exception]:
    """Parses and stores updates in one transaction; each outcome is its Update, or the
    exception that says its body is not an update (that one alone is refused).

    An interaction a channel reports is recorded on the person's linked identity, for events
    we otherwise ignore (a follow) as well.
    """
    outcomes: list[Update | Exception] = []
    with sessions.begin() as session:
        for payload in payloads:
            try:
                update = channel.parse(payload)
                seen = channel.last_interaction(payload)
            except UNREADABLE as exc:
                outcomes.append(exc)
                continue
            outcomes.append(update)
            if seen is not None:
                record_interaction(session, channel=channel.name, external_id=seen[0], at=seen[1])
            if update.incoming is not None:  # else acknowledged, nothing to do
                inbox.store(
                    session,
                    channel=channel.name,
                    update_key=update.dedupe_key,
                    chat_id=update.incoming.chat_id,
                    payload=dict(payload),
                    now=now,
                )
    return outcomes


def store_update(
    sessions: sessionmaker[Session], channel: Inbound, payload: Mapping[str, Any], now: datetime
) -> Update:
    """One webhook's update; raises the exception that says the body is not an update."""
    [outcome] = store_updates(sessions, channel, [payload], now)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
