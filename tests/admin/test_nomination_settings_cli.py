"""`thidua movement nominations`: a movement's nomination deadline and quotas are data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.store import nominations
from bot.store.models import Movement
from tests.admin.conftest import Admin
from tests.admin.files import import_units
from tests.admin.test_exports import MOVEMENT


def test_deadline_and_quotas_set_kept_and_cleared(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    (tmp_path / "m.yaml").write_text(MOVEMENT, encoding="utf-8")
    assert admin.run("movement", "create", "--file", tmp_path / "m.yaml")[0] == 0
    run = admin.run
    code, out = run("movement", "nominations", "TD2026", "--deadline", "10/12/2026",
                    "--quota", "CSTDCS:Lao động tiên tiến:15")  # fmt: skip
    assert code == 0, out
    assert "hạn gửi đề nghị 10/12/2026; tỷ lệ: CSTDCS ≤ 15 % LDTT" in out
    code, out = run("movement", "nominations", "TD2026", "--quota", "CSTDCS:LDTT:120")
    assert code == 1 and "CSTDCS:LDTT:120" in out
    code, out = run("movement", "nominations", "TD2026", "--quota", "XYZ:LDTT:10")
    assert code == 1
    code, out = run("movement", "nominations", "TD2026", "--deadline", "32/12/2026")
    assert code == 1 and "32/12/2026" in out
    with admin.sessions()() as session:
        movement = session.scalars(select(Movement)).one()
        settings = nominations.settings_of(session, movement.id)
        assert settings is not None and settings.deadline == date(2026, 12, 10)
        assert settings.quotas == {"CSTDCS": {"of": "LDTT", "max_percent": 15.0}}
    code, out = run("movement", "nominations", "TD2026", "--clear-quotas")
    assert code == 0 and "10/12/2026; tỷ lệ: không đặt" in out
