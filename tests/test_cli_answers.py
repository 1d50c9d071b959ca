"""The office's side of feedback and curated answers, as `thidua` runs it (typer's CliRunner):
`feedback`, `unanswered`, `answers add|list|restore|export|import`, and a curated answer
reused for a paraphrase, then withdrawn when its text changes or its document lapses.

Questions reach the records the way the bot writes them (its unit of work, the real Q&A over
the bundled texts) or, for unanswered ones, through the log itself: which questions today's
search refuses is another test's business.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot import wiring
from bot.cli import app
from bot.config import Settings
from bot.core import feedback
from bot.delivery.turns import Turns
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store.outbox import OutboxMessage
from bot.store.qa_models import AnswerLog, CuratedAnswer, UnansweredQuestion
from bot.store.reply_json import reply_from_json
from bot.store.unanswered import UnansweredLog
from bot.wiring import BUNDLED_SOURCES

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
LAW = BUNDLED_SOURCES / "luat-tdkt-2022.md"
DEADLINE = "Hạn nộp hồ sơ đề nghị khen thưởng tổng kết năm là khi nào?"
PARAPHRASE = "Khi nào phải nộp hồ sơ khen thưởng cuối năm?"
ELSEWHERE = "Hồ sơ khen thưởng tổng kết năm nộp ở đâu?"  # near, but another question
ANSWER = "Hồ sơ khen thưởng tổng kết năm gửi về Ban Thi đua - Khen thưởng trước ngày 15/01."


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def today() -> str:
    return datetime.now(HCM).strftime("%d/%m/%Y")


def ask_json(data_dir: Path, question: str) -> dict[str, object]:
    code, out = run(data_dir, "ask", "--json", question)
    assert code == 0, out
    record: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return record


def log_unanswered(settings: Settings, *asked: tuple[str, str, str]) -> list[int]:
    """(channel, chat, question) rows in the log, as a refused question writes them."""
    log = UnansweredLog(wiring.open_store(settings))
    for channel, chat, question in asked:
        log.record(
            asked_at=datetime.now(HCM),
            channel=channel,
            chat_id=chat,
            user_id=chat,
            question=question,
            confidence=0.1,
        )
    with wiring.open_store(settings)() as session:
        return list(session.scalars(select(UnansweredQuestion.id).order_by(UnansweredQuestion.id)))


class Talk:
    """One person in one chat talking to the assistant the data dir builds."""

    def __init__(self, turns: Turns, channel: str = "telegram", chat: str = "111") -> None:
        self.turns = turns
        self.channel, self.chat = channel, chat
        self.last: list[Reply] = []

    def say(self, text: str) -> list[Reply]:
        self.last = self.turns.run(Incoming(self.channel, self.chat, self.chat, text=text))
        return self.last

    def press(self, label: str) -> list[Reply]:
        [button] = [b for r in self.last for row in r.buttons for b in row if label in b.label]
        message = Incoming(self.channel, self.chat, self.chat, text="", payload=button.payload)
        self.last = self.turns.run(message)
        return self.last


@pytest.fixture
def turns(settings: Settings) -> Turns:
    return wiring.build_assistant(settings).turns


def test_feedback_lists_ratings_newest_first_and_by_cited_article(
    settings: Settings, turns: Turns
) -> None:
    talk = Talk(turns)
    talk.say("Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?")
    talk.press("Chưa đúng")
    talk.say("Thiếu khoản 3 về công nhân, nông dân")
    talk.say("Hình thức tổ chức thi đua gồm những gì?")
    talk.press("Đúng ý")

    code, out = run(settings.data_dir, "feedback")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == vi.FEEDBACK_HEADER
    up = next(i for i, line in enumerate(lines) if "👍" in line)
    down = next(i for i, line in enumerate(lines) if "👎" in line)
    assert up < down  # newest first
    assert "«Hình thức tổ chức thi đua gồm những gì?»" in lines[up]
    assert "[telegram]" in lines[down] and "«Tiêu chuẩn danh hiệu Lao động tiên tiến" in lines[down]
    assert lines[down + 1] == "   Lý do: Thiếu khoản 3 về công nhân, nông dân"
    assert lines[down + 2].startswith("   Căn cứ: ") and "Điều 24" in lines[down + 2]

    code, out = run(settings.data_dir, "feedback", "--by-article")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == vi.FEEDBACK_BY_ARTICLE_HEADER
    article = lines.index("Điều 24 Luật Thi đua, khen thưởng 06/2022/QH15: 👍 0, 👎 1")
    assert all("👎 1" in line for line in lines[1:article] if not line.startswith("   "))
    assert lines[article + 1].startswith("   F") and lines[article + 1].endswith(
        "«Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?» — Thiếu khoản 3 về công nhân, nông dân"
    )
    assert any(line.endswith(": 👍 1, 👎 0") for line in lines)


def test_unanswered_keeps_real_questions_and_counts_repeats_most_asked_first(
    settings: Settings, turns: Turns
) -> None:
    talk = Talk(turns, "zalo_bot", "222")
    for chatter in ("xin chào", "Cảm ơn bạn nhé!", "😀😀", "ok", "2", "/lenh_la"):
        talk.say(chatter)
    assert "Gõ /help" in talk.say("chào bot")[0].text  # a greeting is greeted, not searched
    for question, chat in (
        ("Giá vàng SJC hôm nay bao nhiêu một lượng?", "222"),
        ("gia vang sjc hom nay bao nhieu mot luong", "333"),
        ("Giá vàng SJC hôm nay bao nhiêu một lượng??", "222"),
        ("Thời tiết Hà Nội ngày mai thế nào?", "222"),
    ):
        Talk(turns, "zalo_bot", chat).say(question)
    talk = Talk(turns)
    talk.say("Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?")
    talk.press("Chưa đúng")
    talk.say("Chưa nói tỷ lệ")

    with wiring.open_store(settings)() as session:
        logged = list(session.scalars(select(UnansweredQuestion.question)))
    assert len(logged) == 4  # greetings, thanks, emoji, numbers and commands are not questions

    code, out = run(settings.data_dir, "unanswered")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == vi.UNANSWERED_HEADER
    gold = "«Giá vàng SJC hôm nay bao nhiêu một lượng??»"
    assert re.fullmatch(
        rf"U\d+  ×3 \(2 cuộc trò chuyện\)  lần cuối .+  {re.escape(gold)}", lines[1]
    )
    assert "×1 (1 cuộc trò chuyện)" in lines[2] and "Thời tiết Hà Nội" in lines[2]
    assert lines[3] == vi.UNANSWERED_DISLIKED_HEADER
    assert re.fullmatch(
        r"F\d+  ×1  lần cuối .+  «Tiêu chuẩn danh hiệu Lao động tiên tiến là gì\?»", lines[4]
    )
    assert lines[5] == "   Lý do: Chưa nói tỷ lệ"


def test_a_curated_answer_closes_the_question_for_everyone_who_asked_it(
    settings: Settings,
) -> None:
    ids = log_unanswered(
        settings,
        ("telegram", "111", DEADLINE),
        ("zalo_bot", "222", "han nop ho so de nghi khen thuong tong ket nam la khi nao"),
        ("telegram", "333", PARAPHRASE),  # another wording: matched as the bot would
        ("cli", "cli", DEADLINE),  # `thidua ask`: no chat to tell
        ("telegram", "444", ELSEWHERE),  # near, but not the same question: stays open
    )
    code, out = run(
        settings.data_dir,
        "answers",
        "add",
        "--from",
        f"U{ids[0]}",
        "--text",
        ANSWER,
        "--cite",
        "khoản 1 Điều 84 Luật Thi đua, khen thưởng",
    )
    assert code == 0, out
    assert out.splitlines() == [
        vi.ANSWER_ADDED.format(id=1, question=DEADLINE),
        vi.ANSWER_BASIS.format(
            basis="khoản 1 Điều 84 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)"
        ),
        vi.ANSWER_CLOSED.format(count=4),
        vi.ANSWER_PUSHED.format(count=3),
    ]
    with wiring.open_store(settings)() as session:
        pushed = {
            (row.channel, row.chat_id): reply_from_json(row.payload)
            for row in session.scalars(select(OutboxMessage))
        }
    assert set(pushed) == {("telegram", "111"), ("zalo_bot", "222"), ("telegram", "333")}
    text = pushed[("telegram", "333")].text
    assert text.startswith(vi.CURATED_PUSH.format(date=today(), question=PARAPHRASE))
    assert ANSWER in text and f"Ban Thi đua - Khen thưởng trả lời (ngày {today()})" in text
    assert pushed[("telegram", "333")].citations[0].article == "84"

    code, out = run(settings.data_dir, "unanswered")
    assert f"«{ELSEWHERE}»" in out and "tổng kết năm là khi nào" not in out

    record = ask_json(
        settings.data_dir, "Hồ sơ khen thưởng tổng kết năm nộp chậm nhất vào ngày nào?"
    )
    assert record["found"] is True
    assert str(record["answer"]).startswith(ANSWER)
    assert f"Ban Thi đua - Khen thưởng trả lời (ngày {today()})" in str(record["answer"])
    assert [c["article"] for c in record["citations"]] == ["84"]  # type: ignore[index, union-attr]
    assert not str(ask_json(settings.data_dir, ELSEWHERE)["answer"]).startswith(ANSWER)


def test_a_citation_must_exist_in_the_loaded_text(settings: Settings) -> None:
    for spec, message in (
        (
            "khoản 9 Điều 84 Luật Thi đua, khen thưởng",
            "Kho văn bản chưa có khoản 9 Điều 84 Luật Thi đua, khen thưởng số 06/2022/QH15",
        ),
        ("Điều 120 06/2022/QH15", "Kho văn bản chưa có Điều 120 Luật Thi đua, khen thưởng"),
        ("Luật Thi đua, khen thưởng", "Không hiểu căn cứ «Luật Thi đua, khen thưởng»"),
        ("khoản 1 Điều 5 Nghị định 91/2017/NĐ-CP", "đã hết hiệu lực"),
    ):
        code, out = run(
            settings.data_dir,
            "answers",
            "add",
            "--question",
            DEADLINE,
            "--text",
            ANSWER,
            "--cite",
            spec,
        )
        assert code == 1
        assert message in out, out
    code, out = run(settings.data_dir, "answers", "list")
    assert out.strip() == vi.ANSWERS_EMPTY


def _changed_law(folder: Path) -> Path:
    """A copy of the Law whose Điều 84 khoản 1 reads differently."""
    folder.mkdir()
    text = LAW.read_text(encoding="utf-8")
    old = "1. Hồ sơ đề nghị xét tặng danh hiệu thi đua gồm:"
    assert text.count(old) == 1
    (folder / LAW.name).write_text(
        text.replace(old, "1. Hồ sơ đề nghị xét tặng danh hiệu thi đua gồm các giấy tờ sau:"),
        encoding="utf-8",
    )
    return folder


def test_a_curated_answer_is_withdrawn_when_its_text_is_reingested_changed(
    settings: Settings, tmp_path: Path
) -> None:
    code, out = run(
        settings.data_dir,
        "answers",
        "add",
        "--question",
        DEADLINE,
        "--text",
        ANSWER,
        "--cite",
        "khoản 1 Điều 84 Luật Thi đua, khen thưởng",
        "--cite",
        "Điều 75 06/2022/QH15",
    )
    assert code == 0, out
    assert str(ask_json(settings.data_dir, PARAPHRASE)["answer"]).startswith(ANSWER)

    code, out = run(settings.data_dir, "ingest", str(_changed_law(tmp_path / "office")))
    assert code == 0, out
    note = (
        "khoản 1 Điều 84 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022): "
        "nội dung đã thay đổi khi văn bản được nạp lại"
    )
    assert vi.ANSWERS_WITHDRAWN.format(id=1, note=note) in out

    assert not str(ask_json(settings.data_dir, PARAPHRASE)["answer"]).startswith(ANSWER)
    code, out = run(settings.data_dir, "answers", "list", "--review")
    assert code == 0, out
    assert f"A1  [{vi.ANSWER_STATUS_WITHDRAWN}]  {today()}  «{DEADLINE}»" in out
    assert vi.ANSWER_REVIEW_NOTE.format(note=note) in out

    # Reviewed: back in use, resting on the text as it now reads.
    code, out = run(settings.data_dir, "answers", "restore", "A1")
    assert code == 0, out
    assert str(ask_json(settings.data_dir, PARAPHRASE)["answer"]).startswith(ANSWER)


QD = """---
doc_id: qd-quy-che-tdkt-thu
title: Quy chế thi đua, khen thưởng tỉnh (bản thử)
doc_number: 99/2024/QĐ-UBND
doc_type: Quyết định
issuer: Ủy ban nhân dân tỉnh
issued: 2024-01-10
effective_from: 2024-01-20
effective_to: {effective_to}
replaced_by: {replaced_by}
completeness: toàn văn
---

#### Điều 5. Thời hạn gửi hồ sơ

1. Hồ sơ đề nghị khen thưởng tổng kết năm gửi về Ban trước ngày 15 tháng 01 năm sau.

2. Hồ sơ đề nghị khen thưởng chuyên đề gửi chậm nhất 20 ngày trước ngày tổng kết chuyên đề.
"""


def test_a_curated_answer_is_withdrawn_when_its_document_is_superseded(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "quy-che"
    folder.mkdir()
    document = folder / "quy-che.md"
    document.write_text(QD.format(effective_to="", replaced_by=""), encoding="utf-8")
    assert run(settings.data_dir, "ingest", str(folder))[0] == 0
    code, out = run(
        settings.data_dir,
        "answers",
        "add",
        "--question",
        DEADLINE,
        "--text",
        ANSWER,
        "--cite",
        "khoản 1 Điều 5 Quyết định 99/2024/QĐ-UBND",
    )
    assert code == 0, out

    document.write_text(
        QD.format(effective_to="2025-01-01", replaced_by="Quyết định 12/2025/QĐ-UBND"),
        encoding="utf-8",
    )
    code, out = run(settings.data_dir, "ingest", str(folder))
    assert code == 0, out
    assert "Câu trả lời A1 của Ban đã tạm rút" in out
    assert "đã hết hiệu lực từ 1/1/2025, thay bằng Quyết định 12/2025/QĐ-UBND" in out
    assert not str(ask_json(settings.data_dir, DEADLINE)["answer"]).startswith(ANSWER)
    code, out = run(settings.data_dir, "answers", "restore", "1")
    assert code == 1 and "đã hết hiệu lực" in out


def test_answers_export_and_import_round_trip_through_excel(
    settings: Settings, tmp_path: Path
) -> None:
    code, out = run(
        settings.data_dir,
        "answers",
        "add",
        "--question",
        DEADLINE,
        "--also",
        PARAPHRASE,
        "--text",
        ANSWER,
        "--cite",
        "khoản 1 Điều 84 Luật Thi đua, khen thưởng",
        "--no-push",
    )
    assert code == 0, out
    sheet_path = tmp_path / "tra-loi.xlsx"
    code, out = run(settings.data_dir, "answers", "export", str(sheet_path))
    assert code == 0 and vi.ANSWERS_EXPORTED.format(count=1, file=sheet_path) in out
    workbook = load_workbook(sheet_path)
    sheet = workbook.active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["mã", "câu hỏi", "câu trả lời", "căn cứ", "cách hỏi khác"]
    assert rows[1][:5] == ["A1", DEADLINE, ANSWER, "khoản 1 Điều 84 06/2022/QH15", PARAPHRASE]

    sheet.cell(2, 3).value = "Trước ngày 20/01 năm sau."
    sheet.cell(2, 4).value = "khoản 1 Điều 84 06/2022/QH15; Điều 75 Luật Thi đua, khen thưởng"
    sheet.append(
        [
            None,
            "Ai có thẩm quyền tặng Giấy khen?",
            "Thủ trưởng đơn vị.",
            "khoản 1 Điều 75 06/2022/QH15",
        ]
    )
    workbook.save(sheet_path)
    code, out = run(settings.data_dir, "answers", "import", str(sheet_path), "--no-push")
    assert code == 0, out
    assert vi.IMPORT_DONE.format(file=sheet_path, created=1, updated=1) in out
    with wiring.open_store(settings)() as session:
        first, second = session.scalars(select(CuratedAnswer).order_by(CuratedAnswer.id))
        assert first.answer == "Trước ngày 20/01 năm sau."
        assert [c["article"] for c in first.citations] == ["84", "75"]
        assert {q.text for q in first.questions} == {DEADLINE, PARAPHRASE}
        assert second.question == "Ai có thẩm quyền tặng Giấy khen?"
    assert str(ask_json(settings.data_dir, "Giấy khen do ai ký tặng?")["answer"]).startswith(
        "Thủ trưởng đơn vị."
    )

    # A row whose citation does not exist: nothing of the file is written.
    sheet.cell(3, 3).value = "Đã sửa."
    sheet.append([None, "Câu hỏi mới?", "Trả lời.", "khoản 9 Điều 84 06/2022/QH15"])
    workbook.save(sheet_path)
    code, out = run(settings.data_dir, "answers", "import", str(sheet_path))
    assert code == 1
    assert "dòng 4: căn cứ «khoản 9 Điều 84 06/2022/QH15»: Kho văn bản chưa có khoản 9" in out
    with wiring.open_store(settings)() as session:
        assert session.get(CuratedAnswer, 2).answer == "Thủ trưởng đơn vị."  # type: ignore[union-attr]


@pytest.mark.parametrize("typed", ["2", "chưa đúng", "👎"])
def test_on_a_channel_without_buttons_the_numbers_rate_the_answer(
    settings: Settings, turns: Turns, typed: str
) -> None:
    talk = Talk(turns, "zalo_bot", "555")
    [answer] = talk.say("Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?")
    assert [b.label for row in answer.buttons for b in row] == [
        vi.BTN_FEEDBACK_UP,
        vi.BTN_FEEDBACK_DOWN,
    ]
    assert talk.say(typed)[0].text == vi.FEEDBACK_ASK_REASON
    assert talk.say("1")[0].text == vi.FEEDBACK_NOTED  # 1. Bỏ qua
    with wiring.open_store(settings)() as session:
        [row] = session.scalars(select(AnswerLog))
    assert (row.rating, row.reason) == ("down", "")
    assert feedback.COMMAND == "danhgia"
