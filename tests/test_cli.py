"""The `thidua` command as a user runs it: ask (text and --json), unanswered, bad config."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

CITATION_KEYS = {"id", "doc_number", "title", "article", "clause", "in_force", "score", "text"}


def run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], input=stdin)
    return result.exit_code, result.output


def test_ask_json_has_the_documented_schema(data_dir: Path) -> None:
    code, out = run(data_dir, "ask", "--json", "Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?")
    assert code == 0, out
    record = json.loads(out.strip().splitlines()[-1])
    assert set(record) == {"question", "found", "answer", "citations", "answered_by"}
    assert record["found"] is True
    assert record["answered_by"] == "extractive"  # no model configured
    assert record["citations"], record
    for citation in record["citations"]:
        assert set(citation) == CITATION_KEYS
    best = record["citations"][0]
    assert best["doc_number"] == "06/2022/QH15"
    assert best["article"] == "24"
    assert best["in_force"] is True
    assert "Căn cứ:" in record["answer"]
    assert "Hoàn thành tốt nhiệm vụ trở lên" in record["answer"]


def test_ask_reads_one_question_per_stdin_line(data_dir: Path) -> None:
    questions = "tieu chuan tap the lao dong xuat sac\nHình thức tổ chức thi đua gồm những gì?\n"
    code, out = run(data_dir, "ask", "--json", stdin=questions)
    assert code == 0, out
    records = [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]
    assert [r["question"] for r in records] == questions.strip().splitlines()
    assert records[0]["citations"][0]["article"] == "27"
    assert records[1]["citations"][0]["article"] == "16"


def test_out_of_scope_question_is_refused_and_logged(data_dir: Path) -> None:
    code, out = run(data_dir, "ask", "--json", "Giá vàng SJC hôm nay bao nhiêu một lượng?")
    assert code == 0, out
    record = json.loads(out.strip().splitlines()[-1])
    assert record["found"] is False
    assert record["citations"] == []
    assert "chưa tìm thấy quy định" in record["answer"]

    code, listing = run(data_dir, "unanswered")
    assert code == 0
    assert "Giá vàng SJC hôm nay" in listing


def test_a_document_not_loaded_is_named_with_its_status_and_where_to_read_it(
    data_dir: Path,
) -> None:
    questions = "Nghị định 98/2023/NĐ-CP quy định gì?\nnghi dinh 98/2023 quy dinh gi\n"
    code, out = run(data_dir, "ask", "--json", stdin=questions)
    assert code == 0, out
    records = [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]
    assert len(records) == 2
    for record in records:
        assert record["found"] is False
        assert record["citations"] == []  # never another document's sentence as its basis
        answer = record["answer"]
        assert answer.startswith(
            "Kho văn bản chưa có Nghị định 98/2023/NĐ-CP «Quy định chi tiết thi hành một số "
            "điều của Luật Thi đua, khen thưởng» (Chính phủ, 31/12/2023)"
        )
        assert "Tình trạng: đã hết hiệu lực từ 1/7/2025, thay bằng Nghị định 152/2025/NĐ-CP." in (
            answer
        )
        assert "Tra cứu toàn văn theo số hiệu 98/2023/NĐ-CP tại https://vbpl.vn" in answer
        assert "Căn cứ" not in answer
    code, listing = run(data_dir, "unanswered")
    assert "Nghị định 98/2023/NĐ-CP quy định gì?" in listing
    assert "nghi dinh 98/2023 quy dinh gi" in listing


def test_unanswered_is_empty_on_a_fresh_data_dir(data_dir: Path) -> None:
    code, out = run(data_dir, "unanswered")
    assert code == 0
    assert "Chưa có câu hỏi nào" in out


def test_bad_setting_names_the_variable_and_exits_2(data_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THIDUA_TOP_K", "nhiều")
    code, out = run(data_dir, "ask", "câu hỏi")
    assert code == 2
    assert "THIDUA_TOP_K" in out
