"""`thidua clusters ranking`: the office records a cluster's ranking; wrong codes write nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.store import awards
from bot.store.models import Cluster, Unit
from tests.admin.conftest import Admin
from tests.admin.files import import_units, write_csv
from tests.admin.test_imports import CLUSTER_HEADER


def test_ranking_recorded_in_order_and_refused_for_a_non_member(
    admin: Admin, tmp_path: Path
) -> None:
    import_units(admin, tmp_path)
    rows = [["K1", "Khối Nội chính", "khối", "2026", "SNV", "", "SNV; STC; SYT"]]
    code, out = admin.run("clusters", "import", write_csv(tmp_path / "c.csv", CLUSTER_HEADER, rows))
    assert code == 0, out
    code, out = admin.run("clusters", "ranking", "K1", "HKH", "SNV", "--year", "2026")
    assert code == 1 and "HKH" in out
    code, out = admin.run("clusters", "ranking", "K2", "SNV", "--year", "2026")
    assert code == 1 and "K2" in out
    code, out = admin.run("clusters", "ranking", "k1", "stc", "SNV", "SYT", "--year", "2026")
    assert code == 0, out
    assert "1. Sở Tài chính, 2. Sở Nội vụ, 3. Sở Y tế" in out
    with admin.sessions()() as session:
        cluster = session.scalars(select(Cluster)).one()
        codes = {u.id: u.code for u in session.scalars(select(Unit))}
        assert [codes[u] for u in awards.ranking(session, cluster.id)] == ["STC", "SNV", "SYT"]
