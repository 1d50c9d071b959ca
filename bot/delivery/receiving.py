"""Receiving: a webhook's body or a poll's updates become inbox rows, the same way for both.

The webhook answers 200 (the polling loop confirms its offset) only after the commit that
holds its updates, so an acknowledged update is durable. A body that is not a usable update
(MalformedUpdate: not a JSON object, refused by the channel's parser, or nested deeper than
the store keeps) is logged once here, with its channel and update id, and refused alone: it
is checked before anything is written, and each webhook request has its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.channels.base import MalformedUpdate, Update
from bot.store import inbox
from bot.store.db import json_text
from bot.store.interactions import record_interaction

log = logging.getLogger(__name__)


class Inbound(Protocol):
    """A channel as receiving sees it: a name, a parser and, where the platform limits when
    we may write to a person (Zalo OA), the time of their last interaction."""

    name: str

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """Raises MalformedUpdate for a body that is not a usable update."""
        ...

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None: ...


def decode(channel: str, body: bytes) -> dict[str, Any]:
    """A webhook's authenticated body as the JSON object it must be."""
    try:
        payload = orjson.loads(body)
    except (orjson.JSONDecodeError, RecursionError) as exc:
        raise refused(channel, MalformedUpdate(f"not JSON ({exc})"[:200])) from None
    if not isinstance(payload, dict):
        raise refused(channel, MalformedUpdate(f"not a JSON object: {type(payload).__name__}"))
    return payload


def refused(channel: str, exc: MalformedUpdate) -> MalformedUpdate:
    """Logs a body that is not a usable update, once; returns the exception."""
    log.warning("%s update %s refused: %s", channel, exc.update_id or "?", exc.reason)
    return exc


def read(
    channel: Inbound, payload: Mapping[str, Any]
) -> tuple[Update, tuple[str, datetime] | None]:
    """The update and the interaction it reports; raises MalformedUpdate (not yet logged)
    for a body the channel cannot use or the store cannot keep."""
    update = channel.parse(payload)
    seen = channel.last_interaction(payload)
    if update.incoming is not None:
        try:
            json_text(payload)  # as the inbox column will write it
        except TypeError as exc:  # orjson: nested deeper than it writes, or not JSON at all
            raise MalformedUpdate(f"not storable ({exc})", update_id=update.dedupe_key) from None
    return update, seen


def store_updates(
    sessions: sessionmaker[Session],
    channel: Inbound,
    payloads: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[Update | MalformedUpdate]:
    """Parses and stores updates in one transaction; each outcome is its Update, or the
    MalformedUpdate that says its body is not a usable update (that one alone is refused,
    and logged).

    An interaction a channel reports is recorded on the person's linked identity, for events
    we otherwise ignore (a follow) as well.
    """
    outcomes: list[Update | MalformedUpdate] = []
    with sessions.begin() as session:
        for payload in payloads:
            try:
                update, seen = read(channel, payload)
            except MalformedUpdate as exc:
                outcomes.append(refused(channel.name, exc))
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
    stored = sum(isinstance(o, Update) and o.incoming is not None for o in outcomes)
    if stored:
        metrics.UPDATES_RECEIVED.labels(channel.name).inc(stored)
    return outcomes


def store_update(
    sessions: sessionmaker[Session], channel: Inbound, payload: Mapping[str, Any], now: datetime
) -> Update:
    """One webhook's update; raises the MalformedUpdate (already logged) that says the body
    is not a usable update."""
    [outcome] = store_updates(sessions, channel, [payload], now)
    if isinstance(outcome, MalformedUpdate):
        raise outcome
    return outcome
