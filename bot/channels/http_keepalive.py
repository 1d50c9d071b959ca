"""JSON POSTs over a pool of kept-alive HTTP/1.1 connections: the Bot API calls that every
reply makes, at a fraction of a general client's CPU.

aiohttp builds a request object, merges header multidicts, arms timers, looks up payload
types, runs a cookie jar and a task per request: in bench/channels it was a seventh of the
bot's CPU per update, more than the reply's own turn spent in SQLite. A Bot API call is always
the same shape (a POST of a JSON body to one host, a JSON answer), so this writes the request
bytes itself and leaves the parsing of the answer to httptools (llhttp, the parser uvicorn
uses): Content-Length or chunked bodies, keep-alive or close. Anything else (files, multipart)
stays with aiohttp.

Failures are the caller's to classify: a connection that cannot be made or is lost before the
whole answer came raises `ConnectionError`, and a timeout `TimeoutError`; neither is retried
here, since a POST that may have reached the server must not be sent twice behind the
caller's back.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import cast
from urllib.parse import urlsplit

import httptools


class _Connection(asyncio.Protocol):
    """One connection; one request at a time on it (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.reusable = False
        self.lost = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unreadable HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.reusable = False
        self._fail(ConnectionError("the server closed the connection"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        answer, self.answer = self.answer, None
        self.reusable = self.parser.should_keep_alive() and not self.lost
        body, self.body = b"".join(self.body), []
        if answer is not None and not answer.done():
            answer.set_result((self.parser.get_status_code(), body))

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None and self.answer is None
        self.reusable = False  # until this request's answer is complete
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.answer

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, exc: Exception) -> None:
        answer, self.answer = self.answer, None
        if answer is not None and not answer.done():
            answer.set_exception(exc)


class KeepAlivePool:
    """Up to `size` connections to the host of `base_url`, reused while the server keeps
    them open; a request waits for a free one at most its `connect_timeout`."""

    def __init__(self, base_url: str, *, size: int, user_agent: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        netloc = self.host if parts.port is None else f"{self.host}:{parts.port}"
        self._head = (
            f"Host: {netloc}\r\nUser-Agent: {user_agent}\r\n"
            "Content-Type: application/json\r\nAccept: */*\r\n"
        ).encode()
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._slots = asyncio.Semaphore(size)
        self._idle: deque[_Connection] = deque()

    def serves(self, url: str) -> bool:
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        return (parts.scheme, parts.hostname, parts.port or default) == (
            self.scheme,
            self.host,
            self.port,
        )

    async def post_json(
        self, url: str, body: bytes, *, connect_timeout: float | None, timeout: float | None
    ) -> tuple[int, bytes]:
        """POSTs `body` (JSON) to `url` on this pool's host; returns (status, answer body).
        `connect_timeout` bounds the wait for a slot and a new connection, `timeout` the
        request and its answer."""
        path = url[url.index("/", len(self.scheme) + 3) :] if url.count("/") > 2 else "/"
        request = b"".join(
            (
                f"POST {path} HTTP/1.1\r\n".encode(),
                self._head,
                f"Content-Length: {len(body)}\r\n\r\n".encode(),
                body,
            )
        )
        # Timers only where a wait is possible: arming and cancelling one cost about a
        # tenth of a call, and most calls find a free slot and an open connection.
        if self._slots.locked():
            async with asyncio.timeout(connect_timeout):
                await self._slots.acquire()
        else:
            await self._slots.acquire()  # free: takes it without suspending
        try:
            connection = self._idle_connection()
            if connection is None:
                async with asyncio.timeout(connect_timeout):
                    connection = await self._connect()
            try:
                async with asyncio.timeout(timeout):
                    answer = await connection.send(request)
            except BaseException:
                connection.close()  # an answer may still be on its way: never reuse it
                raise
            if connection.reusable:
                self._idle.append(connection)
            else:
                connection.close()
            return answer
        finally:
            self._slots.release()

    def _idle_connection(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()  # the most recent: least likely to have timed out
            if not connection.lost:
                return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(
                _Connection,
                self.host,
                self.port,
                ssl=self._ssl,
                server_hostname=self.host if self._ssl else None,
            )
        except OSError as exc:
            raise ConnectionError(f"cannot connect: {type(exc).__name__}") from exc
        return protocol

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
