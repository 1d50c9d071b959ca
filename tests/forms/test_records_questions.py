"""The office's and the cluster leads' questions answered from the records (issue 17 §3):
names and exact counts, scoped by role, typed with and without diacritics; «ngoài phạm vi»
beyond the asker's scope; unknown units, clusters and periods said so, never the legal Q&A."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import (
    ChannelIdentity,
    Cluster,
    ClusterMember,
    Movement,
    Person,
    PersonRole,
    Pledge,
    PledgeSignature,
    ProgressReport,
    Registration,
    ReportPeriod,
    Unit,
)
from bot.store.reminders import PaperSubmission
from bot.store.roles import Role
from tests.chat import Chat
from tests.forms.conftest import World
from tests.forms.groups import in_group
from tests.forms.test_registration import fill_to_summary

MOVEMENT = "«Thi đua thực hiện thắng lợi nhiệm vụ năm 2026»"
DISTRICTS = (
    ("CANLOC", "UBND huyện Can Lộc"),
    ("HONGLINH", "UBND thị xã Hồng Lĩnh"),
    ("NGHIXUAN", "UBND huyện Nghi Xuân"),
)
OWN_ONLY = "anh/chị chỉ xem được tình hình của đơn vị mình (Sở Nội vụ)"


def province(world: World) -> None:
    """Cụm thi đua số 3 of three districts (Can Lộc leads; its head is the lead, «lead3c»; Nghi
    Xuân's head is «headnx»), and two more periods: Sơ kết 6 tháng and Tổng kết năm (due 15/12).
    Six units take part: the conftest's three Sở and the districts, not the office's Ban TĐKT."""
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    with world.sessions.begin() as session:
        for code, name in DISTRICTS:
            unit = Unit(code=code, name=name)
            session.add(unit)
            session.flush()
            world.units[code] = unit.id
        cluster = Cluster(
            code="CUM3",
            name="Cụm thi đua số 3",
            kind="cụm",
            year=2026,
            lead_unit_id=world.units["CANLOC"],
        )
        cluster.members = [ClusterMember(unit_id=world.units[code]) for code, _ in DISTRICTS]
        session.add(cluster)
        for user, name, code, roles in (
            ("lead3c", "Bùi Văn Lộc", "CANLOC", (Role.UNIT_HEAD, Role.CLUSTER_LEAD)),
            ("headnx", "Phan Thị Xuân", "NGHIXUAN", (Role.UNIT_HEAD,)),
        ):
            person = Person(full_name=name, unit_id=world.units[code])
            person.roles = [PersonRole(role=role.value) for role in roles]
            session.add(person)
            session.flush()
            session.add(
                ChannelIdentity(
                    channel="console", external_id=user, person_id=person.id, linked_at=linked
                )
            )
            world.people[user] = person.id
        movement = session.get(Movement, world.movement_id)
        assert movement is not None
        movement.periods.append(
            ReportPeriod(
                code="6T",
                name="Sơ kết 6 tháng",
                kind="sơ kết",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 6, 30),
                deadline=date(2026, 6, 20),
            )
        )
        movement.periods.append(
            ReportPeriod(
                code="NAM",
                name="Tổng kết năm",
                kind="tổng kết",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                deadline=date(2026, 12, 15),
            )
        )


def registration(world: World, code: str, status: str, at: datetime | None) -> int:
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units[code],
            movement_id=world.movement_id,
            status=status,
            submitted_at=at,
        )
        session.add(reg)
        session.flush()
        return reg.id


def report(world: World, reg_id: int, period_code: str, **values: object) -> None:
    with world.sessions.begin() as session:
        period = next(
            p for p in session.get_one(Movement, world.movement_id).periods if p.code == period_code
        )
        session.add(ProgressReport(registration_id=reg_id, period_id=period.id, **values))


def paper(world: World, code: str, subject: str) -> None:
    with world.sessions.begin() as session:
        session.add(
            PaperSubmission(
                unit_id=world.units[code],
                subject=subject,
                person_id=None,
                at=datetime(2026, 3, 20, tzinfo=UTC),
            )
        )


def ask(chat: Chat, text: str) -> list[str]:
    """The answer's lines; none of them ever comes from the legal Q&A."""
    chat.say(text)
    answer = chat.last[-1]
    assert not answer.citations and "Căn cứ" not in answer.text
    return answer.text.splitlines()


def test_who_has_not_registered_by_role(world: World) -> None:
    province(world)
    head = world.chat("head")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")  # Sở Nội vụ on time, through the form (10/03)
    registration(world, "SYT", "submitted", datetime(2026, 4, 2, 2, 0, tzinfo=UTC))  # late
    registration(world, "STP", "pending_confirmation", None)
    paper(world, "HONGLINH", f"dk:{world.movement_id}")
    world.clock.advance(days=30)  # 09/04: past the deadline of 31/03

    office = world.chat("office")
    lines = ask(office, "Những đơn vị nào chưa nộp đăng ký thi đua?")
    assert lines == [
        f"Đăng ký thi đua {MOVEMENT} (hạn 31/03/2026, đã quá hạn) — toàn tỉnh:",
        "• Đã nộp: 2/6 đơn vị",
        "• Nộp muộn: 1 đơn vị: Sở Y tế",
        "• Chưa nộp: 3/6 đơn vị: UBND huyện Can Lộc, UBND huyện Nghi Xuân, "
        "Sở Tư pháp (chờ thủ trưởng xác nhận)",
        "• Báo đã nộp bằng văn bản (Ban kiểm tra lại): 1 đơn vị: UBND thị xã Hồng Lĩnh",
    ]
    assert ask(office, "don vi nao chua nop dang ky") == lines  # without diacritics
    assert ask(office, "những đơn vị nào đã nộp đăng ký thi đua")[1] == (
        "• Đã nộp: 2/6 đơn vị: Sở Nội vụ, Sở Y tế"
    )

    lead = world.chat("head2")  # Sở Tư pháp leads Khối Nội chính: Sở Nội vụ, Sở Tư pháp
    assert ask(lead, "nhung don vi nao chua nop dang ky thi dua") == [
        f"Đăng ký thi đua {MOVEMENT} (hạn 31/03/2026, đã quá hạn) — Khối Nội chính:",
        "• Đã nộp: 1/2 đơn vị",
        "• Chưa nộp: 1/2 đơn vị: Sở Tư pháp (chờ thủ trưởng xác nhận)",
    ]
    lead3 = world.chat("lead3c")
    assert ask(lead3, "đơn vị nào chưa nộp đăng ký thi đua")[1:] == [
        "• Đã nộp: 0/3 đơn vị",
        "• Chưa nộp: 2/3 đơn vị: UBND huyện Can Lộc, UBND huyện Nghi Xuân",
        "• Báo đã nộp bằng văn bản (Ban kiểm tra lại): 1 đơn vị: UBND thị xã Hồng Lĩnh",
    ]

    # A unit head asking about every unit: outside their scope, and their own unit instead.
    assert ask(head, "những đơn vị nào chưa nộp đăng ký thi đua") == [
        vi.OPS_OUT_OF_SCOPE_ALL.format(limit=OWN_ONLY),
        vi.OPS_YOUR_UNIT_NOW,
        f"Sở Nội vụ — đăng ký thi đua {MOVEMENT}: đã nộp ngày 10/03/2026",
    ]
    officer = world.chat("officer")
    assert ask(officer, "Sở Y tế đã nộp đăng ký chưa") == [
        vi.OPS_OUT_OF_SCOPE_UNIT.format(unit="Sở Y tế", limit=OWN_ONLY)
    ]
    assert ask(office, "so y te da nop dang ky chua") == [
        f"Sở Y tế — đăng ký thi đua {MOVEMENT}: đã nộp ngày 02/04/2026 (nộp muộn)"
    ]
    assert ask(world.chat("cadre"), "đơn vị nào chưa nộp đăng ký") == [vi.OPS_RECORDS_NOT_FOR_YOU]
    assert world.qa.asked == []


def test_who_has_not_filed_a_periods_report(world: World) -> None:
    province(world)
    snv = registration(world, "SNV", "submitted", datetime(2026, 3, 1, tzinfo=UTC))
    syt = registration(world, "SYT", "approved", datetime(2026, 3, 2, tzinfo=UTC))
    stp = registration(world, "STP", "submitted", datetime(2026, 3, 3, tzinfo=UTC))
    registration(world, "CANLOC", "submitted", datetime(2026, 3, 4, tzinfo=UTC))
    registration(world, "HONGLINH", "draft", None)
    report(world, snv, "Q1", submitted_at=datetime(2026, 4, 8, tzinfo=UTC))
    report(world, syt, "Q1", submitted_at=datetime(2026, 4, 12, 3, 0, tzinfo=UTC), late=True)
    report(world, stp, "Q1", status="pending_head", submitted_at=None)
    world.clock.advance(days=35)  # 14/04

    office = world.chat("office")
    quarter = ask(office, "Đơn vị nào chưa nộp báo cáo quý 1?")
    assert quarter == [
        f"Báo cáo Quý 1 {MOVEMENT} (hạn 10/04/2026, đã quá hạn) — toàn tỉnh:",
        "• Đã nộp: 2/6 đơn vị",
        "• Nộp muộn: 1 đơn vị: Sở Y tế",
        "• Chưa nộp: 4/6 đơn vị: UBND huyện Can Lộc, "
        "UBND thị xã Hồng Lĩnh (chưa nộp đăng ký thi đua), "
        "UBND huyện Nghi Xuân (chưa nộp đăng ký thi đua), Sở Tư pháp (chờ thủ trưởng xác nhận)",
    ]
    assert ask(office, "don vi nao chua nop bao cao quy I") == quarter
    # Without a period: the next one due (Sơ kết 6 tháng, now that Quý 1 is past).
    assert ask(office, "đơn vị nào chưa nộp báo cáo")[0].startswith("Báo cáo Sơ kết 6 tháng")
    half = ask(office, "nhung don vi nao chua nop bao cao 6 thang")
    assert half[0] == f"Báo cáo Sơ kết 6 tháng {MOVEMENT} (hạn 20/06/2026) — toàn tỉnh:"
    assert half[2].startswith("• Chưa nộp: 6/6 đơn vị: ")
    # «tháng 12» in a province without monthly reports: the one due in December.
    december = ask(office, "đơn vị nào chưa nộp báo cáo tháng 12")
    assert december[0] == (
        f"Báo cáo Tổng kết năm (kỳ có hạn nộp trong tháng 12) {MOVEMENT} (hạn 15/12/2026)"
        " — toàn tỉnh:"
    )
    assert december[1:3] == ["• Đã nộp: 0/6 đơn vị", december[2]]
    assert december[2].startswith("• Chưa nộp: 6/6 đơn vị: UBND huyện Can Lộc")
    assert "Ban TĐKT" not in "\n".join(december)  # the office's own unit owes nothing

    lead = world.chat("head2")
    assert ask(lead, "đơn vị nào chưa nộp báo cáo quý 1")[1:] == [
        "• Đã nộp: 1/2 đơn vị",
        "• Chưa nộp: 1/2 đơn vị: Sở Tư pháp (chờ thủ trưởng xác nhận)",
    ]
    assert world.qa.asked == []


def test_a_named_unit_with_and_without_diacritics_in_scope_or_not(world: World) -> None:
    province(world)
    syt = registration(world, "SYT", "submitted", datetime(2026, 3, 2, tzinfo=UTC))
    report(world, syt, "Q1", submitted_at=datetime(2026, 4, 12, 3, 0, tzinfo=UTC), late=True)
    office = world.chat("office")
    filed = ["Báo cáo của Sở Y tế:", "• Quý 1: đã nộp ngày 12/04/2026 (nộp muộn)"]
    assert ask(office, "Sở Y tế đã nộp báo cáo quý 1 chưa") == filed
    assert ask(office, "so y te da nop bao cao quy 1 chua") == filed
    assert ask(office, "báo cáo quý 1 của SYT đã nộp chưa") == filed  # by its code
    assert ask(office, "cho hỏi báo cáo quý 1 của sở y tế nộp chưa ạ") == filed
    assert ask(office, "so tu phapp da nop bao cao quy 1 chua") == [  # a typo
        "Báo cáo của Sở Tư pháp:",
        "• Quý 1: chưa nộp (hạn 10/04/2026)",
    ]
    assert ask(office, "Sở Y tế đã nộp báo cáo chưa") == [  # no period: every one
        *filed,
        "• Sơ kết 6 tháng: chưa nộp (hạn 20/06/2026)",
        "• Tổng kết năm: chưa nộp (hạn 15/12/2026)",
    ]
    lead = world.chat("head2")  # Sở Y tế is not in Khối Nội chính
    assert ask(lead, "Sở Y tế đã nộp báo cáo quý 1 chưa") == [
        vi.OPS_OUT_OF_SCOPE_UNIT.format(
            unit="Sở Y tế", limit="anh/chị xem được các đơn vị trong Khối Nội chính"
        )
    ]
    assert ask(lead, "sở nội vụ đã nộp báo cáo quý 1 chưa")[0] == "Báo cáo của Sở Nội vụ:"
    officer = world.chat("officer")
    assert ask(officer, "Sở Y tế đã nộp báo cáo quý 1 chưa") == [
        vi.OPS_OUT_OF_SCOPE_UNIT.format(unit="Sở Y tế", limit=OWN_ONLY)
    ]
    assert ask(officer, "đơn vị tôi đã nộp báo cáo quý 1 chưa") == [
        "Báo cáo của Sở Nội vụ:",
        "• Quý 1: chưa nộp (hạn 10/04/2026)",
    ]
    assert world.qa.asked == []


def test_unknown_units_clusters_and_periods_are_said_so(world: World) -> None:
    province(world)
    office = world.chat("office")
    assert ask(office, "Sở Giao thông vận tải đã nộp báo cáo quý 1 chưa") == [
        vi.OPS_UNKNOWN_UNIT.format(name="Sở Giao thông vận tải")
    ]
    assert ask(office, "Sở Y khoa đã nộp đăng ký chưa") == [
        vi.OPS_UNKNOWN_UNIT.format(name="Sở Y khoa") + vi.OPS_DID_YOU_MEAN.format(names="Sở Y tế")
    ]
    assert ask(office, "đơn vị nào chưa nộp báo cáo quý 3") == [
        f"Phong trào {MOVEMENT} không có kỳ báo cáo quý 3. "
        "Các kỳ báo cáo: Quý 1, Sơ kết 6 tháng, Tổng kết năm."
    ]
    assert ask(office, "don vi nao chua nop bao cao thang 13") == [
        vi.OPS_INVALID_PERIOD.format(period="tháng 13")
    ]
    assert ask(office, "khối 3 đã ký giao ước chưa") == [
        "Năm 2026 không có khối 3. Các cụm, khối thi đua năm 2026: "
        "Cụm thi đua số 3, Khối Nội chính, Khối Văn hoá - Xã hội."
    ]
    assert ask(office, "Ban TĐKT đã nộp đăng ký chưa") == [
        vi.OPS_NOT_PARTICIPANT.format(unit="Ban TĐKT")
    ]
    assert world.qa.asked == []


def test_a_clusters_pledge_by_role(world: World) -> None:
    province(world)
    with world.sessions.begin() as session:
        cluster = session.scalars(select(Cluster).where(Cluster.code == "CUM3")).one()
        pledge = Pledge(
            cluster_id=cluster.id,
            movement_id=world.movement_id,
            content="Giao ước thi đua năm 2026",
            opened_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        pledge.signatures = [
            PledgeSignature(
                unit_id=world.units[code],
                signed_by=world.people["lead3c"],
                signed_at=datetime(2026, 2, 2, tzinfo=UTC),
            )
            for code in ("CANLOC", "HONGLINH")
        ]
        session.add(pledge)
    progress = ["• Cụm thi đua số 3: đã ký 2/3 đơn vị; chưa ký 1: UBND huyện Nghi Xuân"]
    office = world.chat("office")
    assert ask(office, "cụm 3 đã ký giao ước chưa") == progress
    assert ask(office, "cum 3 da ky giao uoc chua") == progress
    assert ask(office, "cụm thi đua số III đã ký kết giao ước chưa?") == progress
    lead3 = world.chat("lead3c")
    assert ask(lead3, "cum 3 da ky giao uoc chua") == progress
    lead = world.chat("head2")  # leads another khối
    assert ask(lead, "cụm 3 đã ký giao ước chưa") == [
        vi.OPS_OUT_OF_SCOPE_CLUSTER.format(
            cluster="Cụm thi đua số 3", limit="anh/chị xem được các đơn vị trong Khối Nội chính"
        )
    ]
    member = world.chat("headnx")  # Nghi Xuân: sees its cụm's pledge and its own signature
    assert ask(member, "cụm 3 đã ký giao ước chưa") == [
        "• Cụm thi đua số 3: giao ước đang được ký; "
        "đơn vị của anh/chị (UBND huyện Nghi Xuân): chưa ký."
    ]
    assert ask(office, "UBND huyện Nghi Xuân đã ký giao ước chưa") == [
        "• UBND huyện Nghi Xuân — Cụm thi đua số 3: chưa ký"
    ]
    officer = world.chat("officer")  # Sở Nội vụ, not a member of cụm 3
    assert ask(officer, "cụm 3 đã ký giao ước chưa") == [
        vi.OPS_OUT_OF_SCOPE_CLUSTER.format(cluster="Cụm thi đua số 3", limit=OWN_ONLY)
    ]

    member.say("/giaouoc")
    member.press("Ký giao ước")  # the last signature closes the pledge
    done = ["• Cụm thi đua số 3: đã ký đủ 3/3 đơn vị (hoàn tất ngày 10/03/2026)."]
    assert ask(office, "cụm 3 đã ký giao ước chưa") == done
    assert ask(member, "cụm 3 đã ký giao ước chưa") == done
    assert world.qa.asked == []


def test_long_lists_are_cut_and_counts_stay_exact(world: World) -> None:
    with world.sessions.begin() as session:
        for n in range(1, 41):
            session.add(Unit(code=f"THPT{n:02d}", name=f"Trường THPT số {n:02d}"))
    registration(world, "SNV", "submitted", datetime(2026, 3, 1, tzinfo=UTC))
    lines = ask(world.chat("office"), "những đơn vị nào chưa nộp đăng ký thi đua")
    assert lines[1] == "• Đã nộp: 1/43 đơn vị"
    missing = lines[2]
    assert missing.startswith("• Chưa nộp: 42/43 đơn vị: Sở Tư pháp, Sở Y tế, Trường THPT số 01")
    assert missing.endswith("Trường THPT số 28 … và 12 đơn vị khác")
    assert missing.count(", ") == 29  # 30 names shown


def test_legal_questions_still_go_to_the_legal_qa(world: World) -> None:
    office = world.chat("office")
    for question in (
        "đơn vị chưa đăng ký thi đua thì có được khen thưởng không",
        "tiêu chuẩn lao động tiên tiến là gì",
        "hồ sơ báo cáo thành tích gồm những gì",
    ):
        office.say(question)
    assert len(world.qa.asked) == 3


def test_a_week_later_the_same_question_counts_anew(world: World) -> None:
    """Counts are read at the question, not remembered: a registration filed in between shows."""
    office = world.chat("office")
    assert ask(office, "đơn vị nào chưa nộp đăng ký")[1] == "• Đã nộp: 0/3 đơn vị"
    head = world.chat("head")
    fill_to_summary(head)
    head.press("Xác nhận và nộp")
    world.clock.advance(days=7)
    assert ask(office, "đơn vị nào chưa nộp đăng ký")[1:] == [
        "• Đã nộp: 1/3 đơn vị",
        "• Chưa nộp: 2/3 đơn vị: Sở Tư pháp, Sở Y tế",
    ]


def test_in_a_group_chat_only_the_askers_own_unit_is_answered(world: World) -> None:
    """A group may hold people of other units: lists and other units' standing go private."""
    office = in_group(world, "office")
    assert ask(office, "những đơn vị nào chưa nộp đăng ký thi đua") == [vi.OPS_PRIVATE_ONLY]
    lead = in_group(world, "head2")
    assert ask(lead, "Sở Nội vụ đã nộp đăng ký chưa") == [vi.OPS_PRIVATE_ONLY]
    assert ask(lead, "đơn vị tôi đã nộp đăng ký chưa") == [
        f"Sở Tư pháp — đăng ký thi đua {MOVEMENT}: chưa nộp (hạn 31/03/2026)"
    ]
    assert ask(world.chat("office"), "những đơn vị nào chưa nộp đăng ký thi đua")[1] == (
        "• Đã nộp: 0/3 đơn vị"  # the same question in private
    )
    assert world.qa.asked == []


def test_two_running_movements_each_with_its_own_periods(world: World) -> None:
    """A period only one movement has is answered for that one, not «unknown» for the other."""
    with world.sessions.begin() as session:
        second = Movement(
            code="CDS2026",
            title="Thi đua chuyển đổi số năm 2026",
            year=2026,
            start_date=date(2026, 2, 1),
            end_date=date(2026, 11, 30),
            registration_deadline=date(2026, 3, 15),
        )
        second.periods = [
            ReportPeriod(
                code="Q3",
                name="Quý 3",
                kind="tiến độ",
                start_date=date(2026, 7, 1),
                end_date=date(2026, 9, 30),
                deadline=date(2026, 10, 5),
            )
        ]
        session.add(second)
    office = world.chat("office")
    third = ask(office, "đơn vị nào chưa nộp báo cáo quý 3")
    assert third[0] == (
        "Báo cáo Quý 3 «Thi đua chuyển đổi số năm 2026» (hạn 05/10/2026) — toàn tỉnh:"
    )
    assert len(third) == 3  # one movement's block: filed, not filed
    assert ask(office, "so y te da nop bao cao quy 1 chua") == [
        "Báo cáo của Sở Y tế:",
        f"Phong trào {MOVEMENT}:",
        "• Quý 1: chưa nộp (hạn 10/04/2026)",
    ]
    registrations = ask(office, "những đơn vị nào chưa nộp đăng ký thi đua")
    assert [line for line in registrations if line.startswith("Đăng ký")] == [
        f"Đăng ký thi đua {MOVEMENT} (hạn 31/03/2026) — toàn tỉnh:",
        "Đăng ký thi đua «Thi đua chuyển đổi số năm 2026» (hạn 15/03/2026) — toàn tỉnh:",
    ]
