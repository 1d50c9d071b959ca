"""bot.metrics: what the desk and the reminder pass count, the scrape-time gauges, and the
sum over the processes of one server (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.cli.serve import shared_metrics
from bot.config import Settings
from bot.core.desk import AnswerDesk
from bot.messages import Incoming, Reply
from bot.reminders.loop import count
from bot.reminders.reminder_pass import TickReport

ROOT = Path(__file__).resolve().parent.parent


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def current(name: str, **labels: str) -> float:
    text = metrics.render()[0].decode()
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


class Asker:
    def __init__(self, found: bool) -> None:
        self.found = found

    def ask(self, message: Incoming, top_k: int | None = None, *, session: object = None) -> Reply:
        return Reply("…", found=self.found)


def ask(desk: AnswerDesk, text: str) -> None:
    desk.ask(Incoming(channel="cli", chat_id="1", user_id="1", text=text))


def test_questions_are_counted_answered_or_refused_and_greetings_not_at_all() -> None:
    answered, refused = (
        current("thidua_questions_total", outcome="answered"),
        current("thidua_questions_total", outcome="refused"),
    )
    ask(AnswerDesk(Asker(found=True)), "Danh hiệu Chiến sĩ thi đua cơ sở xét thế nào?")
    ask(AnswerDesk(Asker(found=False)), "Giá vàng hôm nay bao nhiêu?")
    ask(AnswerDesk(Asker(found=True)), "xin chào")
    assert current("thidua_questions_total", outcome="answered") == answered + 1
    assert current("thidua_questions_total", outcome="refused") == refused + 1


def test_a_committed_reminder_pass_is_counted_by_outcome() -> None:
    before = {o: current("thidua_reminders_total", outcome=o) for o in ("queued", "skipped")}
    count(TickReport(sent=3, skipped=2, unreached=0))
    assert current("thidua_reminders_total", outcome="queued") == before["queued"] + 3
    assert current("thidua_reminders_total", outcome="skipped") == before["skipped"] + 2


def test_probes_are_read_at_each_scrape_and_a_broken_one_costs_only_itself() -> None:
    size = [10]
    metrics.probe("thidua_test_size", "A test gauge.", lambda: size[0])
    metrics.probe("thidua_test_broken", "Raises.", lambda: 1 / 0)
    try:
        assert current("thidua_test_size") == 10
        size[0] = 12
        assert current("thidua_test_size") == 12
        assert ("thidua_test_broken", ()) not in samples(metrics.render()[0].decode())
    finally:
        metrics._probes.pop("thidua_test_size")
        metrics._probes.pop("thidua_test_broken")


def run(code: str, directory: Path) -> str:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(directory), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_processes_of_one_server_are_added_up(tmp_path: Path) -> None:
    """Two workers count; a third answers the scrape with the sum of both."""
    for _ in range(2):
        run("from bot import metrics; metrics.UPDATES_RECEIVED.labels('zalo-bot').inc(2)", tmp_path)
    text = run(
        "import sys; from bot import metrics; "
        "sys.stdout.write(metrics.render([metrics.Reading('thidua_x', 'x', 5)])[0].decode())",
        tmp_path,
    )
    found = samples(text)
    assert found[("thidua_updates_received_total", (("channel", "zalo-bot"),))] == 4
    assert found[("thidua_x", ())] == 5


def test_the_server_empties_its_metrics_folder_unless_the_operator_chose_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded by monkeypatch first, so that what shared_metrics sets is undone afterwards.
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "")
    monkeypatch.delenv(metrics.MULTIPROC_ENV)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old run")
    shared_metrics(folder)
    assert os.environ[metrics.MULTIPROC_ENV] == str(folder)
    assert list(folder.iterdir()) == []
    chosen = tmp_path / "chosen"
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(chosen))
    shared_metrics(folder)
    assert os.environ[metrics.MULTIPROC_ENV] == str(chosen)


def test_the_served_app_reports_the_index_size_and_the_backlog(settings: Settings) -> None:
    """As `thidua serve` wires it: the index's passages and an empty outbox, at the scrape."""
    from fastapi.testclient import TestClient

    from bot import wiring
    from bot.web.app import create_app

    services = wiring.build_services(settings, webhooks=True)
    client = TestClient(create_app(services))  # no lifespan: the loops stay off
    found = samples(client.get("/metrics").text)
    chunks = len(wiring.open_index(settings).chunks())
    assert chunks > 0
    assert found[("thidua_index_chunks", ())] == chunks
    assert found[("thidua_outbox_depth", ())] == 0
    services.sessions.kw["bind"].dispose()
