"""The nominations page: the list with its counts, filters and the Law's warnings, the office's
review (the unit told in chat through the outbox, as /duyetdn does), and the hồ sơ's files.
Who may see and do what: tests/web/test_access.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store import nominations
from bot.store.audit import AuditLog
from bot.store.models import Cluster
from bot.store.nominations import Nomination
from bot.store.outbox import OutboxMessage
from tests.forms.conftest import World
from tests.web.conftest import sign_in

SUBMITTED_BEFORE = timedelta(days=2)  # the head submitted two days before the office looks
SCAN = b"%PDF-1.4 to trinh de nghi khen thuong"
BASE_FILES = ("to_trinh", "bao_cao", "bien_ban")


def file_of(kind: str, sha: str) -> dict[str, Any]:
    name, size = f"{kind}-tệp.pdf", len(SCAN)
    return {"kind": kind, "sha": sha, "name": name, "type": "application/pdf", "size": size}


def nominated(
    world: World,
    unit: str,
    award: str,
    who: str | None = None,
    *,
    status: str = nominations.SUBMITTED,
    files: tuple[str, ...] = BASE_FILES,
) -> int:
    """A nomination of `who` (a chat user; None: the unit itself) whose files are really stored,
    written as the head's submission writes it."""
    stored = world.files.put(SCAN)
    draft: dict[str, Any] = {
        "movement_id": world.movement_id,
        "year": 2026,
        "unit_id": world.units[unit],
        "kind": nominations.UNIT if who is None else nominations.PERSON,
        "person_id": None if who is None else world.people[who],
        "name": "",
        "award": award,
        "summary": "Hoàn thành xuất sắc nhiệm vụ được giao.",
        "files": [file_of(kind, stored.sha256) for kind in files],
    }
    with world.sessions.begin() as session:
        saved = nominations.write_nomination(
            session, draft, status=status, person_id=None, now=world.clock() - SUBMITTED_BEFORE
        )
        return saved.id


def attachment_of(world: World, nom_id: int) -> int:
    with world.sessions() as session:
        nom = session.get(Nomination, nom_id)
        assert nom is not None and nom.attachments
        return nom.attachments[0].id


def status_of(world: World, nom_id: int) -> tuple[str, str]:
    with world.sessions() as session:
        nom = session.get(Nomination, nom_id)
        assert nom is not None
        return nom.status, nom.reason


def section(page: str, nom_id: int) -> str:
    """The HTML of one nomination's section on the page ("" when it is not listed)."""
    found = re.search(rf'<section class="nomination" id="n{nom_id}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_the_list_with_its_warnings_counts_and_filters(
    app_client: TestClient, world: World
) -> None:
    fighter = nominated(world, "SNV", "CSTDCS", "officer")  # no LĐTT, no initiative
    premier = nominated(world, "SYT", "BK_TTG", "head3")  # no opinion of the province
    flag = nominated(world, "STP", "TTLDXS", status=nominations.APPROVED)
    sign_in(app_client, world, "office")
    page = app_client.get("/web/nominations")
    assert page.status_code == 200, page.text
    assert "Đề nghị khen thưởng năm 2026" in page.text
    mai = section(page.text, fighter)
    assert "Trần Thị Mai — «Chiến sĩ thi đua cơ sở»" in mai
    assert "Đã nộp" in mai and "nộp ngày 08/03/2026" in mai  # the world's clock: 10/03/2026
    assert "Điều 23 khoản 1" in mai and "Điều 84 khoản 1 điểm d" in mai
    assert f'href="/web/nominations/{fighter}/attachments/' in mai
    assert "Tờ trình: " in mai and "✅ Đồng ý trình Hội đồng" in mai
    assert "Điều 84 khoản 3" in section(page.text, premier)
    approved = section(page.text, flag)
    assert "Đồng ý trình" in approved and 'name="action"' not in approved  # decided: no form
    assert "Đã nộp: 2" in page.text and "Đồng ý trình: 1" in page.text
    assert "Bằng khen của Thủ tướng Chính phủ: 1" in page.text
    assert page.text.index(f'id="n{fighter}"') < page.text.index(f'id="n{flag}"')

    with world.sessions() as session:
        k1 = session.scalar(select(Cluster.id).where(Cluster.code == "K1"))
    in_k1 = app_client.get(f"/web/nominations?cluster={k1}").text
    assert section(in_k1, fighter) and section(in_k1, flag) and not section(in_k1, premier)
    unit_page = app_client.get(f"/web/units/{world.units['SYT']}").text
    assert f'href="/web/nominations?unit={world.units["SYT"]}"' in unit_page
    of_syt = app_client.get(f"/web/nominations?unit={world.units['SYT']}").text
    assert section(of_syt, premier) and not section(of_syt, fighter)
    waiting = app_client.get("/web/nominations?status=submitted").text
    assert section(waiting, fighter) and section(waiting, premier) and not section(waiting, flag)
    assert "Đồng ý trình: 1" in waiting  # the counts ignore the status chosen
    by_award = app_client.get("/web/nominations?award=BK_TTG").text
    assert section(by_award, premier) and not section(by_award, fighter)
    assert (
        "Không có đề nghị khen thưởng nào khớp" in app_client.get("/web/nominations?year=2025").text
    )


def test_return_refuse_and_approve_tell_the_unit_through_the_outbox(
    app_client: TestClient, world: World
) -> None:
    returned = nominated(world, "SNV", "CSTDCS", "officer")
    refused = nominated(world, "SNV", "LDTT", "head")
    approved = nominated(world, "STP", "TTLDXS")
    csrf = sign_in(app_client, world, "office")
    form = {"csrf": csrf, "version": "1", "back": f"unit={world.units['SNV']}"}
    short = app_client.post(
        f"/web/nominations/{returned}", data={**form, "action": "return", "reason": "x"}
    )
    assert "Lý do cần từ 3 đến 2000 ký tự" in short.text
    assert status_of(world, returned) == (nominations.SUBMITTED, "")
    done = app_client.post(
        f"/web/nominations/{returned}",
        data={**form, "action": "return", "reason": "Thiếu chứng nhận sáng kiến"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/web/nominations?year=2026&unit={world.units['SNV']}&msg=return#n{returned}"
    )
    after = app_client.get(done.headers["location"]).text
    assert "Đã trả lại đề nghị" in after
    shown = section(after, returned)
    assert "Trả lại" in shown and "Ban xét ngày 10/03/2026" in shown
    assert "Lý do trả lại, không đồng ý: Thiếu chứng nhận sáng kiến" in shown
    app_client.post(
        f"/web/nominations/{refused}",
        data={**form, "action": "refuse", "reason": "Không đủ thời gian công tác"},
    )
    ok = app_client.post(f"/web/nominations/{approved}", data={**form, "action": "approve"})
    assert "Đã đồng ý trình Hội đồng" in ok.text
    assert status_of(world, returned) == (nominations.RETURNED, "Thiếu chứng nhận sáng kiến")
    assert status_of(world, refused) == (nominations.REFUSED, "Không đủ thời gian công tác")
    assert status_of(world, approved) == (nominations.APPROVED, "")
    with world.sessions() as session:
        rows = session.execute(select(OutboxMessage.chat_id, OutboxMessage.payload)).all()
        audited = set(session.scalars(select(AuditLog.action)))
    sent: dict[str, list[str]] = {}
    for chat, payload in rows:
        sent.setdefault(chat, []).append(str(payload))
    snv = " ".join(sent["head"] + sent["officer"])
    assert "Thiếu chứng nhận sáng kiến" in snv and "/denghi" in snv  # «Mở đề nghị để sửa»
    assert "Không đủ thời gian công tác" in " ".join(sent["officer"])
    assert "đồng ý trình Hội đồng" in " ".join(sent["head2"])  # Sở Tư pháp's head
    assert "head3" not in sent  # Sở Y tế hears nothing of the others'
    assert {"nomination.returned", "nomination.refused", "nomination.approved"} <= audited
    again = app_client.post(f"/web/nominations/{approved}", data={**form, "action": "approve"})
    assert "không còn chờ Ban xét" in again.text  # decided already: nothing written twice
    assert len(session_outbox(world)) == len(rows)


def session_outbox(world: World) -> list[int]:
    with world.sessions() as session:
        return list(session.scalars(select(OutboxMessage.id)))


def test_a_files_download_keeps_its_name(app_client: TestClient, world: World) -> None:
    nom_id = nominated(world, "SNV", "CSTDCS", "officer")
    sign_in(app_client, world, "officer")
    got = app_client.get(f"/web/nominations/{nom_id}/attachments/{attachment_of(world, nom_id)}")
    assert got.status_code == 200 and got.content == SCAN
    assert "filename*=UTF-8''to_trinh-t%E1%BB%87p.pdf" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    other = nominated(world, "SNV", "LDTT", "head")
    wrong = app_client.get(f"/web/nominations/{nom_id}/attachments/{attachment_of(world, other)}")
    assert wrong.status_code == 404
    assert app_client.get(f"/web/nominations/{nom_id + 99}/attachments/1").status_code == 404


def test_a_forged_nomination_decision_is_refused(app_client: TestClient, world: World) -> None:
    nom_id = nominated(world, "SNV", "LDTT")
    sign_in(app_client, world, "office")
    form = {"action": "return", "version": "1", "reason": "Thiếu hồ sơ"}
    assert app_client.post(f"/web/nominations/{nom_id}", data=form).status_code == 403
    wrong = app_client.post(f"/web/nominations/{nom_id}", data={**form, "csrf": "x" * 43})
    assert wrong.status_code == 403
    assert status_of(world, nom_id) == ("submitted", "")
    with world.sessions() as session:
        assert session.scalar(select(OutboxMessage.id)) is None
