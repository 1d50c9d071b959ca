"""Nominations, award results and cluster rankings on every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store import awards, nominations
from bot.store.conversations import Conflict
from bot.store.models import AuditLog
from tests.contract.test_store_contract import (
    add_cluster,
    add_movement,
    add_person,
    add_unit,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=HCM)


def draft_for(unit_id: int, person_id: int, movement_id: int | None = None) -> dict[str, object]:
    return {
        "movement_id": movement_id,
        "year": 2026,
        "unit_id": unit_id,
        "kind": nominations.PERSON,
        "person_id": person_id,
        "name": "Nguyễn Văn A",
        "award": "CSTDCS",
        "summary": "Hoàn thành xuất sắc nhiệm vụ, có sáng kiến được công nhận.",
        "files": [
            {"kind": nominations.PROPOSAL, "sha": "a" * 64, "name": "to-trinh.pdf", "size": 10},
            {"kind": nominations.INITIATIVE, "sha": "b" * 64, "name": "sk.pdf", "size": 20},
        ],
    }


def test_tables_exist(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        bind = session.get_bind()
        tables = set(inspect(bind).get_table_names())
    assert {
        "nominations",
        "nomination_attachments",
        "nomination_versions",
        "nomination_settings",
        "award_results",
        "cluster_rankings",
    } <= tables


def test_write_versions_status_and_audit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        unit = add_unit(session, "SNV")
        person = add_person(session, "Nguyễn Văn A", unit)
        movement = add_movement(session, "PT", date(2026, 1, 1), date(2026, 12, 31))
        draft = draft_for(unit.id, person.id, movement.id)
        saved = nominations.write_nomination(
            session, draft, status=nominations.PENDING_HEAD, person_id=person.id, now=NOW
        )
        assert (saved.version, saved.status) == (1, nominations.PENDING_HEAD)
        ids = (unit.id, person.id, saved.id, movement.id)
    unit_id, person_id, nom_id, movement_id = ids
    with sessions.begin() as session:
        nom = nominations.get(session, nom_id)
        assert nom is not None
        assert nom.nominee_key == f"p:{person_id}"
        assert [a.kind for a in nom.attachments] == ["to_trinh", "sang_kien"]
        draft = nominations.to_draft(nom)
        draft["summary"] = "Bản sửa: hoàn thành xuất sắc nhiệm vụ năm 2026."
        draft["files"] = draft["files"][:1]
        nominations.write_nomination(
            session, draft, status=nominations.PENDING_HEAD, person_id=person_id, now=NOW
        )
    with sessions.begin() as session:
        nom = nominations.set_status(
            session, nom_id, 2, status=nominations.SUBMITTED, person_id=person_id, now=NOW
        )
        assert nom.submitted_at is not None and nom.version == 3
    with sessions.begin() as session, pytest.raises(Conflict):
        nominations.set_status(
            session, nom_id, 2, status=nominations.REFUSED, person_id=person_id, now=NOW
        )
    with sessions.begin() as session:
        nominations.set_status(
            session,
            nom_id,
            3,
            status=nominations.REFUSED,
            person_id=person_id,
            now=NOW,
            reason="Chưa đủ ba năm liên tục",
        )
    with sessions() as session:
        nom = nominations.get(session, nom_id)
        assert nom is not None
        assert (nom.status, nom.reason, nom.version) == ("refused", "Chưa đủ ba năm liên tục", 4)
        assert len(nom.attachments) == 1
        snaps = nominations.versions(session, nom_id)
        assert [v.version for v in snaps] == [1, 2, 3, 4]
        assert snaps[0].snapshot["summary"].startswith("Hoàn thành")
        assert len(snaps[0].snapshot["files"]) == 2
        actions = list(
            session.scalars(
                select(AuditLog.action).where(AuditLog.entity == "nomination").order_by(AuditLog.id)
            )
        )
        assert actions == [
            "nomination.pending_head",
            "nomination.pending_head",
            "nomination.submitted",
            "nomination.refused",
        ]
        assert [n.id for n in nominations.of_unit(session, unit_id, 2026)] == [nom_id]
        assert [n.id for n in nominations.of_movement(session, movement_id)] == [nom_id]
        assert nominations.with_status(session, nominations.REFUSED, unit_id)[0].id == nom_id


def test_one_nominee_once_per_award_and_year(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        unit = add_unit(session, "SNV")
        person = add_person(session, "Nguyễn Văn A", unit)
        first = draft_for(unit.id, person.id)
        nominations.write_nomination(
            session, first, status=nominations.SUBMITTED, person_id=person.id, now=NOW
        )
        again = draft_for(unit.id, person.id)
        assert nominations.find_same(session, again) is not None
        assert nominations.find_same(session, first) is None  # itself is not "another"
        other = {**draft_for(unit.id, person.id), "award": "LDTT"}
        assert nominations.find_same(session, other) is None
        ids = unit.id, person.id
    with sessions.begin() as session, pytest.raises(IntegrityError):
        nominations.write_nomination(
            session, draft_for(*ids), status=nominations.SUBMITTED, person_id=ids[1], now=NOW
        )


def test_named_nominee_and_unit_keys() -> None:
    key = nominations.nominee_key
    assert key("unit", person_id=None, unit_id=3) == "u:3"
    assert key("person", person_id=9, unit_id=3) == "p:9"
    assert key("named", person_id=None, unit_id=3, name=" Lê  Văn Bình ") == "n:3:lê văn bình"


def test_results_upsert_and_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        unit = add_unit(session, "SNV")
        person = add_person(session, "Nguyễn Văn A", unit)
        for year in (2023, 2024):
            award = awards.Award(
                year=year,
                award_code="CSTDCS",
                nominee_kind="person",
                unit_id=unit.id,
                person_id=person.id,
                nominee_name=person.full_name,
                nominee_key=f"p:{person.id}",
                decision_number=f"{year}/QĐ-SNV",
                decision_date=date(year, 12, 20),
                issuer="Giám đốc Sở Nội vụ",
            )
            _row, created = awards.record_result(session, award, now=NOW)
            assert created
        fix = awards.Award(**{**award.__dict__, "decision_number": "99/QĐ-SNV"})
        row, created = awards.record_result(session, fix, now=NOW)
        assert not created and row.decision_number == "99/QĐ-SNV"
        key = f"p:{person.id}"
    with sessions() as session:
        assert awards.history(session, [key, "n:1:x"]) == {("CSTDCS", 2023), ("CSTDCS", 2024)}
        assert awards.history(session, []) == set()
        assert [r.decision_number for r in awards.results_of_year(session, 2024)] == ["99/QĐ-SNV"]


def test_cluster_ranking_replaced_and_read(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        a, b, c = (add_unit(session, code) for code in ("A", "B", "C"))
        cluster = add_cluster(session, "K1", 2026, a, [a, b, c])
        assert awards.standing(session, b.id, 2026) == [(cluster, None)]
        awards.record_ranking(session, cluster, [b.id, a.id, c.id], person_id=None, now=NOW)
        awards.record_ranking(session, cluster, [c.id, b.id], person_id=None, now=NOW)
        ids = cluster.id, a.id, b.id, c.id
    cluster_id, _a, b_id, c_id = ids
    with sessions() as session:
        assert awards.ranking(session, cluster_id) == [c_id, b_id]
        [(found, leader)] = awards.standing(session, b_id, 2026)
        assert found.id == cluster_id and leader == c_id


def test_settings_saved_and_replaced(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        movement = add_movement(session, "PT", date(2026, 1, 1), date(2026, 12, 31))
        assert nominations.settings_of(session, movement.id) is None
        nominations.save_settings(session, movement.id, deadline=date(2026, 12, 10), quotas={})
        quotas = {"CSTDCS": {"of": "LDTT", "max_percent": 15}}
        nominations.save_settings(session, movement.id, deadline=None, quotas=quotas)
        movement_id = movement.id
    with sessions() as session:
        row = nominations.settings_of(session, movement_id)
        assert row is not None and row.deadline is None
        assert row.quotas == {"CSTDCS": {"of": "LDTT", "max_percent": 15}}
