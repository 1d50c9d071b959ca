"""The audit log page: newest first, filtered by unit (its people's acts and what was done to
its records), person and dates typed dd/mm/yyyy, a page at a time with the filters kept."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.i18n import web_vi
from bot.store import org
from tests.forms.conftest import World
from tests.web.conftest import sign_in
from tests.web.test_access import submitted

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def log(
    world: World, when: datetime, who: str | None, action: str, entity: str, eid: int | None
) -> None:
    with world.sessions.begin() as session:
        org.audit(
            session,
            person_id=world.people[who] if who else None,
            action=action,
            entity=entity,
            entity_id=eid,
            before=None,
            after={"note": f"{action} {eid}"},
            now=when,
        )


@pytest.fixture
def logged(world: World) -> dict[str, str]:
    """Five rows over ten days; the names the page shows for each."""
    snv, syt = submitted(world, "SNV"), submitted(world, "SYT")
    log(
        world,
        datetime(2026, 3, 1, 8, 0, tzinfo=HCM),
        "head",
        "registration.submitted",
        "registration",
        snv,
    )
    log(
        world,
        datetime(2026, 3, 5, 9, 0, tzinfo=HCM),
        "head3",
        "registration.submitted",
        "registration",
        syt,
    )
    log(
        world,
        datetime(2026, 3, 8, 23, 30, tzinfo=HCM),
        "office",
        "registration.approved",
        "registration",
        snv,
    )
    log(
        world,
        datetime(2026, 3, 9, 7, 0, tzinfo=HCM),
        None,
        "invite.create",
        "person",
        world.people["officer"],
    )
    log(world, datetime(2026, 3, 10, 7, 0, tzinfo=HCM), None, "import", "unit", None)
    return {
        "r1": "01/03/2026 08:00",
        "r2": "05/03/2026 09:00",
        "r3": "08/03/2026 23:30",
        "r4": "09/03/2026 07:00",
        "r5": "10/03/2026 07:00",
    }


def shown(page: str, logged: dict[str, str]) -> list[str]:
    """Which rows the page lists, in its order."""
    where = {key: page.find(f'<td class="nowrap">{at}</td>') for key, at in logged.items()}
    return [key for key, at in sorted(where.items(), key=lambda kv: kv[1]) if at >= 0]


def test_the_log_newest_first_with_who_and_which_unit(
    app_client: TestClient, world: World, logged: dict[str, str]
) -> None:
    sign_in(app_client, world, "office")
    page = app_client.get("/web/audit")
    assert page.status_code == 200, page.text
    assert shown(page.text, logged) == ["r5", "r4", "r3", "r2", "r1"]
    row3 = page.text[page.text.index(logged["r3"]) :]
    row3 = row3[: row3.index("</tr>")]
    assert "Phạm Thị Lan" in row3 and "Sở Nội vụ" in row3 and "Duyệt đăng ký" in row3
    row5 = page.text[page.text.index(logged["r5"]) :]
    assert web_vi.AUDIT_SYSTEM in row5[: row5.index("</tr>")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"unit": "SNV"}, ["r4", "r3", "r1"]),  # by code: its people, its records
        ({"unit": "so y te"}, ["r2"]),  # by name, typed without diacritics
        ({"person": "Phạm Thị Lan"}, ["r3"]),
        ({"person": "vo thi"}, ["r2"]),
        ({"from": "05/03/2026", "to": "8/3/2026"}, ["r3", "r2"]),  # both days whole
        ({"unit": "SNV", "from": "02/03/2026"}, ["r4", "r3"]),
    ],
)
def test_filters(
    app_client: TestClient,
    world: World,
    logged: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    sign_in(app_client, world, "office")
    page = app_client.get("/web/audit", params=query)
    assert page.status_code == 200
    assert shown(page.text, logged) == expected
    for value in query.values():
        assert f'value="{value}"' in page.text  # the filter stays in its field


def test_what_cannot_be_used_is_said_and_matches_nothing_or_is_left_open(
    app_client: TestClient, world: World, logged: dict[str, str]
) -> None:
    sign_in(app_client, world, "office")
    bad = app_client.get("/web/audit", params={"from": "31/02/2026", "to": "01/03/2026"})
    assert web_vi.AUDIT_BAD_DATE.format(field=web_vi.AUDIT_FROM, value="31/02/2026") in bad.text
    assert shown(bad.text, logged) == ["r1"]
    reversed_ = app_client.get("/web/audit", params={"from": "09/03/2026", "to": "01/03/2026"})
    assert web_vi.AUDIT_DATES_REVERSED in reversed_.text and shown(reversed_.text, logged) == []
    nobody = app_client.get("/web/audit", params={"person": "Không Ai"})
    assert web_vi.AUDIT_NO_PERSON.format(value="Không Ai") in nobody.text
    assert web_vi.AUDIT_NONE in nobody.text
    nowhere = app_client.get("/web/audit", params={"unit": "XYZ"})
    assert shown(nowhere.text, logged) == []


def test_pages_keep_the_filters(
    app_client: TestClient,
    world: World,
    logged: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.web.routers import audit

    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    sign_in(app_client, world, "office")
    first = app_client.get("/web/audit", params={"unit": "SNV"})
    assert shown(first.text, logged) == ["r4", "r3"]
    assert "Trang 1/2" in first.text
    [link] = re.findall(r'href="(/web/audit\?[^"]*page=2)"', first.text)
    second = app_client.get(link.replace("&amp;", "&"))
    assert shown(second.text, logged) == ["r1"]
    past = app_client.get("/web/audit", params={"unit": "SNV", "page": "9"})
    assert shown(past.text, logged) == ["r1"] and "Trang 2/2" in past.text
    typed = app_client.get("/web/audit", params={"unit": "SNV", "page": "hai"})
    assert typed.status_code == 200 and shown(typed.text, logged) == ["r4", "r3"]
