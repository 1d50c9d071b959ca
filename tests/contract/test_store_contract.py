"""One suite, every backend: what bot.store.org promises must hold on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import vi
from bot.store.db import MIGRATIONS_DIR, migrate
from bot.store.models import (
    AuditLog,
    ChannelIdentity,
    Cluster,
    ClusterMember,
    Conversation,
    InviteCode,
    Movement,
    Person,
    PersonRole,
    Registration,
    RegistrationVersion,
    Target,
    TitleCatalog,
    Unit,
)
from bot.store.org import (
    INVITE_ALPHABET,
    InviteError,
    audit,
    aware,
    cluster_led_from,
    clusters_of_unit,
    create_invite,
    link_identity,
    open_movements,
    roles_of,
    seed_titles,
)
from bot.store.roles import Role
from bot.store.titles import TITLES

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=HCM)


def person_for_identity(session: Session, channel: str, external_id: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )


def add_unit(session: Session, code: str) -> Unit:
    unit = Unit(code=code, name=f"Đơn vị {code}")
    session.add(unit)
    session.flush()
    return unit


def add_person(
    session: Session, name: str, unit: Unit | None = None, roles: Sequence[str] = ()
) -> Person:
    person = Person(full_name=name, unit_id=unit.id if unit else None)
    person.roles = [PersonRole(role=role) for role in roles]
    session.add(person)
    session.flush()
    return person


def add_cluster(
    session: Session, code: str, year: int, lead: Unit | None, members: Sequence[Unit]
) -> Cluster:
    cluster = Cluster(
        code=code, name=f"Khối {code}", kind="khối", year=year, lead_unit_id=lead and lead.id
    )
    cluster.members = [ClusterMember(unit_id=unit.id) for unit in members]
    session.add(cluster)
    session.flush()
    return cluster


def add_movement(session: Session, code: str, start: date, end: date) -> Movement:
    movement = Movement(
        code=code, title=f"Phong trào {code}", year=start.year, start_date=start, end_date=end,
        registration_deadline=start + timedelta(days=30),
    )  # fmt: skip
    session.add(movement)
    session.flush()
    return movement


def test_migrate_is_idempotent_and_reaches_head(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == head
    tables = set(inspect(engine).get_table_names())
    assert {"units", "people", "invite_codes", "registrations", "audit_log"} <= tables


def test_seed_titles_is_idempotent_and_keeps_office_renames(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assert seed_titles(session) == len(TITLES)
        session.scalars(
            select(TitleCatalog).where(TitleCatalog.code == "CO_TINH")
        ).one().name = "Cờ thi đua của Ủy ban nhân dân tỉnh"
    with sessions.begin() as session:
        assert seed_titles(session) == 0
    with sessions() as session:
        titles = {t.code: t for t in session.scalars(select(TitleCatalog))}
    assert len(titles) == len(TITLES)
    assert titles["LDTT"].name == "Lao động tiên tiến"
    assert titles["LDTT"].scope == "cá nhân"
    assert titles["LDTT"].legal_basis == "Điều 24 Luật Thi đua, khen thưởng 2022"
    assert titles["TTLDXS"].name == "Tập thể lao động xuất sắc"
    assert titles["TTLDXS"].scope == "tập thể"
    assert titles["TTLDXS"].legal_basis == "Điều 27 Luật Thi đua, khen thưởng 2022"
    assert titles["CSTDCS"].legal_basis.startswith("Điều 23 ")
    assert titles["CO_CP"].legal_basis.startswith("Điều 25 ")
    assert titles["CO_TINH"].name == "Cờ thi đua của Ủy ban nhân dân tỉnh"
    assert {"CSTD_TINH", "CSTDTQ", "TTLDTT"} <= set(titles)


def test_invite_links_once_and_ignores_case_and_spaces(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        person_id = add_person(session, "Nguyễn Văn An").id
        invite = create_invite(session, person_id, NOW)
        code = invite.code
    assert len(code) == 8 and set(code) <= set(INVITE_ALPHABET)
    typed = f"  {code[:4].lower()} {code[4:].lower()} "
    with sessions.begin() as session:
        person = link_identity(session, channel="telegram", external_id="1001", code=typed, now=NOW)
        assert person.id == person_id
    with sessions() as session:
        linked = person_for_identity(session, "telegram", "1001")
        assert linked is not None and linked.full_name == "Nguyễn Văn An"
        stored = session.scalars(select(InviteCode).where(InviteCode.code == code)).one()
        assert stored.used_at is not None and aware(stored.used_at) == NOW
        assert aware(stored.expires_at) == NOW + timedelta(days=7)
    with sessions.begin() as session, pytest.raises(InviteError) as used:
        link_identity(session, channel="zalo", external_id="z1", code=code, now=NOW)
    assert used.value.reason == "used"
    assert used.value.reason in vi.INVITE_ERRORS
    with sessions() as session:
        assert person_for_identity(session, "zalo", "z1") is None


def test_invite_expired_and_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        person_id = add_person(session, "Trần Thị Bình").id
        code = create_invite(session, person_id, NOW, ttl=timedelta(hours=1)).code
    later = NOW + timedelta(hours=1)
    with sessions.begin() as session, pytest.raises(InviteError) as expired:
        link_identity(session, channel="telegram", external_id="2", code=code, now=later)
    assert expired.value.reason == "expired"
    assert expired.value.reason in vi.INVITE_ERRORS
    with sessions.begin() as session, pytest.raises(InviteError) as missing:
        link_identity(session, channel="telegram", external_id="2", code="ZZZZ2222", now=NOW)
    assert missing.value.reason == "not_found"
    assert missing.value.reason in vi.INVITE_ERRORS
    just_before = NOW + timedelta(minutes=59)
    with sessions.begin() as session:
        person = link_identity(
            session, channel="telegram", external_id="2", code=code, now=just_before
        )
    assert person.id == person_id


def test_relinking_an_account_moves_it_to_the_new_person(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = add_person(session, "Lê Văn Cường")
        second = add_person(session, "Phạm Thị Dung")
        first_code = create_invite(session, first.id, NOW).code
        second_code = create_invite(session, second.id, NOW).code
        first_id, second_id = first.id, second.id
    with sessions.begin() as session:
        link_identity(session, channel="telegram", external_id="77", code=first_code, now=NOW)
    with sessions.begin() as session:
        link_identity(session, channel="telegram", external_id="77", code=second_code, now=NOW)
    with sessions() as session:
        person = person_for_identity(session, "telegram", "77")
        assert person is not None and person.id == second_id != first_id
        count = session.scalar(
            select(func.count())
            .select_from(ChannelIdentity)
            .where(ChannelIdentity.external_id == "77")
        )
        assert count == 1
        links = session.scalars(
            select(AuditLog).where(AuditLog.action == "identity.link").order_by(AuditLog.id)
        ).all()
        assert [a.after["person_id"] for a in links if a.after] == [first_id, second_id]
        assert links[1].before == {"person_id": first_id}


def test_roles_of_reads_stored_roles_and_ignores_unknown(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        unit = add_unit(session, "SNV")
        person_id = add_person(
            session, "Võ Thị Giang", unit, ["unit_head", "cluster_lead", "retired_role"]
        ).id
    with sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert roles_of(person) == {Role.UNIT_HEAD, Role.CLUSTER_LEAD}


def test_clusters_of_unit_by_year(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        a, b, c, lead_only = (add_unit(session, code) for code in ("A", "B", "C", "L"))
        add_cluster(session, "K1", 2026, a, [a, b])
        add_cluster(session, "K1", 2025, a, [a, c])
        add_cluster(session, "K2", 2026, lead_only, [c])
        ids = {u.code: u.id for u in (a, b, c, lead_only)}
    with sessions() as session:
        assert [(k.code, k.year) for k in clusters_of_unit(session, ids["B"], 2026)] == [
            ("K1", 2026)
        ]
        assert [k.code for k in clusters_of_unit(session, ids["C"], 2025)] == ["K1"]
        assert [k.code for k in clusters_of_unit(session, ids["L"], 2026)] == ["K2"]
        assert clusters_of_unit(session, ids["B"], 2025) == []


def test_the_cluster_led_needs_the_lead_unit_and_the_role(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        lead, other = add_unit(session, "LEAD"), add_unit(session, "OTHER")
        add_cluster(session, "K9", 2026, lead, [lead, other])
        people = {
            "lead": add_person(session, "Trưởng khối", lead, ["cluster_lead", "unit_head"]),
            "head_only": add_person(session, "Thủ trưởng", lead, ["unit_head"]),
            "elsewhere": add_person(session, "Cụm trưởng khác", other, ["cluster_lead"]),
        }
        ids = {key: p.id for key, p in people.items()}
    with sessions() as session:

        def led(key: str, year: int) -> str | None:
            person = session.get(Person, ids[key])
            assert person is not None
            cluster = cluster_led_from(session, person.unit_id, roles_of(person), year)
            return cluster.code if cluster else None

        assert led("lead", 2026) == "K9"
        assert led("lead", 2027) is None
        assert led("head_only", 2026) is None
        assert led("elsewhere", 2026) is None


def test_open_movements_includes_both_ends_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_movement(session, "LATER", date(2026, 3, 1), date(2026, 6, 30))
        add_movement(session, "PAST", date(2025, 1, 1), date(2025, 12, 31))
        add_movement(session, "YEAR", date(2026, 1, 1), date(2026, 12, 31))
        add_movement(session, "ENDS", date(2026, 1, 15), date(2026, 3, 1))
        add_movement(session, "FUTURE", date(2026, 3, 2), date(2026, 9, 30))
    with sessions() as session:
        assert [m.code for m in open_movements(session, date(2026, 3, 1))] == [
            "YEAR",
            "ENDS",
            "LATER",
        ]
        assert [m.code for m in open_movements(session, date(2027, 1, 1))] == []


def test_one_registration_per_unit_and_movement(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        unit_id = add_unit(session, "U1").id
        movement_id = add_movement(session, "M1", date(2026, 1, 1), date(2026, 12, 31)).id
        session.add(Registration(unit_id=unit_id, movement_id=movement_id))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Registration(unit_id=unit_id, movement_id=movement_id))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 1


def test_unit_codes_and_chat_accounts_are_unique(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_unit(session, "DUP")
        person_id = add_person(session, "Đinh Văn Hải").id
        session.add(
            ChannelIdentity(channel="telegram", external_id="1", person_id=person_id, linked_at=NOW)
        )
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Unit(code="DUP", name="Đơn vị khác"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(
            ChannelIdentity(channel="telegram", external_id="1", person_id=person_id, linked_at=NOW)
        )
    with sessions.begin() as session:  # the same id on another channel is another account
        session.add(
            ChannelIdentity(channel="zalo", external_id="1", person_id=person_id, linked_at=NOW)
        )


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cluster_id = add_cluster(session, "FK", 2026, None, []).id
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(ClusterMember(cluster_id=cluster_id, unit_id=987654))


def test_audit_rows_keep_who_what_when_and_values(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        person_id = add_person(session, "Ngô Thị Lan").id
        audit(
            session,
            person_id=person_id,
            action="registration.submit",
            entity="registration",
            entity_id=42,
            before={"status": "draft"},
            after={
                "status": "submitted",
                "due": date(2026, 12, 31),
                "value": Decimal("1234.5"),
                "at": NOW,
                "roles": {Role.UNIT_HEAD},
            },
            now=NOW,
        )
        audit(
            session,
            person_id=None,
            action="import",
            entity="unit",
            entity_id=None,
            before=None,
            after=None,
            now=NOW + timedelta(seconds=1),
        )
    with sessions() as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.at)).all()
    assert [(r.action, r.person_id, r.entity_id) for r in rows] == [
        ("registration.submit", person_id, 42),
        ("import", None, None),
    ]
    assert aware(rows[0].at) == NOW
    assert rows[0].before == {"status": "draft"}
    assert rows[0].after == {
        "status": "submitted",
        "due": "2026-12-31",
        "value": "1234.5",
        "at": NOW.astimezone(UTC).isoformat(),
        "roles": ["unit_head"],
    }
    assert rows[1].before is None and rows[1].after is None


def test_json_columns_round_trip(sessions: sessionmaker[Session]) -> None:
    draft = {
        "step": "targets",
        "targets": [{"mô tả": "Tỷ lệ hồ sơ trực tuyến", "giá trị": "85,5", "n": 3}],
        "flags": {"confirmed": False, "note": None},
        "ratio": 0.25,
    }
    with sessions.begin() as session:
        unit_id = add_unit(session, "J").id
        movement_id = add_movement(session, "J", date(2026, 1, 1), date(2026, 12, 31)).id
        registration = Registration(unit_id=unit_id, movement_id=movement_id)
        session.add(registration)
        session.flush()
        session.add(
            RegistrationVersion(
                registration_id=registration.id, version=1, snapshot=draft, created_at=NOW
            )
        )
        session.add(
            Conversation(channel="telegram", chat_id="c1", draft=draft, step="s", updated_at=NOW)
        )
    with sessions() as session:
        assert session.scalars(select(Conversation)).one().draft == draft
        assert session.scalars(select(RegistrationVersion)).one().snapshot == draft


@pytest.mark.parametrize("value", ["1234.5", "0.1", "85.25", "1000000", "12345678.9012"])
def test_decimal_values_round_trip_exactly(sessions: sessionmaker[Session], value: str) -> None:
    with sessions.begin() as session:
        unit_id = add_unit(session, "D").id
        movement_id = add_movement(session, "D", date(2026, 1, 1), date(2026, 12, 31)).id
        registration = Registration(unit_id=unit_id, movement_id=movement_id)
        registration.targets = [
            Target(
                position=1,
                description="Chỉ tiêu",
                target_value=Decimal(value),
                baseline=Decimal("0.5"),
            )
        ]
        session.add(registration)
    with sessions() as session:
        target = session.scalars(select(Target)).one()
    assert target.target_value == Decimal(value)
    assert isinstance(target.target_value, Decimal)
    assert target.baseline == Decimal("0.5")


def test_moments_come_back_aware_and_equal(sessions: sessionmaker[Session]) -> None:
    wall_clock = datetime(2026, 3, 2, 23, 45, 10, tzinfo=HCM)  # 16:45 UTC
    with sessions.begin() as session:
        session.add(Conversation(channel="zalo", chat_id="t", updated_at=wall_clock))
    with sessions() as session:
        stored = session.scalars(select(Conversation)).one().updated_at
    assert stored.tzinfo is not None
    assert stored == wall_clock
    assert stored.utcoffset() == timedelta(0)
    with pytest.raises(StatementError), sessions.begin() as session:
        session.add(Conversation(channel="zalo", chat_id="n", updated_at=datetime(2026, 3, 2)))  # noqa: DTZ001


def test_a_registration_someone_else_stored_first_is_a_conflict_that_keeps_the_turn(
    sessions: sessionmaker[Session],
) -> None:
    """Two drafts of one unit's registration: the second to be saved is told who saved first,
    and only its savepoint rolls back, so the rest of its turn still commits."""
    from bot.store import registrations
    from bot.store.conversations import Conflict

    with sessions.begin() as session:
        unit_id = add_unit(session, "RACE").id
        movement_id = add_movement(session, "M-RACE", date(2026, 1, 1), date(2026, 12, 31)).id
        person_id = add_person(session, "Lê Thị Hạnh").id

    def draft() -> dict[str, object]:
        target = {"description": "Tỷ lệ hồ sơ đúng hạn", "unit": "%", "value": "95.5"}
        return {"unit_id": unit_id, "movement_id": movement_id, "targets": [target], "lines": []}

    with sessions.begin() as session:
        saved = registrations.write_registration(
            session, draft(), status=registrations.DRAFT, person_id=person_id, now=NOW
        )
    with sessions.begin() as session:
        add_unit(session, "KEPT")  # the turn's other work
        with pytest.raises(Conflict):
            registrations.write_registration(
                session, draft(), status=registrations.DRAFT, person_id=person_id, now=NOW
            )
    with sessions() as session:
        regs = session.scalars(select(Registration)).all()
        assert [(r.id, r.version) for r in regs] == [(saved.id, 1)]
        assert [t.target_value for t in regs[0].targets] == [Decimal("95.5")]
        assert session.scalar(select(func.count()).select_from(Unit).where(Unit.code == "KEPT"))
