"""A fake Zalo Bot API server: `{url}/bot{token}/{method}`, JSON in and out.

    async with FakeZaloBot(token=TOKEN) as fake:
        channel = ZaloBotChannel(TOKEN, base_url=fake.url)
        fake.push(text_event("u1", "xin chào"))    # next getUpdates returns it
        fake.fail_429()                            # next sendMessage answers 429
        await fake.deliver_webhook(update)         # POSTs to the URL given to setWebhook

getUpdates hands out one update per call and answers HTTP 408 when none arrives within
the timeout, as the platform does. sendMessage refuses texts over 2,000 characters.
Photos for incoming image events are served from `{url}/media/<name>` (`add_media`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, post_json, read_params

TEXT_LIMIT = 2000


@dataclass
class Sent:
    chat_id: str
    message_id: str
    method: str
    text: str = ""
    photo: str = ""


class FakeZaloBot(FakeServer):
    def __init__(self, *, token: str = "1459232241454765289:zalo-TEST-token", delay_s: float = 0.0):
        super().__init__(delay_s=delay_s)
        self.token = token
        self.webhook: dict[str, Any] = {}
        self.blocked: set[str] = set()
        self.media: dict[str, bytes] = {}
        self._sent: list[Sent] = []
        self._updates: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed: asyncio.Event | None = None

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/media/{name}", self._media)

    async def on_start(self) -> None:
        self._changed = asyncio.Event()

    # --- test controls --------------------------------------------------------------------

    def fail(
        self, method: str | None, status: int, description: str, *, times: int = 1, **kw: Any
    ) -> None:
        body = {"ok": False, "error_code": status, "description": description}
        self.inject(status, body, method=method, times=times, **kw)

    def fail_429(self, method: str | None = "sendMessage", **kw: Any) -> None:
        self.fail(method, 429, "Too Many Requests", **kw)

    def fail_5xx(self, method: str | None = "sendMessage", status: int = 500, **kw: Any) -> None:
        self.fail(method, status, "Internal Server Error", **kw)

    def block(self, chat_id: str) -> None:
        self.blocked.add(chat_id)

    def push(self, update: dict[str, Any]) -> None:
        """Queues an update for getUpdates; thread-safe."""
        with self._lock:
            self._updates.append(update)
        if self._changed is not None:
            self.notify(self._changed)

    def add_media(self, data: bytes, name: str | None = None) -> str:
        """Serves `data` at a URL, as Zalo serves the photos people send; returns the URL."""
        name = name or f"photo{len(self.media) + 1}.jpg"
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def sent(self, chat_id: str | None = None) -> list[Sent]:
        with self._lock:
            return [s for s in self._sent if chat_id is None or s.chat_id == chat_id]

    def texts(self, chat_id: str) -> list[str]:
        return [s.text for s in self.sent(chat_id) if s.method == "sendmessage"]

    async def deliver_webhook(
        self, update: dict[str, Any], *, secret: str | None = None
    ) -> tuple[int, str]:
        """POSTs the update to the webhook URL with the secret header (or `secret` instead)."""
        headers = {"X-Bot-Api-Secret-Token": secret or self.webhook.get("secret_token", "")}
        return await post_json(self.webhook["url"], {"ok": True, "result": update}, headers)

    # --- HTTP -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, _files = await read_params(request)
        call = self.record(method, params, request)
        response = await self._answer(request.match_info["token"], method, params)
        call.status = response.status
        return response

    async def _answer(self, token: str, method: str, params: dict[str, Any]) -> web.Response:
        await self.delay(method)
        if token != self.token:
            return _error(401, "Unauthorized")
        chat_id = str(params["chat_id"]) if "chat_id" in params else None
        fault = self.take_fault(method, chat_id)
        if fault is not None:
            return web.json_response(fault.body, status=fault.status)
        name = method.lower()
        if name.startswith("send") and chat_id in self.blocked:
            return _error(403, "Forbidden: user has blocked the bot")
        if name == "getupdates":
            return await self._get_updates(params)
        if name == "sendmessage":
            text = str(params.get("text", ""))
            if not 1 <= len(text) <= TEXT_LIMIT:
                return _error(400, "Bad Request: text must be 1-2000 characters")
            return self._ok(self._record_sent(chat_id or "", name, text=text))
        if name == "sendphoto":
            if not params.get("photo"):
                return _error(400, "Bad Request: photo is required")
            return self._ok(self._record_sent(chat_id or "", name, photo=str(params["photo"])))
        if name == "setwebhook":
            secret = str(params.get("secret_token", ""))
            if not 8 <= len(secret) <= 256:
                return _error(400, "Bad Request: secret_token must be 8-256 characters")
            self.webhook = {"url": params.get("url"), "secret_token": secret}
            return self._ok({"url": params.get("url"), "updated_at": int(time.time() * 1000)})
        if name == "deletewebhook":
            self.webhook = {}
            return self._ok({"url": "", "updated_at": int(time.time() * 1000)})
        if name == "getme":
            return self._ok({"id": "1459232241454765289", "account_name": "bot.ThiDua"})
        return _error(404, "Not Found")

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook.get("url"):
            return _error(409, "Conflict: webhook is active")
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            assert self._changed is not None
            self._changed.clear()
            with self._lock:
                update = self._updates.pop(0) if self._updates else None
            if update is not None:
                return self._ok(update)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _error(408, "Request timeout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/jpeg")

    def _record_sent(self, chat_id: str, method: str, **content: str) -> dict[str, Any]:
        message_id = f"m{next(self._ids):08d}"
        with self._lock:
            self._sent.append(Sent(chat_id, message_id, method, **content))
        return {"message_id": message_id, "date": int(time.time() * 1000)}

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)


# --- event builders -------------------------------------------------------------------------

_message_ids = itertools.count(1)


def text_event(chat_id: str, text: str, *, message_id: str | None = None) -> dict[str, Any]:
    """A `message.text.received` update as getUpdates returns it (webhooks wrap it)."""
    return {
        "event_name": "message.text.received",
        "message": {
            "message_id": message_id or f"in{next(_message_ids):08d}",
            "date": int(time.time() * 1000),
            "text": text,
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "from": {"id": chat_id, "display_name": "Nguyễn Văn An", "is_bot": False},
        },
    }


def image_event(chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
    event = text_event(chat_id, "")
    event["event_name"] = "message.image.received"
    message = event["message"]
    del message["text"]
    message["photo"] = photo_url
    if caption:
        message["caption"] = caption
    return event
