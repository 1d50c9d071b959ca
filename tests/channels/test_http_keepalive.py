"""The keep-alive JSON client (bot.channels.http_keepalive) against a scripted HTTP server on
127.0.0.1: what it writes, when it reuses a connection, and every way an answer can go wrong."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.channels.base import SendStatus
from bot.channels.http_keepalive import KeepAlivePool
from bot.channels.telegram import TelegramChannel, make_bot
from bot.messages import Reply

TOKEN = "7012345678:AAH-test-SECRET-token"
HANG_UP = b"<hang up>"  # at the end of a scripted answer: close the connection after it


def ok(body: bytes = b'{"ok":true}', *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{head}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@dataclass
class Scripted:
    """Answers each request with the next scripted action (default: a small 200):
    bytes to write (ending in HANG_UP: then close), "close" to hang up at once, "silent"
    to say nothing."""

    url: str = ""
    actions: deque[bytes | str] = field(default_factory=deque)
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)  # (head, body)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append((head, await reader.readexactly(length)))
                action = self.actions.popleft() if self.actions else ok()
                if action == "close":
                    break
                if action == "silent":
                    await asyncio.sleep(30)
                    break
                assert isinstance(action, bytes)
                writer.write(action.removesuffix(HANG_UP))
                await writer.drain()
                if action.endswith(HANG_UP):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Scripted]:
    scripted = Scripted()
    listening = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    scripted.url = f"http://127.0.0.1:{port}"
    yield scripted
    listening.close()


def pool_for(server: Scripted, size: int = 4) -> KeepAlivePool:
    return KeepAlivePool(server.url, size=size, user_agent="test-agent")


async def post(pool: KeepAlivePool, server: Scripted, body: bytes = b"{}") -> tuple[int, bytes]:
    return await pool.post_json(
        f"{server.url}/bot{TOKEN}/sendMessage", body, connect_timeout=2, timeout=0.5
    )


async def test_a_post_is_written_whole_and_connections_are_reused(server: Scripted) -> None:
    pool = pool_for(server, size=3)
    body = '{"chat_id":42,"text":"Xin chào"}'.encode()
    assert await post(pool, server, body) == (200, b'{"ok":true}')
    head, sent = server.requests[0]
    assert head.startswith(f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\n".encode())
    assert b"Host: 127.0.0.1:" in head and b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head and sent == body
    for _ in range(10):
        await post(pool, server)
    assert server.connections == 1
    answers = await asyncio.gather(*(post(pool, server) for _ in range(12)))
    assert {status for status, _ in answers} == {200}
    assert server.connections <= 3  # never more than the pool's size
    await pool.close()


async def test_chunked_answers_and_connection_close(server: Scripted) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"ok"\r\n6\r\n:true}\r\n0\r\n\r\n'
    )
    server.actions.extend([chunked, ok(b'{"ok":false}', "Connection: close")])
    pool = pool_for(server)
    assert await post(pool, server) == (200, b'{"ok":true}')
    assert await post(pool, server) == (200, b'{"ok":false}')
    assert await post(pool, server) == (200, b'{"ok":true}')  # on a new connection
    assert server.connections == 2
    await pool.close()


@pytest.mark.parametrize(
    "action",
    [
        "close",  # hung up before answering
        ok(b'{"ok":true,"result":1}')[:-5] + HANG_UP,  # answer cut short
        b"HELLO THERE\r\n\r\n",  # not HTTP
    ],
    ids=["hang-up", "cut-short", "garbage"],
)
async def test_a_broken_answer_is_a_connection_error_and_the_pool_recovers(
    server: Scripted, action: bytes | str
) -> None:
    server.actions.append(action)
    pool = pool_for(server)
    with pytest.raises(ConnectionError):
        await post(pool, server)
    assert await post(pool, server) == (200, b'{"ok":true}')
    await pool.close()


async def test_no_answer_times_out_and_the_connection_is_not_reused(server: Scripted) -> None:
    server.actions.append("silent")
    pool = pool_for(server)
    with pytest.raises(TimeoutError):
        await post(pool, server)
    assert await post(pool, server) == (200, b'{"ok":true}')
    assert server.connections == 2  # the silent one was dropped, not reused
    await pool.close()


async def test_waiting_for_a_busy_pool_is_bounded_by_the_connect_timeout(
    server: Scripted,
) -> None:
    server.actions.append("silent")
    pool = pool_for(server, size=1)
    url = f"{server.url}/bot{TOKEN}/sendMessage"
    holding = asyncio.create_task(pool.post_json(url, b"{}", connect_timeout=2, timeout=5))
    while not server.requests:  # the one slot is taken by a call the server never answers
        await asyncio.sleep(0.01)
    with pytest.raises(TimeoutError):
        await pool.post_json(url, b"{}", connect_timeout=0.2, timeout=5)
    assert not holding.done() and len(server.requests) == 1  # it never got a slot
    holding.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holding
    assert await post(pool, server) == (200, b'{"ok":true}')  # the slot was given back
    await pool.close()


async def test_pool_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        KeepAlivePool("ftp://example.org/x", size=1, user_agent="t")
    pool = KeepAlivePool("https://api.telegram.org/bot", size=1, user_agent="t")
    assert pool.serves("https://api.telegram.org/botX/sendMessage")
    assert not pool.serves("https://files.example.org/file/botX/a.jpg")
    assert not pool.serves("http://api.telegram.org/botX/sendMessage")


async def test_the_telegram_channel_reports_broken_calls_as_transient(server: Scripted) -> None:
    """Through the real PTB Bot: a hang-up and a silent server are PTB's NetworkError and
    TimedOut, which the channel turns into TRANSIENT (the outbox tries again later)."""
    channel = TelegramChannel(
        make_bot(TOKEN, base_url=server.url, timeout_s=0.3), bot_username="ThiDuaTestBot"
    )
    server.actions.extend(["close", "silent"])
    assert (await channel.send("42", Reply("một"))).status is SendStatus.TRANSIENT
    assert (await channel.send("42", Reply("hai"))).status is SendStatus.TRANSIENT
    answer = b'{"ok":true,"result":{"message_id":9,"date":0,"chat":{"id":42,"type":"private"}}}'
    server.actions.append(ok(answer))
    result = await channel.send("42", Reply("ba"))
    assert (result.status, result.platform_message_ids) == (SendStatus.SENT, ("9",))
    assert b'"text":"ba"' in server.requests[-1][1]
    await channel.close()
