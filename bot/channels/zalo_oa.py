"""Zalo Official Account adapter (OA API v3): a small async httpx client.

Webhook events are verified by `X-ZEvent-Signature: mac=<hex>`, hex = SHA-256(app_id + raw
body + timestamp + OA secret key). Replies go out as customer-service messages
(`POST /v3.0/oa/message/cs`, `access_token` header), allowed within 7 days of the person's
last interaction. Access tokens last ~25 h; the refresh token is SINGLE-USE, so every refresh
is saved through a TokenStore at once (the lead persists it atomically in the database),
refreshes within a process are serialised, and workers sharing the store take a lease on it
before refreshing. Zalo answers HTTP 200 with `{"error": <code>}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from bot.channels.base import (
    Channel,
    ChannelContext,
    ChannelError,
    FileTooLarge,
    SendResult,
    SendStatus,
    Update,
)
from bot.channels.common import (
    NODELAY,
    VN_TZ,
    from_unix,
    numbered,
    protect_logs,
    redact,
    split_text,
)
from bot.messages import Attachment, Incoming, Reply

__all__ = [
    "SIGNATURE_HEADER",
    "MemoryTokenStore",
    "OATokens",
    "TokenStore",
    "ZaloOAChannel",
    "from_settings",
    "sign",
]

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_LIMIT = 2000
IMAGE_LIMIT = 1024 * 1024  # upload/image: jpg/png up to 1 MB
FILE_LIMIT = 5 * 1024 * 1024  # upload/file: pdf/doc/docx up to 5 MB
DOWNLOAD_LIMIT = 10 * 1024 * 1024
URL_REF = "url:"
CS_WINDOW = timedelta(days=7)
RATE_RETRY_AFTER_S = 30.0  # −32 carries no wait; Zalo's quotas are per minute and per day
REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_POLL_S = 0.2  # how often a worker waiting for another's refresh looks at the store
TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired
INCOMING_EVENTS = {"user_send_text", "user_send_image", "user_send_file"}

Classifier = Callable[[int, str], SendResult]  # Zalo's error code and message -> outcome


@dataclass(frozen=True)
class OATokens:
    access_token: str
    refresh_token: str
    expires_at: datetime


class TokenStore(Protocol):
    """Where the OA tokens live. `save` must be durable before it returns: the old refresh
    token is already spent when Zalo hands out the new pair."""

    def load(self) -> OATokens | None: ...

    def save(self, access: str, refresh: str, expires_at: datetime) -> None: ...

    def claim_refresh(self, now: datetime, lease: timedelta) -> bool:
        """May this caller refresh now? Workers sharing a store refresh one at a time."""
        ...

    def release_refresh(self) -> None: ...


class MemoryTokenStore:
    """TokenStore for tests; `saves` counts rotations."""

    def __init__(self, tokens: OATokens | None = None) -> None:
        self.tokens = tokens
        self.saves = 0
        self.lease_until: datetime | None = None

    def load(self) -> OATokens | None:
        return self.tokens

    def save(self, access: str, refresh: str, expires_at: datetime) -> None:
        self.tokens = OATokens(access, refresh, expires_at)
        self.saves += 1
        self.lease_until = None

    def claim_refresh(self, now: datetime, lease: timedelta) -> bool:
        if self.lease_until is not None and self.lease_until > now:
            return False
        self.lease_until = now + lease
        return True

    def release_refresh(self) -> None:
        self.lease_until = None


def sign(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The header value Zalo sends: 'mac=' + SHA-256 hex of app_id+body+timestamp+secret."""
    data = app_id.encode() + body + timestamp.encode() + oa_secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


class ZaloOASettings(Protocol):
    """The application settings this adapter reads."""

    zalo_oa_app_id: str
    zalo_oa_app_secret: SecretStr | None
    zalo_oa_secret_key: SecretStr | None
    zalo_oa_refresh_token: SecretStr | None
    zalo_oa_api_url: str
    zalo_oa_oauth_url: str


def from_settings(settings: ZaloOASettings, context: ChannelContext) -> ZaloOAChannel | None:
    """The adapter when the OA's app id and both secrets are set; its tokens live in the
    store the composition root provides (the database, shared by every worker)."""
    app_secret, oa_secret = settings.zalo_oa_app_secret, settings.zalo_oa_secret_key
    if not (settings.zalo_oa_app_id and app_secret and oa_secret):
        return None
    if context.token_store is None:
        raise ValueError("Zalo OA needs a token store")
    refresh = settings.zalo_oa_refresh_token
    tokens = context.token_store(CHANNEL, refresh.get_secret_value() if refresh else "")
    return ZaloOAChannel(
        app_id=settings.zalo_oa_app_id,
        app_secret=app_secret.get_secret_value(),
        oa_secret=oa_secret.get_secret_value(),
        tokens=tokens,  # type: ignore[arg-type]
        api_base=settings.zalo_oa_api_url,
        oauth_base=settings.zalo_oa_oauth_url,
        tz=context.tz,
    )


class ZaloOAChannel(Channel):
    """The Channel for a Zalo Official Account."""

    name = CHANNEL
    webhook_path = "zalo-oa"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        oa_secret: str,
        tokens: TokenStore,
        api_base: str = "https://openapi.zalo.me",
        oauth_base: str = "https://oauth.zaloapp.com",
        client: httpx.AsyncClient | None = None,
        tz: tzinfo = VN_TZ,
        now: Callable[[], datetime] | None = None,
        download_limit: int = DOWNLOAD_LIMIT,
        timeout_s: float = 10.0,
    ) -> None:
        protect_logs(app_secret, oa_secret)
        self.app_id = app_id
        self._app_secret = app_secret
        self._oa_secret = oa_secret
        self.tokens = tokens
        self._api = api_base.rstrip("/")
        self._oauth = oauth_base.rstrip("/")
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=64),
            transport=httpx.AsyncHTTPTransport(socket_options=NODELAY),
        )
        self.tz = tz
        self._now = now or (lambda: datetime.now(tz))
        self.download_limit = download_limit
        self._refresh_lock = asyncio.Lock()
        self._timeout_s = timeout_s

    async def close(self) -> None:
        if self._own_client:
            await self.client.aclose()

    def secrets(self) -> tuple[str, ...]:
        return (self._app_secret, self._oa_secret)

    # --- incoming -------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.verify(body, headers.get(SIGNATURE_HEADER))

    def verify(self, body: bytes, header_value: str | None) -> bool:
        """The webhook's signature over the RAW body, compared in constant time."""
        if not header_value:
            return False
        try:
            timestamp = str(json.loads(body).get("timestamp", ""))
        except (ValueError, AttributeError):
            return False
        expected = sign(self.app_id, body, timestamp, self._oa_secret)
        return hmac.compare_digest(header_value.strip().encode(), expected.encode())

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """A verified webhook event; user_send_text/_image/_file become Incoming."""
        event = str(payload.get("event_name", ""))
        message = payload.get("message") or {}
        sender = str((payload.get("sender") or {}).get("id", ""))
        msg_id = message.get("msg_id") or f"{sender}:{payload.get('timestamp', '')}"
        key = f"zoa:{event}:{msg_id}"
        if event not in INCOMING_EVENTS:
            return Update(dedupe_key=key, incoming=None)
        at = self.last_interaction(payload)
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=sender,
            user_id=sender,
            text=str(message.get("text") or ""),
            attachments=_attachments(message),
            message_id=str(message.get("msg_id", "")),
            received_at=at[1] if at else None,
        )
        return Update(dedupe_key=key, incoming=incoming)

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None:
        """(user id, time) when the event is the person interacting with the OA, else None.

        The caller records it per person: customer-service messages are only allowed within
        7 days of it (`can_message`), after which Zalo answers −230.
        """
        event = str(payload.get("event_name", ""))
        if not (event.startswith("user_send_") or event == "follow"):
            return None
        sender = (payload.get("sender") or payload.get("follower") or {}).get("id")
        stamp = payload.get("timestamp")
        if not sender or not stamp:
            return None
        return str(sender), from_unix(int(stamp) / 1000, self.tz)

    def can_message(self, last_interaction: datetime | None) -> bool:
        """Whether a customer-service message is still allowed (within 7 days)."""
        return last_interaction is not None and self._now() - last_interaction < CS_WINDOW

    async def resolve_attachments(self, incoming: Incoming) -> Incoming:
        """Downloads files still on Zalo (ref 'url:<url>') into data, within the size limit."""
        resolved: list[Attachment] = []
        for attachment in incoming.attachments:
            if attachment.data is None and (attachment.ref or "").startswith(URL_REF):
                url = (attachment.ref or "")[len(URL_REF) :]
                try:
                    response = await self.client.get(url)
                except httpx.HTTPError as exc:
                    raise ChannelError(SendStatus.TRANSIENT, type(exc).__name__) from None
                if len(response.content) > self.download_limit:
                    raise FileTooLarge(
                        attachment.filename, len(response.content), self.download_limit
                    )
                attachment = replace(attachment, data=response.content, ref=None)
            resolved.append(attachment)
        return replace(incoming, attachments=tuple(resolved))

    # --- outgoing -------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        """Text chunks of 2,000 (choices numbered), then images/files; resumable by part."""
        text, _payloads = numbered(reply)
        parts: list[str | Attachment] = [
            *(split_text(text, TEXT_LIMIT) if text.strip() else []),
            *reply.attachments,
        ]
        ids: list[str] = []
        for part in parts[first_part:]:
            result, message_id = await self._send_part(chat_id, part)
            if result.status is not SendStatus.SENT:
                log.info("zalo oa send to %s failed: %s", chat_id, result.detail)
                return replace(result, platform_message_ids=tuple(ids), parts_sent=len(ids))
            ids.append(message_id)
        return SendResult(SendStatus.SENT, platform_message_ids=tuple(ids), parts_sent=len(ids))

    async def _send_part(self, user_id: str, part: str | Attachment) -> tuple[SendResult, str]:
        if isinstance(part, str):
            message: dict[str, Any] = {"text": part}
        else:
            result, message = await self._upload(part)
            if result.status is not SendStatus.SENT:
                return result, ""
        body = {"recipient": {"user_id": user_id}, "message": message}
        result, data = await self._authorized("POST", "/v3.0/oa/message/cs", json=body)
        return result, str(data.get("message_id", ""))

    async def _upload(self, item: Attachment) -> tuple[SendResult, dict[str, Any]]:
        """Uploads an image (≤ 1 MB) or a file (≤ 5 MB) and returns the message to send it."""
        data = item.data or b""
        is_image = item.kind == "photo" and len(data) <= IMAGE_LIMIT
        if not data or (not is_image and len(data) > FILE_LIMIT):
            return SendResult(SendStatus.FAILED, detail=f"attachment {item.filename!r}"), {}
        path = "/v2.0/oa/upload/image" if is_image else "/v2.0/oa/upload/file"
        files = {"file": (item.filename, data, item.content_type)}
        result, uploaded = await self._authorized("POST", path, files=files)
        if result.status is not SendStatus.SENT:
            return result, {}
        if is_image:
            element = {"media_type": "image", "attachment_id": uploaded.get("attachment_id")}
            payload: dict[str, Any] = {"template_type": "media", "elements": [element]}
            return result, {"attachment": {"type": "template", "payload": payload}}
        return result, {"attachment": {"type": "file", "payload": {"token": uploaded.get("token")}}}

    # --- tokens and errors ----------------------------------------------------------------

    async def _authorized(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[SendResult, dict[str, Any]]:
        """One OA API call with the current access token; on −216/−220 refresh once and retry."""
        return await self.authorized(method, f"{self._api}{path}", **kwargs)

    async def authorized(
        self,
        method: str,
        url: str,
        *,
        classify: Classifier | None = None,
        token_errors: frozenset[int] = TOKEN_ERRORS,
        **kwargs: Any,
    ) -> tuple[SendResult, dict[str, Any]]:
        """A call to any Zalo API that takes the OA access token (the OA API, ZNS).

        `classify` turns Zalo's error code into a SendResult (the OA API's by default); a
        code in `token_errors` refreshes the token once and retries, through the same
        serialised refresh as every other call, so the single-use refresh token is spent once.
        """
        judge = classify or self._classify
        try:
            token = await self._access_token()
            result, data, code = await self._request(method, url, token, judge, **kwargs)
            if code in token_errors:
                token = await self._access_token(stale=token)
                result, data, code = await self._request(method, url, token, judge, **kwargs)
        except ChannelError as exc:
            return SendResult(exc.status, exc.retry_after_s, detail=exc.detail), {}
        return result, data

    async def _request(
        self, method: str, url: str, token: str, classify: Classifier, **kwargs: Any
    ) -> tuple[SendResult, dict[str, Any], int]:
        try:
            response = await self.client.request(
                method, url, headers={"access_token": token}, **kwargs
            )
        except httpx.HTTPError as exc:
            return SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__), {}, 0
        if response.status_code == 429:
            return SendResult(SendStatus.RETRY_AFTER, RATE_RETRY_AFTER_S, detail="HTTP 429"), {}, 0
        if response.status_code >= 500:
            detail = f"HTTP {response.status_code}"
            return SendResult(SendStatus.TRANSIENT, detail=detail), {}, 0
        body = _json(response)
        code = int(body.get("error") or 0)
        raw = body.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return classify(code, str(body.get("message", ""))), data, code

    def _classify(self, code: int, message: str) -> SendResult:
        detail = self._redact(f"{code}: {message}")
        if code == 0:
            return SendResult(SendStatus.SENT)
        if code == -230:
            return SendResult(SendStatus.BLOCKED, detail="no_interaction")
        if code == -213:
            return SendResult(SendStatus.BLOCKED, detail="not_follower")
        if code == -32:
            return SendResult(SendStatus.RETRY_AFTER, RATE_RETRY_AFTER_S, detail=detail)
        if code in TOKEN_ERRORS:  # still invalid after a refresh: keep the message, back off
            return SendResult(SendStatus.TRANSIENT, detail="token_invalid")
        return SendResult(SendStatus.FAILED, detail=detail)

    async def _access_token(self, *, stale: str | None = None) -> str:
        """A usable access token; refreshes when expired, or when `stale` was just refused.

        Serialised by a lock, and re-read from the store inside it: when another task (or,
        through a shared store, another worker) has already rotated the pair, its token is
        used instead of spending the refresh token a second time.
        """
        current = self.tokens.load()
        if current:
            protect_logs(current.access_token, current.refresh_token)
        if current and stale is None and current.expires_at - REFRESH_MARGIN > self._now():
            return current.access_token
        async with self._refresh_lock:
            usable = await self._usable_or_lease(stale)
            if isinstance(usable, str):
                return usable
            try:
                return await self._refresh(usable.refresh_token)
            except BaseException:
                self.tokens.release_refresh()
                raise

    async def _usable_or_lease(self, stale: str | None) -> str | OATokens:
        """A usable access token from the store, or, once this worker holds the refresh lease,
        the pair to refresh. Another worker's refresh is waited for (up to its lease), then
        its pair is used: the single-use refresh token is spent once across workers."""
        lease = timedelta(seconds=self._timeout_s * 2 + 5)
        deadline = self._now() + lease + timedelta(seconds=1)
        while True:
            current = self.tokens.load()
            if current is None:
                raise ChannelError(SendStatus.TRANSIENT, "no_tokens")
            fresh = current.expires_at - REFRESH_MARGIN > self._now()
            if fresh and current.access_token != stale:
                return current.access_token
            if self.tokens.claim_refresh(self._now(), lease):
                again = self.tokens.load()  # saved by another worker since the read above?
                if again is not None and again.access_token != current.access_token:
                    self.tokens.release_refresh()
                    continue
                return current
            if self._now() > deadline:
                raise ChannelError(SendStatus.TRANSIENT, "token_refresh_pending")
            await asyncio.sleep(REFRESH_POLL_S)

    async def _refresh(self, refresh_token: str) -> str:
        try:
            response = await self.client.post(
                f"{self._oauth}/v4/oa/access_token",
                headers={"secret_key": self._app_secret},
                data={
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                },
            )
        except httpx.HTTPError as exc:
            raise ChannelError(SendStatus.TRANSIENT, type(exc).__name__) from None
        body = _json(response)
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if response.status_code != 200 or not access or not refresh:
            log.error("zalo oa token refresh failed: %s", body.get("error_name") or "?")
            raise ChannelError(SendStatus.TRANSIENT, "token_refresh_failed")
        protect_logs(str(access), str(refresh))
        expires_at = self._now() + timedelta(seconds=int(body.get("expires_in") or 3600))
        self.tokens.save(str(access), str(refresh), expires_at)
        return str(access)

    def redact(self, text: str) -> str:
        """`text` without the app secrets and the current tokens, for details and logs."""
        return self._redact(text)

    def _redact(self, text: str) -> str:
        current = self.tokens.load()
        secrets = [self._app_secret, self._oa_secret]
        if current:
            secrets += [current.access_token, current.refresh_token]
        return redact(text, secrets)[:300]


def _attachments(message: Mapping[str, Any]) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for index, item in enumerate(message.get("attachments") or []):
        payload = item.get("payload") or {}
        url = payload.get("url")
        if not url:
            continue
        if item.get("type") == "image":
            name = f"{message.get('msg_id', 'image')}-{index}.jpg"
            found.append(Attachment("photo", name, "image/jpeg", ref=f"{URL_REF}{url}"))
        elif item.get("type") == "file":
            name = str(payload.get("name") or f"file-{index}")
            found.append(Attachment("document", name, ref=f"{URL_REF}{url}"))
    return tuple(found)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
