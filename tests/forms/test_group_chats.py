"""Group chats, as transcripts: two people of different units in one group, each with a form
of their own; a button under someone else's form is refused and changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.i18n import vi
from bot.store import registrations
from bot.store.models import AuditLog, Person, Registration
from tests.forms.conftest import World
from tests.forms.groups import in_group, rows, to_summary


def test_a_button_of_another_persons_form_is_refused_and_changes_nothing(world: World) -> None:
    mai = in_group(world, "officer")  # Trần Thị Mai, Sở Nội vụ
    hoa = in_group(world, "head3")  # Võ Thị Hoa, Sở Y tế
    to_summary(mai, "Tập thể lao động xuất sắc", "Giải quyết hồ sơ công vụ đúng hạn", "97,3")
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in mai.text
    before = rows(world)
    labels = [b.label for b in mai.buttons()]
    assert len(labels) >= 6  # send to the head, three edits, back, save, cancel

    for label in labels:
        replies = hoa.press(label, on=mai)
        assert [r.text for r in replies] == [vi.BUTTON_NOT_YOURS.format(name="Trần Thị Mai")]
        assert not replies[0].buttons
        assert rows(world) == before

    # Her own words go to her own (empty) form, not into Mai's.
    hoa.say("1")
    assert "Sở Nội vụ" not in hoa.text and "97,3" not in hoa.text
    assert before["forms"][0] in rows(world)["forms"]

    mai.press("Gửi thủ trưởng")  # Mai's form was left as she left it
    with world.sessions() as session:
        reg = session.scalars(select(Registration)).one()
        assert (reg.unit_id, reg.status) == (world.units["SNV"], registrations.PENDING_HEAD)
        assert reg.drafted_by == world.people["officer"]
        assert [t.target_value for t in reg.targets] == [Decimal("97.3")]


def test_two_people_fill_their_own_forms_side_by_side_in_one_group(world: World) -> None:
    mai = in_group(world, "officer")  # Sở Nội vụ: her confirmation goes to her head
    hoa = in_group(world, "head3")  # Sở Y tế: a head submits
    for chat in (mai, hoa):
        chat.say("đăng ký thi đua")
    mai.press("Tập thể lao động xuất sắc")
    hoa.press("Tập thể lao động tiên tiến")
    for chat in (mai, hoa):
        chat.press("Xong")
        chat.press("Thêm chỉ tiêu")
    mai.say("Số hồ sơ công vụ giải quyết đúng hạn")
    hoa.say("Tỷ lệ tiêm chủng mở rộng")
    mai.press("%")
    hoa.press("%")
    mai.say("97,3")
    hoa.say("95")
    for chat in (mai, hoa):
        chat.press("Hết phong trào")
        chat.press("Xong")
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in mai.text and "tiêm chủng" not in mai.text
    assert "ĐĂNG KÝ THI ĐUA — Sở Y tế" in hoa.text and "hồ sơ công vụ" not in hoa.text
    mai.press("Gửi thủ trưởng")
    hoa.press("Xác nhận và nộp")
    assert "phiên bản 1" in hoa.text

    with world.sessions() as session:
        found = {r.unit_id: r for r in session.scalars(select(Registration))}
        snv, syt = found[world.units["SNV"]], found[world.units["SYT"]]
        assert (snv.status, snv.collective_title, snv.drafted_by) == (
            registrations.PENDING_HEAD,
            "TTLDXS",
            world.people["officer"],
        )
        assert [(t.description, t.target_value) for t in snv.targets] == [
            ("Số hồ sơ công vụ giải quyết đúng hạn", Decimal("97.3"))
        ]
        assert (syt.status, syt.collective_title, syt.submitted_by) == (
            registrations.SUBMITTED,
            "TTLDTT",
            world.people["head3"],
        )
        assert [(t.description, t.target_value) for t in syt.targets] == [
            ("Tỷ lệ tiêm chủng mở rộng", Decimal(95))
        ]
        audit = session.execute(
            select(AuditLog.entity_id, AuditLog.person_id).where(AuditLog.entity == "registration")
        ).all()
    assert audit and set(audit) == {
        (snv.id, world.people["officer"]),
        (syt.id, world.people["head3"]),
    }


def test_a_form_of_a_unit_its_owner_moved_away_from_shows_nothing_of_it(world: World) -> None:
    """Anywhere, not only in groups: Mai saves Sở Nội vụ's draft, then moves to Sở Y tế."""
    mai = world.chat("officer")  # her private chat
    to_summary(mai, "Tập thể lao động xuất sắc", "Giải quyết hồ sơ công vụ đúng hạn", "97,3")
    mai.press("Lưu nháp")
    with world.sessions.begin() as session:
        person = session.get(Person, world.people["officer"])
        assert person is not None
        person.unit_id = world.units["SYT"]
    mai.say("tiếp tục")
    assert mai.text == vi.NOT_ALLOWED  # and the draft is dropped
    mai.say("tiếp tục")
    assert "Sở Nội vụ" not in mai.text and "hồ sơ công vụ" not in mai.text
    mai.say("/dangky")
    assert "Sở Nội vụ" not in mai.text and "hồ sơ công vụ" not in mai.text
    assert vi.REG_ASK_COLLECTIVE in mai.text  # Sở Y tế has no registration yet
    with world.sessions() as session:
        assert session.scalars(select(Registration)).all() == []
