"""`thidua ingest` as an office runs it: new texts, unchanged re-runs, bad files, prune."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

GUIDANCE = """---
title: Hướng dẫn công tác thi đua năm 2026
doc_number: 01/HD-HĐTĐKT
doc_type: Hướng dẫn
issuer: Hội đồng Thi đua - Khen thưởng tỉnh Hà Tĩnh
issued: 2026-01-15
completeness: toàn văn
---

Điều 1. Thời hạn đăng ký thi đua
1. Các đơn vị gửi bản đăng ký thi đua về Ban Thi đua - Khen thưởng trước ngày 15 tháng 3.
2. Cụm, khối thi đua tổ chức ký kết giao ước thi đua trong quý I.
"""


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], env=env)
    return result.exit_code, result.output


def test_ingest_then_ask_then_reingest_embeds_nothing(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "van-ban"
    folder.mkdir()
    (folder / "huong-dan-2026.md").write_text(GUIDANCE, encoding="utf-8")

    code, out = run(data_dir, "ingest", str(folder))
    assert code == 0, out
    assert "1 văn bản mới" in out

    code, out = run(data_dir, "ask", "Hạn gửi bản đăng ký thi đua là khi nào?")
    assert code == 0, out
    assert "trước ngày 15 tháng 3" in out
    assert (
        "Điều 1 Hướng dẫn công tác thi đua năm 2026 số 01/HD-HĐTĐKT "
        "(Hội đồng Thi đua - Khen thưởng tỉnh Hà Tĩnh, 15/1/2026)"
    ) in out

    code, out = run(data_dir, "ingest", str(folder))
    assert code == 0, out
    assert "1 không đổi" in out
    assert "0 đoạn được mã hoá" in out


def test_ingest_first_on_a_new_data_dir_also_indexes_the_bundled_texts(tmp_path: Path) -> None:
    folder = tmp_path / "van-ban"
    folder.mkdir()
    (folder / "huong-dan-2026.md").write_text(GUIDANCE, encoding="utf-8")
    fresh = tmp_path / "moi"

    code, out = run(fresh, "ingest", str(folder))
    assert code == 0, out
    assert "Đã lập chỉ mục 4 văn bản" in out  # the bundled texts first, then the office's own
    assert "1 văn bản mới" in out

    code, out = run(fresh, "ask", "--json", "Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?")
    assert code == 0, out
    best = json.loads(out.strip().splitlines()[-1])["citations"][0]
    assert (best["doc_number"], best["article"]) == ("06/2022/QH15", "24")
    code, out = run(fresh, "ask", "Hạn gửi bản đăng ký thi đua là khi nào?")
    assert "trước ngày 15 tháng 3" in out


def test_bad_file_is_named_and_the_rest_still_ingested(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "van-ban"
    folder.mkdir()
    (folder / "tot.md").write_text(GUIDANCE, encoding="utf-8")
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")

    code, out = run(data_dir, "ingest", str(folder))
    assert code == 1
    assert "hong.pdf" in out
    assert "1 văn bản mới" in out


def test_every_file_skipped_gets_a_line_and_the_files_after_it_ingest(
    data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "van-ban"
    folder.mkdir()
    (folder / "a-lon.md").write_text(GUIDANCE * 40, encoding="utf-8")  # ~20 KB, over the limit
    (folder / "b-cu.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    (folder / "c-mat.md").symlink_to(folder / "da-xoa.md")
    (folder / "d-vong.md").symlink_to(folder / "d-vong.md")
    (folder / ".nhap.md").write_text(GUIDANCE, encoding="utf-8")
    (folder / "huong-dan-2026.md").write_text(GUIDANCE, encoding="utf-8")

    code, out = run(data_dir, "ingest", str(folder), env={"THIDUA_INGEST_MAX_FILE_MB": "0.01"})
    assert code == 1  # the file too large was asked for and not ingested
    lines = out.splitlines()
    assert f"Bỏ qua {folder / 'b-cu.doc'}: định dạng .doc cũ không được hỗ trợ" in out
    assert f"Bỏ qua {folder / 'c-mat.md'}: liên kết tượng trưng tới" in out
    assert f"Bỏ qua {folder / 'd-vong.md'}: liên kết tượng trưng vòng lặp" in out
    assert "Bỏ qua 1 tệp/thư mục ẩn" in out
    [too_large] = [line for line in lines if "a-lon.md" in line]
    assert too_large.startswith(f"Lỗi: Không nạp được tệp {folder / 'a-lon.md'}: tệp ")
    assert "vượt giới hạn 10,2 KB cho mỗi tệp nên đã bỏ qua" in too_large
    assert "1 văn bản mới" in out  # huong-dan-2026.md, after every skipped one

    code, out = run(data_dir, "ask", "Hạn gửi bản đăng ký thi đua là khi nào?")
    assert "trước ngày 15 tháng 3" in out


def test_prune_removes_a_deleted_text(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "van-ban"
    folder.mkdir()
    text = folder / "huong-dan-2026.md"
    text.write_text(GUIDANCE, encoding="utf-8")
    assert run(data_dir, "ingest", str(folder))[0] == 0
    text.unlink()
    (folder / "khac.md").write_text("# Ghi chú\n\nNội dung khác.\n", encoding="utf-8")

    code, out = run(data_dir, "ingest", str(folder), "--prune")
    assert code == 0, out
    assert "1 đã gỡ" in out
    code, out = run(data_dir, "ask", "--json", "Hạn gửi bản đăng ký thi đua trước ngày 15 tháng 3")
    assert "01/HD-HĐTĐKT" not in out


def test_nothing_to_ingest_says_so(data_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "rong"
    empty.mkdir()
    code, out = run(data_dir, "ingest", str(empty))
    assert code == 1
    assert "Không tìm thấy tệp nào" in out
