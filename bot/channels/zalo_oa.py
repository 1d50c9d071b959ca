"""Zalo Official Account adapter (OA API v3): a small async httpx client.

Webhook events are verified and read by zalo_oa_events (signature, freshness, shape). Replies
go out as customer-service messages (`POST /v3.0/oa/message/cs`, `access_token` header),
allowed within 7 days of the person's last interaction. Access tokens and their single-use
refresh live in zalo_oa_tokens (whose names are re-exported here). Zalo answers HTTP 200 with
`{"error": <code>}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
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
    download_failure,
    numbered,
    protect_logs,
    redact,
    split_text,
)
from bot.channels.transport import SEND_TIMEOUT_S, may_have_arrived, timeouts
from bot.channels.zalo_oa_events import (
    CHANNEL,
    MAX_EVENT_AGE,
    URL_REF,
    EventReader,
    sign,
)
from bot.channels.zalo_oa_tokens import (
    MemoryTokenStore,
    OATokens,
    TokenKeeper,
    TokenStore,
    json_body,
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

SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_LIMIT = 2000
IMAGE_LIMIT = 1024 * 1024  # upload/image: jpg/png up to 1 MB
FILE_LIMIT = 5 * 1024 * 1024  # upload/file: pdf/doc/docx up to 5 MB
DOWNLOAD_LIMIT = 10 * 1024 * 1024
CS_WINDOW = timedelta(days=7)
RATE_RETRY_AFTER_S = 30.0  # −32 carries no wait; Zalo's quotas are per minute and per day
TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired
# `"timestamp": "<characters>"` or `"timestamp": <number>` in a raw body; a few are tried.

Classifier = Callable[[int, str], SendResult]  # Zalo's error code and message -> outcome


class ZaloOASettings(Protocol):
    """The application settings this adapter reads."""

    zalo_oa_app_id: str
    zalo_oa_app_secret: SecretStr | None
    zalo_oa_secret_key: SecretStr | None
    zalo_oa_refresh_token: SecretStr | None
    zalo_oa_api_url: str
    zalo_oa_oauth_url: str
    zalo_oa_max_event_age_s: int
    send_timeout: float


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
        tokens=tokens,
        api_base=settings.zalo_oa_api_url,
        oauth_base=settings.zalo_oa_oauth_url,
        tz=context.tz,
        max_event_age=timedelta(seconds=settings.zalo_oa_max_event_age_s),
        timeout_s=settings.send_timeout,
    )


class ZaloOAChannel(Channel):
    """The Channel for a Zalo Official Account."""

    name = CHANNEL
    webhook_path = "zalo-oa"
    malformed_status = 200  # Zalo resends an event answered otherwise, then disables the hook

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
        timeout_s: float = SEND_TIMEOUT_S,
        max_event_age: timedelta = MAX_EVENT_AGE,
    ) -> None:
        protect_logs(app_secret, oa_secret)
        self.app_id = app_id
        self._app_secret = app_secret
        self._oa_secret = oa_secret
        self.tokens = tokens
        self._api = api_base.rstrip("/")
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeouts(timeout_s),
            limits=httpx.Limits(max_connections=64),
            transport=httpx.AsyncHTTPTransport(socket_options=NODELAY),
        )
        self.tz = tz
        self._now = now or (lambda: datetime.now(tz))
        self.download_limit = download_limit
        self._events = EventReader(
            app_id=app_id, oa_secret=oa_secret, tz=tz, now=self._now, max_event_age=max_event_age
        )
        self._keeper = TokenKeeper(
            app_id=app_id,
            app_secret=app_secret,
            tokens=tokens,
            client=self.client,
            oauth_base=oauth_base,
            now=self._now,
            timeout_s=timeout_s,
        )

    async def close(self) -> None:
        if self._own_client:
            await self.client.aclose()

    def secrets(self) -> tuple[str, ...]:
        return (self._app_secret, self._oa_secret)

    # --- incoming -------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.verify(body, headers.get(SIGNATURE_HEADER))

    def verify(self, body: bytes, header_value: str | None) -> bool:
        return self._events.verify(body, header_value)

    @property
    def max_event_age(self) -> timedelta:
        return self._events.max_event_age

    def parse(self, payload: Mapping[str, Any]) -> Update:
        return self._events.parse(payload)

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None:
        return self._events.last_interaction(payload)

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
                if response.status_code != 200:
                    raise download_failure(response.status_code)
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
            if result.status is SendStatus.UNCERTAIN:  # an upload alone sends nobody anything
                result = replace(result, status=SendStatus.TRANSIENT)
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
            token = await self._keeper.access_token()
            result, data, code = await self._request(method, url, token, judge, **kwargs)
            if code in token_errors:
                token = await self._keeper.access_token(stale=token)
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
        except httpx.HTTPError as exc:  # no answer: UNCERTAIN if the call went out whole
            status = SendStatus.UNCERTAIN if may_have_arrived(exc) else SendStatus.TRANSIENT
            return SendResult(status, detail=type(exc).__name__), {}, 0
        if response.status_code == 429:
            return SendResult(SendStatus.RETRY_AFTER, RATE_RETRY_AFTER_S, detail="HTTP 429"), {}, 0
        if response.status_code >= 500:
            detail = f"HTTP {response.status_code}"
            return SendResult(SendStatus.TRANSIENT, detail=detail), {}, 0
        body = json_body(response)
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

    def redact(self, text: str) -> str:
        """`text` without the app secrets and the current tokens, for details and logs."""
        return self._redact(text)

    def _redact(self, text: str) -> str:
        current = self.tokens.load()
        secrets = [self._app_secret, self._oa_secret]
        if current:
            secrets += [current.access_token, current.refresh_token]
        return redact(text, secrets)[:300]
