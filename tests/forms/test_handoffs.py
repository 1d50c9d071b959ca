"""Hand-offs pushed to the next person at once, as transcripts across several people's chats.

Each person writes in their own chat; what the assistant pushes to someone who did not write
is read from the outbox of their chat (the sender's side is the channels' business), and a
button pressed on it goes through the router like any press.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from bot.core.router import Router
from bot.delivery.turns import Turns
from bot.i18n import vi
from bot.messages import Reply
from bot.reminders import buttons
from bot.reminders.calendar import WorkCalendar
from bot.reminders.handoffs import HandoffPusher
from bot.reminders.reach import RoutingPolicy, route_by
from bot.store import registrations
from bot.store.models import ChannelIdentity, Pledge, ProgressReport, Registration
from bot.store.outbox import OutboxMessage
from bot.store.recipients import unreached_people
from bot.store.reply_json import reply_from_json
from tests.chat import HCM, Chat
from tests.forms.conftest import World
from tests.forms.test_pledge import CONTENT
from tests.forms.test_registration import fill_to_summary
from tests.forms.test_report import fill_report, register

# The console stands in for Telegram: a chat that reaches its person at any time.
POLICY = RoutingPolicy(direct_channels=frozenset({"console"}))


def pushing(world: World) -> Turns:
    """The assistant as served: the router pushes hand-offs through the outbox."""
    calendar = WorkCalendar()
    router = Router(
        world.qa,
        files=world.files,
        buttons=buttons.handlers(calendar),
        push=HandoffPusher(calendar, route_by(POLICY)),
    )
    return Turns(world.sessions, router, world.clock)


def chats(world: World, *users: str) -> list[Chat]:
    turns = pushing(world)
    return [Chat(turns, user) for user in users]


def pushed(world: World, user: str) -> list[OutboxMessage]:
    """What was queued for `user`'s own chat though they wrote nothing."""
    with world.sessions() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.channel == "console",
            OutboxMessage.chat_id == user,
            OutboxMessage.idempotency_key.startswith("handoff:"),
        )
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def receive(world: World, chat: Chat) -> Reply:
    """The latest notice pushed to `chat`, shown as its screen (so its buttons can be pressed)."""
    rows = pushed(world, chat.user)
    assert rows, f"nothing pushed to {chat.user}"
    notice = reply_from_json(rows[-1].payload)
    chat.last = [notice]
    return notice


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


def registration(world: World) -> Registration:
    with world.sessions() as session:
        reg = session.scalar(select(Registration).where(Registration.unit_id == world.units["SNV"]))
        assert reg is not None
        return reg


def test_officer_to_head_to_office_to_unit(world: World) -> None:
    officer, head, office = chats(world, "officer", "head", "office")
    fill_to_summary(officer)
    officer.press("Gửi thủ trưởng")
    assert "Thủ trưởng nhận được yêu cầu ngay" in officer.text
    assert not pushed(world, "office")

    notice = receive(world, head)  # the head wrote nothing
    assert "Trần Thị Mai đã gửi bản đăng ký thi đua" in notice.text
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in notice.text
    assert labels(notice) == [vi.BTN_SUBMIT, vi.BTN_VIEW, vi.BTN_HEAD_RETURN]
    head.press("Xác nhận và nộp")
    assert "Đã nộp bản đăng ký thi đua" in head.text
    assert registration(world).status == registrations.SUBMITTED

    notice = receive(world, office)
    assert notice.text.startswith("📌 Sở Nội vụ đã nộp bản đăng ký thi đua")
    assert labels(notice) == [vi.BTN_VIEW_REVIEW]
    office.press("Xem và duyệt")  # straight to the decision on that registration
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in office.text
    office.press("Duyệt")
    assert registration(world).status == registrations.APPROVED

    for user in ("officer", "head"):
        text = reply_from_json(pushed(world, user)[-1].payload).text
        assert text.startswith("✅ Ban Thi đua - Khen thưởng đã duyệt"), user
    assert len(pushed(world, "head")) == 2  # the request, then the decision; nothing twice


def test_office_returns_with_its_reason_and_the_officer_lands_in_the_form(world: World) -> None:
    officer, head, office = chats(world, "officer", "head", "office")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")
    receive(world, office)
    office.press("Xem và duyệt")
    office.press("Trả lại")
    office.say("Chỉ tiêu thu ngân sách chưa có số liệu năm trước")
    assert "đơn vị được báo kèm lý do" in office.text

    for user in ("officer", "head"):
        text = reply_from_json(pushed(world, user)[-1].payload).text
        assert "Lý do: Chỉ tiêu thu ngân sách chưa có số liệu năm trước" in text, user
    notice = receive(world, officer)
    assert labels(notice) == [vi.BTN_OPEN_EDIT]
    officer.press("Sửa đăng ký")
    assert "Chỉ tiêu thu ngân sách chưa có số liệu năm trước" in officer.text
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in officer.text  # at the summary, ready to edit
    officer.say("chào trợ lý")  # a notice already pushed is not shown again on a message
    assert "bị trả lại" not in officer.text


def test_head_returns_to_the_officer_with_a_reason(world: World) -> None:
    officer, head = chats(world, "officer", "head")
    fill_to_summary(officer)
    officer.press("Gửi thủ trưởng")
    receive(world, head)
    head.press("Trả lại cán bộ")
    assert vi.HEAD_ASK_RETURN_REASON in head.text
    head.say("Bổ sung chỉ tiêu cải cách hành chính")
    assert vi.HEAD_RETURNED in head.text
    assert registration(world).status == registrations.RETURNED
    notice = receive(world, officer)
    assert "Thủ trưởng Nguyễn Văn Hùng trả lại" in notice.text
    assert "Bổ sung chỉ tiêu cải cách hành chính" in notice.text
    head.say("/xacnhan")  # nothing waits for the head any more
    assert head.text == vi.CONFIRM_NOTHING


def test_a_head_without_a_linked_chat_the_sender_is_told_and_the_office_sees_it(
    world: World,
) -> None:
    with world.sessions.begin() as session:
        session.execute(delete(ChannelIdentity).where(ChannelIdentity.external_id == "head"))
    (officer,) = chats(world, "officer")
    fill_to_summary(officer)
    officer.press("Gửi thủ trưởng")
    assert "Thủ trưởng chưa liên kết tài khoản với trợ lý; anh/chị hãy báo trực tiếp" in (
        officer.text
    )
    with world.sessions() as session:
        unreached = unreached_people(session, datetime(2026, 1, 1, tzinfo=UTC))
    assert [(u.name, u.unit) for u in unreached] == [("Nguyễn Văn Hùng", "Sở Nội vụ")]


def test_a_hand_off_at_night_waits_for_the_morning(world: World) -> None:
    world.clock.current = datetime(2026, 3, 10, 22, 30, tzinfo=HCM)
    (officer,) = chats(world, "officer")
    fill_to_summary(officer)
    officer.press("Gửi thủ trưởng")
    [row] = pushed(world, "head")
    assert row.status == "pending"  # deferred, not dropped
    assert row.not_before.astimezone(HCM) == datetime(2026, 3, 11, 7, 0, tzinfo=HCM)


def test_a_report_reaches_the_head_and_a_late_one_the_office(world: World) -> None:
    register(world)
    world.clock.current = datetime(2026, 4, 15, 8, 0, tzinfo=HCM)  # after Q1's deadline
    officer, head, office = chats(world, "officer", "head", "office")
    officer.say("/baocao")
    fill_report(officer)
    officer.press("Gửi thủ trưởng")
    notice = receive(world, head)
    assert "Trần Thị Mai đã gửi báo cáo Quý 1 của Sở Nội vụ" in notice.text
    assert labels(notice) == [vi.BTN_SUBMIT, vi.BTN_VIEW, vi.BTN_HEAD_RETURN]
    head.press("Xác nhận và nộp")
    assert "nộp muộn" in head.text
    with world.sessions() as session:
        report = session.scalar(select(ProgressReport))
        assert report is not None and (report.status, report.late) == ("submitted", True)
    notice = receive(world, office)
    assert notice.text == "📌 Sở Nội vụ đã nộp báo cáo Quý 1 muộn (hạn 10/04/2026)."


def test_pledge_reaches_each_member_head_and_the_lead_sees_who_is_left(world: World) -> None:
    lead, head, office = chats(world, "head2", "head", "office")
    lead.say("/giaouoc")
    lead.say(CONTENT)
    lead.press("Thêm cam kết")
    lead.say("Hoàn thành 100% chỉ tiêu được giao")
    lead.press("Xong")
    lead.press("Mở ký kết")
    assert not lead.text.count("chưa liên kết")

    notice = receive(world, head)
    assert "Khối Nội chính đã mở ký kết giao ước thi đua" in notice.text
    assert labels(notice) == [vi.BTN_PLEDGE_SIGN_NOW, vi.BTN_VIEW]
    head.press("Xem")
    assert "1. Hoàn thành 100% chỉ tiêu được giao" in head.text
    receive(world, head)
    head.press("Ký")
    assert "Đã ký giao ước thay mặt Sở Nội vụ" in head.text

    notice = receive(world, lead)
    assert notice.text == (
        "✍ Sở Nội vụ đã ký giao ước thi đua của Khối Nội chính. Còn 1 đơn vị chưa ký: Sở Tư pháp."
    )
    lead.say("/giaouoc")
    lead.press("Ký giao ước")
    with world.sessions() as session:
        pledge = session.scalar(select(Pledge))
        assert pledge is not None and pledge.status == "closed"
    notice = receive(world, office)
    assert notice.text == vi.NOTICE_PLEDGE_CLOSED.format(cluster="Khối Nội chính")


def test_the_head_returns_a_report_to_the_officer_who_fixes_it(world: World) -> None:
    register(world)
    officer, head = chats(world, "officer", "head")
    officer.say("/baocao")
    fill_report(officer)
    officer.press("Gửi thủ trưởng")
    notice = receive(world, head)
    assert labels(notice) == [vi.BTN_SUBMIT, vi.BTN_VIEW, vi.BTN_HEAD_RETURN]
    head.press("Trả lại cán bộ")
    head.say("Bổ sung ảnh hội nghị sơ kết")
    assert vi.HEAD_RETURNED_REPORT in head.text
    with world.sessions() as session:
        report = session.scalar(select(ProgressReport))
        assert report is not None and (report.status, report.version) == ("returned", 2)

    notice = receive(world, officer)
    assert notice.text == (
        "↩ Thủ trưởng Nguyễn Văn Hùng trả lại báo cáo Quý 1 để sửa. "
        "Lý do: Bổ sung ảnh hội nghị sơ kết"
    )
    officer.press("Sửa báo cáo")
    assert "BÁO CÁO TIẾN ĐỘ — Sở Nội vụ" in officer.text
    officer.press("Gửi thủ trưởng")
    notice = receive(world, head)  # back to the head, as a new version
    assert "Trần Thị Mai đã gửi báo cáo Quý 1" in notice.text
    head.press("Xác nhận và nộp")
    with world.sessions() as session:
        report = session.scalar(select(ProgressReport))
        assert report is not None and (report.status, report.version) == ("submitted", 4)
