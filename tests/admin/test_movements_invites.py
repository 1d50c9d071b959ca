"""`thidua movement create` (YAML file or flags) and `thidua invite` (code and deep link)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import InviteCode, Movement, Person, ProgressReport, Registration, Unit
from bot.store.org import aware, link_identity
from bot.store.reminders import ReminderPolicyRow
from tests.admin.conftest import Admin
from tests.admin.files import import_units, write_csv

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

MOVEMENT_YAML = """\
code: td2026
title: Phong trào thi đua yêu nước năm 2026
theme: Đổi mới, sáng tạo
motto: Đổi mới - Sáng tạo - Hiệu quả
kind: thuong xuyen
start: 2026-01-01
end: 31/12/2026
registration_deadline: 31/3/2026
periods:
  - {code: Q1, name: Quý 1, kind: tiến độ, start: 1/1/2026, end: 31/3/2026, deadline: 5/4/2026}
  - {code: 6T, name: Sơ kết 6 tháng, kind: sơ kết, start: 1/1/2026, end: 30/6/2026,
     deadline: 2026-06-20}
"""


def movements(admin: Admin) -> dict[str, Movement]:
    with admin.sessions()() as session:
        return {m.code: m for m in session.scalars(select(Movement))}


def test_movement_template_creates_then_updates(admin: Admin, tmp_path: Path) -> None:
    path = tmp_path / "phong-trao.yaml"
    assert admin.run("movement", "template", "--out", path)[0] == 0
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 0, out
    assert out.startswith("Đã tạo phong trào số")
    created = movements(admin)["TD2026"]
    assert created.motto == "Đổi mới - Sáng tạo - Hiệu quả"
    assert [p.code for p in created.periods] == ["Q1", "6T", "Q3", "NAM"]
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "registration_deadline: 31/3/2026", "registration_deadline: 15/3/2026"
        )
    )
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 0, out
    assert out.startswith(f"Đã cập nhật phong trào số {created.id} ")
    assert movements(admin)["TD2026"].registration_deadline == date(2026, 3, 15)
    code, out = admin.run("movement", "list")
    assert f"{created.id}. [TD2026]" in out


def test_movement_from_file_accepts_both_date_forms(admin: Admin, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MOVEMENT_YAML, encoding="utf-8")
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 0, out
    movement = movements(admin)["TD2026"]
    assert (movement.kind, movement.year) == ("thường xuyên", 2026)
    assert (movement.start_date, movement.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert [(p.code, p.kind, p.deadline) for p in movement.periods] == [
        ("Q1", "tiến độ", date(2026, 4, 5)),
        ("6T", "sơ kết", date(2026, 6, 20)),
    ]


def test_movement_from_flags(admin: Admin) -> None:
    code, out = admin.run(
        "movement", "create",
        "--title", "Thi đua chuyển đổi số",
        "--kind", "chuyên đề",
        "--start", "1/4/2026", "--end", "30/9/2026",
        "--registration-deadline", "2026-04-15", "--pledge-deadline", "20/4/2026",
        "--period", "GD1|Giai đoạn 1|tiến độ|1/4/2026|30/6/2026|5/7/2026",
        "--period", "TK|Tổng kết|tổng kết|1/4/2026|30/9/2026|5/10/2026",
    )  # fmt: skip
    assert code == 0, out
    movement = movements(admin)["2026-THI-DUA-CHUYEN-DOI-SO"]
    assert movement.kind == "chuyên đề"
    assert movement.pledge_deadline == date(2026, 4, 20)
    assert [p.code for p in movement.periods] == ["GD1", "TK"]


def test_bad_dates_are_named_and_nothing_is_written(admin: Admin, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    bad = MOVEMENT_YAML.replace("end: 31/12/2026", "end: 31/13/2026").replace(
        "deadline: 2026-06-20", "deadline: 30/2/2026"
    )
    path.write_text(bad, encoding="utf-8")
    assert admin.run("movement", "list")[0] == 0  # the database exists and is empty
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 1
    assert f"{path}: «end»: ngày «31/13/2026» không hợp lệ" in out
    assert f"{path}: kỳ báo cáo thứ 2: «deadline»: ngày «30/2/2026» không hợp lệ" in out
    assert movements(admin) == {}


def test_a_period_with_reports_cannot_be_dropped(admin: Admin, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MOVEMENT_YAML, encoding="utf-8")
    assert admin.run("movement", "create", "--file", path)[0] == 0
    import_units(admin, tmp_path)
    with admin.sessions().begin() as session:
        movement = session.scalars(select(Movement)).one()
        unit = session.scalars(select(Unit).where(Unit.code == "SNV")).one()
        registration = Registration(unit_id=unit.id, movement_id=movement.id, status="submitted")
        session.add(registration)
        session.flush()
        first = movement.periods[0]
        session.add(ProgressReport(registration_id=registration.id, period_id=first.id))
    path.write_text(MOVEMENT_YAML.split("  - {code: Q1")[0] + "  []\n", encoding="utf-8")
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 1
    assert "kỳ «Q1» đã có báo cáo" in out
    assert [p.code for p in movements(admin)["TD2026"].periods] == ["Q1", "6T"]


PEOPLE = [
    ["họ và tên", "số điện thoại", "chức vụ", "mã đơn vị", "vai trò"],
    ["Nguyễn Văn An", "0912345678", "Giám đốc", "SNV", "thủ trưởng"],
]


@pytest.fixture
def person_id(admin: Admin, tmp_path: Path) -> int:
    import_units(admin, tmp_path)
    path = write_csv(tmp_path / "people.csv", PEOPLE[0], PEOPLE[1:])
    assert admin.run("people", "import", path)[0] == 0
    with admin.sessions()() as session:
        return session.scalars(select(Person.id)).one()


def test_invite_by_phone_prints_code_and_deep_link(
    admin: Admin, person_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_TELEGRAM_BOT_USERNAME", "@ThiDuaHaTinhBot")
    code, out = admin.run("invite", "+84 912 345 678")
    assert code == 0, out
    assert "Nguyễn Văn An (0912345678)" in out
    match = re.search(r"https://t\.me/ThiDuaHaTinhBot\?start=([A-Z2-9]{8})\b", out)
    assert match, out
    with admin.sessions().begin() as session:
        invite = session.scalars(select(InviteCode)).one()
        assert invite.code == match.group(1)
        assert invite.person_id == person_id
        now = datetime.now(HCM)
        assert now + timedelta(days=6) < aware(invite.expires_at) <= now + timedelta(days=7)
        person = link_identity(
            session, channel="telegram", external_id="5001", code=match.group(1), now=now
        )
        assert person.id == person_id


def test_invite_by_id_without_bot_name_explains_the_setting(admin: Admin, person_id: int) -> None:
    code, out = admin.run("invite", str(person_id), "--days", "2")
    assert code == 0, out
    assert vi.INVITE_NO_BOT_USERNAME in out
    assert re.search(r"\?start=[A-Z2-9]{8}", out) is None
    assert re.search(r"/start [A-Z2-9]{8}", out)


@pytest.mark.parametrize("who", ["999", "0900000000", "ông An"])
def test_invite_for_nobody_fails(admin: Admin, person_id: int, who: str) -> None:
    code, out = admin.run("invite", who)
    assert code == 1
    assert f"«{who}»" in out
    with admin.sessions()() as session:
        assert session.scalars(select(InviteCode)).all() == []


def _policy(admin: Admin) -> ReminderPolicyRow | None:
    with admin.sessions()() as session:
        return session.scalars(select(ReminderPolicyRow)).one_or_none()


def test_the_template_sets_the_reminder_rhythm_and_dropping_it_restores_defaults(
    admin: Admin, tmp_path: Path
) -> None:
    path = tmp_path / "phong-trao.yaml"
    assert admin.run("movement", "template", "--out", path)[0] == 0
    text = path.read_text(encoding="utf-8")
    edited = text.replace("offsets: [-7, -3, -1, 0, 1, 3]", "offsets: [-5, 0, 2]").replace(
        "working_days: false", "working_days: true"
    )
    assert admin.run("movement", "create", "--file", path)[0] == 0
    assert _policy(admin) is not None
    path.write_text(edited, encoding="utf-8")
    assert admin.run("movement", "create", "--file", path)[0] == 0
    policy = _policy(admin)
    assert policy is not None
    assert (policy.offsets, policy.working_days, policy.escalate_office_after) == (
        [-5, 0, 2],
        True,
        7,
    )
    path.write_text(edited.split("# Nhắc việc")[0], encoding="utf-8")
    assert admin.run("movement", "create", "--file", path)[0] == 0
    assert _policy(admin) is None


def test_bad_reminder_settings_are_named_and_nothing_is_written(
    admin: Admin, tmp_path: Path
) -> None:
    path = tmp_path / "pt.yaml"
    bad = "reminders:\n  offsets: [-7, xa]\n  repeat_times: -1\n  working_days: có\n  often: 3\n"
    path.write_text(MOVEMENT_YAML + bad, encoding="utf-8")
    assert admin.run("movement", "list")[0] == 0  # the database exists and is empty
    code, output = admin.run("movement", "create", "--file", path)
    assert code == 1
    assert "reminders.offsets: phải là danh sách số ngày nguyên từ -90 đến 90" in output
    assert "reminders.repeat_times: phải là số nguyên từ 0 đến 52" in output
    assert "reminders.working_days: phải là true hoặc false" in output
    assert "often" in output
    assert movements(admin) == {}


def test_an_impossible_iso_date_is_one_named_error_not_a_traceback(
    admin: Admin, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    bad = MOVEMENT_YAML.replace("start: 2026-01-01", "start: 2027-02-30").replace(
        "deadline: 2026-06-20", "deadline: 2026-06-31"
    )
    path.write_text(bad, encoding="utf-8")
    assert admin.run("movement", "list")[0] == 0  # the database exists and is empty
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 1
    assert f"{path}: «start»: ngày «2027-02-30» không hợp lệ" in out
    assert f"{path}: kỳ báo cáo thứ 2: «deadline»: ngày «2026-06-31» không hợp lệ" in out
    assert "Traceback" not in out
    assert movements(admin) == {}


def test_a_registration_deadline_outside_the_movement_is_refused(
    admin: Admin, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    bad = MOVEMENT_YAML.replace("start: 2026-01-01", "start: 2026-04-01").replace(
        "periods:", "pledge_deadline: 15/1/2027\nperiods:"
    )
    path.write_text(bad, encoding="utf-8")
    assert admin.run("movement", "list")[0] == 0
    code, out = admin.run("movement", "create", "--file", path)
    assert code == 1
    assert f"{path}: «registration_deadline»: hạn trước ngày bắt đầu phong trào (start)" in out
    assert f"{path}: «pledge_deadline»: hạn sau ngày kết thúc phong trào (end)" in out
    assert movements(admin) == {}
