"""Answers written by a model (the fake OpenAI-compatible server, scripted per test) through
the real Q&A: shown only when our check holds, with our own basis; otherwise, and on a timeout,
an error, a malformed body or «không đủ căn cứ», the extractive answer, with the reason."""

from __future__ import annotations

import sqlite3

import pytest

from knowledge import llm_check
from tests.fakes.openai_api import ChatRequest
from tests.llm.conftest import KEY, MODEL, Bot

QUESTION = "Tập thể lao động xuất sắc cần bao nhiêu phần trăm cá nhân đạt Lao động tiên tiến?"
FAITHFUL = (
    "Tập thể phải có 100% cá nhân hoàn thành nhiệm vụ, trong đó ít nhất 70% cá nhân đạt danh "
    "hiệu “Lao động tiên tiến” [1]. Tập thể cũng phải có cá nhân đạt danh hiệu “Chiến sĩ thi đua "
    "cơ sở” [1]."
)
LAW_27 = "Điều 27 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)"


def test_a_faithful_answer_is_shown_with_our_basis(bot: Bot) -> None:
    bot.fake.script = lambda _request: FAITHFUL
    reply = bot.ask(QUESTION)

    assert reply.meta["answered_by"] == "llm"
    assert reply.text == f"{FAITHFUL}\n\nCăn cứ:\n[1] {LAW_27}"
    assert [(c.doc_number, c.article) for c in reply.citations] == [("06/2022/QH15", "27")]
    [request] = bot.fake.requests
    assert request.model == MODEL
    assert request.authorization == f"Bearer {KEY}"
    assert request.clauses[1].startswith(LAW_27)  # [1] is the clause the basis names
    assert "Câu hỏi: " + QUESTION in request.user


def test_the_basis_is_ours_not_the_models(bot: Bot) -> None:
    bot.fake.script = lambda _request: (
        "Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã [1].\nCăn cứ: Điều 99 Luật Đất đai"
    )
    reply = bot.ask("Ai có thẩm quyền tặng Giấy khen?")
    assert reply.meta["answered_by"] == "llm"
    assert "Điều 99" not in reply.text and "Đất đai" not in reply.text
    assert reply.text.endswith(f"[1] {reply.citations[0].basis}")


UNFAITHFUL = [
    (  # an invented percentage
        FAITHFUL.replace("70%", "80%"),
        llm_check.PERCENT,
    ),
    (  # an invented article number
        "Theo Điều 35, tập thể phải có ít nhất 70% cá nhân đạt “Lao động tiên tiến” [1].",
        llm_check.PROVISION,
    ),
    (  # a marker pointing to a clause that was not given
        "Tập thể phải có ít nhất 70% cá nhân đạt danh hiệu “Lao động tiên tiến” [9].",
        llm_check.BAD_MARKER,
    ),
    (  # a sentence without a marker
        "Tập thể phải có ít nhất 70% cá nhân đạt danh hiệu “Lao động tiên tiến” [1]. Danh hiệu "
        "này xét tặng cho mọi đơn vị.",
        llm_check.NO_MARKER,
    ),
    (  # a fabricated quote
        "Luật ghi rõ: «tập thể được thưởng thêm khi đạt danh hiệu hai năm liền» [1].",
        llm_check.QUOTE,
    ),
    ("Không đủ căn cứ.", llm_check.INSUFFICIENT),
]


@pytest.mark.parametrize(("written", "reason"), UNFAITHFUL)
def test_an_unfaithful_answer_gives_way_to_the_extractive_one(
    bot: Bot, written: str, reason: str
) -> None:
    bot.fake.script = lambda _request: written
    reply = bot.ask(QUESTION)
    extractive = bot.ask_extractive(QUESTION)

    assert len(bot.fake.requests) == 1  # the model was asked, and not believed
    assert (reply.meta["answered_by"], reply.meta["llm_rejected"]) == ("extractive", reason)
    assert reply.text == extractive.text
    assert reply.citations == extractive.citations


def test_a_slow_model_times_out_and_the_extractive_answer_stands(bot: Bot) -> None:
    bot.fake.script = lambda _request: FAITHFUL
    bot.fake.delay_s = 30.0
    reply = bot.ask(QUESTION)
    assert (reply.meta["answered_by"], reply.meta["llm_rejected"]) == ("extractive", "timeout")
    assert reply.text == bot.ask_extractive(QUESTION).text


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("http_500", "http_error"), ("malformed", "malformed_response")],
)
def test_a_failing_model_leaves_the_extractive_answer(bot: Bot, fault: str, reason: str) -> None:
    bot.fake.script = lambda _request: FAITHFUL
    if fault == "http_500":
        bot.fake.inject(500, {"error": {"message": "CUDA out of memory"}})
    else:
        bot.fake.malformed = True
    reply = bot.ask(QUESTION)
    assert (reply.meta["answered_by"], reply.meta["llm_rejected"]) == ("extractive", reason)
    assert reply.text == bot.ask_extractive(QUESTION).text
    assert len(bot.fake.calls_to("chat.completions")) == 1  # no retries behind our back


def test_a_question_the_texts_do_not_answer_never_reaches_the_model(bot: Bot) -> None:
    reply = bot.ask("Giá vé máy bay Hà Nội đi Đà Nẵng bao nhiêu?")
    assert reply.found is False
    assert bot.fake.requests == []


def test_in_a_chat_the_model_writes_while_no_transaction_is_open(bot: Bot) -> None:
    """The console's unit of work: the turn rolls back, the model writes, the turn runs again.
    While the model writes, another connection can take the SQLite write lock."""
    database = bot.settings.data_dir / "thidua.db"
    lock_free: list[bool] = []

    def script(_request: ChatRequest) -> str:
        probe = sqlite3.connect(database, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            lock_free.append(True)
        except sqlite3.OperationalError:  # "database is locked": a turn holds it
            lock_free.append(False)
        finally:
            probe.close()
        return FAITHFUL

    bot.fake.script = script
    from bot.messages import Incoming

    [reply] = bot.with_model.turns.run(
        Incoming(channel="console", chat_id="k1", user_id="k1", text=QUESTION)
    )
    assert lock_free == [True]
    assert reply.meta["answered_by"] == "llm"
    assert reply.text.startswith(FAITHFUL)
