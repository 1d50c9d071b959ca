"""One command per role, whatever waits: /xacnhan for everything a head confirms, the chat's
command menu set for the person linked there, and /start CODE in a linked chat asking before
it switches person. Transcripts over the real router and unit of work."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.i18n import vi
from bot.messages import menu_of
from bot.store import org, progress_reports, registrations
from bot.store.models import (
    AuditLog,
    ChannelIdentity,
    InviteCode,
    Movement,
    Pledge,
    ProgressReport,
    Registration,
)
from tests.chat import Chat
from tests.forms.conftest import World
from tests.forms.test_pledge import open_pledge
from tests.forms.test_report import fill_report, register

SECOND = "Thi đua chuyển đổi số năm 2026"


def menus(chat: Chat) -> list[list[str]]:
    """The command menus among the last replies, as command names."""
    found = [menu_of(reply) for reply in chat.last]
    return [[c.command for c in commands] for commands in found if commands is not None]


def invite(world: World, user: str) -> str:
    with world.sessions.begin() as session:
        return org.create_invite(session, world.people[user], world.clock()).code


def linked_to(world: World, user: str) -> int | None:
    with world.sessions() as session:
        return session.scalar(
            select(ChannelIdentity.person_id).where(
                ChannelIdentity.channel == "console", ChannelIdentity.external_id == user
            )
        )


def second_movement(world: World) -> None:
    with world.sessions.begin() as session:
        session.add(
            Movement(
                code="CDS2026",
                title=SECOND,
                year=2026,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                registration_deadline=date(2026, 4, 30),
                pledge_deadline=date(2026, 4, 30),
            )
        )


def officer_sends_registration(officer: Chat) -> None:
    """The officer's registration for the second movement, sent to the head."""
    officer.say("/dangky")
    officer.press("chuyển đổi số")
    officer.press("xuất sắc")
    officer.press("Xong")
    officer.press("Thêm chỉ tiêu")
    officer.say("Tỷ lệ hồ sơ xử lý trực tuyến")
    officer.press("%")
    officer.say("80")
    officer.press("Hết phong trào")
    officer.press("Xong")
    officer.press("Gửi thủ trưởng")
    assert "Thủ trưởng" in officer.text


def test_one_xacnhan_confirms_registrations_reports_and_pledges(world: World) -> None:
    register(world)  # the unit registered for the first movement: it can report on it
    officer, head, lead = world.chat("officer"), world.chat("head"), world.chat("head2")
    officer.say("/baocao")
    fill_report(officer)
    officer.press("Gửi thủ trưởng")
    open_pledge(lead)  # Sở Nội vụ is a member of the lead's khối: its head must sign
    second_movement(world)
    officer_sends_registration(officer)

    head.say("/xacnhan")
    assert vi.WAITING_LIST.format(count=3) in head.text
    listed = [b.label for row in head.last[-1].buttons[:-1] for b in row]
    assert listed[0].startswith(f"Đăng ký thi đua — {SECOND}")
    assert listed[1].startswith("Báo cáo Quý 1 — Thi đua thực hiện")
    assert listed[2] == "Ký giao ước — Khối Nội chính"

    head.press("Báo cáo Quý 1")  # the report, at its summary, ready to confirm
    assert "Trần Thị Mai đã soạn báo cáo dưới đây" in head.text
    assert "BÁO CÁO TIẾN ĐỘ — Sở Nội vụ" in head.text
    head.press("Xác nhận và nộp")
    with world.sessions() as session:
        report = session.scalars(select(ProgressReport)).one()
        assert (report.status, report.submitted_by) == (
            progress_reports.SUBMITTED,
            world.people["head"],
        )

    head.say("/xacnhan")
    assert vi.WAITING_LIST.format(count=2) in head.text
    head.say("1")  # its number typed, as on a channel without buttons
    assert "Trần Thị Mai đã soạn bản đăng ký thi đua dưới đây" in head.text
    head.press("Xác nhận và nộp")
    with world.sessions() as session:
        reg = session.scalars(
            select(Registration).where(Registration.drafted_by == world.people["officer"])
        ).one()
        assert (reg.status, reg.submitted_by) == (registrations.SUBMITTED, world.people["head"])

    head.say("xác nhận")  # the one item left opens at once: the pledge, at its signature
    assert "GIAO ƯỚC THI ĐUA — Khối Nội chính" in head.text
    head.press("Ký")
    with world.sessions() as session:
        pledge = session.scalars(select(Pledge)).one()
        assert world.units["SNV"] in {s.unit_id for s in pledge.signatures}

    head.say("/xacnhan")
    assert head.text == vi.CONFIRM_NOTHING


def test_xacnhan_for_the_other_roles(world: World) -> None:
    officer = world.chat("officer")
    officer.say("/xacnhan")
    assert officer.text == vi.CONFIRM_NOT_FOR_YOU
    office = world.chat("office")  # the office confirms nothing for a unit: its review
    office.say("/xacnhan")
    assert office.text == vi.REVIEW_NOTHING
    register(world)
    office.say("/xacnhan")
    assert "đang chờ duyệt" in office.text
    assert office.button("Sở Nội vụ")


def test_baocao_still_files_a_report_for_the_head(world: World) -> None:
    register(world)
    head = world.chat("head")
    head.say("/baocao")
    assert "Chỉ tiêu 1/2" in head.text


def test_the_menu_follows_the_role_after_linking(world: World) -> None:
    expected = {
        "head": [
            *("xacnhan", "dangky", "baocao", "giaouoc", "denghi", "xacnhandn"),
            *("tieptuc", "huy", "help"),
        ],
        "officer": ["dangky", "baocao", "denghi", "tieptuc", "huy", "help"],
        "office": ["duyet", "giaouoc", "duyetdn", "tieptuc", "huy", "help"],
        "head2": [
            *("xacnhan", "dangky", "baocao", "giaouoc", "denghi", "xacnhandn", "xephang"),
            *("tieptuc", "huy", "help"),
        ],
        "cadre": ["help"],
    }
    for user, commands in expected.items():
        chat = Chat(world.turns(), f"tg-{user}", channel="telegram")
        chat.say(f"/start {invite(world, user)}")
        assert chat.last[0].text.startswith("Đã liên kết")
        assert menus(chat) == [commands], user


def test_menu_descriptions_and_refresh_on_start(world: World) -> None:
    head = world.chat("head")  # linked before menus existed: /start sets it now
    head.say("/start")
    [menu] = [menu_of(r) for r in head.last if menu_of(r) is not None]
    assert menu is not None
    assert {c.command: c.description for c in menu} == {
        c.command: vi.CHAT_COMMANDS[c.command] for c in menu
    }
    assert menu[0].command == "xacnhan"
    assert vi.WELCOME in head.text


def test_a_group_chat_gets_no_personal_menu(world: World) -> None:
    chat = Chat(world.turns(), "tg-7001", channel="telegram", chat_id="-100200300")
    chat.say(f"/start {invite(world, 'head')}")
    assert chat.last[0].text.startswith("Đã liên kết")
    assert menus(chat) == []


def test_start_code_in_a_linked_chat_asks_before_switching(world: World) -> None:
    code = invite(world, "officer")
    head = world.chat("head")
    head.say(f"/start {code}")
    assert "Tài khoản chat này đang liên kết với Nguyễn Văn Hùng" in head.text
    assert "Chuyển sang Trần Thị Mai — Cán bộ làm công tác thi đua, Sở Nội vụ" in head.text
    head.press("Không")
    assert head.text == vi.SWITCH_KEPT.format(name="Nguyễn Văn Hùng")
    assert linked_to(world, "head") == world.people["head"]
    with world.sessions() as session:
        assert session.scalars(select(InviteCode.used_at)).one() is None  # not spent

    head.say(f"/start {code}")
    head.press("Có")
    assert head.last[0].text.startswith("Đã liên kết: Trần Thị Mai")
    assert menus(head) == [["dangky", "baocao", "denghi", "tieptuc", "huy", "help"]]
    assert linked_to(world, "head") == world.people["officer"]
    head.say("/xacnhan")  # the chat now acts as the officer
    assert head.text == vi.CONFIRM_NOT_FOR_YOU
    with world.sessions() as session:
        assert session.scalars(select(InviteCode.used_at)).one() is not None
        actions = list(session.scalars(select(AuditLog.action)))
        assert actions.count("identity.link") == 1


def test_switching_is_answered_by_typing_and_keeps_a_form_in_progress(world: World) -> None:
    code = invite(world, "cadre")
    head = world.chat("head")
    head.say("/dangky")
    head.press("xuất sắc")
    assert vi.REG_ASK_INDIVIDUAL.split("{")[0] in head.text
    head.say(f"/start {code}")
    assert "Chuyển sang Hoàng Văn Bình" in head.text
    assert vi.REG_ASK_INDIVIDUAL.split("{")[0] in head.text  # the form's question again
    head.say("2")  # «Không», by its number
    assert vi.SWITCH_KEPT.format(name="Nguyễn Văn Hùng") in head.text
    assert vi.REG_ASK_INDIVIDUAL.split("{")[0] in head.text
    head.press("Xong")  # the form goes on where it was
    assert vi.REG_ASK_TARGETS.split("{")[0] in head.text

    head.say(f"/start {code}")
    head.say("có")
    assert linked_to(world, "head") == world.people["cadre"]


def test_anything_else_drops_the_question(world: World) -> None:
    code = invite(world, "officer")
    head = world.chat("head")
    head.say(f"/start {code}")
    head.say("tiêu chuẩn lao động tiên tiến")
    assert head.text.startswith("[Hỏi đáp]")
    head.say("có")  # too late: the question was dropped
    assert linked_to(world, "head") == world.people["head"]


def test_a_bad_or_own_code_in_a_linked_chat(world: World) -> None:
    head = world.chat("head")
    head.say("/start ZZ000000")
    assert head.text == vi.INVITE_ERRORS["not_found"]
    with world.sessions() as session:
        actions = list(session.scalars(select(AuditLog.action)))
    assert actions == ["identity.link_failed"]  # a code looked at is a code tried
    head.say(f"/start {invite(world, 'head')}")
    assert head.text == vi.SWITCH_SAME.format(name="Nguyễn Văn Hùng")
    assert not head.buttons()


def test_commands_in_the_menu_always_answer(world: World) -> None:
    cadre = world.chat("cadre")
    for command, answer in (
        ("/tieptuc", vi.NO_SAVED_FORM),
        ("/huy", vi.NO_OPEN_FORM),
    ):
        cadre.say(command)
        assert cadre.text == answer
    head = world.chat("head")
    head.say("/dangky")
    head.say("/tieptuc")  # while the form is open: its question again
    assert vi.REG_ASK_COLLECTIVE in head.text
