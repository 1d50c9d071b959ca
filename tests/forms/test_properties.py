"""Properties over any sequence of messages: every message is answered, nothing raises, and a
stored record is always whole: a registration's latest snapshot equals its rows, a report has one
audit row per version and values only for its registration's targets, a pledge is closed exactly
when every member unit has signed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.messages import Attachment, Incoming, Reply, menu_of
from bot.store import pledges, progress_reports, registrations
from bot.store.models import (
    AuditLog,
    Cluster,
    Pledge,
    ProgressReport,
    Registration,
    RegistrationVersion,
)
from tests.forms.conftest import World, build_world

USERS = ["head", "officer", "office", "stranger", "head2", "head3"]
WORDS = [
    "đăng ký thi đua",
    "/dangky",
    "/xacnhan",
    "/duyet",
    "/start",
    "/start ABCD2345",
    "xong",
    "quay lại",
    "huỷ",
    "lưu nháp",
    "tiếp tục",
    "/huy",
    "1",
    "2",
    "3",
    "12",
    "0",
    "85%",
    "1.234,5",
    "31/3",
    "31/2",
    "Nguyễn Văn A, Trần Thị B",
    "Tỷ lệ hồ sơ đúng hạn",
    "tiêu chuẩn lao động tiên tiến là gì?",
    "Xác nhận và nộp",
    "Nộp bản của tôi",
    "Thêm chỉ tiêu",
    "Trả lại",
    "/giaouoc",
    "ký giao ước",
    "Ký giao ước",
    "Mở ký kết",
    "Thêm cam kết",
    "Hoàn thành 100% chỉ tiêu được giao",
    "/baocao",
    "báo cáo tiến độ",
    "Giữ nội dung đã nhập",
    "Sửa số liệu",
    "Đã giải quyết đúng hạn phần lớn hồ sơ được giao.",
    "những đơn vị nào chưa ký giao ước",
    "đơn vị tôi đã nộp báo cáo quý 1 chưa",
    "",
]

# A complete path to the summary from anywhere: random actions alone rarely type a whole target.
SCRIPT = [
    "huỷ",
    "/dangky",
    "Tập thể lao động xuất sắc",
    "Xong",
    "Thêm chỉ tiêu",
    "Tỷ lệ hồ sơ đúng hạn",
    "%",
    "90",
    "31/12",
    "Xong",
]

SCRIPTS = {
    "registration": SCRIPT,
    "registration+submit": [*SCRIPT, "1"],
    "pledge": [
        "huỷ",
        "/giaouoc",
        "Các đơn vị trong khối cùng ký kết giao ước thi đua.",
        "Thêm cam kết",
        "Hoàn thành 100% chỉ tiêu được giao",
        "Xong",
        "Mở ký kết",
        "/giaouoc",
        "Ký giao ước",
    ],
    "report": [
        "huỷ",
        "/baocao",
        "85%",
        "Đã giải quyết đúng hạn phần lớn hồ sơ được giao.",
        "Xong",
        "1",
    ],
}

# Who the scripts are for, drawn more often than random users: the lead opens and signs, the unit
# registers and reports, its head signs.
SCRIPTED = [
    ("script", "head", "registration+submit"),
    ("script", "officer", "registration"),
    ("script", "head2", "pledge"),
    ("script", "head", "pledge"),
    ("script", "head", "report"),
    ("script", "officer", "report"),
]

action = st.one_of(
    st.sampled_from([("script", user, name) for user in USERS for name in sorted(SCRIPTS)]),
    st.sampled_from(SCRIPTED),
    st.tuples(st.just("say"), st.sampled_from(USERS), st.sampled_from(WORDS)),
    st.tuples(st.just("say"), st.sampled_from(USERS), st.text(max_size=30)),
    st.tuples(st.just("press"), st.sampled_from(USERS), st.integers(0, 30)),
    st.tuples(st.just("payload"), st.sampled_from(USERS), st.text(max_size=70)),
    st.tuples(st.just("attach"), st.sampled_from(USERS), st.binary(max_size=64)),
)


def whole(world: World) -> None:
    """Every registration's rows equal the snapshot of its latest version."""
    with world.sessions() as session:
        for reg in session.scalars(select(Registration)):
            latest = session.scalar(
                select(RegistrationVersion)
                .where(RegistrationVersion.registration_id == reg.id)
                .order_by(RegistrationVersion.version.desc())
                .limit(1)
            )
            assert latest is not None and latest.version == reg.version
            assert latest.snapshot == registrations.snapshot(reg)
            count = session.scalar(
                select(func.count())
                .select_from(RegistrationVersion)
                .where(RegistrationVersion.registration_id == reg.id)
            )
            assert count == reg.version
            if reg.status in (registrations.SUBMITTED, registrations.PENDING_HEAD):
                assert reg.targets
        for report in session.scalars(select(ProgressReport)):
            saves = session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity == "progress_report", AuditLog.entity_id == report.id)
            )
            assert saves == report.version
            registration = session.get(Registration, report.registration_id)
            assert registration is not None
            assert {v.target_id for v in report.values} <= {t.id for t in registration.targets}
            assert report.status in (progress_reports.SUBMITTED, progress_reports.PENDING_HEAD)
            if report.status == progress_reports.SUBMITTED:
                assert report.submitted_at is not None
        for pledge in session.scalars(select(Pledge)):
            cluster = session.get(Cluster, pledge.cluster_id)
            assert cluster is not None
            members = set(pledges.members(session, cluster))
            signed = pledges.signed_units(pledge)
            assert signed <= members
            assert (pledge.status == pledges.CLOSED) == (signed == members)
            assert (pledge.closed_at is not None) == (pledge.status == pledges.CLOSED)


_WORLDS: dict[Path, World] = {}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(action, min_size=1, max_size=25))
def test_any_message_at_any_step_is_answered(
    tmp_path: Path, actions: list[tuple[str, str, object]]
) -> None:
    """One database for all examples of a run: later examples start from earlier states."""
    db = tmp_path / "props.db"
    if db not in _WORLDS:
        _WORLDS[db] = build_world(f"sqlite:///{db}", tmp_path / "files")
    world = _WORLDS[db]
    turns = world.turns()
    last: dict[str, list[Reply]] = {user: [] for user in USERS}
    expanded = [
        ("say", user, text) if kind == "script" else (kind, user, value)
        for kind, user, value in actions
        for text in (SCRIPTS[str(value)] if kind == "script" else [""])
    ]
    for kind, user, value in expanded:
        if kind == "say":
            message = Incoming("console", user, user, text=str(value))
        elif kind == "press":
            offered = [b for r in last[user] for row in r.buttons for b in row]
            if not offered:
                continue
            button = offered[int(value) % len(offered)]
            message = Incoming("console", user, user, text=button.label, payload=button.payload)
        elif kind == "attach":
            data = value if isinstance(value, bytes) else b""
            photo = Attachment("photo", "anh.jpg", "image/jpeg", data=data)
            message = Incoming("console", user, user, attachments=(photo,))
        else:
            message = Incoming("console", user, user, payload=str(value))
        replies = [r for r in turns.run(message) if menu_of(r) is None]  # a menu says nothing
        assert replies, message
        assert all(r.text for r in replies)
        assert not any(r.meta.get("error") for r in replies), (message, replies)
        for reply in replies:
            for row in reply.buttons:
                for button in row:
                    assert len(button.payload.encode()) <= 64
        last[user] = replies
        whole(world)
