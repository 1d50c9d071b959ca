"""A fake OpenAI-compatible model on 127.0.0.1, and the assistant the data dir builds with it
(the real index of the bundled texts, the real retriever, LangChain's ChatOpenAI)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import wiring
from bot.config import Settings
from bot.messages import Incoming, Reply
from tests.fakes.openai_api import FakeLLM

TIMEOUT_S = 1.0  # THIDUA_LLM_TIMEOUT_S in these tests; the slow fake takes far longer
MODEL = "fake-vi-instruct"
KEY = "sk-test-SECRET-key"


@dataclass
class Bot:
    """The assistant with the model (`with_model`) and without it (`extractive`), one data dir."""

    fake: FakeLLM
    settings: Settings
    with_model: wiring.Assistant
    extractive: wiring.Assistant

    def ask(self, text: str) -> Reply:
        return self.with_model.qa.ask(
            Incoming(channel="test", chat_id="c1", user_id="u1", text=text)
        )

    def ask_extractive(self, text: str) -> Reply:
        message = Incoming(channel="test", chat_id="c1", user_id="u1", text=text)
        return self.extractive.qa.ask(message)


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM(model=MODEL).running_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def module_data_dir(bundled_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("llm") / "data"
    shutil.copytree(bundled_data_dir, target)
    return target


@pytest.fixture(scope="module")
def module_bot(fake_llm: FakeLLM, module_data_dir: Path) -> Bot:
    settings = Settings(
        data_dir=module_data_dir,
        llm_url=fake_llm.url,
        llm_model=MODEL,
        llm_api_key=KEY,  # type: ignore[arg-type]
        llm_timeout_s=TIMEOUT_S,
    )
    return Bot(
        fake_llm,
        settings,
        wiring.build_assistant(settings),
        wiring.build_assistant(Settings(data_dir=module_data_dir)),
    )


@pytest.fixture
def bot(module_bot: Bot) -> Iterator[Bot]:
    """The module's bot, its fake model reset: no delay, no fault, nothing recorded."""
    fake = module_bot.fake
    fake.delay_s, fake.malformed = 0.0, False
    fake.clear_faults()
    fake.clear_calls()
    fake.requests.clear()
    yield module_bot
