"""PTB's network backend: the same Bot, errors and retries, cheaper HTTP clients.

python-telegram-bot lets any `BaseRequest` carry its calls; PTB still builds the request,
parses the answer and raises its own errors (RetryAfter, Forbidden, ...), so nothing else
changes. Calls with a JSON body (sendMessage, answerCallbackQuery: nearly all) go over
`KeepAlivePool`, those with files as multipart over aiohttp.

Measured against the fake Bot API: httpx cost ~4 ms of CPU per request with 16 in flight,
aiohttp ~0.8 ms (server included), since httpcore polls every pooled connection on each request
and parses HTTP in pure Python. aiohttp was then still a seventh of the bot's CPU per update in
bench/channels; the keep-alive pool took the bot's CPU per update down by 15 % against it
(three interleaved runs, 0 ms API delay, 200 chats; bot/driver CPU 2.65 -> 2.30).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.http_keepalive import KeepAlivePool

log = logging.getLogger(__name__)
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker class


def _sum(*parts: float | None) -> float | None:
    """Timeouts added up; None (no limit) if any part is None."""
    return None if any(p is None for p in parts) else sum(p or 0.0 for p in parts)


class ApiRequest(BaseRequest):
    """A keep-alive pool for JSON calls and an aiohttp session for files, each bounded by
    `pool_size` and made on first use in the running loop."""

    def __init__(
        self,
        *,
        pool_size: int = 20,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        pool_timeout: float | None = 10.0,
        media_write_timeout: float | None = 30.0,
    ) -> None:
        self._pool_size = pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._keepalive: KeepAlivePool | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
                headers={"User-Agent": self.USER_AGENT},
            )
        return self._session

    def _json_pool(self, url: str) -> KeepAlivePool:
        """The pool for JSON calls, made for the host of the first call (the Bot API's)."""
        if self._keepalive is None:
            self._keepalive = KeepAlivePool(url, size=self._pool_size, user_agent=self.USER_AGENT)
        return self._keepalive

    async def initialize(self) -> None:
        self._client()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        if self._keepalive is not None:
            await self._keepalive.close()
        self._keepalive = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """A JSON body over the keep-alive pool; multipart over aiohttp, with form fields as
        PTB's HTTPXRequest sends them, when there are files (or another host or method)."""
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        read = self._pick(read_timeout, self._read)
        write = self._pick(write_timeout, self._media_write if files else self._write)
        connect = self._pick(connect_timeout, self._connect)
        pool = self._pick(pool_timeout, self._pool)
        # Without files the parameters go as one JSON body (objects nested, not JSON strings
        # in form fields), which the Bot API accepts.
        body = b"" if files else orjson.dumps(request_data.parameters if request_data else {})
        keepalive = self._json_pool(url) if not files and method == "POST" else None
        if keepalive is not None and keepalive.serves(url):
            try:
                status, content = await keepalive.post_json(
                    url, body, connect_timeout=_sum(pool, connect), timeout=_sum(write, read)
                )
            except TimeoutError as err:
                raise TimedOut from err
            except ConnectionError as err:
                raise NetworkError(f"{type(err).__name__}: {err}") from err
        else:
            status, content = await self._aiohttp(
                url, method, request_data, files, body, (read, write, connect, pool)
            )
        # The URL holds the token: only the method's name is logged.
        log.debug("HTTP Request: %s %s %d", method, url.rsplit("/", 1)[-1], status)
        return status, content

    async def _aiohttp(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        files: dict[str, Any],
        body: bytes,
        timeouts: tuple[float | None, float | None, float | None, float | None],
    ) -> tuple[int, bytes]:
        read, _write, connect, pool = timeouts  # the write's share is in the total
        timeout = aiohttp.ClientTimeout(
            total=_sum(*timeouts),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and not files:
            data, headers = body, {"Content-Type": "application/json"}
        elif request_data is not None:
            form = aiohttp.FormData(quote_fields=False)  # UTF-8 file names as httpx sends them
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, payload, mimetype) in files.items():
                form.add_field(name, payload, filename=filename, content_type=mimetype)
            data, headers = form, None
        try:
            async with self._client().request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """PTB's parse with orjson (a quarter of `json.loads`' time on a sendMessage answer);
        what orjson refuses still goes to PTB's own, which logs it and raises TelegramError."""
        try:
            parsed: dict[str, Any] = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return parsed

    def _pick(self, given: Any, default: float | None) -> float | None:
        return default if isinstance(given, _DEFAULT) else given
