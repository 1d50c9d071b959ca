"""The dashboard over the forms' test province: the real app and a signed-in client per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.core.curated import CuratedLibrary
from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.handoffs import HandoffPusher
from bot.reminders.reach import RoutingPolicy, route_by
from bot.store import web_sessions
from bot.web.app import create_app
from bot.web.dashboard import LINK_TTL, Dashboard
from knowledge.registry import DocumentRegistry
from tests import answers_kit
from tests.forms.conftest import World, build_world
from tests.integration.services import services

SECRET = "test-secret-of-the-dashboard"


def dashboard_for(world: World, public_url: str = "http://testserver") -> Dashboard:
    policy = RoutingPolicy(direct_channels=frozenset({"telegram", "console"}))
    return Dashboard(
        sessions=world.sessions,
        secret=SECRET,
        public_url=public_url,
        now=world.clock,
        tz=world.clock.current.tzinfo,  # type: ignore[arg-type]
        push=HandoffPusher(WorkCalendar(), route_by(policy)),
        chaser=Chaser(WorkCalendar(), route_by(policy)),
        files=world.files,
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    yield built
    built.engine.dispose()


def library_for(world: World, data_dir: Path) -> CuratedLibrary:
    """The office's curated answers over the bundled texts, on the world's records and clock."""
    index = answers_kit.bundled_index(data_dir)
    return CuratedLibrary(
        world.sessions, index.embedder, index, world.clock, registry=DocumentRegistry.bundled()
    )


def with_answers(world: World, data_dir: Path) -> Dashboard:
    """The dashboard as `thidua serve` builds it: with the assistant's curated answers."""
    return replace(
        dashboard_for(world),
        curated=library_for(world, data_dir),
        push_channels=frozenset({"telegram", "zalo_bot"}),
    )


@pytest.fixture
def answers_client(world: World, bundled_data_dir: Path) -> Iterator[TestClient]:
    app = create_app(services(world, {}, background=False), with_answers(world, bundled_data_dir))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    app = create_app(services(world, {}, background=False), dashboard_for(world))
    with TestClient(app) as client:
        yield client


def link_for(world: World, user: str) -> str:
    with world.sessions.begin() as session:
        return web_sessions.create_link(
            session, world.people[user], now=world.clock(), ttl=LINK_TTL
        )


def sign_in(client: TestClient, world: World, user: str) -> str:
    """Signs `user` in through a link, as a browser does; returns the session's CSRF token."""
    token = link_for(world, user)
    page = client.get(f"/web/login/{token}")
    assert page.status_code == 200, page.text
    pre = client.cookies.get("thidua_login")
    done = client.post(f"/web/login/{token}", data={"csrf": pre}, follow_redirects=False)
    assert done.status_code == 303, done.text
    with world.sessions() as session:
        rows = session.scalars(
            web_sessions.select(web_sessions.WebSession).order_by(web_sessions.WebSession.id.desc())
        )
        return next(iter(rows)).csrf


__all__ = [
    "LINK_TTL",
    "dashboard_for",
    "library_for",
    "link_for",
    "sign_in",
    "timedelta",
    "with_answers",
]
