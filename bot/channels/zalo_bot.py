"""Zalo Bot API adapter: a small async httpx client (the public SDKs are synchronous).

Assumptions, from the platform's documentation: the API is Telegram-like, every method is a
POST of JSON to `{base}/bot{token}/{method}` (token in the path, as on Telegram), answers
are `{"ok": bool, "result": ..., "error_code": int, "description": str}`; getUpdates is a
long poll that returns ONE update in `result` (no offset: the platform forgets what it
handed out) or HTTP 408 when nothing came; webhooks carry the secret given to setWebhook
in `X-Bot-Api-Secret-Token`; sendPhoto takes a public URL, not an upload. There are no
buttons: choices go out as numbered lines.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import tzinfo
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from bot.channels import shape
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
from bot.i18n import channels_vi
from bot.messages import Attachment, Incoming, Reply

__all__ = ["SECRET_HEADER", "ZaloBotChannel", "from_settings"]

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
DOWNLOAD_LIMIT = 10 * 1024 * 1024
URL_REF = "url:"  # Attachment.ref scheme of a photo still on Zalo's servers
DEFAULT_RETRY_AFTER_S = 1.0  # Zalo's 429 carries no retry_after that we know of
TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"

MediaUrl = Callable[[Attachment], str | None]


class ZaloBotSettings(Protocol):
    """The application settings this adapter reads."""

    zalo_bot_token: SecretStr | None
    zalo_bot_webhook_secret: SecretStr | None
    zalo_bot_api_url: str
    send_timeout: float


def from_settings(settings: ZaloBotSettings, context: ChannelContext) -> ZaloBotChannel | None:
    """The adapter when a Zalo Bot token is set."""
    if settings.zalo_bot_token is None:
        return None
    secret = settings.zalo_bot_webhook_secret
    return ZaloBotChannel(
        settings.zalo_bot_token.get_secret_value(),
        base_url=settings.zalo_bot_api_url,
        webhook_secret=secret.get_secret_value() if secret is not None else "",
        tz=context.tz,
        timeout_s=settings.send_timeout,
    )


class ZaloBotChannel(Channel):
    """The Channel for the Zalo Bot API."""

    name = CHANNEL
    webhook_path = "zalo-bot"
    can_poll = True
    malformed_status = 200  # Telegram-like: any other answer would be sent again

    def __init__(
        self,
        token: str,
        *,
        webhook_secret: str = "",
        base_url: str = "https://bot-api.zaloplatforms.com",
        client: httpx.AsyncClient | None = None,
        media_url: MediaUrl | None = None,
        tz: tzinfo = VN_TZ,
        download_limit: int = DOWNLOAD_LIMIT,
        timeout_s: float = SEND_TIMEOUT_S,
    ) -> None:
        protect_logs(token, webhook_secret)
        self._token = token
        self._webhook_secret = webhook_secret
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeouts(timeout_s),
            limits=httpx.Limits(max_connections=64),
            transport=httpx.AsyncHTTPTransport(socket_options=NODELAY),
        )
        self.media_url = media_url
        self.tz = tz
        self.download_limit = download_limit

    async def close(self) -> None:
        if self._own_client:
            await self.client.aclose()

    def secrets(self) -> tuple[str, ...]:
        return (self._token, self._webhook_secret)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The secret given to setWebhook, compared in constant time; a missing one fails."""
        given = headers.get(SECRET_HEADER) or ""
        secret = self._webhook_secret
        return bool(given and secret) and hmac.compare_digest(given.encode(), secret.encode())

    # --- incoming -------------------------------------------------------------------------

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """A webhook body or getUpdates result; `{"ok":..,"result":{..}}` is unwrapped.

        Raises MalformedUpdate for a text or image message without a message id (its dedupe
        key), without a sender, or with a part of the wrong shape; other events are ignored.
        """
        if isinstance(payload.get("result"), Mapping):
            payload = payload["result"]
        message = payload.get("message")
        message_id = message.get("message_id") if isinstance(message, Mapping) else None
        with shape.reading(message_id) as ref:
            event = shape.text(payload.get("event_name"), "event_name")
            if event not in (TEXT_EVENT, IMAGE_EVENT):
                return Update(dedupe_key=f"zb:{event}:{ref}", incoming=None)
            return self._message(event, shape.obj(message, "message"))

    def _message(self, event: str, message: Mapping[str, Any]) -> Update:
        message_id = shape.ident(message.get("message_id"), "message.message_id")
        user_id = shape.ident(
            shape.obj(message.get("from"), "message.from").get("id"), "message.from.id"
        )
        chat = shape.opt_obj(message, "chat", "message.chat")
        chat_id = shape.ident(chat["id"], "message.chat.id") if "id" in chat else user_id
        attachments: tuple[Attachment, ...] = ()
        photo = shape.text(message.get("photo"), "message.photo")
        if event == IMAGE_EVENT and photo:
            attachments = (
                Attachment(
                    kind="photo",
                    filename=f"{message_id}.jpg",
                    content_type="image/jpeg",
                    ref=f"{URL_REF}{photo}",
                ),
            )
        date = message.get("date")
        said = shape.text(message.get("text"), "message.text") or shape.text(
            message.get("caption"), "message.caption"
        )
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=chat_id,
            user_id=user_id,
            text=said,
            attachments=attachments,
            message_id=message_id,
            received_at=shape.unix_time(date, "message.date", self.tz, per_second=1000)
            if date
            else None,
        )
        return Update(dedupe_key=f"zb:{event}:{message_id}", incoming=incoming)

    async def get_updates(self, timeout: int = 30) -> list[Update]:
        """One long poll: a list of at most one update; empty on HTTP 408 (nothing came)."""
        return [self.parse(item) for item in await self.poll(timeout)]

    async def poll(self, timeout: int = 30) -> list[dict[str, Any]]:
        """One long poll returning the raw update dicts, to store as received."""
        try:
            response = await self.client.post(
                f"{self._base}/getUpdates",
                json={"timeout": str(timeout)},
                timeout=timeout + 10,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(SendStatus.TRANSIENT, self._detail(exc)) from None
        body = _json(response)
        if response.status_code == 408 or body.get("error_code") == 408:
            return []
        result = self._classify(response, body)
        if result.status is not SendStatus.SENT:
            raise ChannelError(result.status, result.detail, retry_after_s=result.retry_after_s)
        raw = body.get("result")
        items = raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else []
        return [dict(item) for item in items if isinstance(item, Mapping)]

    async def resolve_attachments(self, incoming: Incoming) -> Incoming:
        """Downloads photos still on Zalo (ref 'url:<url>') into data, within the size limit."""
        resolved: list[Attachment] = []
        for attachment in incoming.attachments:
            if attachment.data is None and (attachment.ref or "").startswith(URL_REF):
                url = (attachment.ref or "")[len(URL_REF) :]
                data = await self._download(url, attachment.filename)
                attachment = replace(attachment, data=data, ref=None)
            resolved.append(attachment)
        return replace(incoming, attachments=tuple(resolved))

    async def _download(self, url: str, filename: str) -> bytes:
        try:
            async with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise download_failure(response.status_code)
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.download_limit:
                    raise FileTooLarge(filename, declared, self.download_limit)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > self.download_limit:
                        raise FileTooLarge(filename, len(data), self.download_limit)
        except httpx.HTTPError as exc:
            raise ChannelError(SendStatus.TRANSIENT, self._detail(exc)) from None
        return bytes(data)

    # --- outgoing -------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        """Text (numbered choices included) in chunks of 2,000, then photos; resumable."""
        text, _payloads = numbered(reply)
        parts: list[tuple[str, dict[str, Any]]] = [
            ("sendMessage", {"chat_id": chat_id, "text": chunk})
            for chunk in (split_text(text, TEXT_LIMIT) if text.strip() else [])
        ]
        parts.extend(self._attachment_part(chat_id, item) for item in reply.attachments)
        ids: list[str] = []
        for method, params in parts[first_part:]:
            result, message_id = await self._call(method, params)
            if result.status is not SendStatus.SENT:
                log.info("zalo bot send to %s failed: %s", chat_id, result.detail)
                return replace(result, platform_message_ids=tuple(ids), parts_sent=len(ids))
            ids.append(message_id)
        return SendResult(SendStatus.SENT, platform_message_ids=tuple(ids), parts_sent=len(ids))

    def _attachment_part(self, chat_id: str, item: Attachment) -> tuple[str, dict[str, Any]]:
        """A photo with a public URL goes as sendPhoto; anything else as a line of text."""
        url = self.media_url(item) if self.media_url else None
        if url and item.kind == "photo":
            return "sendPhoto", {"chat_id": chat_id, "photo": url}
        if url:
            return "sendMessage", {
                "chat_id": chat_id,
                "text": channels_vi.ATTACHMENT_LINK.format(name=item.filename, url=url),
            }
        text = channels_vi.ATTACHMENT_NOT_SENT.format(name=item.filename)
        return "sendMessage", {"chat_id": chat_id, "text": text}

    async def set_webhook(self, url: str, secret: str) -> None:
        """Zalo will POST updates to `url` with the secret (8–256 characters) in a header."""
        protect_logs(secret)
        await self._admin("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        """getUpdates does not work while a webhook is set."""
        await self._admin("deleteWebhook", {})

    async def _admin(self, method: str, params: dict[str, Any]) -> None:
        result, _ = await self._call(method, params)
        if result.status is not SendStatus.SENT:
            raise ChannelError(result.status, result.detail, retry_after_s=result.retry_after_s)

    async def _call(self, method: str, params: dict[str, Any]) -> tuple[SendResult, str]:
        try:
            response = await self.client.post(f"{self._base}/{method}", json=params)
        except httpx.HTTPError as exc:  # no answer: UNCERTAIN if the call went out whole
            status = SendStatus.UNCERTAIN if may_have_arrived(exc) else SendStatus.TRANSIENT
            return SendResult(status, detail=self._detail(exc)), ""
        body = _json(response)
        result = self._classify(response, body)
        raw = body.get("result")
        message_id = str(raw.get("message_id", "")) if isinstance(raw, Mapping) else ""
        return result, message_id

    def _classify(self, response: httpx.Response, body: Mapping[str, Any]) -> SendResult:
        """HTTP status and the body's error_code to our statuses (either may carry it)."""
        code = int(body.get("error_code") or response.status_code)
        if response.status_code == 200 and body.get("ok", False):
            return SendResult(SendStatus.SENT)
        detail = redact(f"{code}: {body.get('description', '')}", (self._token,))[:300]
        if code == 429:
            parameters = body.get("parameters") or {}
            wait = float(parameters.get("retry_after") or DEFAULT_RETRY_AFTER_S)
            return SendResult(SendStatus.RETRY_AFTER, wait, detail=detail)
        if code == 403:
            return SendResult(SendStatus.BLOCKED, detail=detail)
        if code >= 500 or code in (401, 404):  # 401/404: bad token, a deployment error
            return SendResult(SendStatus.TRANSIENT, detail=detail)
        return SendResult(SendStatus.FAILED, detail=detail)

    def _detail(self, exc: Exception) -> str:
        return redact(f"{type(exc).__name__}: {exc}", (self._token,))[:300]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
