"""A console conversation, read like a transcript."""

from __future__ import annotations

import io

from sqlalchemy import select
from typer.testing import CliRunner

from bot import wiring
from bot.channels.console import run_console
from bot.cli import app
from bot.config import Settings
from bot.i18n import vi
from bot.store.models import AuditLog, ChannelIdentity, Person, PersonRole, Unit
from bot.store.roles import Role


def chat(settings: Settings, *lines: str) -> str:
    assistant = wiring.build_assistant(settings)
    out = io.StringIO()
    run_console(
        assistant.turns.run,
        io.StringIO("".join(line + "\n" for line in lines)),
        out,
        intro=vi.CONSOLE_INTRO,
        prompt=vi.CONSOLE_PROMPT,
        speaker=vi.CONSOLE_BOT,
        goodbye=vi.CONSOLE_BYE,
    )
    return out.getvalue()


def test_console_transcript(settings: Settings) -> None:
    transcript = chat(
        settings,
        "/help",
        "thi đua là gì?",
        "🙂🙂🙂",
        "",
        "/lenhla",
        "/exit",
        "this line is never read",
    )
    turns = transcript.split(f"{vi.CONSOLE_PROMPT}> ")
    assert turns[0].startswith(vi.CONSOLE_INTRO)
    assert "Điều 24 Luật Thi đua, khen thưởng" in turns[1]  # the help shows a lookup example
    assert "Thi đua là hoạt động có tổ chức" in turns[2]
    assert "Căn cứ:" in turns[2]
    assert "Điều 3 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)" in turns[2]
    assert vi.NO_WORDS in turns[3]
    assert vi.EMPTY_QUESTION in turns[4]
    assert "/lenhla" in turns[5]
    assert turns[6].strip() == vi.CONSOLE_BYE
    assert "never read" not in transcript


def test_console_ends_cleanly_on_end_of_input(settings: Settings) -> None:
    transcript = chat(settings, "/start")
    assert vi.WELCOME in transcript
    assert transcript.rstrip().endswith(vi.CONSOLE_BYE)


def _cadres(settings: Settings) -> dict[str, int]:
    """A unit with a head (by phone) and an officer, as `thidua people import` leaves them."""
    sessions = wiring.open_store(settings)
    with sessions.begin() as session:
        unit = Unit(code="SNV", name="Sở Nội vụ")
        session.add(unit)
        session.flush()
        found = {}
        for key, name, phone, role in (
            ("head", "Nguyễn Văn Hùng", "+84912345678", Role.UNIT_HEAD),
            ("officer", "Trần Thị Mai", "+84912000111", Role.UNIT_OFFICER),
        ):
            person = Person(full_name=name, phone=phone, unit_id=unit.id)
            person.roles = [PersonRole(role=role.value)]
            session.add(person)
            session.flush()
            found[key] = person.id
    return found


def _run(settings: Settings, args: list[str], *lines: str) -> tuple[int, str]:
    stdin = "".join(line + "\n" for line in lines)
    result = CliRunner().invoke(
        app, ["--data-dir", str(settings.data_dir), "chat", *args], input=stdin
    )
    return result.exit_code, result.output


def test_console_acts_as_any_person(settings: Settings) -> None:
    people = _cadres(settings)
    code, out = _run(settings, [], "/xacnhan", "/exit")  # the plain console is nobody
    assert code == 0 and vi.LINK_FIRST in out

    code, out = _run(settings, ["--as", "0912 345 678"], "/xacnhan", "/exit")  # by phone
    assert code == 0, out
    playing = vi.CONSOLE_AS.format(
        name="Nguyễn Văn Hùng", roles="Thủ trưởng đơn vị", unit="Sở Nội vụ"
    )
    assert playing in out
    assert vi.CONFIRM_NOTHING in out  # a head with nothing waiting
    assert "chat_menu" not in out and "[[" not in out  # the console has no command menu

    code, out = _run(settings, ["--as", str(people["officer"])], "/xacnhan", "/exit")  # by code
    assert code == 0, out
    assert "Trò chuyện với vai trò: Trần Thị Mai" in out
    assert vi.CONFIRM_NOT_FOR_YOU in out

    sessions = wiring.open_store(settings)
    with sessions() as session:
        bound = session.execute(
            select(ChannelIdentity.external_id, ChannelIdentity.person_id).where(
                ChannelIdentity.channel == "console"
            )
        ).all()
        audited = session.scalars(
            select(AuditLog.action).where(AuditLog.action == "identity.bind_local")
        ).all()
    assert sorted(bound) == sorted(
        [(f"as-{people['head']}", people["head"]), (f"as-{people['officer']}", people["officer"])]
    )
    assert len(audited) == 2


def test_console_refuses_an_unknown_person(settings: Settings) -> None:
    _cadres(settings)
    code, out = _run(settings, ["--as", "0999 888 777"], "/xacnhan")
    assert code == 1
    assert vi.INVITE_NO_PERSON.format(person="0999 888 777") in out
    assert vi.CONSOLE_INTRO not in out  # no conversation started
    code, out = _run(settings, ["--as", "ai đó"], "/xacnhan")
    assert code == 1
    assert vi.INVITE_BAD_PERSON.format(person="ai đó") in out
