"""A fake OpenAI-compatible chat server (`POST {url}/v1/chat/completions`), as vLLM,
llama.cpp's server or Ollama offer, scripted per test.

    with FakeLLM().running_in_thread() as fake:
        fake.script = lambda request: "Giấy khen ... [1]."   # what the model "writes"
        fake.delay_s = 30                                     # a model too slow to wait for
        fake.inject(500, {"error": {"message": "boom"}})      # the next call answers 500
        fake.malformed = True                                 # 200 with a body that is not JSON

`script` gets a `ChatRequest` (the messages, the numbered clauses read back from the
prompt) and returns the answer's text; every request is recorded in `calls`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer

_CLAUSE = re.compile(r"^\[(\d+)\] (.*?)(?=^\[\d+\] |\Z)", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class ChatRequest:
    """What the bot asked: its model name, the system and user prompts, and the clauses
    numbered in the user prompt (number -> text under its heading line)."""

    model: str
    system: str
    user: str
    clauses: dict[int, str]
    authorization: str


def clauses_of(prompt: str) -> dict[int, str]:
    """The numbered clauses «[n] heading\\ntext» of a prompt."""
    return {int(m.group(1)): m.group(2).strip() for m in _CLAUSE.finditer(prompt)}


Script = Callable[[ChatRequest], str]


class FakeLLM(FakeServer):
    def __init__(self, *, delay_s: float = 0.0, model: str = "fake-vi-instruct") -> None:
        super().__init__(delay_s=delay_s)
        self.model = model
        self.script: Script = lambda _request: "Không đủ căn cứ."
        self.malformed = False
        self.requests: list[ChatRequest] = []

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)

    async def _models(self, _request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model}]})

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self.record("chat.completions", body, request)
        response = await self._answer(request, body)
        call.status = response.status
        return response

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        await self.delay("chat.completions")
        fault = self.take_fault("chat.completions", None)
        if fault is not None:
            return web.json_response(fault.body, status=fault.status)
        if self.malformed:
            return web.Response(
                status=200, text='{"id": "x", "choices": [{"mess', content_type="application/json"
            )
        messages = body.get("messages", [])
        system = "\n".join(m["content"] for m in messages if m.get("role") == "system")
        user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
        chat = ChatRequest(
            model=str(body.get("model", "")),
            system=system,
            user=user,
            clauses=clauses_of(user),
            authorization=request.headers.get("Authorization", ""),
        )
        self.requests.append(chat)
        text = self.script(chat)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": chat.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
