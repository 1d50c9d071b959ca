"""The organisation page: uploads through the office's own import steps (counts, or each bad
row's line and error with nothing written), templates, invite codes, people without a chat."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.admin import importing, people
from bot.admin.tables import write_template
from bot.i18n import vi
from bot.store.models import AuditLog, Cluster, InviteCode, Person, Unit
from bot.store.org import aware
from tests.forms.conftest import World
from tests.web.conftest import sign_in

PEOPLE_HEADER = ["họ và tên", "số điện thoại", "chức vụ", "mã đơn vị", "vai trò"]
GOOD_PEOPLE = [
    ["Bùi Thị Thu", "0912 345 678", "Chuyên viên", "SNV", "cán bộ thi đua"],
    ["Ngô Văn Sơn", "+84 987 654 321", "Giám đốc", "SYT", "thủ trưởng"],
]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def people_xlsx(folder: Path, rows: list[list[str]]) -> bytes:
    """The people template the page hands out, filled in as the office would."""
    path = folder / "can-bo.xlsx"
    write_template(path, people.COLUMNS, "Cán bộ")
    book = load_workbook(path)
    for row in rows:
        book.worksheets[0].append(row)
    book.save(path)
    return path.read_bytes()


def upload(
    client: TestClient, kind: str, csrf: str, name: str, content: bytes, **extra: Any
) -> Any:
    return client.post(
        f"/web/org/import/{kind}",
        data={"csrf": csrf},
        files={"file": (name, content, "application/octet-stream")},
        **extra,
    )


def count(world: World, model: Any) -> int:
    with world.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_good_people_file_is_written_and_counted(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, world, "office")
    answer = upload(app_client, "people", csrf, "can-bo.csv", csv_bytes(PEOPLE_HEADER, GOOD_PEOPLE))
    assert answer.status_code == 200, answer.text
    assert "Đã nhập tệp «can-bo.csv» (Cán bộ): 2 mới, 0 cập nhật." in answer.text
    with world.sessions() as session:
        thu = session.scalars(select(Person).where(Person.full_name == "Bùi Thị Thu")).one()
        assert thu.phone == "+84912345678" and thu.unit_id == world.units["SNV"]
        assert {r.role for r in thu.roles} == {"unit_officer"}
        audits = session.execute(select(AuditLog.action, AuditLog.person_id)).all()
    assert ("import", None) in audits and ("web.import", world.people["office"]) in audits
    # The two new people have no chat yet: they are listed for an invite.
    assert "Bùi Thị Thu" in answer.text and "0912345678" in answer.text
    again = upload(app_client, "people", csrf, "can-bo.csv", csv_bytes(PEOPLE_HEADER, GOOD_PEOPLE))
    assert "0 mới, 2 cập nhật" in again.text


def test_a_bad_row_shows_its_line_and_nothing_is_written(
    app_client: TestClient, world: World, tmp_path: Path
) -> None:
    csrf = sign_in(app_client, world, "office")
    rows = [
        GOOD_PEOPLE[0],
        ["Lý Văn Tám", "12ab", "", "SNV", ""],
        ["Mai Thị Chín", "0977000111", "", "XYZ", ""],
    ]
    before = count(world, Person), count(world, AuditLog)
    answer = upload(app_client, "people", csrf, "can-bo.xlsx", people_xlsx(tmp_path, rows))
    assert answer.status_code == 422
    assert "có 2 lỗi; chưa ghi gì" in answer.text
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", answer.text)
    assert errors == [  # the spreadsheet's own line numbers: the header is line 1
        ("3", vi.ROW_BAD_PHONE.format(value="12ab")),
        ("4", vi.ROW_UNKNOWN_UNIT.format(code="XYZ")),
    ]
    assert (count(world, Person), count(world, AuditLog)) == before


def test_files_that_cannot_be_used_say_why(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, world, "office")
    before = count(world, Person)
    wrong_format = upload(app_client, "people", csrf, "<i>can-bo.txt", b"hello")
    assert wrong_format.status_code == 422
    assert vi.TABLE_BAD_FORMAT.format(suffix=".txt") in wrong_format.text
    assert "«&lt;i&gt;can-bo.txt»" in wrong_format.text  # the name, escaped
    no_phone = upload(app_client, "people", csrf, "a.csv", csv_bytes(["họ và tên"], [["An"]]))
    assert no_phone.status_code == 422 and "thiếu cột" in no_phone.text
    latin1 = upload(app_client, "people", csrf, "a.csv", "Tên\nAn\n".encode("latin-1"))
    assert "UTF-8" in latin1.text
    broken = upload(app_client, "people", csrf, "a.xlsx", b"PK not really a workbook")
    assert "không đọc được tệp Excel" in broken.text
    nothing = app_client.post(
        "/web/org/import/people", data={"csrf": csrf}, files={"file": ("", b"", "text/csv")}
    )
    assert nothing.status_code == 422 and "Chưa chọn tệp" in nothing.text
    assert app_client.post("/web/org/import/movements", data={"csrf": csrf}).status_code == 404
    assert count(world, Person) == before


def test_an_upload_past_the_limit_is_refused_unread(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.routers import org

    monkeypatch.setattr(org, "MAX_UPLOAD_BYTES", 2048)
    csrf = sign_in(app_client, world, "office")
    big = csv_bytes(PEOPLE_HEADER, GOOD_PEOPLE * 40)
    answer = upload(app_client, "people", csrf, "can-bo.csv", big)
    assert answer.status_code == 413 and "Tệp quá lớn" in answer.text
    assert count(world, Person) == len(world.people)


def test_units_and_clusters_upload_like_the_command_line(
    app_client: TestClient, world: World
) -> None:
    csrf = sign_in(app_client, world, "office")
    units = csv_bytes(
        ["mã đơn vị", "tên đơn vị", "loại", "mã đơn vị cấp trên"],
        [["HKH", "UBND huyện Hương Khê", "huyện", ""], ["snv", "Sở Nội vụ Hà Tĩnh", "", ""]],
    )
    answer = upload(app_client, "units", csrf, "don-vi.csv", units)
    assert "1 mới, 1 cập nhật" in answer.text
    clusters = csv_bytes(
        ["mã cụm/khối", "tên cụm/khối", "loại cụm/khối", "năm", "mã đơn vị thành viên"],
        [["C1", "Cụm huyện miền núi", "cụm", "2026", "HKH"]],
    )
    answer = upload(app_client, "clusters", csrf, "cum.csv", clusters)
    assert answer.status_code == 200 and "1 mới, 0 cập nhật" in answer.text
    with world.sessions() as session:
        assert session.get(Unit, world.units["SNV"]).name == "Sở Nội vụ Hà Tĩnh"  # type: ignore[union-attr]
        assert session.scalars(select(Cluster.name).where(Cluster.code == "C1")).one()


def test_a_database_refusal_rolls_the_whole_file_back(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The importer writes its rows and then the database refuses: the savepoint drops them."""
    real = importing.KINDS["units"]

    def refused(session: Any, rows: Any, *, now: Any) -> Any:
        real.run(session, rows, now=now)
        raise SQLAlchemyError("refused")

    monkeypatch.setitem(importing.KINDS, "units", importing.ImportKind(real.columns, refused, ""))
    csrf = sign_in(app_client, world, "office")
    units = csv_bytes(["mã đơn vị", "tên đơn vị"], [["HKH", "UBND huyện Hương Khê"]])
    answer = upload(app_client, "units", csrf, "don-vi.csv", units)
    assert answer.status_code == 422 and "chưa ghi gì" in answer.text
    assert count(world, Unit) == len(world.units)
    assert count(world, AuditLog) == 0


def test_a_template_downloads_with_its_columns(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    answer = app_client.get("/web/org/template/people")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (
        "filename*=UTF-8''M%E1%BA%ABu%20nh%E1%BA%ADp%20-%20C%C3%A1n%20b%E1%BB%99.xlsx"
        in (answer.headers["content-disposition"])
    )
    book = load_workbook(io.BytesIO(answer.content))
    header = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert header == [c.label for c in people.COLUMNS]


def unlinked_people(world: World) -> dict[str, int]:
    with world.sessions.begin() as session:
        found = {}
        for name, unit in (("Bùi Thị Thu", "SNV"), ("Ngô Văn Sơn", "SYT"), ("Đỗ Văn Tư", None)):
            person = Person(full_name=name, unit_id=world.units[unit] if unit else None)
            session.add(person)
            session.flush()
            found[name] = person.id
        return found


def test_people_without_a_chat_by_unit(app_client: TestClient, world: World) -> None:
    unlinked_people(world)
    sign_in(app_client, world, "office")
    page = app_client.get("/web/org")
    assert "3 trên 10 cán bộ chưa liên kết." in page.text
    listed = page.text.split('class="unlinked-people"')[1]
    assert all(n in listed for n in ("Bùi Thị Thu", "Ngô Văn Sơn", "Đỗ Văn Tư"))
    assert "Nguyễn Văn Hùng" not in listed  # linked on the console
    assert f'<option value="{world.units["SNV"]}">Sở Nội vụ (1/5)</option>' in page.text
    one_unit = app_client.get(f"/web/org?unit={world.units['SYT']}")
    listed = one_unit.text.split('class="unlinked-people"')[1]
    assert "Ngô Văn Sơn" in listed and "Bùi Thị Thu" not in listed


def test_an_invite_code_is_issued_and_shown_once(app_client: TestClient, world: World) -> None:
    found = unlinked_people(world)
    csrf = sign_in(app_client, world, "office")
    answer = app_client.post(
        "/web/org/invite", data={"csrf": csrf, "person": str(found["Bùi Thị Thu"])}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    with world.sessions() as session:
        invite = session.scalars(select(InviteCode)).one()
        issued_by = session.scalars(
            select(AuditLog.person_id).where(AuditLog.action == "invite.create")
        ).one()
    assert invite.person_id == found["Bùi Thị Thu"] and issued_by == world.people["office"]
    assert f"Mã mời cho Bùi Thị Thu: {invite.code}" in answer.text
    assert aware(invite.expires_at) == world.clock() + timedelta(days=7)
    later = app_client.get("/web/org").text
    assert invite.code not in later
    expires = (world.clock() + timedelta(days=7)).strftime("%d/%m/%Y")
    assert later.count(f"Đã cấp mã, còn hạn đến {expires}") == 1
    missing = app_client.post("/web/org/invite", data={"csrf": csrf, "person": "999999"})
    assert missing.status_code == 404
    world.clock.advance(days=8)
    sign_in(app_client, world, "office")  # the session has ended meanwhile
    assert "Đã cấp mã" not in app_client.get("/web/org").text


def test_an_invite_carries_the_telegram_link_when_the_bot_is_named(world: World) -> None:
    from dataclasses import replace

    from bot.web.app import create_app
    from tests.integration.services import services
    from tests.web.conftest import dashboard_for

    found = unlinked_people(world)
    dash = replace(dashboard_for(world), bot_username="ThiDuaBot")
    with TestClient(create_app(services(world, {}, background=False), dash)) as client:
        csrf = sign_in(client, world, "office")
        answer = client.post(
            "/web/org/invite", data={"csrf": csrf, "person": str(found["Đỗ Văn Tư"])}
        )
    with world.sessions() as session:
        code = session.scalars(select(InviteCode.code)).one()
    assert f'href="https://t.me/ThiDuaBot?start={code}"' in answer.text


def test_on_postgresql_too(tmp_path: Path) -> None:
    """The import's savepoint, the unlinked queries and an export's snapshot on PostgreSQL."""
    from bot.web.app import create_app
    from tests.forms.conftest import _postgres_schema, build_world
    from tests.integration.services import services
    from tests.web.conftest import dashboard_for

    for url in _postgres_schema():
        world = build_world(url, tmp_path / "files")
        try:
            app = create_app(services(world, {}, background=False), dashboard_for(world))
            with TestClient(app) as client:
                csrf = sign_in(client, world, "office")
                rows = [GOOD_PEOPLE[0], ["Lý Văn Tám", "12ab", "", "SNV", ""]]
                bad = upload(client, "people", csrf, "a.xlsx", people_xlsx(tmp_path, rows))
                assert bad.status_code == 422 and count(world, Person) == len(world.people)
                good = upload(
                    client, "people", csrf, "b.csv", csv_bytes(PEOPLE_HEADER, GOOD_PEOPLE)
                )
                assert "2 mới, 0 cập nhật" in good.text
                assert "2 trên 9 cán bộ chưa liên kết." in good.text
                person = str(world.people["head"])
                invited = client.post("/web/org/invite", data={"csrf": csrf, "person": person})
                assert "Mã mời cho Nguyễn Văn Hùng" in invited.text
                sign_in(client, world, "head2")  # a cluster lead's export, read from a snapshot
                answer = client.get(f"/web/exports/download?movement={world.movement_id}")
                book = load_workbook(io.BytesIO(answer.content))
                sheet = book.worksheets[0].iter_rows(min_row=2, values_only=True)
                assert [r[0] for r in sheet] == ["SNV", "STP"]
        finally:
            world.engine.dispose()
