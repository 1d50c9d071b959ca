"""Properties over any sequence of messages: every message is answered, nothing raises, and a
stored registration is always a whole version (its latest snapshot equals its rows)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.messages import Incoming, Reply
from bot.store import forms
from bot.store.models import Registration, RegistrationVersion
from tests.forms.conftest import World, build_world

USERS = ["head", "officer", "office", "stranger"]
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

action = st.one_of(
    st.tuples(st.just("script"), st.sampled_from(USERS), st.sampled_from([False, True])),
    st.tuples(st.just("say"), st.sampled_from(USERS), st.sampled_from(WORDS)),
    st.tuples(st.just("say"), st.sampled_from(USERS), st.text(max_size=30)),
    st.tuples(st.just("press"), st.sampled_from(USERS), st.integers(0, 30)),
    st.tuples(st.just("payload"), st.sampled_from(USERS), st.text(max_size=70)),
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
            assert latest.snapshot == forms.snapshot(reg)
            count = session.scalar(
                select(func.count())
                .select_from(RegistrationVersion)
                .where(RegistrationVersion.registration_id == reg.id)
            )
            assert count == reg.version
            if reg.status in (forms.SUBMITTED, forms.PENDING_HEAD):
                assert reg.targets


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
        _WORLDS[db] = build_world(f"sqlite:///{db}")
    world = _WORLDS[db]
    router = world.router()
    last: dict[str, list[Reply]] = {user: [] for user in USERS}
    expanded = [
        ("say", user, text) if kind == "script" else (kind, user, value)
        for kind, user, value in actions
        for text in ([*SCRIPT, "1"] if value is True else SCRIPT if kind == "script" else [""])
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
        else:
            message = Incoming("console", user, user, payload=str(value))
        replies = router.handle(message)
        assert replies, message
        assert all(r.text for r in replies)
        assert not any(r.meta.get("error") for r in replies), (message, replies)
        for reply in replies:
            for row in reply.buttons:
                for button in row:
                    assert len(button.payload.encode()) <= 64
        last[user] = replies
        whole(world)
