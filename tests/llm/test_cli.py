"""`thidua ask --json` says who answered (extractive, llm, curated) and why the model's answer
was not shown; the office's curated answer wins over the model; without THIDUA_LLM_URL nothing
of LangChain is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.llm.conftest import MODEL, Bot
from tests.llm.test_answers import FAITHFUL, QUESTION

CURATED_QUESTION = "Đơn vị cần bao nhiêu người đạt Lao động tiên tiến để là tập thể xuất sắc?"


def ask_json(bot: Bot, question: str, *, with_model: bool = True) -> dict[str, object]:
    env = {"THIDUA_LLM_URL": bot.fake.url, "THIDUA_LLM_MODEL": MODEL} if with_model else {}
    result = CliRunner().invoke(
        app, ["--data-dir", str(bot.settings.data_dir), "ask", "--json", question], env=env
    )
    assert result.exit_code == 0, result.output
    record: dict[str, object] = json.loads(result.output.strip().splitlines()[-1])
    return record


def test_ask_json_names_who_answered_and_why_the_model_was_not_shown(bot: Bot) -> None:
    bot.fake.script = lambda _request: FAITHFUL
    written = ask_json(bot, QUESTION)
    assert (written["answered_by"], "llm_rejected" in written) == ("llm", False)
    assert str(written["answer"]).startswith(FAITHFUL)

    bot.fake.script = lambda _request: FAITHFUL.replace("70%", "75%")
    rejected = ask_json(bot, QUESTION)
    assert (rejected["answered_by"], rejected["llm_rejected"]) == (
        "extractive",
        "unsupported_percentage",
    )
    plain = ask_json(bot, QUESTION, with_model=False)
    assert (plain["answered_by"], "llm_rejected" in plain) == ("extractive", False)
    assert plain["answer"] == rejected["answer"]


def test_the_offices_curated_answer_wins_over_the_model(bot: Bot) -> None:
    bot.fake.script = lambda _request: FAITHFUL
    added = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(bot.settings.data_dir),
            "answers",
            "add",
            "--question",
            CURATED_QUESTION,
            "--text",
            "Ít nhất 70% cá nhân của tập thể đạt Lao động tiên tiến.",
            "--cite",
            "điểm c khoản 1 Điều 27 Luật Thi đua, khen thưởng",
        ],
    )
    assert added.exit_code == 0, added.output
    record = ask_json(bot, CURATED_QUESTION)
    assert record["answered_by"] == "curated"
    assert "Ít nhất 70% cá nhân" in str(record["answer"])
    assert bot.fake.requests == []


def test_without_a_model_url_langchain_is_never_imported(bot: Bot) -> None:
    """A fresh interpreter answers a question the way `thidua ask` does, with THIDUA_LLM_URL
    empty: neither LangChain nor the OpenAI client is loaded."""
    code = (
        "import sys\n"
        "from bot import wiring\n"
        "from bot.config import Settings\n"
        "from bot.messages import Incoming\n"
        f"assistant = wiring.build_assistant(Settings(data_dir={str(bot.settings.data_dir)!r}))\n"
        f"reply = assistant.qa.ask(Incoming('cli', 'cli', 'cli', {QUESTION!r}))\n"
        "assert reply.found, reply\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_openai', 'langchain_core', 'openai', 'langsmith')))\n"
    )
    env = {**os.environ, "THIDUA_LLM_URL": "", "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
