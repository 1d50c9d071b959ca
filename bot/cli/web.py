"""`thidua web link`, and the dashboard built from Settings for `thidua serve` (composition
root, like serve.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.i18n import web_vi
from bot.store import web_sessions
from bot.store.models import Person
from bot.store.phone import normalize_phone
from bot.web.dashboard import Dashboard

if TYPE_CHECKING:
    from bot.core.curated import CuratedLibrary

web_app = typer.Typer(help="Trang quản lý: liên kết đăng nhập.", no_args_is_help=True)


def web_secret(settings: Settings) -> str:
    """The cookie-signing key: the setting, or one made once and kept in the data folder so
    every worker process and every restart signs alike."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = settings.data_dir / "web_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def build_dashboard(
    settings: Settings,
    sessions: sessionmaker[Session],
    now: Callable[[], datetime],
    channels: Collection[str] | None = None,
    curated: CuratedLibrary | None = None,
) -> Dashboard:
    """`curated`: the serving assistant's own library (one index and embedder per process)."""
    from bot import wiring
    from bot.cli.answers import push_channels

    return Dashboard(
        sessions=sessions,
        secret=web_secret(settings),
        public_url=settings.web_base_url,
        now=now,
        tz=settings.tz,
        push=wiring.build_pusher(settings),
        chaser=wiring.build_chaser(settings, channels),
        files=wiring.file_store(settings),
        session_lifetime=timedelta(hours=settings.web_session_hours),
        secure_cookies=settings.web_base_url.startswith("https://"),
        bot_username=settings.telegram_bot_username,
        curated=curated,
        push_channels=push_channels(),
    )


def find_person(session: Session, who: str) -> list[int]:
    """People matching a phone number or a person id."""
    who = who.strip()
    found: list[int] = []
    if who.isdigit() and session.get(Person, int(who)) is not None and len(who) < 9:
        found.append(int(who))
    try:
        phone = normalize_phone(who)
    except ValueError:
        phone = ""
    if phone:
        found += [p for p in session.scalars(select(Person.id).where(Person.phone == phone))]
    return sorted(set(found))


@web_app.command("link")
def link(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(help="Số điện thoại hoặc mã cán bộ (số).")],
) -> None:
    """In một liên kết đăng nhập trang quản lý (dùng một lần, hết hạn sau 10 phút)."""
    from bot import wiring
    from bot.core.access import actor_of
    from bot.core.weblink import may_use_dashboard
    from bot.store.accounts import Caller

    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    sessions = wiring.open_store(settings)
    now = datetime.now(settings.tz)
    with sessions.begin() as session:
        people = find_person(session, who)
        if not people:
            typer.echo(web_vi.WEB_PERSON_UNKNOWN.format(who=who), err=True)
            raise typer.Exit(2)
        if len(people) > 1:
            typer.echo(web_vi.WEB_PERSON_AMBIGUOUS.format(who=who), err=True)
            raise typer.Exit(2)
        person = session.get(Person, people[0])
        assert person is not None
        caller = Caller(person.id, person.unit_id, frozenset(r.role for r in person.roles))
        if not may_use_dashboard(actor_of(session, caller, now.date())):
            typer.echo(web_vi.WEB_NOT_FOR_YOU, err=True)
            raise typer.Exit(2)
        ttl = web_sessions.LINK_TTL
        token = web_sessions.create_link(session, person.id, now=now, ttl=ttl)
    base = settings.web_base_url.rstrip("/")
    typer.echo(f"{base}/web/login/{token}")


def register(app: typer.Typer) -> None:
    app.add_typer(web_app, name="web")
