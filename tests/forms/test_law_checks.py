"""Checks a cadre expects, as transcripts: titles by the unit's kind, the Law's warnings."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.i18n import vi
from bot.store import registrations
from bot.store.models import Registration, Unit
from tests.forms.conftest import World


def labels(world: World, user: str, *steps: str) -> list[str]:
    chat = world.chat(user)
    for text in steps:
        chat.say(text)
    return [b.label for b in chat.buttons()]


def test_armed_forces_titles_only_for_armed_forces_units(world: World) -> None:
    civilian = labels(world, "head", "đăng ký thi đua")
    assert "Tập thể lao động xuất sắc" in civilian
    assert "Đơn vị quyết thắng" not in civilian and "Đơn vị tiên tiến" not in civilian
    individual = labels(world, "head", "Tập thể lao động tiên tiến")
    assert "Lao động tiên tiến" in individual and "Chiến sĩ tiên tiến" not in individual

    with world.sessions.begin() as session:
        session.execute(
            update(Unit).where(Unit.id == world.units["STP"]).values(unit_type="Lực lượng vũ trang")
        )
    armed = labels(world, "head2", "/huy", "đăng ký thi đua")
    assert "Đơn vị quyết thắng" in armed and "Đơn vị tiên tiến" in armed
    assert "Tập thể lao động xuất sắc" not in armed
    individual = labels(world, "head2", "Đơn vị tiên tiến")
    assert "Chiến sĩ tiên tiến" in individual and "Lao động tiên tiến" not in individual
    assert "Chiến sĩ thi đua cơ sở" in individual  # both kinds of unit


def test_the_summary_warns_with_the_article_and_does_not_block(world: World) -> None:
    officer = world.chat("officer")
    officer.say("đăng ký thi đua")
    officer.press("Tập thể lao động xuất sắc")
    officer.press("Lao động tiên tiến")
    officer.say("1")
    officer.press("Xong")
    officer.press("Thêm chỉ tiêu")
    officer.say("Tỷ lệ hồ sơ giải quyết đúng hạn")
    officer.press("%")
    officer.say("95")
    officer.say("31/3/2027")  # after the movement ends on 31/12/2026
    officer.press("Xong")
    text = officer.text
    assert "Điều 27 khoản 1 điểm d Luật Thi đua, khen thưởng 2022" in text
    assert "Chỉ tiêu 1 có hạn 31/03/2027, sau khi phong trào kết thúc (31/12/2026)" in text
    assert "Điều 23 khoản 1" not in text  # no CSTĐCS yet: nothing to compare

    officer.press("Sửa danh hiệu cá nhân")
    officer.press("Chiến sĩ thi đua cơ sở")
    officer.say("3")
    officer.press("Xong")
    officer.press("Xong")
    text = officer.text
    assert "Số «Chiến sĩ thi đua cơ sở» (3) nhiều hơn" in text
    assert "(Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022)" in text
    assert "Điều 27 khoản 1 điểm d" not in text  # it has its CSTĐCS now
    officer.press("Gửi thủ trưởng")  # a warning never blocks

    head = world.chat("head")
    head.say("/xacnhan")
    assert "(Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022)" in head.text  # the head sees it
    head.press(vi.BTN_SUBMIT)
    with world.sessions() as session:
        reg = session.scalar(select(Registration))
        assert reg is not None and reg.status == registrations.SUBMITTED
