"""Ký kết giao ước thi đua, as transcripts: the lead opens it, member heads sign, it closes."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import AuditLog, Conversation, Pledge, PledgeSignature
from tests.chat import Chat
from tests.forms.conftest import World

CONTENT = "Các đơn vị trong Khối Nội chính thống nhất ký kết giao ước thi đua năm 2026."


def pledge_row(world: World) -> Pledge | None:
    with world.sessions() as session:
        return session.scalar(select(Pledge))


def actions(world: World) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def open_pledge(lead: Chat, *items: str) -> None:
    """The lead's whole opening form, from /giaouoc to the confirmation."""
    lead.say("/giaouoc")
    lead.say(CONTENT)
    for item in items or ("Hoàn thành 100% chỉ tiêu được giao",):
        lead.press("Thêm cam kết")
        lead.say(item)
    lead.press("Xong")
    lead.press("Mở ký kết")
    assert "Đã mở ký kết giao ước" in lead.text


def test_lead_opens_members_sign_and_the_last_signature_closes_it(world: World) -> None:
    lead = world.chat("head2")  # Sở Tư pháp leads Khối Nội chính and is its head
    lead.say("ký kết giao ước")
    assert "Mở ký kết giao ước thi đua của Khối Nội chính (khối trưởng: Sở Tư pháp)" in lead.text
    assert vi.PLEDGE_ASK_CONTENT in lead.text
    lead.say(CONTENT)
    lead.press("Thêm cam kết")
    lead.say("Hoàn thành 100% chỉ tiêu được giao")
    assert "Đã thêm cam kết 1." in lead.text
    lead.say("thêm cam kết")  # the button's label, typed
    lead.say("Không có đơn vị xếp loại thi đua dưới trung bình")
    lead.press("Xong")
    assert "GIAO ƯỚC THI ĐUA — Khối Nội chính năm 2026" in lead.text
    assert "1. Hoàn thành 100% chỉ tiêu được giao\n2. Không có đơn vị" in lead.text
    assert "Đơn vị ký kết: Sở Nội vụ, Sở Tư pháp." in lead.text
    lead.press("Mở ký kết")
    assert "Thủ trưởng 2 đơn vị" in lead.text

    row = pledge_row(world)
    assert row is not None
    assert (row.status, row.opened_by, row.movement_id) == (
        "open",
        world.people["head2"],
        world.movement_id,
    )
    assert row.commitments["items"][1] == "Không có đơn vị xếp loại thi đua dưới trung bình"

    lead.say("/giaouoc")  # the lead's own unit signs too; the status comes first
    assert "Đã ký (0/2):\n(không có)\nChưa ký:\n• Sở Nội vụ\n• Sở Tư pháp" in lead.text
    lead.press("Ký giao ước")
    assert lead.text == "Đã ký giao ước thay mặt Sở Tư pháp. Còn 1 đơn vị chưa ký."

    world.clock.advance(days=1)
    head = world.chat("head")
    head.say("chào trợ lý")
    assert "Khối Nội chính đã mở ký kết giao ước thi đua" in head.last[0].text
    head.press("Xem và ký giao ước")
    assert "1. Hoàn thành 100% chỉ tiêu được giao" in head.text
    head.press("Ký giao ước")
    assert head.text == vi.PLEDGE_SIGNED_CLOSED.format(unit="Sở Nội vụ")

    row = pledge_row(world)
    assert row is not None and row.status == "closed" and row.closed_at == world.clock()
    assert {(s.unit_id, s.signed_by) for s in row.signatures} == {
        (world.units["STP"], world.people["head2"]),
        (world.units["SNV"], world.people["head"]),
    }
    assert actions(world) == ["pledge.open", "pledge.sign", "pledge.sign", "pledge.close"]

    lead.say("những đơn vị nào chưa ký giao ước")
    assert "Tất cả đơn vị của Khối Nội chính đã ký" in lead.last[0].text  # a notice, once
    assert lead.last[-1].text == "• Khối Nội chính: đã ký đủ 2/2 đơn vị (hoàn tất ngày 11/03/2026)."
    lead.say("/giaouoc")
    assert "đã hoàn tất ngày 11/03/2026" in lead.text
    assert "• Sở Nội vụ — Nguyễn Văn Hùng, 11/03/2026" in lead.text
    head.say("/giaouoc")
    assert head.text == vi.PLEDGE_NOTHING


def test_unsigned_units_come_from_the_real_rows(world: World) -> None:
    open_pledge(world.chat("head2"))
    lead = world.chat("head2")
    lead.say("những đơn vị nào chưa ký giao ước?")
    assert lead.text == "• Khối Nội chính: đã ký 0/2 đơn vị; chưa ký 2: Sở Nội vụ, Sở Tư pháp"
    office = world.chat("office")
    office.say("/giaouoc")  # the office sees every cluster's pledge
    assert "GIAO ƯỚC — Khối Nội chính" in office.text and "Đã ký (0/2)" in office.text


def test_validation_back_and_cancel(world: World) -> None:
    lead = world.chat("head2")
    lead.say("/giaouoc")
    lead.say("ngắn")
    assert vi.PLEDGE_BAD_CONTENT in lead.text
    lead.say(CONTENT)
    assert "Xong" not in [b.label for b in lead.buttons()]  # only once there is a commitment
    lead.press("Thêm cam kết")
    lead.say("ab")
    assert vi.PLEDGE_BAD_COMMITMENT in lead.text
    lead.say("quay lại")
    assert "Các nội dung cam kết chung:\n(chưa có)" in lead.text
    lead.say("quay lại")
    assert vi.PLEDGE_ASK_CONTENT in lead.text
    lead.say("huỷ")
    assert lead.text == vi.FORM_CANCELLED
    assert pledge_row(world) is None
    lead.say("/giaouoc")  # a fresh start
    assert vi.PLEDGE_ASK_CONTENT in lead.text


def test_delete_a_commitment_and_edit_from_the_summary(world: World) -> None:
    lead = world.chat("head2")
    lead.say("/giaouoc")
    lead.say(CONTENT)
    for item in ("Cam kết thứ nhất", "Cam kết thứ hai"):
        lead.press("Thêm cam kết")
        lead.say(item)
    lead.press("Xoá cam kết 1")
    assert "1. Cam kết thứ hai" in lead.text and "thứ nhất" not in lead.text
    lead.press("Xong")
    lead.press("Sửa nội dung")
    lead.say("Nội dung giao ước đã được sửa lại cho đầy đủ.")
    lead.press("Xong")
    lead.press("Mở ký kết")
    row = pledge_row(world)
    assert row is not None
    assert (row.content, row.commitments["items"]) == (
        "Nội dung giao ước đã được sửa lại cho đầy đủ.",
        ["Cam kết thứ hai"],
    )


def test_save_and_resume_after_a_restart(world: World) -> None:
    lead = world.chat("head2")
    lead.say("/giaouoc")
    lead.say(CONTENT)
    lead.press("Thêm cam kết")
    lead.say("Hoàn thành 100% chỉ tiêu được giao")
    lead.say("lưu nháp")
    assert lead.text == vi.FORM_SAVED

    world.clock.advance(days=3)
    later = world.chat("head2", turns=world.turns())  # a new process over the same database
    later.say("tiếp tục")
    assert vi.FORM_RESUMED in later.text
    assert "1. Hoàn thành 100% chỉ tiêu được giao" in later.text
    restarted = world.chat("head2", turns=world.turns())
    restarted.say("xong")  # no save: the form just goes on in the new process
    restarted.press("Mở ký kết")
    row = pledge_row(world)
    assert row is not None and row.content == CONTENT


def test_who_may_open_and_sign(world: World) -> None:
    for user in ("officer", "cadre", "lead3"):  # lead3 has the role, but SNV leads no khối
        chat = world.chat(user)
        chat.say("/giaouoc")
        assert chat.text == vi.PLEDGE_NOT_FOR_YOU, user
    head = world.chat("head")  # a member's head: nothing to open, nothing to sign yet
    head.say("/giaouoc")
    assert head.text == vi.PLEDGE_NOTHING
    stranger = world.chat("stranger")
    stranger.say("/giaouoc")
    assert vi.LINK_HOW in stranger.text

    open_pledge(world.chat("head2"))
    other = world.chat("head3")  # head of Sở Y tế, in another khối
    other.say("chào")
    assert "giao ước" not in other.text  # no notice for a pledge that is not theirs
    other.say("/giaouoc")  # head3 leads nothing (no role) and has nothing to sign
    assert other.text == vi.PLEDGE_NOTHING

    row = pledge_row(world)
    assert row is not None
    with world.sessions.begin() as session:  # a forged state: the sign step of K1's pledge
        conversation = session.scalar(select(Conversation).where(Conversation.chat_id == "head3"))
        assert conversation is not None
        conversation.flow, conversation.step = "pledge", "sign"
        conversation.draft = {"pledge_id": row.id, "_trail": []}
    other.send_payload("sign", "Ký giao ước")
    assert other.text == vi.NOT_ALLOWED
    with world.sessions() as session:
        assert session.scalar(select(PledgeSignature)) is None


def test_a_second_chat_of_the_same_head_cannot_sign_twice(world: World) -> None:
    open_pledge(world.chat("head2"))
    phone = world.chat("head")
    laptop = Chat(world.turns(), "head", chat_id="head-laptop")
    phone.say("/giaouoc")
    laptop.say("/giaouoc")
    phone.press("Ký giao ước")
    assert "Còn 1 đơn vị chưa ký" in phone.text
    laptop.press("Ký giao ước")
    assert laptop.text == vi.PLEDGE_ALREADY_SIGNED.format(unit="Sở Nội vụ")
    with world.sessions() as session:
        assert len(session.scalars(select(PledgeSignature)).all()) == 1
    assert actions(world).count("pledge.sign") == 1


def test_a_lead_who_must_also_sign_chooses(world: World) -> None:
    """With a second movement running, the lead can open another pledge or sign the first."""
    from datetime import date

    from bot.store.models import Movement

    open_pledge(world.chat("head2"))
    with world.sessions.begin() as session:
        session.add(
            Movement(
                code="CD2026",
                title="Thi đua chuyển đổi số năm 2026",
                kind="chuyên đề",
                year=2026,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                registration_deadline=date(2026, 3, 31),
            )
        )
    lead = world.chat("head2")
    lead.say("/giaouoc")
    assert vi.PLEDGE_MENU in lead.text
    lead.press("Ký giao ước")
    assert vi.PLEDGE_ASK_SIGN.format(unit="Sở Tư pháp") in lead.text
    lead.say("quay lại")
    lead.press("Mở ký kết giao ước")
    assert vi.PLEDGE_ASK_CONTENT in lead.text
