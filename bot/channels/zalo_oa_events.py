"""Zalo OA webhook events: the signature and freshness checks, then reading a verified event.

`X-ZEvent-Signature: mac=<hex>`, hex = SHA-256(app_id + raw body + timestamp + OA secret key),
and the signed timestamp (ms) must be within a window of now, as Slack and Stripe bound theirs,
so that a captured request cannot be replayed once its dedupe key is purged. Nothing of the
body is parsed before both hold.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.channels import shape
from bot.channels.base import MalformedUpdate, Update
from bot.messages import Attachment, Incoming

CHANNEL = "zalo_oa"
URL_REF = "url:"
INCOMING_EVENTS = {"user_send_text", "user_send_image", "user_send_file"}
MAX_EVENT_AGE = timedelta(minutes=5)
STAMP_DIGITS = 15  # milliseconds since 1970 have 13 digits until the year 2286

_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*(?:"([^"\\]{0,40})"|(-?[0-9][0-9.eE+-]{0,39}))')
MAX_TIMESTAMPS = 4

log = logging.getLogger("bot.channels.zalo_oa")


def sign(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The header value Zalo sends: 'mac=' + SHA-256 hex of app_id+body+timestamp+secret."""
    data = app_id.encode() + body + timestamp.encode() + oa_secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


class EventReader:
    """Checks and reads the OA's webhook events for one app."""

    def __init__(
        self,
        *,
        app_id: str,
        oa_secret: str,
        tz: tzinfo,
        now: Callable[[], datetime],
        max_event_age: timedelta = MAX_EVENT_AGE,
    ) -> None:
        self.app_id = app_id
        self._oa_secret = oa_secret
        self.tz = tz
        self._now = now
        self.max_event_age = max_event_age

    def verify(self, body: bytes, header_value: str | None) -> bool:
        """The webhook's signature over the RAW body, compared in constant time, then the
        signed timestamp's freshness: nothing of the body is used before both hold.

        The signed timestamp is inside the body; it is found by a scan of the raw bytes, not
        by parsing them, so a forged body costs a regular-expression pass and a few hashes
        whatever its nesting or size (within the route's limit).
        """
        if not header_value:
            return False
        given = header_value.strip().encode()
        for stamp in signed_timestamps(body):
            expected = sign(self.app_id, body, stamp, self._oa_secret)
            if hmac.compare_digest(given, expected.encode()):
                return self._fresh(stamp)
        return False

    def _fresh(self, timestamp: str) -> bool:
        """Whether the signed time (ms since 1970) is within `max_event_age` of now, either
        side; an event without a usable one is refused, since it could be replayed for ever."""
        stamp = timestamp.strip()
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= STAMP_DIGITS):
            log.warning("zalo oa webhook: signed event without a usable timestamp, refused")
            return False
        now_ms = int(self._now().timestamp() * 1000)
        age_s = (now_ms - int(stamp)) / 1000
        if abs(age_s) > self.max_event_age.total_seconds():
            log.warning("zalo oa webhook: event signed %.0f s ago, outside the window", age_s)
            return False
        return True

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """A verified webhook event; user_send_text/_image/_file become Incoming.

        Raises MalformedUpdate for such an event without a sender, without both a message
        id and a timestamp (its dedupe key), or with a part of the wrong shape.
        """
        with shape.reading(_ref(payload)) as ref:
            event = shape.text(payload.get("event_name"), "event_name")
            if event not in INCOMING_EVENTS:
                return Update(dedupe_key=f"zoa:{event}:{ref}", incoming=None)
            user_id = shape.ident(shape.obj(payload.get("sender"), "sender").get("id"), "sender.id")
            message = shape.obj(payload.get("message"), "message")
            at = self._timestamp(payload)
            if message.get("msg_id") not in (None, ""):
                key = msg_id = shape.ident(message["msg_id"], "message.msg_id")
            elif at is not None:
                key, msg_id = f"{user_id}:{payload['timestamp']}", ""
            else:
                raise MalformedUpdate("neither message.msg_id nor timestamp")
            incoming = Incoming(
                channel=CHANNEL,
                chat_id=user_id,
                user_id=user_id,
                text=shape.text(message.get("text"), "message.text"),
                attachments=_attachments(message, msg_id or "image"),
                message_id=msg_id,
                received_at=at,
            )
            return Update(dedupe_key=f"zoa:{event}:{key}", incoming=incoming)

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None:
        """(user id, time) when the event is the person interacting with the OA, else None.

        The caller records it per person: customer-service messages are only allowed within
        7 days of it (`can_message`), after which Zalo answers −230.
        """
        with shape.reading(_ref(payload)):
            event = shape.text(payload.get("event_name"), "event_name")
            if not (event.startswith("user_send_") or event == "follow"):
                return None
            who = payload.get("sender") or payload.get("follower")
            person = shape.obj(who, "sender") if who is not None else {}
            at = self._timestamp(payload)
            if not person.get("id") or at is None:
                return None
            return shape.ident(person["id"], "sender.id"), at

    def _timestamp(self, payload: Mapping[str, Any]) -> datetime | None:
        """The event's time (milliseconds, as a string of digits); None when absent."""
        stamp = payload.get("timestamp")
        if stamp is None or stamp == "":
            return None
        return shape.unix_time(stamp, "timestamp", self.tz, per_second=1000)


def signed_timestamps(body: bytes) -> list[str]:
    """The values the signature may cover as "timestamp": each `"timestamp": <value>` of the
    raw body (string contents or a number), distinct, at most MAX_TIMESTAMPS; or "" when
    there is none, as Zalo signs an event without one."""
    found: list[str] = []
    for match in _TIMESTAMP.finditer(body):
        value = (match.group(1) if match.group(1) is not None else match.group(2)).decode()
        if value not in found:
            found.append(value)
            if len(found) == MAX_TIMESTAMPS:
                break
    return found or [""]


def _ref(payload: Mapping[str, Any]) -> object:
    """The event's message id, if there is one to read, for a log line."""
    message = payload.get("message")
    return message.get("msg_id") if isinstance(message, Mapping) else None


def _attachments(message: Mapping[str, Any], msg_id: str) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for index, item in enumerate(shape.objects(message.get("attachments"), "attachments")):
        payload = shape.opt_obj(item, "payload", "attachments.payload")
        url = shape.text(payload.get("url"), "attachments.payload.url")
        kind = shape.text(item.get("type"), "attachments.type")
        if not url:
            continue
        if kind == "image":
            name = f"{msg_id}-{index}.jpg"
            found.append(Attachment("photo", name, "image/jpeg", ref=f"{URL_REF}{url}"))
        elif kind == "file":
            name = shape.text(payload.get("name"), "attachments.payload.name") or f"file-{index}"
            found.append(Attachment("document", name[: shape.NAME_MAX], ref=f"{URL_REF}{url}"))
    return tuple(found)
