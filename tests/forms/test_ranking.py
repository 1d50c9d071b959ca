"""/xephang: the cluster lead records the cluster's ranking; members see it; the checks use it."""

from __future__ import annotations

from bot.core import nomination_checks
from bot.core.nomination_record import facts_for
from bot.i18n import nominations_vi as nv
from bot.store import awards
from bot.store.models import Cluster
from bot.store.reply_json import reply_from_json
from tests.forms.conftest import World
from tests.forms.test_handoffs import chats, pushed


def flag_findings(world: World) -> list[str]:
    draft = {
        "movement_id": None,
        "year": 2026,
        "unit_id": world.units["SNV"],
        "kind": "unit",
        "person_id": None,
        "name": "",
        "award": "CO_TINH",
        "files": [],
    }
    with world.sessions() as session:
        found = nomination_checks.warnings(facts_for(session, draft))
    return [f.code for f in found]


def test_lead_records_the_ranking_members_see_it_and_the_flag_check_reads_it(
    world: World,
) -> None:
    lead, head, head3 = chats(world, "head2", "head", "head3")
    head.say("/xephang")
    assert head.text == nv.RANK_NOT_RECORDED.format(cluster="Khối Nội chính", year=2026)
    assert "dieu26" in flag_findings(world)

    lead.say("bình xét")
    assert "BÌNH XÉT, SUY TÔN — Khối Nội chính năm 2026" in lead.text
    assert {"Sở Nội vụ", "Sở Tư pháp"} <= {b.label for b in lead.buttons()}
    lead.press("Sở Tư pháp")
    lead.press("Xếp lại")
    lead.press("Sở Nội vụ")
    assert "1. Sở Nội vụ" in lead.text
    lead.press("Sở Tư pháp")  # the last unit: the confirmation follows
    assert "Đơn vị dẫn đầu, đề nghị cờ thi đua: Sở Nội vụ" in lead.text
    lead.press("Lưu kết quả")
    assert lead.text == nv.RANK_SAVED.format(cluster="Khối Nội chính")
    with world.sessions() as session:
        cluster = session.query(Cluster).filter_by(code="K1").one()
        assert awards.ranking(session, cluster.id) == [world.units["SNV"], world.units["STP"]]

    notice = reply_from_json(pushed(world, "head")[-1].payload).text
    assert (
        notice.startswith("🏆 Khối Nội chính đã bình xét") and "Đơn vị dẫn đầu: Sở Nội vụ" in notice
    )
    assert pushed(world, "office")
    assert not pushed(world, "head3")  # another khối
    head.say("/xephang")
    assert "1. Sở Nội vụ\n2. Sở Tư pháp" in head.text
    head3.say("/xephang")
    assert head3.text == nv.RANK_NOT_RECORDED.format(cluster="Khối Văn hoá - Xã hội", year=2026)
    assert "dieu26" not in flag_findings(world)
