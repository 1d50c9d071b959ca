"""A fake Telegram Bot API server for the real python-telegram-bot client (and any other).

    async with FakeTelegram(token=TOKEN) as fake:
        bot = make_bot(TOKEN, base_url=fake.url)       # PTB talks to fake.url/bot<token>/...
        fake.fail_429("sendMessage", retry_after=3)     # next sendMessage answers 429
        fake.block("42")                                # every send to chat 42 answers 403
        fake.push_update(message_update(42, "xin chào"))  # served by getUpdates
        fake.delivered("42")                            # what reached chat 42, in order

PTB's HTTPXRequest posts form fields (nested values such as reply_markup as JSON strings) and
multipart bodies for files; other clients may post JSON. All three give the same recorded
`params`, with reply_markup, commands and allowed_updates as objects (tests.fakes.base).

Serves getMe, sendMessage, sendPhoto, sendDocument, answerCallbackQuery, setMyCommands (bot-wide
or with a chat's scope), setWebhook, deleteWebhook, getWebhookInfo, getUpdates (long polling with
offsets), getFile and file downloads. Validates what Telegram validates and our adapter must
respect: text length after entity parsing, HTML tags, callback_data of 1–64 bytes, command names
and descriptions. Optional global and
per-chat rate limits answer 429 like Telegram does under a storm.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, read_params
from tests.fakes.telegram_updates import (  # re-exported: tests build updates from here
    callback_update,
    message_update,
    photo_update,
    user,
)

__all__ = [
    "Delivered",
    "FakeTelegram",
    "callback_update",
    "message_update",
    "photo_update",
    "user",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class Delivered:
    """A message the fake accepted: what the person would see."""

    chat_id: str
    message_id: int
    method: str
    text: str = ""  # rendered: tags stripped, entities unescaped
    raw_text: str = ""  # as sent (HTML)
    reply_markup: dict[str, Any] | None = None
    file_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class FakeTelegram(FakeServer):
    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",
        bot_username: str = "ThiDuaTestBot",
        delay_s: float = 0.0,
        rate_limit_per_s: float | None = None,
        per_chat_limit_per_s: float | None = None,
    ) -> None:
        super().__init__(delay_s=delay_s)
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.rate_limit_per_s = rate_limit_per_s
        self.per_chat_limit_per_s = per_chat_limit_per_s
        self.blocked: set[str] = set()
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.chat_commands: dict[str, list[dict[str, Any]]] = {}  # chat id -> its own menu
        self.scoped_calls: list[tuple[str, list[dict[str, Any]]]] = []  # in the order received
        self.answered_callbacks: list[str] = []
        self.callback_texts: dict[str, str] = {}  # callback_query_id -> the text shown
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._delivered: list[Delivered] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._sent_at: deque[float] = deque()
        self._chat_sent_at: dict[str, deque[float]] = {}
        self._updates_changed: asyncio.Event | None = None

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)

    async def on_start(self) -> None:
        self._updates_changed = asyncio.Event()

    # --- test controls --------------------------------------------------------------------

    def fail(
        self,
        method: str | None,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        chat_id: str | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """The next matching call (after `skip`) answers with this Bot API error."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.inject(status, body, method=method, chat_id=chat_id, times=times, skip=skip)

    def fail_429(self, method: str | None = "sendMessage", retry_after: int = 3, **kw: Any) -> None:
        description = f"Too Many Requests: retry after {retry_after}"
        self.fail(method, 429, description, retry_after=retry_after, **kw)

    def fail_5xx(self, method: str | None = "sendMessage", status: int = 500, **kw: Any) -> None:
        self.fail(method, status, "Internal Server Error", **kw)

    def block(self, chat_id: str | int) -> None:
        """Every send to this chat answers 403, as when the person blocked the bot."""
        self.blocked.add(str(chat_id))

    def unblock(self, chat_id: str | int) -> None:
        self.blocked.discard(str(chat_id))

    def push_update(self, update: dict[str, Any]) -> int:
        """Queues an update for getUpdates (update_id assigned when missing); thread-safe."""
        with self._lock:
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
        if self._updates_changed is not None:
            self.notify(self._updates_changed)
        return int(update["update_id"])

    def next_update_id(self) -> int:
        with self._lock:
            return next(self._update_ids)

    def add_file(self, data: bytes, *, suffix: str = "jpg") -> str:
        """Registers a file that getFile and the download route serve; returns its file_id."""
        with self._lock:
            number = next(self._file_ids)
        file_id = f"FILE{number:06d}"
        self.files[file_id] = (f"documents/file_{number}.{suffix}", data)
        return file_id

    def delivered(self, chat_id: str | int | None = None) -> list[Delivered]:
        with self._lock:
            return [d for d in self._delivered if chat_id is None or d.chat_id == str(chat_id)]

    def callback_data(self, chat_id: str | int, label: str) -> str:
        """The callback_data of the newest button in the chat whose text contains `label`."""
        for message in reversed(self.delivered(chat_id)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for item in row:
                    if label in item["text"]:
                        return str(item["callback_data"])
        raise AssertionError(f"no button {label!r}")

    def texts(self, chat_id: str | int) -> list[str]:
        return [d.text for d in self.delivered(chat_id) if d.method == "sendmessage"]

    # --- HTTP -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await read_params(request)
        call = self.record(method, params, request)
        call.files = files
        response = await self._answer(request.match_info["token"], method, params, files)
        call.status = response.status
        return response

    async def _answer(
        self, token: str, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> web.Response:
        await self.delay(method)
        if token != self.token:
            return _error(401, "Unauthorized")
        chat_id = str(params["chat_id"]) if "chat_id" in params else None
        fault = self.take_fault(method, chat_id)
        if fault is not None:
            return web.json_response(fault.body, status=fault.status)
        name = method.lower()
        if name in SEND_METHODS:
            if chat_id in self.blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            if self._over_limit(chat_id or ""):
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        handler = getattr(self, f"_m_{name}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params, files)
        except ApiError as exc:
            return _error(exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file_path, data in self.files.values():
            if file_path == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    def _over_limit(self, chat_id: str) -> bool:
        """Sliding one-second windows, global and per chat, as Telegram's flood control."""
        now = time.monotonic()
        with self._lock:
            windows = [(self._sent_at, self.rate_limit_per_s)]
            if self.per_chat_limit_per_s is not None:
                windows.append(
                    (self._chat_sent_at.setdefault(chat_id, deque()), self.per_chat_limit_per_s)
                )
            for window, limit in windows:
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if limit is not None and len(window) >= limit:
                    return True
            for window, _limit in windows:
                window.append(now)
        return False

    # --- methods --------------------------------------------------------------------------

    async def _m_sendchataction(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if str(params.get("action")) not in {"typing", "upload_photo", "upload_document"}:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_getme(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Trợ lý Thi đua",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_sendmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        raw = str(params.get("text", ""))
        text = _rendered(raw) if params.get("parse_mode") == "HTML" else raw
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._message(params, text=text)
        self._deliver(
            Delivered(params["chat_id"], message["message_id"], "sendmessage", text, raw, markup)
        )
        return message

    async def _m_sendphoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        data = self._upload(params, files, "photo")
        file_id = self.add_file(data, suffix="jpg")
        sizes = [
            {
                "file_id": f"{file_id}s",
                "file_unique_id": f"u{file_id}s",
                "width": 90,
                "height": 90,
                "file_size": min(len(data), 1000),
            },
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]
        self.files[f"{file_id}s"] = self.files[file_id]
        message = self._message(params, photo=sizes)
        markup = _check_markup(params.get("reply_markup"))
        self._deliver(
            Delivered(
                params["chat_id"], message["message_id"], "sendphoto", "", "", markup, file_id
            )
        )
        return message

    async def _m_senddocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        data = self._upload(params, files, "document")
        file_id = self.add_file(data, suffix="bin")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": str(params.get("_filenames", {}).get("document") or "file"),
            "file_size": len(data),
        }
        message = self._message(params, document=document)
        markup = _check_markup(params.get("reply_markup"))
        self._deliver(
            Delivered(
                params["chat_id"], message["message_id"], "senddocument", "", "", markup, file_id
            )
        )
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.answered_callbacks.append(str(params.get("callback_query_id", "")))
        if params.get("text"):
            self.callback_texts[str(params.get("callback_query_id", ""))] = str(params["text"])
        return True

    async def _m_setmycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """The bot-wide list, or with a chat scope that chat's own (`chat_commands`)."""
        commands = list(params.get("commands") or [])
        for command in commands:
            name, description = str(command.get("command", "")), str(command.get("description"))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope")
        if isinstance(scope, dict) and scope.get("type") == "chat":
            with self._lock:
                self.chat_commands[str(scope.get("chat_id"))] = commands
                self.scoped_calls.append((str(scope.get("chat_id")), commands))
            return True
        self.commands = commands
        return True

    async def _m_setwebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = dict(params)
        return True

    async def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = {}
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            assert self._updates_changed is not None
            self._updates_changed.clear()
            with self._lock:
                if offset:  # confirms everything before it, as Telegram does
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_changed.wait(), remaining)

    async def _m_getfile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": path,
        }

    # --- helpers --------------------------------------------------------------------------

    def _upload(self, params: dict[str, Any], files: dict[str, bytes], name: str) -> bytes:
        value = str(params.get(name, ""))
        if value.startswith("attach://") and value[9:] in files:
            return files[value[9:]]
        if value in self.files:
            return self.files[value][1]
        raise ApiError(400, f"Bad Request: there is no {name} in the request")

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"]) if str(params["chat_id"]).lstrip("-").isdigit() else 0
        chat_type = "private" if chat_id > 0 else "supergroup"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Trợ lý Thi đua",
                "username": self.bot_username,
            },
            **content,
        }

    def _deliver(self, delivered: Delivered) -> None:
        delivered.chat_id = str(delivered.chat_id)
        with self._lock:
            self._delivered.append(delivered)


class _Renderer(HTMLParser):
    """What Telegram shows for an HTML message; unsupported tags fail like Telegram's parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _rendered(raw: str) -> str:
    renderer = _Renderer()
    renderer.feed(raw)
    renderer.close()
    return html.unescape("".join(renderer.parts))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_markup(markup: Any) -> dict[str, Any] | None:
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _error(status: int, description: str, *, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
