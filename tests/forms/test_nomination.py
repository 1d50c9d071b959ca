"""/denghi as transcripts: officer, head and office each in their own chat, hand-offs pushed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Attachment
from bot.store import nominations
from bot.store.nominations import Nomination
from bot.store.reply_json import reply_from_json
from tests.chat import Chat
from tests.forms.conftest import World
from tests.forms.test_handoffs import chats, labels, pushed, receive

PROPOSAL = Attachment("document", "to-trinh.pdf", "application/pdf", data=b"%PDF to trinh")
MINUTES = Attachment("document", "bien-ban.pdf", "application/pdf", data=b"%PDF bien ban")
ACHIEVEMENTS = "Hoàn thành xuất sắc nhiệm vụ; sáng kiến số hoá hồ sơ thi đua của Sở."


def stored(world: World) -> list[Nomination]:
    with world.sessions() as session:
        return list(session.scalars(select(Nomination).order_by(Nomination.id)))


def to_summary_for_a_person(officer: Chat) -> None:
    officer.say("/denghi")
    assert "ĐỀ NGHỊ KHEN THƯỞNG năm 2026" in officer.text
    officer.press("Cá nhân trong đơn vị")
    assert {"Hoàng Văn Bình", "Nguyễn Văn Hùng", "Trần Thị Mai"} <= {
        b.label for b in officer.buttons()
    }
    officer.say("Bình")  # one match: that person
    assert "Hoàng Văn Bình" in officer.text
    officer.press("Chiến sĩ thi đua cơ sở")
    officer.say(ACHIEVEMENTS)
    officer.press("Tờ trình")
    officer.attach(PROPOSAL)
    assert "Đã nhận tệp «to-trinh.pdf»" in officer.text
    officer.press("Xong")
    assert "1. Tờ trình: to-trinh.pdf" in officer.text
    officer.press("Xong")


def test_officer_to_head_to_office_approved_for_the_council(world: World) -> None:
    officer, head, office = chats(world, "officer", "head", "office")
    to_summary_for_a_person(officer)
    summary = officer.text
    assert "ĐỀ NGHỊ KHEN THƯỞNG — Sở Nội vụ" in summary
    assert "Người/tập thể được đề nghị: Hoàng Văn Bình" in summary
    assert "Danh hiệu/hình thức: Chiến sĩ thi đua cơ sở" in summary
    assert "(Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022)" in summary  # no LĐTT this year
    assert "Hồ sơ còn thiếu báo cáo thành tích, biên bản bình xét" in summary
    assert "Điều 84 khoản 1 điểm b, c, d" in summary
    assert "Đơn vị chưa có bản đăng ký thi đua" in summary
    officer.press("Gửi thủ trưởng")  # the warnings never block
    assert "Đã gửi đề nghị số" in officer.text
    [nom] = stored(world)
    assert (nom.status, nom.version, nom.nominee_kind) == (nominations.PENDING_HEAD, 1, "person")
    assert not pushed(world, "office")

    notice = receive(world, head)  # the head wrote nothing
    assert "Trần Thị Mai đã gửi đề nghị khen thưởng" in notice.text
    assert "(Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022)" in notice.text  # the head sees it
    assert labels(notice) == [vi.BTN_SUBMIT, vi.BTN_VIEW, vi.BTN_HEAD_RETURN]
    head.press("Xác nhận và nộp")
    assert f"Đã nộp đề nghị số {nom.id}" in head.text
    assert stored(world)[0].status == nominations.SUBMITTED

    notice = receive(world, office)
    assert notice.text.startswith(f"📌 Sở Nội vụ đã nộp đề nghị khen thưởng số {nom.id}")
    assert "Hoàng Văn Bình — «Chiến sĩ thi đua cơ sở» (3 lưu ý)" in notice.text
    office.press("Xem và xét")
    assert "Điều 23 khoản 1" in office.text  # the office reviews with the checks
    office.press("Đồng ý trình")
    assert stored(world)[0].status == nominations.APPROVED
    for user in ("officer", "head"):
        text = reply_from_json(pushed(world, user)[-1].payload).text
        assert text.startswith("✅ Ban Thi đua - Khen thưởng đồng ý trình Hội đồng"), user


def test_returned_with_reason_edited_resubmitted_then_refused(world: World) -> None:
    officer, head, office = chats(world, "officer", "head", "office")
    head.say("đề nghị khen thưởng")
    head.press("Chính đơn vị")
    head.press("Tập thể lao động xuất sắc")
    head.say(ACHIEVEMENTS)
    head.press("Xong")  # no files yet
    assert "Hồ sơ kèm theo (0 tệp)" in head.text
    assert "Điều 27 khoản 1 điểm d" in head.text  # nobody nominated for CSTĐCS yet
    head.press("Xác nhận và nộp")  # a head submits at once
    [nom] = stored(world)
    assert nom.status == nominations.SUBMITTED

    receive(world, office)
    office.press("Xem và xét")
    office.press("Trả lại")
    office.say("Thiếu biên bản bình xét của Hội đồng")
    assert stored(world)[0].status == nominations.RETURNED
    notice = receive(world, officer)
    assert "Lý do: Thiếu biên bản bình xét của Hội đồng" in notice.text

    officer.press("Mở đề nghị để sửa")
    assert f"Đang sửa đề nghị số {nom.id}" in officer.text
    assert "Lý do trả lại/không đồng ý: Thiếu biên bản" in officer.text
    officer.press("Sửa hồ sơ")
    officer.press("Biên bản bình xét")
    officer.attach(MINUTES)
    officer.press("Xong")
    officer.press("Xong")
    assert "1. Biên bản bình xét: bien-ban.pdf" in officer.text
    officer.press("Gửi thủ trưởng")
    assert stored(world)[0].status == nominations.PENDING_HEAD
    receive(world, head)
    head.press("Xác nhận và nộp")
    receive(world, office)
    office.press("Xem và xét")
    office.press("Không đồng ý")
    office.say("Đơn vị không dẫn đầu khối")
    nom = stored(world)[0]
    assert (nom.status, nom.reason, nom.version) == ("refused", "Đơn vị không dẫn đầu khối", 5)
    text = reply_from_json(pushed(world, "officer")[-1].payload).text
    assert "không đồng ý" in text and "Lý do: Đơn vị không dẫn đầu khối" in text
    officer.say(f"/denghi {nom.id}")
    assert "«Không đồng ý», không sửa được nữa" in officer.text
    with world.sessions() as session:
        assert [v.version for v in nominations.versions(session, nom.id)] == [1, 2, 3, 4, 5]


def test_head_returns_to_the_officer(world: World) -> None:
    officer, head = chats(world, "officer", "head")
    to_summary_for_a_person(officer)
    officer.press("Gửi thủ trưởng")
    receive(world, head)
    head.press("Trả lại cán bộ")
    head.say("Bổ sung báo cáo thành tích")
    assert stored(world)[0].status == nominations.RETURNED
    notice = receive(world, officer)
    assert "Lý do: Bổ sung báo cáo thành tích" in notice.text


def test_named_person_search_back_save_resume_cancel_duplicate(world: World) -> None:
    (officer,) = chats(world, "officer")
    officer.say("/denghi")
    officer.press("Cá nhân trong đơn vị")
    officer.say("Văn")  # several: the list narrows, nothing chosen
    assert "Có 3 người khớp «Văn»" in officer.text
    assert [b.label for b in officer.buttons()][:3] == [
        "Hoàng Văn Bình",
        "Nguyễn Văn Hùng",
        "Đặng Văn Tài",
    ]
    officer.say("Xuân")
    assert "Không có ai trong đơn vị khớp «Xuân»" in officer.text
    officer.press("Người chưa có trong danh sách")
    officer.say("Lê Thị Hồng")
    officer.press("Lao động tiên tiến")
    officer.say("quay lại")
    assert "Danh hiệu hoặc hình thức khen thưởng đề nghị cho Lê Thị Hồng" in officer.text
    officer.say("lưu nháp")
    assert officer.text == vi.FORM_SAVED
    officer.say("tiếp tục")
    officer.press("Giấy khen")
    officer.say(ACHIEVEMENTS)
    officer.press("Xong")
    assert "Danh hiệu/hình thức: Giấy khen" in officer.text
    assert "Điều 84 khoản 2 điểm a, b, c" in officer.text  # a form's file
    officer.press("Gửi thủ trưởng")
    [nom] = stored(world)
    assert (nom.nominee_kind, nom.nominee_name, nom.award_code) == ("named", "Lê Thị Hồng", "GK")

    officer.say("/denghi")
    officer.press("Người chưa có trong danh sách")
    officer.say("lê thị hồng")
    officer.press("Giấy khen")
    officer.say(ACHIEVEMENTS)
    officer.press("Xong")
    officer.press("Gửi thủ trưởng")
    assert f"đề nghị số {nom.id}" in officer.text and "/denghi" in officer.text
    assert len(stored(world)) == 1
    officer.say("/huy")
    assert officer.text == vi.FORM_CANCELLED
    assert len(stored(world)) == 1


def test_deadline_is_movement_data(world: World) -> None:
    (officer,) = chats(world, "officer")
    with world.sessions.begin() as session:
        nominations.save_settings(session, world.movement_id, deadline=date(2026, 3, 1), quotas={})
    officer.say("/denghi")
    assert officer.text == nv.NOM_PAST_DEADLINE.format(deadline="01/03/2026")
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Nomination)) == 0


def test_who_may_do_what(world: World) -> None:
    officer, cadre, head3, head2 = chats(world, "officer", "cadre", "head3", "head2")
    to_summary_for_a_person(officer)
    officer.press("Gửi thủ trưởng")
    [nom] = stored(world)
    cadre.say("/denghi")
    assert cadre.text == nv.NOM_NOT_FOR_YOU
    head3.say(f"/denghi {nom.id}")  # another unit's head
    assert head3.text == nv.NOM_NOT_FOUND.format(id=nom.id)
    head3.say(f"/xacnhandn {nom.id} ok")
    assert head3.text == vi.HANDOFF_GONE
    officer.say(f"/xacnhandn {nom.id} ok")  # an officer does not confirm
    assert officer.text == nv.NOM_CONFIRM_NOT_FOR_YOU
    for chat in (officer, head2):  # a cluster lead is not the office
        chat.say("/duyetdn")
        assert chat.text == nv.NOM_REVIEW_NOT_FOR_YOU
    assert stored(world)[0].status == nominations.PENDING_HEAD


def test_without_a_push_what_waits_shows_on_the_next_message_once(world: World) -> None:
    officer, head, office = (world.chat(user) for user in ("officer", "head", "office"))
    to_summary_for_a_person(officer)
    officer.press("Gửi thủ trưởng")
    [nom] = stored(world)
    head.say("chào trợ lý")
    assert head.last[0].text.startswith("📌 Trần Thị Mai đã gửi đề nghị khen thưởng Hoàng Văn Bình")
    head.press("Xem và xác nhận")
    assert "Trần Thị Mai đã lập đề nghị này" in head.text
    head.press("Xác nhận và nộp")
    head.say("chào trợ lý")
    assert "đề nghị khen thưởng" not in head.text  # shown once
    office.say("chào trợ lý")
    assert office.last[0].text == nv.NOTICE_REVIEW.format(count=1)
    office.press("Xét đề nghị")
    office.press("Hoàng Văn Bình")
    office.press("Trả lại")
    office.say("Bổ sung biên bản")
    officer.say("chào trợ lý")
    assert "Lý do: Bổ sung biên bản" in officer.last[0].text
    assert stored(world)[0].id == nom.id


def test_a_pushed_notice_is_not_shown_again(world: World) -> None:
    officer, head = chats(world, "officer", "head")
    to_summary_for_a_person(officer)
    officer.press("Gửi thủ trưởng")
    receive(world, head)
    head.say("chào trợ lý")
    assert "đề nghị khen thưởng" not in head.text
