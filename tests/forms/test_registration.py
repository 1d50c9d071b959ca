"""Đăng ký thi đua, as transcripts: say, press, then look at the replies and the rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.i18n import vi
from bot.messages import Incoming
from bot.store import org, registrations
from bot.store.models import AuditLog, Conversation, Registration, RegistrationVersion
from tests.chat import Chat
from tests.forms.conftest import World


def registration(world: World) -> Registration | None:
    with world.sessions() as session:
        return session.scalar(
            select(Registration).where(Registration.unit_id == world.units["SNV"])
        )


def versions(world: World) -> list[RegistrationVersion]:
    with world.sessions() as session:
        return list(
            session.scalars(select(RegistrationVersion).order_by(RegistrationVersion.version))
        )


def fill_to_summary(chat: Chat, *, collective: str = "xuất sắc", value: str = "95,5") -> None:
    """The quickest complete registration: a collective title, no individuals, one target."""
    chat.say("đăng ký thi đua")
    chat.press(collective)
    chat.press("Xong")
    chat.press("Thêm chỉ tiêu")
    chat.say("Tỷ lệ hồ sơ giải quyết đúng hạn")
    chat.press("%")
    chat.say(value)
    chat.press("Hết phong trào")
    chat.press("Xong")
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in chat.text


def test_head_registers_typing_and_pressing(world: World) -> None:
    chat = world.chat("head")
    chat.say("Đăng ký thi đua")
    assert "Thi đua thực hiện thắng lợi nhiệm vụ năm 2026" in chat.text  # the one open movement
    assert vi.REG_ASK_COLLECTIVE in chat.text
    chat.say("tap the lao dong xuat sac")  # a label typed without diacritics
    assert "Đã có:\n(chưa có)" in chat.text
    chat.say("1")  # numbered choice: Lao động tiên tiến
    chat.say("12")
    chat.press("Chiến sĩ thi đua cơ sở")
    chat.say("Nguyễn Văn An,\nTrần Thị Bình")
    assert "Chiến sĩ thi đua cơ sở: 2 người (Nguyễn Văn An, Trần Thị Bình)" in chat.text
    chat.say("xong")
    chat.say("thêm chỉ tiêu")
    chat.say("Thu ngân sách trên địa bàn")
    chat.say("triệu đồng")
    chat.say("1.234,5")
    chat.say("30/11")
    assert "1. Thu ngân sách trên địa bàn: 1.234,5 triệu đồng, hạn 30/11/2026" in chat.text
    chat.press("Thêm chỉ tiêu")
    chat.say("Tỷ lệ hồ sơ đúng hạn")
    chat.press("Không có đơn vị")
    chat.say("85%")  # the % fills the empty unit
    chat.say("2026-12-15")
    chat.press("Xong")
    assert "Danh hiệu tập thể: Tập thể lao động xuất sắc" in chat.text
    assert "Lao động tiên tiến: 12 người" in chat.text
    chat.press("Xác nhận và nộp")
    assert "phiên bản 1" in chat.text

    reg = registration(world)
    assert reg is not None
    assert (reg.status, reg.version, reg.collective_title) == (registrations.SUBMITTED, 1, "TTLDXS")
    assert reg.submitted_by == world.people["head"]
    assert [(line.title_code, line.count) for line in reg.lines] == [("LDTT", 12), ("CSTDCS", 2)]
    assert reg.lines[1].names == "Nguyễn Văn An\nTrần Thị Bình"
    assert [(t.target_value, t.unit_of_measure, t.due_date) for t in reg.targets] == [
        (Decimal("1234.5"), "triệu đồng", date(2026, 11, 30)),
        (Decimal(85), "%", date(2026, 12, 15)),
    ]
    assert [v.version for v in versions(world)] == [1]
    with world.sessions() as session:
        actions = session.scalars(select(AuditLog.action)).all()
    assert "registration.submitted" in actions


def test_validation_says_what_is_expected(world: World) -> None:
    chat = world.chat("head")
    chat.say("/dangky")
    chat.press("Tập thể lao động tiên tiến")
    chat.press("Xong")
    chat.press("Thêm")
    chat.say("ab")
    assert vi.REG_BAD_T_DESC in chat.text
    chat.say("Số sáng kiến được công nhận")
    chat.say("sáng kiến")
    chat.say("nhiều lắm")
    assert "Chưa đọc được số" in chat.text and "1.234" in chat.text
    chat.say("3")
    chat.say("31/2")
    assert "Chưa đọc được ngày" in chat.text and "01/01/2026" in chat.text
    chat.say("31/12/2025")  # before the movement starts
    assert "Chưa đọc được ngày" in chat.text
    chat.say("ngày 15 tháng 6")
    assert "hạn 15/06/2026" in chat.text
    chat.press("Xong")
    chat.press("Sửa danh hiệu cá nhân")
    chat.press("Chiến sĩ thi đua cơ sở")
    chat.say(",,,")
    assert vi.REG_BAD_WHO in chat.text


def test_back_goes_to_the_previous_question_and_cancel_keeps_nothing(world: World) -> None:
    chat = world.chat("head")
    chat.say("/dangky")
    assert "Quay lại" not in " ".join(b.label for b in chat.buttons())  # first question
    chat.press("Tập thể lao động tiên tiến")
    chat.press("Lao động tiên tiến")
    chat.say("quay lại")
    assert "Danh hiệu thi đua cá nhân" in chat.text
    chat.press("Quay lại")
    assert vi.REG_ASK_COLLECTIVE in chat.text
    chat.say("Quay lại")
    assert vi.NOTHING_TO_GO_BACK in chat.text
    chat.say("huỷ")
    assert chat.text == vi.FORM_CANCELLED
    assert registration(world) is None
    chat.say("tiêu chuẩn chiến sĩ thi đua cơ sở")  # no form any more: plain Q&A
    assert chat.text.startswith("[Hỏi đáp]")


def test_save_draft_and_resume_after_a_restart(world: World) -> None:
    chat = world.chat("head")
    chat.say("/dangky")
    chat.press("xuất sắc")
    chat.press("Lao động tiên tiến")
    chat.say("7")
    chat.say("lưu nháp")
    assert chat.text == vi.FORM_SAVED
    chat.say("ai ký quyết định khen thưởng")  # paused: a message is a question again
    assert chat.text.startswith("[Hỏi đáp]")

    world.clock.advance(days=2)
    later = world.chat("head", turns=world.turns())  # a new process over the same file
    later.say("tiếp tục")
    assert vi.FORM_RESUMED in later.text
    assert "Lao động tiên tiến: 7 người" in later.text
    later.press("Xong")
    later.press("Thêm chỉ tiêu")
    later.say("Tỷ lệ hồ sơ đúng hạn")

    restarted = world.chat("head", turns=world.turns())  # no save: the form just goes on
    restarted.say("%")
    assert vi.REG_ASK_T_VALUE in restarted.text
    restarted.say("90")
    restarted.press("Hết phong trào")
    restarted.press("Xong")
    restarted.press("Xác nhận")
    reg = registration(world)
    assert reg is not None and reg.status == registrations.SUBMITTED
    assert [(line.title_code, line.count) for line in reg.lines] == [("LDTT", 7)]


def test_a_question_mid_form_is_answered_and_the_draft_kept(world: World) -> None:
    chat = world.chat("head")
    chat.say("/dangky")
    chat.press("xuất sắc")
    chat.press("Xong")
    chat.press("Thêm chỉ tiêu")
    chat.say("Giải quyết hồ sơ đúng hạn")  # prose, not a question
    chat.press("%")
    chat.say("Tiêu chuẩn Tập thể lao động xuất sắc là gì?")
    assert chat.last[0].text == "[Hỏi đáp] Tiêu chuẩn Tập thể lao động xuất sắc là gì?"
    assert vi.REG_ASK_T_VALUE in chat.last[-1].text  # the prompt, repeated
    assert world.qa.asked == ["Tiêu chuẩn Tập thể lao động xuất sắc là gì?"]
    chat.say("98")
    chat.press("Hết phong trào")
    assert "1. Giải quyết hồ sơ đúng hạn: 98 %, hạn 31/12/2026" in chat.text


def test_officer_drafts_and_the_head_confirms(world: World) -> None:
    officer = world.chat("officer")
    fill_to_summary(officer)
    assert vi.BTN_SEND_TO_HEAD in [b.label for b in officer.buttons()]
    officer.press("Gửi thủ trưởng")
    assert "để thủ trưởng đơn vị xác nhận" in officer.text
    reg = registration(world)
    assert reg is not None and reg.status == registrations.PENDING_HEAD
    assert reg.drafted_by == world.people["officer"] and reg.submitted_by is None

    head = world.chat("head")
    head.say("chào trợ lý")
    assert "Trần Thị Mai đã soạn bản đăng ký thi đua" in head.last[0].text
    assert head.last[-1].text.startswith("[Hỏi đáp]")
    head.say("chào lần nữa")  # shown once per version, not on every message
    assert "đã soạn" not in head.text
    head.say("/xacnhan")
    assert "Trần Thị Mai đã soạn bản đăng ký thi đua dưới đây" in head.text
    head.press("Xác nhận và nộp")
    reg = registration(world)
    assert reg is not None
    assert (reg.status, reg.version) == (registrations.SUBMITTED, 2)
    assert reg.submitted_by == world.people["head"]
    assert reg.drafted_by == world.people["officer"]
    head.say("/xacnhan")
    assert head.text == vi.CONFIRM_NOTHING


def test_notice_button_opens_the_confirmation(world: World) -> None:
    fill_to_summary(officer := world.chat("officer"))
    officer.press("Gửi thủ trưởng")
    head = world.chat("head")
    head.say("/help")
    head.press("Xem và xác nhận")
    assert "dưới đây và đề nghị anh/chị xác nhận" in head.text


def test_returned_registration_is_edited_and_resubmitted(world: World) -> None:
    head = world.chat("head")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")

    office = world.chat("office")
    office.say("xin chào")
    assert "1 bản đăng ký thi đua đang chờ duyệt" in office.text
    office.say("/duyet")
    office.press("Sở Nội vụ")
    assert "Tỷ lệ hồ sơ giải quyết đúng hạn" in office.text
    office.press("Trả lại")
    office.say("Chỉ tiêu tỷ lệ hồ sơ cần đạt tối thiểu 98% theo chỉ đạo của tỉnh")
    assert "Đã trả lại bản đăng ký của Sở Nội vụ" in office.text
    reg = registration(world)
    assert reg is not None and reg.status == registrations.RETURNED and reg.version == 2

    world.clock.advance(days=30)  # after the deadline: a returned one may still be resubmitted
    head.say("chào")
    assert "bị trả lại. Lý do: Chỉ tiêu tỷ lệ hồ sơ cần đạt tối thiểu 98%" in head.text
    head.press("Sửa đăng ký")
    assert "Lý do: Chỉ tiêu tỷ lệ hồ sơ" in head.text
    head.press("Sửa chỉ tiêu")
    head.press("Xoá chỉ tiêu 1")
    head.press("Thêm chỉ tiêu")
    head.say("Tỷ lệ hồ sơ giải quyết đúng hạn")
    head.press("%")
    head.say("98")
    head.press("Hết phong trào")
    head.press("Xong")
    head.press("Xác nhận và nộp")
    reg = registration(world)
    assert reg is not None
    assert (reg.status, reg.version, reg.return_reason) == (registrations.SUBMITTED, 3, "")
    assert reg.targets[0].target_value == Decimal(98)
    history = versions(world)
    assert [(v.version, v.snapshot["status"]) for v in history] == [
        (1, "submitted"),
        (2, "returned"),
        (3, "submitted"),
    ]
    assert history[0].snapshot["targets"][0]["value"] == "95.5000"

    office.say("/duyet")
    office.press("Sở Nội vụ")
    office.press("Duyệt")
    reg = registration(world)
    assert reg is not None and reg.status == registrations.APPROVED


def test_two_people_editing_at_once_nothing_is_lost(world: World) -> None:
    head, officer = world.chat("head"), world.chat("officer")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")  # version 1

    head.say("/dangky")
    officer.say("/dangky")  # both start from version 1
    officer.press("Sửa danh hiệu tập thể")
    officer.press("Tập thể lao động tiên tiến")
    officer.press("Xong")
    officer.press("Xong")
    officer.press("Gửi thủ trưởng")  # version 2, the officer's
    head.press("Sửa danh hiệu tập thể")
    head.press("Cờ thi đua của Bộ")
    head.press("Xong")
    head.press("Xong")
    head.press("Xác nhận và nộp")
    assert "vừa được Trần Thị Mai lưu lúc" in head.text
    assert "CHƯA được lưu và vẫn được giữ nguyên" in head.text
    reg = registration(world)
    assert reg is not None and (reg.version, reg.collective_title) == (2, "TTLDTT")

    head.press("Xem bản vừa được lưu")
    assert "Danh hiệu tập thể: Tập thể lao động tiên tiến" in head.text
    head.press("Nộp bản của tôi")
    reg = registration(world)
    assert reg is not None
    assert (reg.version, reg.status, reg.collective_title) == (
        3,
        registrations.SUBMITTED,
        "CO_TINH",
    )
    assert [v.snapshot["collective"] for v in versions(world)] == ["TTLDXS", "TTLDTT", "CO_TINH"]


def test_two_first_registrations_at_once(world: World) -> None:
    head, officer = world.chat("head"), world.chat("officer")
    fill_to_summary(head, value="90")
    fill_to_summary(officer, value="80")
    officer.press("Gửi thủ trưởng")
    head.press("Xác nhận và nộp")
    assert "CHƯA được lưu" in head.text
    head.press("Nộp bản của tôi")
    assert [v.snapshot["targets"][0]["value"] for v in versions(world)] == ["80.0000", "90.0000"]


def test_a_stale_button_is_refused(world: World) -> None:
    head = world.chat("head")
    head.say("/dangky")
    old = head.button("Tập thể lao động tiên tiến")
    head.press("Tập thể lao động tiên tiến")
    head.send_payload(old.payload, old.label)
    assert vi.STALE_BUTTON in head.text
    assert "Danh hiệu thi đua cá nhân" in head.text


def test_after_the_deadline_a_submission_cannot_be_edited(world: World) -> None:
    head = world.chat("head")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")
    world.clock.advance(days=30)
    head.say("/dangky")
    assert "Đã hết hạn đăng ký (31/03/2026)" in head.text


def test_a_failed_write_leaves_no_half_registration(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = world.chat("head")
    fill_to_summary(head)

    def boom(*_args: object) -> None:
        raise RuntimeError("disk full")

    # fails after the lines were written
    monkeypatch.setattr(registrations, "_replace_targets", boom)
    button = head.button("Xác nhận và nộp")
    replies = head.turns.run(Incoming("console", "head", "head", payload=button.payload))
    assert replies[0].text == vi.INTERNAL_ERROR
    assert registration(world) is None  # nothing of the failed turn was written
    monkeypatch.undo()
    head.press("Xác nhận và nộp")  # the draft survived the failed turn
    reg = registration(world)
    assert reg is not None and len(reg.targets) == 1 and reg.version == 1


def test_who_may_register(world: World) -> None:
    for user in ("cadre", "office"):
        chat = world.chat(user)
        chat.say("/dangky")
        assert chat.text == vi.REG_NOT_FOR_YOU
    officer = world.chat("officer")
    officer.say("/xacnhan")
    assert officer.text == vi.CONFIRM_NOT_FOR_YOU
    head = world.chat("head")
    head.say("/duyet")
    assert head.text == vi.REVIEW_NOT_FOR_YOU


def test_unlinked_people_are_told_how_to_link_and_can_link(world: World) -> None:
    stranger = world.chat("stranger")
    stranger.say("/dangky")
    assert vi.LINK_HOW in stranger.text
    stranger.say("ABCD2345")
    assert stranger.text == vi.INVITE_ERRORS["not_found"]
    with world.sessions.begin() as session:
        code = org.create_invite(session, world.people["cadre"], world.clock()).code
    stranger.say(f"/start {code}")
    assert "Đã liên kết: Hoàng Văn Bình — Cán bộ, Sở Nội vụ" in stranger.text
    stranger.say("/dangky")
    assert stranger.text == vi.REG_NOT_FOR_YOU
    other = world.chat("someone-else")
    other.say(code)
    assert other.text == vi.INVITE_ERRORS["used"]


def test_conversation_state_is_a_row(world: World) -> None:
    head = world.chat("head")
    head.say("/dangky")
    head.press("xuất sắc")
    with world.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.chat_id == "head"))
    assert row is not None
    assert (row.flow, row.step, row.draft["collective"]) == ("registration", "individual", "TTLDXS")
    assert row.version == 2


def test_a_row_from_an_older_version_does_not_trap_the_chat(world: World) -> None:
    head = world.chat("head")
    head.say("/dangky")
    with world.sessions.begin() as session:
        row = session.scalar(select(Conversation).where(Conversation.chat_id == "head"))
        assert row is not None
        row.step = "a_step_that_was_renamed"
    head.say("tiêu chuẩn lao động tiên tiến")
    assert head.text.startswith("[Hỏi đáp]")
    head.say("/dangky")
    assert vi.REG_ASK_COLLECTIVE in head.text
