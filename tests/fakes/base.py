"""What the fake platform servers share: an aiohttp app on 127.0.0.1, recorded calls,
per-call delays and injected faults.

A fake runs either in the test's event loop (`async with fake:` or `await fake.start()`)
or in a thread of its own (`with fake.running_in_thread():`) for synchronous tests and for
tests that drive a separate process. Its state (calls, faults, queued updates) may be read
and changed from any thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web


@dataclass
class Call:
    """One request the fake received, recorded before any delay or fault applies."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # HTTP status answered (0 while in flight)
    at: float = 0.0  # time.monotonic() on arrival


@dataclass
class Fault:
    """An answer given instead of the real one, `times` times, to matching calls."""

    status: int
    body: dict[str, Any]
    method: str | None = None  # None: any method
    chat_id: str | None = None  # None: any chat
    times: int = 1
    skip: int = 0  # matching calls let through before the fault starts


class FakeServer:
    """Base class: subclasses add routes in `setup_routes` and use `record`/`take_fault`."""

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.calls: list[Call] = []
        self.delay_s = delay_s
        self.method_delays: dict[str, float] = {}
        self.url = ""
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_thread: asyncio.Event | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def setup_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def setup_control_routes(self, app: web.Application) -> None:
        """`/_fake/calls` (GET: recorded calls as JSON), `/_fake/inject` (POST a Fault's
        fields), `/_fake/config` (POST attributes such as delay_s, rate_limit_per_s): the
        same controls for a fake running in another process."""
        app.router.add_get("/_fake/calls", self._control_calls)
        app.router.add_post("/_fake/inject", self._control_inject)
        app.router.add_post("/_fake/config", self._control_config)

    async def _control_calls(self, request: web.Request) -> web.Response:
        with self._lock:
            calls = [
                {"method": c.method, "params": c.params, "status": c.status, "at": c.at}
                for c in self.calls
            ]
        return web.json_response(calls, dumps=lambda o: json.dumps(o, default=str))

    async def _control_inject(self, request: web.Request) -> web.Response:
        spec = await request.json()
        self.inject(
            int(spec["status"]),
            dict(spec.get("body") or {}),
            method=spec.get("method"),
            chat_id=spec.get("chat_id"),
            times=int(spec.get("times", 1)),
            skip=int(spec.get("skip", 0)),
        )
        return web.json_response({"ok": True})

    async def _control_config(self, request: web.Request) -> web.Response:
        for name, value in (await request.json()).items():
            if name.startswith("_") or not hasattr(self, name):
                return web.json_response({"ok": False, "unknown": name}, status=400)
            setattr(self, name, value)
        return web.json_response({"ok": True})

    async def on_start(self) -> None:
        """Hook for state that needs the running loop (events, conditions)."""

    async def start(self, port: int = 0) -> str:
        """Listens on 127.0.0.1 (a free port unless given) and returns the base URL."""
        app = web.Application(client_max_size=128 * 1024 * 1024)
        self.setup_control_routes(app)
        self.setup_routes(app)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._loop = asyncio.get_running_loop()
        await self.on_start()
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @contextmanager
    def running_in_thread(self) -> Iterator[Self]:
        """Serves from a background thread with its own event loop until the block ends."""
        ready = threading.Event()
        errors: list[BaseException] = []

        async def serve() -> None:
            self._stop_thread = asyncio.Event()
            try:
                await self.start()
            except BaseException as exc:  # surfaced in the calling thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            await self._stop_thread.wait()
            await self.stop()

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        try:
            yield self
        finally:
            loop, stop = self._loop, self._stop_thread
            if loop is not None and stop is not None:
                loop.call_soon_threadsafe(stop.set)
            self._thread.join(10)

    def notify(self, event: asyncio.Event) -> None:
        """Sets an event of the server's loop from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(event.set)

    # --- recording, delays and faults -----------------------------------------------------

    def record(self, method: str, params: dict[str, Any], request: web.Request) -> Call:
        call = Call(method, params, headers=dict(request.headers), at=time.monotonic())
        with self._lock:
            self.calls.append(call)
        return call

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method.lower() == method.lower()]

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    async def delay(self, method: str) -> None:
        seconds = self.method_delays.get(method, self.delay_s)
        if seconds > 0:
            await asyncio.sleep(seconds)

    def inject(
        self,
        status: int,
        body: dict[str, Any],
        *,
        method: str | None = None,
        chat_id: str | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Answers `times` matching calls with `status` and `body`, after `skip` good ones."""
        with self._lock:
            self._faults.append(Fault(status, body, method, chat_id, times, skip))

    def take_fault(self, method: str, chat_id: str | None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method is not None and fault.method.lower() != method.lower():
                    continue
                if fault.chat_id is not None and fault.chat_id != chat_id:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A call's parameters, the same whichever way they came: a JSON body, form fields or
    multipart (files apart, named `attach://<field>`). Form fields carry nested values as
    JSON strings (PTB's reply_markup, commands): those are decoded back to objects; scalars
    stay the strings they were sent as."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return (body if isinstance(body, dict) else {}), files
    if request.method == "GET":
        return dict(request.query), files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
            params.setdefault(name, f"attach://{name}")
            params.setdefault("_filenames", {})[name] = value.filename
        elif isinstance(value, str):
            params[name] = _maybe_json(value)
    params.update({k: v for k, v in request.query.items() if k not in params})
    return params, files


def _maybe_json(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def post_json(
    url: str, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """POSTs a webhook body (a dict, or raw bytes to keep a signature valid) to `url`."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=all_headers) as response,
    ):
        return response.status, await response.text()
