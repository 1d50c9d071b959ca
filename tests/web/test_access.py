"""The dashboard's authorization matrix (role × page/action × unit), CSRF, links and sessions."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from bot.store.models import InviteCode, Person, PersonRole, Registration
from bot.store.outbox import OutboxMessage
from bot.store.roles import Role
from tests.chat import Chat
from tests.forms.conftest import World
from tests.web.conftest import link_for, sign_in
from tests.web.test_nominations import attachment_of, nominated, section, status_of

OK, DENIED = 200, 403


def submitted(world: World, unit: str) -> int:
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units[unit],
            movement_id=world.movement_id,
            status="submitted",
            version=1,
            submitted_at=world.clock(),
        )
        session.add(reg)
        session.flush()
        return reg.id


# user -> SNV's page, SYT's page, review page, chart, organisation page, its template download
# (exports: every role's page and download, each within its units: tests/web/test_exports.py)
MATRIX = {
    "office": (OK, OK, OK, OK, OK, OK),
    "head": (OK, DENIED, DENIED, OK, DENIED, DENIED),  # SNV's head
    "officer": (OK, DENIED, DENIED, OK, DENIED, DENIED),
    "head2": (OK, DENIED, DENIED, OK, DENIED, DENIED),  # STP's head, lead of the khối holding SNV
    "head3": (DENIED, OK, DENIED, OK, DENIED, DENIED),  # SYT's head
}


@pytest.mark.parametrize("user", sorted(MATRIX))
def test_pages_by_role_and_unit(app_client: TestClient, world: World, user: str) -> None:
    sign_in(app_client, world, user)
    snv, syt, review, chart, org, template = MATRIX[user]
    assert app_client.get(f"/web/units/{world.units['SNV']}").status_code == snv
    assert app_client.get(f"/web/units/{world.units['SYT']}").status_code == syt
    assert app_client.get("/web/review").status_code == review
    assert app_client.get(f"/web/movements/{world.movement_id}/chart.svg").status_code == chart
    assert app_client.get("/web/org").status_code == org
    assert app_client.get("/web/org/template/people").status_code == template
    assert app_client.get("/web/exports").status_code == OK
    download = app_client.get(f"/web/exports/download?movement={world.movement_id}")
    assert download.status_code == OK
    book = load_workbook(io.BytesIO(download.content))
    units = {row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert ("Sở Nội vụ" in units) == (snv == OK) and ("Sở Y tế" in units) == (syt == OK)
    board = app_client.get("/web/movements")
    assert board.status_code == OK
    assert ("Sở Nội vụ" in board.text) == (snv == OK)
    assert ("Sở Y tế" in board.text) == (syt == OK)
    assert ('href="/web/org"' in board.text) == (org == OK)


PEOPLE_CSV = "họ và tên,số điện thoại,mã đơn vị\nBùi Thị Thu,0912345678,SNV\n".encode()


def people_and_invites(world: World) -> tuple[int, int]:
    with world.sessions() as session:
        people = session.scalar(select(func.count()).select_from(Person))
        invites = session.scalar(select(func.count()).select_from(InviteCode))
    return int(people or 0), int(invites or 0)


@pytest.mark.parametrize("user", ["head", "officer", "head2", "head3"])
def test_only_the_office_uploads_and_invites_even_by_url(
    app_client: TestClient, world: World, user: str
) -> None:
    before = people_and_invites(world)
    csrf = sign_in(app_client, world, user)
    for kind in ("people", "units", "clusters"):
        answer = app_client.post(
            f"/web/org/import/{kind}",
            data={"csrf": csrf},
            files={"file": ("can-bo.csv", PEOPLE_CSV, "text/csv")},
        )
        assert answer.status_code == DENIED
    invite = app_client.post(
        "/web/org/invite", data={"csrf": csrf, "person": str(world.people[user])}
    )
    assert invite.status_code == DENIED
    assert people_and_invites(world) == before


def test_uploads_and_invites_without_the_csrf_token_are_refused(
    app_client: TestClient, world: World
) -> None:
    before = people_and_invites(world)
    sign_in(app_client, world, "office")
    forged = app_client.post(
        "/web/org/import/people", files={"file": ("can-bo.csv", PEOPLE_CSV, "text/csv")}
    )
    assert forged.status_code == DENIED
    wrong = app_client.post(
        "/web/org/import/people",
        data={"csrf": "x" * 43},
        files={"file": ("can-bo.csv", PEOPLE_CSV, "text/csv")},
    )
    assert wrong.status_code == DENIED
    invite = app_client.post("/web/org/invite", data={"person": str(world.people["head"])})
    assert invite.status_code == DENIED
    assert people_and_invites(world) == before


def test_exports_are_closed_to_a_cadre_and_a_stranger(app_client: TestClient, world: World) -> None:
    url = f"/web/exports/download?movement={world.movement_id}"
    assert app_client.get(url, follow_redirects=False).headers["location"] == "/web/login"
    sign_in(app_client, world, "cadre")
    assert app_client.get(url).status_code == DENIED
    assert app_client.get("/web/exports").status_code == DENIED


def test_a_unit_head_cannot_act_on_review_by_url(app_client: TestClient, world: World) -> None:
    reg_id = submitted(world, "SYT")
    csrf = sign_in(app_client, world, "head")
    answer = app_client.post(
        f"/web/review/{reg_id}", data={"csrf": csrf, "action": "approve", "version": "1"}
    )
    assert answer.status_code == DENIED
    with world.sessions() as session:
        assert session.get(Registration, reg_id).status == "submitted"  # type: ignore[union-attr]


def test_cadre_and_stranger_see_only_the_sign_in_page(app_client: TestClient, world: World) -> None:
    assert app_client.get("/web/movements", follow_redirects=False).headers["location"] == (
        "/web/login"
    )
    assert (
        app_client.get(f"/web/units/{world.units['SNV']}", follow_redirects=False).status_code
        == 303
    )
    sign_in(app_client, world, "cadre")
    page = app_client.get("/web/movements")
    assert page.status_code == DENIED
    assert "Sở Nội vụ" not in page.text


def test_a_form_post_without_the_csrf_token_is_refused(
    app_client: TestClient, world: World
) -> None:
    reg_id = submitted(world, "SNV")
    sign_in(app_client, world, "office")
    forged = app_client.post(f"/web/review/{reg_id}", data={"action": "approve", "version": "1"})
    assert forged.status_code == DENIED
    wrong = app_client.post(
        f"/web/review/{reg_id}", data={"csrf": "x" * 43, "action": "approve", "version": "1"}
    )
    assert wrong.status_code == DENIED
    with world.sessions() as session:
        assert session.get(Registration, reg_id).status == "submitted"  # type: ignore[union-attr]
    assert app_client.post("/web/logout", data={}).status_code == DENIED


def test_a_link_works_once_and_expires(app_client: TestClient, world: World) -> None:
    token = link_for(world, "office")
    app_client.get(f"/web/login/{token}")
    pre = app_client.cookies.get("thidua_login")
    assert (
        app_client.post(
            f"/web/login/{token}", data={"csrf": pre}, follow_redirects=False
        ).status_code
        == 303
    )
    assert app_client.get(f"/web/login/{token}").status_code == 410
    late = link_for(world, "office")
    world.clock.advance(minutes=11)
    assert app_client.get(f"/web/login/{late}").status_code == 410


def test_the_link_post_needs_the_page_token(app_client: TestClient, world: World) -> None:
    token = link_for(world, "office")
    assert app_client.post(f"/web/login/{token}", data={}).status_code == DENIED


def test_sign_out_and_role_change_end_the_session(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, world, "office")
    assert app_client.post("/web/logout", data={"csrf": csrf}).status_code == OK
    assert app_client.get("/web/movements", follow_redirects=False).status_code == 303
    sign_in(app_client, world, "head")
    assert app_client.get("/web/movements").status_code == OK
    head = world.people["head"]
    with world.sessions.begin() as session:
        held = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == head)))
        session.execute(delete(PersonRole).where(PersonRole.person_id == head))
        session.add(PersonRole(person_id=head, role=Role.UNIT_OFFICER.value))
    assert app_client.get("/web/movements", follow_redirects=False).status_code == 303
    with world.sessions.begin() as session:  # the roles back as they were: the session stays ended
        session.execute(delete(PersonRole).where(PersonRole.person_id == head))
        session.add_all(PersonRole(person_id=head, role=role) for role in held)
    assert app_client.get("/web/movements", follow_redirects=False).status_code == 303


def test_review_return_and_approve_notify_the_unit(app_client: TestClient, world: World) -> None:
    returned, approved = submitted(world, "SNV"), submitted(world, "STP")
    csrf = sign_in(app_client, world, "office")
    page = app_client.get("/web/review")
    assert "Sở Nội vụ" in page.text and "Sở Tư pháp" in page.text
    short = app_client.post(
        f"/web/review/{returned}",
        data={"csrf": csrf, "action": "return", "version": "1", "reason": "x"},
    )
    assert "Lý do trả lại cần" in short.text
    done = app_client.post(
        f"/web/review/{returned}",
        data={"csrf": csrf, "action": "return", "version": "1", "reason": "Thiếu chỉ tiêu"},
    )
    assert done.status_code == OK and "Đã trả lại" in done.text
    app_client.post(
        f"/web/review/{approved}", data={"csrf": csrf, "action": "approve", "version": "1"}
    )
    with world.sessions() as session:
        assert session.get(Registration, returned).status == "returned"  # type: ignore[union-attr]
        assert session.get(Registration, approved).status == "approved"  # type: ignore[union-attr]
        rows = session.execute(select(OutboxMessage.chat_id, OutboxMessage.payload)).all()
    by_chat = {chat: str(payload) for chat, payload in rows}
    assert "Thiếu chỉ tiêu" in by_chat["head"] and "Thiếu chỉ tiêu" in by_chat["officer"]
    assert "duyệt" in by_chat["head2"]  # STP's head


def test_web_in_chat_sends_a_link(world: World) -> None:
    from bot.core.router import Router
    from bot.delivery.turns import Turns

    router = Router(world.qa, web_url=lambda token: f"https://thidua.example/web/login/{token}")
    office = Chat(Turns(world.sessions, router, world.clock), "office")
    text = " ".join(r.text for r in office.say("/web"))
    assert "https://thidua.example/web/login/" in text
    cadre = Chat(Turns(world.sessions, router, world.clock), "cadre")
    assert "chưa có vai trò" in " ".join(r.text for r in cadre.say("/web"))


def test_review_lists_a_page_at_a_time_oldest_first(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.routers import review

    monkeypatch.setattr(review, "PAGE_SIZE", 1)
    submitted(world, "SNV")
    submitted(world, "STP")
    sign_in(app_client, world, "office")
    first, second = app_client.get("/web/review"), app_client.get("/web/review?page=2")
    assert "Sở Nội vụ" in first.text and "Sở Tư pháp" not in first.text
    assert "Trang 1/2" in first.text and 'href="/web/review?page=2"' in first.text
    assert "Sở Tư pháp" in second.text and "Sở Nội vụ" not in second.text
    assert 'href="/web/review?page=1"' in second.text
    past_the_end = app_client.get("/web/review?page=99")
    assert "Sở Tư pháp" in past_the_end.text and "Trang 2/2" in past_the_end.text


def test_a_decision_nobody_can_receive_is_said_on_the_page(
    app_client: TestClient, world: World
) -> None:
    """The dashboard pushes as /duyet does: a unit with no linked chat is on the office's list
    of people not reached, and the office is told to inform the unit itself."""
    from bot.store import reminders as reminder_rows
    from bot.store.models import ChannelIdentity, Person

    reg_id = submitted(world, "SYT")
    with world.sessions.begin() as session:
        syt_people = select(Person.id).where(Person.unit_id == world.units["SYT"])
        session.execute(delete(ChannelIdentity).where(ChannelIdentity.person_id.in_(syt_people)))
    csrf = sign_in(app_client, world, "office")
    done = app_client.post(
        f"/web/review/{reg_id}", data={"csrf": csrf, "action": "approve", "version": "1"}
    )
    assert done.status_code == OK and "chưa ai của đơn vị liên kết" in done.text
    with world.sessions() as session:
        logged = session.scalars(
            select(reminder_rows.ReminderLog.status).where(
                reminder_rows.ReminderLog.unit_id == world.units["SYT"]
            )
        ).all()
        assert logged and set(logged) == {reminder_rows.UNREACHED}
        assert session.scalar(select(OutboxMessage.id)) is None


OFFICE_PAGES = ("/web/questions", "/web/questions/answers", "/web/questions/new", "/web/audit")


def curated_answer(world: World) -> int:
    """A curated answer in force, as `thidua answers add` leaves one (no wordings needed)."""
    from bot.store import curated

    with world.sessions.begin() as session:
        row = curated.add(
            session,
            question="Ai tặng Giấy khen?",
            answer="Thủ trưởng đơn vị.",
            citations=[],
            answered_on=world.clock().date(),
            wordings=[],
            now=world.clock(),
        )
        return row.id


@pytest.mark.parametrize("user", sorted(MATRIX))
def test_questions_and_audit_are_the_offices_alone(
    app_client: TestClient, world: World, user: str
) -> None:
    """A unit head or a cluster lead sees neither, not even for their own units."""
    answer_id = curated_answer(world)
    sign_in(app_client, world, user)
    expected = OK if user == "office" else DENIED
    for path in (*OFFICE_PAGES, f"/web/questions/answers/{answer_id}/edit"):
        assert app_client.get(path).status_code == expected, path
    nav = app_client.get("/web/movements").text
    assert ('href="/web/questions"' in nav) == (user == "office")
    assert ('href="/web/audit"' in nav) == (user == "office")


@pytest.mark.parametrize("user", ["head", "head2", "officer"])
def test_others_cannot_answer_withdraw_restore_or_rewrite_by_url(
    app_client: TestClient, world: World, user: str
) -> None:
    from bot.store.qa_models import CuratedAnswer

    answer_id = curated_answer(world)
    csrf = sign_in(app_client, world, user)
    form = {
        "csrf": csrf,
        "question": "Câu hỏi?",
        "text": "Trả lời.",
        "cites": "Điều 75 06/2022/QH15",
    }
    base = f"/web/questions/answers/{answer_id}"
    for path in ("/web/questions/new", f"{base}/edit", f"{base}/withdraw", f"{base}/restore"):
        assert app_client.post(path, data=form).status_code == DENIED, path
    with world.sessions() as session:
        row = session.get(CuratedAnswer, answer_id)
        assert row is not None and row.status == "active" and row.answer == "Thủ trưởng đơn vị."
        assert session.scalars(select(CuratedAnswer.id)).all() == [answer_id]


def test_a_forged_post_on_the_questions_pages_is_refused(
    app_client: TestClient, world: World
) -> None:
    from bot.store.qa_models import CuratedAnswer

    answer_id = curated_answer(world)
    sign_in(app_client, world, "office")
    form = {"question": "Câu hỏi?", "text": "Trả lời.", "cites": "Điều 75 06/2022/QH15"}
    base = f"/web/questions/answers/{answer_id}"
    for path in ("/web/questions/new", f"{base}/edit", f"{base}/withdraw", f"{base}/restore"):
        assert app_client.post(path, data=form).status_code == DENIED, path
        assert app_client.post(path, data={**form, "csrf": "x" * 43}).status_code == DENIED
    with world.sessions() as session:
        row = session.get(CuratedAnswer, answer_id)
        assert row is not None and row.status == "active"


# user -> sees SNV's nomination, STP's, SYT's; may review (the office alone)
NOMINATION_MATRIX = {
    "office": (True, True, True, True),
    "head": (True, False, False, False),  # SNV's head
    "officer": (True, False, False, False),
    "head2": (True, True, False, False),  # STP's head, lead of the khối holding SNV
    "head3": (False, False, True, False),  # SYT's head
}


@pytest.mark.parametrize("user", sorted(NOMINATION_MATRIX))
def test_nominations_by_role_and_unit_even_by_url(
    app_client: TestClient, world: World, user: str
) -> None:
    noms = [nominated(world, code, "LDTT") for code in ("SNV", "STP", "SYT")]
    csrf = sign_in(app_client, world, user)
    *sees, reviews = NOMINATION_MATRIX[user]
    page = app_client.get("/web/nominations")
    assert page.status_code == OK
    assert 'href="/web/nominations"' in page.text
    assert ("Khối Văn hoá - Xã hội" in page.text) == sees[2]  # the cluster filter: SYT's khối
    for nom_id, seen in zip(noms, sees, strict=True):
        shown = section(page.text, nom_id)
        assert bool(shown) == seen
        assert ('name="action"' in shown) == (seen and reviews)
        file = app_client.get(
            f"/web/nominations/{nom_id}/attachments/{attachment_of(world, nom_id)}"
        )
        assert file.status_code == (OK if seen else DENIED)
        for action, reason in (("approve", ""), ("return", "Thiếu hồ sơ"), ("refuse", "Không đạt")):
            posted = app_client.post(
                f"/web/nominations/{nom_id}",
                data={"csrf": csrf, "action": action, "version": "1", "reason": reason},
                follow_redirects=False,
            )
            assert posted.status_code == (303 if reviews else DENIED)
            if reviews:
                break  # decided: the others would find it no longer waiting
    decided = [status_of(world, nom_id)[0] for nom_id in noms]
    assert decided == ["approved" if reviews else "submitted"] * 3


def test_nominations_are_closed_to_a_cadre_and_a_stranger(
    app_client: TestClient, world: World
) -> None:
    nom_id = nominated(world, "SNV", "LDTT")
    file = f"/web/nominations/{nom_id}/attachments/{attachment_of(world, nom_id)}"
    for url in ("/web/nominations", file):
        assert app_client.get(url, follow_redirects=False).headers["location"] == "/web/login"
    sign_in(app_client, world, "cadre")
    assert app_client.get("/web/nominations").status_code == DENIED
    assert app_client.get(file).status_code == DENIED
