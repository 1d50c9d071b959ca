"""The office's review commands with a record's number (a pushed notice's button): /duyet N and
/duyetdn N open that record at its decision while it waits, and say it is gone once decided."""

from __future__ import annotations

from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.store import nominations
from tests.forms.conftest import World
from tests.forms.test_nomination import stored, to_summary_for_a_person


def test_a_numbered_review_opens_that_record_then_says_it_is_gone(world: World) -> None:
    officer, head, office = (world.chat(user) for user in ("officer", "head", "office"))
    office.say("/duyet 999")
    assert [r.text for r in office.last] == [vi.HANDOFF_GONE, vi.REVIEW_NOTHING]
    to_summary_for_a_person(officer)
    officer.press("Gửi thủ trưởng")
    head.say("chào trợ lý")
    head.press("Xem và xác nhận")
    head.press("Xác nhận và nộp")
    [nom] = stored(world)
    assert nom.status == nominations.SUBMITTED

    office.say(f"/duyetdn {nom.id}")
    assert "Hoàng Văn Bình" in office.text
    office.press(nv.BTN_APPROVE_NOM)
    assert stored(world)[0].status == nominations.APPROVED

    office.say(f"/duyetdn {nom.id}")
    assert [r.text for r in office.last] == [vi.HANDOFF_GONE, nv.NOM_REVIEW_NOTHING]
