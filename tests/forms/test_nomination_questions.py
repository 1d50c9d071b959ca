"""Questions on the year's nominations, answered from the records and scoped to who asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import nominations_vi as nv
from bot.store import nominations
from tests.chat import HCM
from tests.forms.conftest import World

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=HCM)


def nominate(world: World, unit: str, award: str, who: str, status: str) -> None:
    draft: dict[str, Any] = {
        "movement_id": world.movement_id,
        "year": 2026,
        "unit_id": world.units[unit],
        "kind": "named",
        "person_id": None,
        "name": who,
        "award": award,
        "summary": "Hoàn thành xuất sắc nhiệm vụ.",
        "files": [],
    }
    with world.sessions.begin() as session:
        nominations.write_nomination(session, draft, status=status, person_id=None, now=NOW)


def test_has_my_unit_sent_its_nominations(world: World) -> None:
    officer = world.chat("officer")
    officer.say("Đơn vị tôi đã gửi đề nghị khen thưởng chưa?")
    assert officer.text == nv.Q_NONE_SENT.format(unit="Sở Nội vụ", year=2026)
    nominate(world, "SNV", "CSTDCS", "Lê Thị Hồng", "submitted")
    nominate(world, "SNV", "LDTT", "Lê Thị Hồng", "pending_head")
    officer.say("đơn vị tôi đã gửi đề nghị khen thưởng chưa")
    assert officer.text.startswith(
        "Sở Nội vụ năm 2026 có 2 đề nghị khen thưởng: 1 chờ thủ trưởng, 1 đã nộp."
    )
    assert "• Lê Thị Hồng — «Chiến sĩ thi đua cơ sở»: Đã nộp" in officer.text
    assert not world.qa.asked


def test_how_many_cstdcs_a_unit_nominated_scoped_by_role(world: World) -> None:
    nominate(world, "SYT", "CSTDCS", "Nguyễn Thị A", "submitted")
    nominate(world, "SYT", "CSTDCS", "Nguyễn Thị B", "approved")
    nominate(world, "SYT", "CSTDCS", "Nguyễn Thị C", "refused")
    nominate(world, "SYT", "LDTT", "Nguyễn Thị A", "submitted")
    question = "Năm nay Sở Y tế đề nghị bao nhiêu Chiến sĩ thi đua cơ sở?"
    office = world.chat("office")
    office.say(question)
    assert office.last[0].text == nv.NOTICE_REVIEW.format(count=2)  # what waits comes first
    assert office.last[-1].text.startswith(
        "Năm 2026, Sở Y tế có 2 đề nghị «Chiến sĩ thi đua cơ sở» (không tính đề nghị bị không "
        "đồng ý): "
    )
    assert office.last[-1].text.endswith(": 1 đã nộp, 1 đồng ý trình.")
    head3 = world.chat("head3")  # Sở Y tế's own head
    head3.say("năm nay đơn vị tôi đề nghị bao nhiêu")
    assert "Sở Y tế có 3 đề nghị khen thưởng" in head3.text
    assert "2 «Chiến sĩ thi đua cơ sở», 1 «Lao động tiên tiến»" in head3.text
    officer = world.chat("officer")  # another unit's officer
    officer.say(question)
    assert officer.text == nv.Q_NOT_YOURS


def test_a_question_on_the_law_still_goes_to_the_law(world: World) -> None:
    officer = world.chat("officer")
    officer.say("Hồ sơ đề nghị xét tặng Chiến sĩ thi đua cơ sở cần bao nhiêu bản?")
    assert officer.text.startswith("[Hỏi đáp]")
