"""Answers written by a language model from the retrieved clauses, shown only when our own
check (knowledge.llm_check) finds every sentence grounded in the clauses it cites.

The model is any OpenAI-compatible `/v1/chat/completions` (vLLM, llama.cpp's server, Ollama),
reached through LangChain's `ChatOpenAI`. LangChain is imported when the first answer is
written, never by an office that runs no model. The model writes only from the clauses the
extractive answerer already judged to answer (its confidence decides whether to answer at
all); on a timeout, an error, a malformed response, «không đủ căn cứ» or a failed check the
extractive answer stands, with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from knowledge.answer import LLM, Answer, ExtractiveAnswerer
from knowledge.documents import Passage
from knowledge.llm_check import check

log = logging.getLogger(__name__)

# Reasons besides the check's (knowledge.llm_check), for logs and `thidua ask --json`.
TIMEOUT = "timeout"
HTTP_ERROR = "http_error"
UNREACHABLE = "unreachable"
MALFORMED = "malformed_response"

CLAUSE_CHARS = 3000  # a clause longer than this is cut in the prompt (a whole long Điều)

SYSTEM_PROMPT = """Bạn là trợ lý pháp lý về thi đua, khen thưởng của Việt Nam.
Chỉ trả lời dựa trên các điều khoản được đánh số [1], [2]… mà người dùng đưa ra; không dùng \
hiểu biết nào khác.
Quy tắc:
- Trả lời ngắn gọn bằng tiếng Việt, tối đa 4 câu.
- Mỗi câu phải kết thúc bằng dấu trích dẫn [n] chỉ điều khoản chứa nội dung của câu đó, \
ví dụ: "... [1]." hoặc "... [1][2]."
- Mọi con số, tỷ lệ phần trăm, ngày tháng, số hiệu văn bản, Điều/khoản/điểm và tên danh hiệu \
phải lấy đúng từ điều khoản được trích dẫn.
- Trích nguyên văn thì đặt trong «…» và chép đúng từng chữ.
- Không tự viết phần "Căn cứ".
- Nếu các điều khoản không trả lời được câu hỏi, chỉ viết: Không đủ căn cứ."""


def user_prompt(question: str, clauses: Sequence[Passage]) -> str:
    """The numbered clauses, each under its basis, then the question."""
    blocks = []
    for number, passage in enumerate(clauses, 1):
        text = passage.chunk.text.strip()
        if len(text) > CLAUSE_CHARS:
            text = text[:CLAUSE_CHARS].rsplit(" ", 1)[0] + " …"
        blocks.append(f"[{number}] {passage.chunk.citation.basis()}\n{text}")
    return "Các điều khoản:\n\n" + "\n\n".join(blocks) + f"\n\nCâu hỏi: {question.strip()}"


class ModelError(Exception):
    """The model gave no usable answer; `reason` says why (TIMEOUT, HTTP_ERROR…)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ChatModel(Protocol):
    def complete(self, system: str, user: str) -> str:
        """The model's reply to the two prompts; raises ModelError."""
        ...


@dataclass(frozen=True)
class Endpoint:
    """Where the model is: an OpenAI-compatible base URL (…/v1), its model name, a key."""

    url: str
    model: str
    api_key: str = ""
    timeout_s: float = 10.0

    @property
    def base_url(self) -> str:
        """The URL as given, with /v1 added when it names a server and no path."""
        url = self.url.rstrip("/")
        return url + "/v1" if urlsplit(url).path in ("", "/") else url


class LangChainModel:
    """`ChatOpenAI` with `base_url`, temperature 0, no retries (a timeout is a timeout)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._chat: Any = None

    def _client(self) -> Any:
        if self._chat is None:
            from langchain_openai import ChatOpenAI  # only an office with a model needs it

            self._chat = ChatOpenAI(
                base_url=self.endpoint.base_url,
                model=self.endpoint.model,
                api_key=self.endpoint.api_key or "none",
                timeout=self.endpoint.timeout_s,
                max_retries=0,
                temperature=0,
            )
        return self._chat

    def complete(self, system: str, user: str) -> str:
        import openai
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            result = self._client().invoke([SystemMessage(system), HumanMessage(user)])
        except openai.APITimeoutError as exc:
            raise ModelError(TIMEOUT) from exc
        except openai.APIStatusError as exc:
            raise ModelError(HTTP_ERROR, str(exc.status_code)) from exc
        except openai.APIConnectionError as exc:
            raise ModelError(UNREACHABLE, type(exc).__name__) from exc
        except Exception as exc:  # a body that is not a chat completion
            raise ModelError(MALFORMED, type(exc).__name__) from exc
        content = getattr(result, "content", None)
        if not isinstance(content, str):
            raise ModelError(MALFORMED, "content is not text")
        return content


class ModelWriter:
    """Has the model write an extractive answer's clauses as prose, and checks it."""

    def __init__(self, model: ChatModel, *, max_clauses: int = 5) -> None:
        self.model = model
        self.max_clauses = max_clauses

    def write(self, question: str, answer: Answer) -> Answer:
        """The model's answer when it passes the check; otherwise `answer` with the reason."""
        if not answer.found:
            return answer
        clauses = answer.clauses(self.max_clauses)
        started = time.perf_counter()
        try:
            text = self.model.complete(SYSTEM_PROMPT, user_prompt(question, clauses))
        except ModelError as exc:
            log.warning("model answer not used: %s", exc)
            return replace(answer, rejected=exc.reason)
        verdict = check(text, clauses)
        if not verdict.ok:
            log.info("model answer rejected: %s (%s)", verdict.reason, verdict.detail[:200])
            return replace(answer, rejected=verdict.reason)
        log.debug("model answer accepted in %.0f ms", 1000 * (time.perf_counter() - started))
        return replace(
            answer,
            answered_by=LLM,
            written=verdict.text,
            cited=tuple((n, clauses[n - 1]) for n in verdict.cited),
        )


class LlmAnswerer:
    """The Answerer whose answers a model writes: extractive first (whether to answer, and
    from which clauses), then the model, checked; what `bench/llm.py` measures."""

    def __init__(self, extractive: ExtractiveAnswerer, writer: ModelWriter) -> None:
        self.extractive = extractive
        self.writer = writer

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        return self.writer.write(question, self.extractive.answer(question, passages))
