"""Bodies that are not usable updates, against the real app over HTTP on 127.0.0.1.

An authenticated body that is not a usable update (a field of the wrong type, a missing or
non-integer id, a date out of range, JSON nested too deep to store) is acknowledged or
refused alone, logged once with its channel and update id, never answered 500 and never
costs the updates beside it. An unauthenticated body is refused by its size (413, read no
further) or its signature (403) before anything parses it, on every endpoint. An update the
inbox holds that no longer parses is dropped with a line, and its chat goes on.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram import SECRET_HEADER as TG_SECRET_HEADER
from bot.channels.zalo_bot import SECRET_HEADER as ZB_SECRET_HEADER
from bot.channels.zalo_oa import SIGNATURE_HEADER
from bot.store import inbox
from bot.web.webhooks import MAX_BODY_BYTES
from tests.fakes import zalo_bot_api, zalo_oa_api
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World, build_world
from tests.integration.live import PATHS, Live, live_app

CHANNELS = ["telegram", "zalo_bot", "zalo_oa"]
PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TG_TEMPLATES = [
    json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    for name in ("message", "callback_query", "photo", "document", "group_mention", "start_code")
]
_ids = itertools.count(10_000_000)


@pytest.fixture
async def live(world: World) -> AsyncIterator[Live]:
    """The rig on SQLite and on PostgreSQL, for what reaches the database."""
    async with live_app(world) as running:
        yield running


@pytest.fixture
async def live_sqlite(tmp_path: Path) -> AsyncIterator[Live]:
    """The rig on SQLite only, for what is refused before the database or does not differ."""
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    async with live_app(world) as running:
        yield running
    world.engine.dispose()


# --- updates, valid and not -----------------------------------------------------------------


def valid(channel: str, live: Live, chat: str, text: str = "/help") -> Any:
    """A fresh update of the channel from `chat`, as its platform sends it."""
    n = next(_ids)
    if channel == "telegram":
        return message_update(int(chat), text, update_id=n)
    if channel == "zalo_bot":
        return {"ok": True, "result": zalo_bot_api.text_event(chat, text, message_id=f"m{n}")}
    stamp = int(live.world.clock().timestamp() * 1000)
    event = zalo_oa_api.text_event(chat, text, app_id=live.zalo_oa.app_id, timestamp_ms=stamp)
    event["message"]["msg_id"] = f"m{n}"
    return event


def templates(channel: str, live: Live) -> list[Any]:
    """Valid updates of every kind the channel handles, with fresh ids."""
    if channel == "telegram":
        found = [copy.deepcopy(t) for t in TG_TEMPLATES]
        for update in found:
            update["update_id"] = next(_ids)
        return found
    if channel == "zalo_bot":
        image = zalo_bot_api.image_event("5001", "http://127.0.0.1:9/a.jpg", caption="ảnh")
        return [valid(channel, live, "5001"), {"ok": True, "result": image}, image]
    text = valid(channel, live, "8401")
    image = {**copy.deepcopy(text), "event_name": "user_send_image"}
    image["message"]["attachments"] = [
        {"type": "image", "payload": {"url": "http://127.0.0.1:9/a.jpg"}},
        {"type": "file", "payload": {"url": "http://127.0.0.1:9/b.pdf", "name": "b.pdf"}},
    ]
    follow = {
        "event_name": "follow",
        "follower": {"id": "8401"},
        "timestamp": text["timestamp"],
        "app_id": text["app_id"],
    }
    return [text, image, follow]


def set_at(update: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of `update` with the value at `path` replaced (or the key removed: value=DROP)."""
    changed = copy.deepcopy(update)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    if value is DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return changed


DROP = object()

# The bodies of the issue's reproduction (path in the update, value), per channel.
ISSUE_BODIES: dict[str, list[tuple[tuple[str | int, ...], Any]]] = {
    "telegram": [
        (("message", "chat"), "một chuỗi"),
        (("message", "chat"), [1, 2]),
        (("message", "from"), "một chuỗi"),
        (("message", "photo"), "một chuỗi"),
        (("message", "date"), 1e18),
        (("message", "date"), 1e20),
        (("callback_query",), "một chuỗi"),
        (("callback_query", "message"), [1]),
    ],
    "zalo_bot": [
        (("result", "message"), "một chuỗi"),
        (("result", "message", "chat"), "một chuỗi"),
        (("result", "message", "from"), "một chuỗi"),
        (("result", "message", "date"), 1e18),
        (("result", "message", "date"), 1e20),
    ],
    "zalo_oa": [
        (("sender",), "một chuỗi"),
        (("message",), "một chuỗi"),
        (("timestamp",), "1e20"),
        (("message", "attachments"), "một chuỗi"),
    ],
}


def issue_body(channel: str, live: Live, path: tuple[str | int, ...], value: Any) -> Any:
    base = valid(channel, live, "7001")
    if path[0] == "callback_query":
        base = copy.deepcopy(TG_TEMPLATES[1])
        base["update_id"] = next(_ids)
    return set_at(base, path, value)


def update_id(channel: str, update: Any) -> str:
    """The id a log line must name: Telegram's update_id, Zalo's message id."""
    if channel == "telegram":
        return str(update["update_id"])
    if channel == "zalo_bot":
        message = update["result"]["message"]
        return str(message["message_id"]) if isinstance(message, dict) else ""
    return str(update["message"]["msg_id"]) if isinstance(update["message"], dict) else ""


# --- hypothesis: bodies that are almost updates ----------------------------------------------

ODD = [
    0, -1, 1e18, 1e20, -1e20, 2**63, 2**64, 1.5, True, "", "1e20", "[]", "\x00", "x" * 300,
    [], {}, [[[]]], {"id": None}, {"id": "x" * 300},
]  # fmt: skip
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(ODD),
)
JUNK = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


DEEP: Any = []
for _ in range(600):
    DEEP = [DEEP]


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key path inside a JSON value."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    found: list[tuple[str | int, ...]] = []
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(paths(inner, (*prefix, key)))
    return found


@st.composite
def almost(draw: st.DrawFn, made: list[Any]) -> Any:
    """A valid update with one to three of its fields replaced by junk or removed, or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    update = copy.deepcopy(draw(st.sampled_from(made)))
    for _ in range(draw(st.integers(1, 3))):
        where = paths(update)
        if not where:
            break
        path = draw(st.sampled_from(where))
        drop = draw(st.booleans()) and not isinstance(path[-1], int)
        update = set_at(update, path, DROP if drop else draw(JUNK))
    if isinstance(update, dict) and draw(st.integers(0, 9)) == 0:
        update[draw(st.sampled_from([*update, "extra"]))] = DEEP  # deeper than a store keeps
    return update


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_malformed_bodies_never_get_500(live: Live, data: st.DataObject) -> None:
    """Valid updates of every kind with fields replaced by junk or removed, junk itself, JSON
    nested deeper than the store writes: authenticated, each is stored or acknowledged (200);
    a Zalo OA body whose signed timestamp is junk may be refused (403). Never 500."""
    channel = data.draw(st.sampled_from(CHANNELS), label="channel")
    body = data.draw(almost(templates(channel, live)), label="body")
    status = await live.send(channel, body)
    assert status in ({200, 403} if channel == "zalo_oa" else {200}), (status, body)


# --- the issue's bodies, next to valid updates -----------------------------------------------


async def test_the_issues_bodies_are_refused_alone_and_logged_once(
    live_sqlite: Live, caplog: pytest.LogCaptureFixture
) -> None:
    live = live_sqlite
    bad = [
        (channel, issue_body(channel, live, path, value))
        for channel, cases in ISSUE_BODIES.items()
        for path, value in cases
    ]
    with caplog.at_level(logging.WARNING):
        for channel, update in bad:
            caplog.clear()
            status = await live.send(channel, update)
            lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(lines) == 1, (channel, update, lines)
            if channel == "zalo_oa" and update["timestamp"] == "1e20":
                assert status == 403  # refused by the freshness window, before any parse
                continue
            assert status == 200, (channel, update)
            assert channel in lines[0] and update_id(channel, update) in lines[0], lines
    assert live.stored() == []


async def test_valid_updates_beside_bad_ones_are_all_stored_and_answered(live: Live) -> None:
    """Twelve valid updates per channel and the issue's bad bodies, twice, all at once."""
    chats = {channel: [str(7_100_000 + n) for n in range(12)] for channel in CHANNELS}
    good = [(ch, valid(ch, live, chat)) for ch in CHANNELS for chat in chats[ch]]
    bad = [
        (ch, issue_body(ch, live, path, value))
        for ch, cases in ISSUE_BODIES.items()
        for path, value in cases
    ]
    mixed = [x for pair in itertools.zip_longest(good, bad * 2) for x in pair if x is not None]
    statuses = await asyncio.gather(*(live.send(ch, update) for ch, update in mixed))
    assert 500 not in statuses
    assert len(live.stored()) == len(good)  # every valid one, none of the bad
    await live.settle()
    unanswered = [
        (ch, chat) for ch in CHANNELS for chat in chats[ch] if not live.answered(ch, chat)
    ]
    assert unanswered == []


# --- item 13: ids ---------------------------------------------------------------------------

NO_ID: dict[str, list[Callable[[Any], Any]]] = {  # each answered 200 and stored nowhere
    "telegram": [
        lambda u: set_at(u, ("update_id",), DROP),
        lambda u: set_at(u, ("update_id",), None),
        lambda u: set_at(u, ("update_id",), "845213001"),
        lambda u: set_at(u, ("update_id",), 12.5),
        lambda u: set_at(u, ("update_id",), True),
        lambda u: set_at(u, ("update_id",), 2**64),  # parsed as a float
        lambda u: set_at(u, ("update_id",), [1]),
    ],
    "zalo_bot": [
        lambda u: set_at(u, ("result", "message", "message_id"), DROP),
        lambda u: set_at(u, ("result", "message", "message_id"), ""),
        lambda u: set_at(u, ("result", "message", "message_id"), {"id": 1}),
    ],
    "zalo_oa": [  # without a msg_id the key is sender:timestamp, and the timestamp is signed
        lambda u: set_at(u, ("message", "msg_id"), ["x"]),
        lambda u: set_at(u, ("message", "msg_id"), 12.5),
        lambda u: set_at(u, ("message", "msg_id"), "m\n1"),
    ],
}


async def test_updates_without_a_usable_id_are_rejected_not_deduplicated(
    live_sqlite: Live,
) -> None:
    """Two updates without an id were one key (`tg:None`): the second was dropped silently.
    Now each is refused (acknowledged, so the platform does not send it again)."""
    live = live_sqlite
    for channel in CHANNELS:
        for strip in NO_ID[channel]:
            for chat in ("7201", "7202"):
                assert await live.send(channel, strip(valid(channel, live, chat))) == 200
    assert live.stored() == []
    for channel in CHANNELS:
        assert await live.send(channel, valid(channel, live, "7203")) == 200
    assert [channel for channel, _key in live.stored()] == sorted(CHANNELS)


# --- item 2: size and signature before parsing, every endpoint -------------------------------


@pytest.fixture
def no_parsing(live_sqlite: Live, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails any JSON parse or channel parse while an unauthenticated body is handled."""
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def called(*_args: Any, **_kw: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called on an unauthenticated body")

        return called

    monkeypatch.setattr(orjson, "loads", refuse("orjson.loads"))
    monkeypatch.setattr(json, "loads", refuse("json.loads"))
    for name, channel in live_sqlite.services.channels.items():
        monkeypatch.setattr(channel, "parse", refuse(f"{name}.parse"))
    return calls


FORGED = {
    "telegram": {TG_SECRET_HEADER: "wrong"},
    "zalo_bot": {ZB_SECRET_HEADER: "wrong"},
    "zalo_oa": {SIGNATURE_HEADER: "mac=" + "0" * 64},
}


DEEP_BODIES = [b"[" * 100_000, b'{"a":' * 100_000, b'{"timestamp":"1",' + b"[" * 100_000]


async def test_an_unsigned_deep_body_is_403_without_being_parsed(
    live_sqlite: Live, no_parsing: list[str]
) -> None:
    """Zalo OA's signature covers a timestamp inside the body: it is found without parsing."""
    for channel in CHANNELS:
        for body in DEEP_BODIES:
            assert await live_sqlite.post(channel, body, FORGED[channel]) == 403, channel
    assert no_parsing == []


async def test_an_authenticated_deep_body_is_acknowledged_not_500(live_sqlite: Live) -> None:
    """Past the decoder's nesting limit, or parsed and then too deep to store: refused alone."""
    live = live_sqlite
    stamp = str(int(live.world.clock().timestamp() * 1000))  # fresh, as Zalo would sign it
    head = b'{"timestamp":"%s","update_id":1,"message":' % stamp.encode()
    for channel in CHANNELS:
        for body in (head + b"[" * 100_000, head + b'{"a":' * 100_000):
            headers = live.signed_raw(body, stamp)[1] if channel == "zalo_oa" else None
            assert await live.post(channel, body, headers) == 200, (channel, body[:20])
        too_deep = {**valid(channel, live, "7401"), "extra": DEEP}  # parses, cannot be stored
        assert await live.send(channel, too_deep) == 200, channel
    assert live.stored() == []


async def _raw_request(url: str, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Sends a request head and some body bytes (never the end of the body) over a socket of
    its own, and returns the status line answered."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head)
        for chunk in body_chunks:
            writer.write(chunk)
            await writer.drain()
        return await reader.readline()
    finally:
        writer.close()


async def test_an_unsigned_50_mb_body_is_413_without_being_read(
    live_sqlite: Live, no_parsing: list[str]
) -> None:
    """Declared 50 MB: answered before a byte of the body is sent. Chunked without a length:
    answered after the limit though the body never ends, so nothing waits for the rest."""
    piece = b"[" * 65_536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    enough = MAX_BODY_BYTES // len(piece) + 2
    for channel, path in PATHS.items():
        forged = "".join(f"{k}: {v}\r\n" for k, v in FORGED[channel].items())
        head = f"POST /webhooks/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{forged}"
        declared = (head + "Content-Length: 50000000\r\n\r\n").encode()
        assert (await _raw_request(live_sqlite.url, declared, [])).startswith(b"HTTP/1.1 413")
        chunked = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
        answer = await _raw_request(live_sqlite.url, chunked, [chunk] * enough)
        assert answer.startswith(b"HTTP/1.1 413"), channel
    assert no_parsing == []
    assert live_sqlite.stored() == []


# --- the inbox worker: a stored update that no longer parses --------------------------------


async def test_a_stored_update_that_does_not_parse_is_dropped_and_its_chat_goes_on(
    live_sqlite: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """Stored by an older version (or a platform that changed its shape): the worker drops it
    with one line naming the channel and the update, and answers the chat's next message."""
    live = live_sqlite
    broken = issue_body("telegram", live, ("message", "chat"), "một chuỗi")
    with live.world.sessions.begin() as session:
        inbox.store(
            session,
            channel="telegram",
            update_key=f"tg:{broken['update_id']}",
            chat_id="7301",
            payload=broken,
            now=live.world.clock(),
        )
    assert await live.send("telegram", valid("telegram", live, "7301")) == 200
    with caplog.at_level(logging.WARNING):
        await live.settle()
    assert live.answered("telegram", "7301")  # the next message was answered
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "telegram" in lines[0] and str(broken["update_id"]) in lines[0]
    with live.world.sessions() as session:
        assert inbox.claim(session, now=live.world.clock(), limit=10, lease=inbox.LEASE) == []
