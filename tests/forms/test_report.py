"""Báo cáo tiến độ, as transcripts: period, values, narrative, files, submit; late and limits."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from bot.i18n import vi
from bot.messages import Attachment
from bot.store.files import FileStore
from bot.store.models import (
    AuditLog,
    Conversation,
    ProgressReport,
    ReportAttachment,
    ReportPeriod,
)
from tests.chat import HCM, Chat
from tests.forms.conftest import World

NARRATIVE = "Đã giải quyết đúng hạn phần lớn hồ sơ; còn chậm ở lĩnh vực đất đai."
PHOTO = Attachment("photo", "hoi-nghi.jpg", "image/jpeg", data=b"\xff\xd8 anh hoi nghi so ket")


def register(world: World) -> None:
    """A submitted registration with two targets: 95,5 % and 1.234,5 triệu đồng."""
    head = world.chat("head")
    head.say("/dangky")
    head.press("xuất sắc")
    head.press("Xong")
    for description, unit, value in (
        ("Tỷ lệ hồ sơ giải quyết đúng hạn", "%", "95,5"),
        ("Thu ngân sách trên địa bàn", "triệu đồng", "1.234,5"),
    ):
        head.press("Thêm chỉ tiêu")
        head.say(description)
        head.say(unit)
        head.say(value)
        head.press("Hết phong trào")
    head.press("Xong")
    head.press("Xác nhận và nộp")
    assert "phiên bản 1" in head.text


def reports(world: World) -> list[ProgressReport]:
    with world.sessions() as session:
        return list(session.scalars(select(ProgressReport).order_by(ProgressReport.id)))


def stored_files(world: World) -> list[str]:
    return sorted(p.name for p in world.files.root.rglob("*") if p.is_file())


def fill_report(chat: Chat, *values: str, files: tuple[Attachment, ...] = ()) -> None:
    """From the first value prompt to the summary."""
    for value in values or ("85%", "1.234,5"):
        chat.say(value)
    chat.say(NARRATIVE)
    for attachment in files:
        chat.attach(attachment)
    chat.press("Xong")
    assert "BÁO CÁO TIẾN ĐỘ — Sở Nội vụ" in chat.text


def test_head_reports_with_a_photo(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("báo cáo tiến độ")
    assert "Báo cáo Quý 1 — Thi đua thực hiện thắng lợi" in head.text
    assert "(hạn nộp 10/04/2026)" in head.text
    assert "Chỉ tiêu 1/2: Tỷ lệ hồ sơ giải quyết đúng hạn\nĐăng ký: 95,5 %" in head.text
    head.say("85%")
    assert "Chỉ tiêu 2/2: Thu ngân sách trên địa bàn\nĐăng ký: 1.234,5 triệu đồng" in head.text
    head.say("1.234,5")
    head.say(NARRATIVE)
    assert "tối đa 10 tệp, mỗi tệp không quá 10 MB" in head.text
    head.attach(PHOTO, text="Ảnh hội nghị sơ kết?")  # a caption is not a question
    assert head.last[0].text == f"Đã nhận tệp «hoi-nghi.jpg» ({len(PHOTO.data or b'')} byte)."
    assert world.qa.asked == []
    head.press("Xong")
    assert "1. Tỷ lệ hồ sơ giải quyết đúng hạn: 85 / 95,5 % — đạt 89%" in head.text
    assert "2. Thu ngân sách trên địa bàn: 1.234,5 / 1.234,5 triệu đồng — đạt 100%" in head.text
    assert "1. hoi-nghi.jpg" in head.text
    assert "quá hạn" not in head.text
    head.press("Xác nhận và nộp")
    assert head.text.startswith("Đã nộp báo cáo Quý 1 (phiên bản 1)")

    [report] = reports(world)
    assert (report.status, report.version, report.late) == ("submitted", 1, False)
    assert report.submitted_by == world.people["head"]
    assert report.narrative == NARRATIVE
    assert sorted(v.actual_value for v in report.values) == [Decimal(85), Decimal("1234.5")]
    sha = hashlib.sha256(PHOTO.data or b"").hexdigest()
    assert [(a.content_hash, a.filename, a.size) for a in report.attachments] == [
        (sha, "hoi-nghi.jpg", len(PHOTO.data or b""))
    ]
    assert (world.files.root / sha[:2] / sha).read_bytes() == PHOTO.data
    with world.sessions() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.entity == "progress_report"))
        assert [(a.action, a.before) for a in audit] == [("report.submitted", None)]

    head.say("đơn vị tôi đã nộp báo cáo quý 1 chưa")
    assert "Quý 1: đã nộp ngày 10/03/2026" in head.text and "muộn" not in head.text


def test_editing_before_the_deadline_makes_a_new_version(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    fill_report(head)
    head.press("Xác nhận và nộp")

    world.clock.advance(days=20)  # 30/3, still before 10/4
    head.say("/baocao")
    assert "Đơn vị đã có báo cáo kỳ này (phiên bản 1)" in head.text
    head.press("Sửa số liệu")
    head.press("Giữ 85")
    head.say("1.300")  # the Vietnamese thousands dot
    head.press("Giữ nội dung")
    head.press("Xong")
    assert "1.300 / 1.234,5 triệu đồng — đạt 105,3%" in head.text
    head.press("Xác nhận và nộp")
    assert "phiên bản 2" in head.text

    [report] = reports(world)
    assert report.version == 2 and not report.late
    assert sorted(v.actual_value for v in report.values) == [Decimal(85), Decimal(1300)]
    with world.sessions() as session:
        audit = list(session.scalars(select(AuditLog).where(AuditLog.entity == "progress_report")))
    assert [a.action for a in audit] == ["report.submitted", "report.submitted"]
    assert audit[1].before is not None and audit[1].after is not None
    assert audit[1].before["version"] == 1 and audit[1].after["version"] == 2
    assert sorted(audit[1].before["values"].values()) == ["1234.5000", "85.0000"]


def test_a_report_after_the_deadline_is_late_and_then_closed(world: World) -> None:
    register(world)
    world.clock.current = datetime(2026, 4, 15, 8, 0, tzinfo=HCM)
    head = world.chat("head")
    head.say("/baocao")
    assert "Quý 1" in head.text
    fill_report(head)
    assert vi.REPORT_LATE_WARNING.format(deadline="10/04/2026") in head.text
    head.press("Xác nhận và nộp")
    assert "nộp muộn" in head.text
    [report] = reports(world)
    assert report.late and report.status == "submitted"
    head.say("/baocao")  # submitted and past its deadline: nothing left to edit
    assert head.text == vi.REPORT_NO_PERIOD
    head.say("đơn vị tôi đã nộp báo cáo quý 1 chưa")
    assert "Quý 1: đã nộp ngày 15/04/2026 (nộp muộn)" in head.text


def test_the_default_period_comes_first_and_another_can_be_chosen(world: World) -> None:
    register(world)
    with world.sessions.begin() as session:
        for code, name, kind, start, end, deadline in (
            ("6T", "Sơ kết 6 tháng", "sơ kết", (1, 1), (6, 30), (7, 10)),
            ("Q3", "Quý 3", "tiến độ", (7, 1), (9, 30), (10, 10)),  # not started yet
        ):
            session.add(
                ReportPeriod(
                    movement_id=world.movement_id,
                    code=code,
                    name=name,
                    kind=kind,
                    start_date=date(2026, *start),
                    end_date=date(2026, *end),
                    deadline=date(2026, *deadline),
                )
            )
    head = world.chat("head")
    head.say("/baocao")
    assert "Kỳ cần báo cáo lúc này: Quý 1 (hạn 10/04/2026)" in head.text
    labels = [b.label for b in head.buttons()]
    assert labels[:2] == ["Quý 1 — hạn 10/04/2026", "Sơ kết 6 tháng — hạn 10/07/2026"]
    assert not any("Quý 3" in label for label in labels)
    head.press("Sơ kết 6 tháng")
    assert "Chỉ tiêu 1/2" in head.text
    head.say("quay lại")
    assert "Kỳ cần báo cáo lúc này" in head.text
    head.say("2")  # the numbered choice
    fill_report(head)
    assert "Kỳ: Sơ kết 6 tháng (hạn nộp 10/07/2026)" in head.text
    head.press("Xác nhận và nộp")
    head.say("/baocao")  # Quý 1 is still the one that needs a report
    assert "Kỳ cần báo cáo lúc này: Quý 1" in head.text
    assert "Sơ kết 6 tháng — hạn 10/07/2026 (đã nộp)" in [b.label for b in head.buttons()]


def test_validation_back_and_cancel(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    head.say("nhiều lắm")
    assert vi.REPORT_BAD_VALUE in head.text
    head.say("85,5")
    head.say("quay lại")
    assert "Chỉ tiêu 1/2" in head.text and "Giữ 85,5" in [b.label for b in head.buttons()]
    head.press("Giữ 85,5")
    head.say("1.234,5")
    head.say("ngắn")
    assert vi.REPORT_BAD_NARRATIVE in head.text
    head.say("Tiến độ thế nào là đạt yêu cầu?")  # a question mid-form goes to Q&A
    assert world.qa.asked == ["Tiến độ thế nào là đạt yêu cầu?"]
    assert vi.REPORT_ASK_NARRATIVE in head.last[-1].text
    head.say("huỷ")
    assert head.text == vi.FORM_CANCELLED
    assert reports(world) == []


def test_save_and_resume_after_a_restart(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    head.say("85")
    head.say("lưu nháp")
    assert head.text == vi.FORM_SAVED
    world.clock.advance(days=2)
    later = world.chat("head", turns=world.turns())
    later.say("/baocao")  # the form's own command resumes it too
    assert vi.FORM_RESUMED in later.text and "Chỉ tiêu 2/2" in later.text
    later.say("1.000")
    restarted = world.chat("head", turns=world.turns())
    restarted.say(NARRATIVE)
    restarted.press("Xong")
    restarted.press("Xác nhận và nộp")
    [report] = reports(world)
    assert sorted(v.actual_value for v in report.values) == [Decimal(85), Decimal(1000)]


def test_attachments_over_the_limit_and_duplicates(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    head.say("85")
    head.say("1.000")
    head.say(NARRATIVE)
    big = Attachment("document", "bao-cao.pdf", "application/pdf", data=b"x" * (10 * 2**20 + 1))
    head.attach(big)
    assert "«bao-cao.pdf» (10 MB) lớn hơn giới hạn 10 MB" in head.text
    head.attach(PHOTO)
    head.attach(Attachment("photo", "ban-sao.jpg", "image/jpeg", data=PHOTO.data))
    assert head.last[0].text == vi.REPORT_FILE_DUPLICATE.format(name="ban-sao.jpg")
    head.attach(Attachment("document", "scan.pdf", "application/pdf", data=None))
    assert head.last[0].text == vi.REPORT_FILE_UNREADABLE.format(name="scan.pdf")
    head.press("Xong")
    head.press("Xác nhận và nộp")
    assert len(stored_files(world)) == 1  # the big file was never written, the copy once

    world.clock.advance(days=1)
    head.say("/baocao")  # a second version keeps the attachment without storing it again
    head.press("Sửa tệp")
    head.press("Xoá tệp 1")
    assert "Đã có:\n(chưa có)" in head.text
    head.attach(PHOTO)
    head.press("Xong")
    head.press("Xác nhận và nộp")
    assert len(stored_files(world)) == 1
    with world.sessions() as session:
        assert len(session.scalars(select(ReportAttachment)).all()) == 1


def test_the_file_count_limit(world: World) -> None:
    world.files = FileStore(world.files.root, max_files=2)
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    head.say("85")
    head.say("1.000")
    head.say(NARRATIVE)
    files = [Attachment("photo", f"anh-{i}.jpg", data=f"anh {i}".encode()) for i in range(3)]
    head.attach(*files)  # one message, three photos
    assert [r.text for r in head.last[:3]] == [
        "Đã nhận tệp «anh-0.jpg» (5 byte).",
        "Đã nhận tệp «anh-1.jpg» (5 byte).",
        vi.REPORT_FILES_TOO_MANY.format(limit=2, name="anh-2.jpg"),
    ]
    assert len(stored_files(world)) == 2


def test_officer_drafts_and_the_head_confirms(world: World) -> None:
    register(world)
    officer = world.chat("officer")
    officer.say("/baocao")
    fill_report(officer)
    officer.press("Gửi thủ trưởng")
    assert "để thủ trưởng đơn vị xác nhận" in officer.text
    [report] = reports(world)
    assert (report.status, report.submitted_at) == ("pending_head", None)

    head = world.chat("head")
    head.say("đơn vị tôi đã nộp báo cáo quý 1 chưa")
    assert "Trần Thị Mai đã soạn báo cáo Quý 1" in head.last[0].text
    assert "Quý 1: bản nháp đang chờ thủ trưởng xác nhận" in head.last[-1].text
    head.press("Xem và xác nhận báo cáo")
    assert "Trần Thị Mai đã soạn báo cáo dưới đây" in head.text
    head.press("Xác nhận và nộp")
    [report] = reports(world)
    assert (report.status, report.version, report.submitted_by) == (
        "submitted",
        2,
        world.people["head"],
    )


def test_two_people_saving_at_once(world: World) -> None:
    register(world)
    head, officer = world.chat("head"), world.chat("officer")
    head.say("/baocao")
    fill_report(head)
    officer.say("/baocao")
    fill_report(officer, "90", "1.100")
    officer.press("Gửi thủ trưởng")  # the first save: version 1
    head.press("Xác nhận và nộp")
    assert "vừa được Trần Thị Mai lưu lúc" in head.text and "CHƯA được lưu" in head.text
    head.press("Nộp bản của tôi")
    [report] = reports(world)
    assert (report.version, report.status) == (2, "submitted")
    assert sorted(v.actual_value for v in report.values) == [Decimal(85), Decimal("1234.5")]


def test_who_may_report(world: World) -> None:
    for user in ("cadre", "office", "lead3"):
        chat = world.chat(user)
        chat.say("/baocao")
        assert chat.text == vi.REPORT_NOT_FOR_YOU, user
    head = world.chat("head")
    head.say("/baocao")
    assert head.text == vi.REPORT_NO_REGISTRATION
    stranger = world.chat("stranger")
    stranger.say("báo cáo tiến độ")
    assert vi.LINK_HOW in stranger.text

    register(world)
    head.say("/baocao")
    fill_report(head)
    with world.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.chat_id == "head"))
        assert row is not None
        forged = dict(row.draft)
    other = world.chat("head3")  # head of Sở Y tế, with Sở Nội vụ's report in a forged state
    with world.sessions.begin() as session:
        session.add(
            Conversation(
                channel="console",
                chat_id="head3",
                user_id="head3",
                flow="report",
                step="summary",
                draft=forged,
                version=1,
                updated_at=world.clock(),
            )
        )
    other.send_payload("ok", "Xác nhận và nộp")
    assert other.text == vi.NOT_ALLOWED
    assert reports(world) == []
