"""compose.yaml and .env.example, checked without a Docker engine: every service runs a real
`thidua` command (the CLI's own parser says so) or `chroma run` with options it takes, the
replicas start after the migrations and sit behind the proxy, and every THIDUA_* name used
exists in Settings, whose every field .env.example lists with its default."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from bot.cli import app
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
IMAGES = {"postgres", "caddy"}  # services that run a stock image with its own command

SETTING_NAMES = {f"THIDUA_{name.upper()}" for name in Settings.model_fields}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def resolve(argv: list[str]) -> Any:
    """The `thidua` command that `argv` names, every option checked against its parameters
    (Typer's own parser: an unknown option or command fails here)."""
    command: Any = typer.main.get_command(app)
    context = command.make_context("thidua", [], resilient_parsing=True)
    args = list(argv)
    while hasattr(command, "get_command") and args and not args[0].startswith("-"):
        name = args.pop(0)
        sub = command.get_command(context, name)
        assert sub is not None, f"`thidua` has no command {name!r} ({' '.join(argv)})"
        command = sub
    command.make_context(command.name or "", args)  # raises on an unknown option
    return command


def chroma_options() -> str:
    chroma = Path(sys.executable).parent / "chroma"
    done = subprocess.run(
        [str(chroma), "run", "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_every_service_runs_a_real_command() -> None:
    seen = set()
    for name, service in services().items():
        command = service.get("command")
        if command is None:
            image = str(service.get("image", ""))
            assert image.split(":")[0] in IMAGES, f"{name}: neither a command nor a known image"
            continue
        assert isinstance(command, list), f"{name}: use the exec form"
        if command[0] == "thidua":
            resolve(command[1:])
            assert service.get("build") == ".", f"{name}: runs our Dockerfile's image"
        else:
            assert command[:2] == ["chroma", "run"], f"{name}: {command}"
            help_text = chroma_options()
            for option in (arg for arg in command[2:] if arg.startswith("--")):
                assert option in help_text, f"`chroma run` takes no {option}"
        seen.add(tuple(command[:3]))
    assert ("thidua", "db", "migrate") in seen
    assert ("chroma", "run", "--host") in seen


def test_a_bad_command_would_be_caught() -> None:
    with pytest.raises(AssertionError, match="no command 'serf'"):
        resolve(["serf"])
    with pytest.raises(Exception, match="No such option: --into"):
        resolve(["db", "copy", "--into", "x"])


def test_two_replicas_after_the_migrations_behind_the_proxy() -> None:
    replicas = {
        name: service
        for name, service in services().items()
        if service.get("command") == ["thidua", "serve"]
    }
    assert len(replicas) >= 2
    caddyfile = compose()["configs"]["caddyfile"]["content"]
    for name, service in replicas.items():
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert f"{name}:8080" in caddyfile
        assert service["environment"]["THIDUA_WEB_HOST"] == "0.0.0.0"
        assert service["environment"]["THIDUA_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert service["environment"]["THIDUA_CHROMA_URL"] == "http://chroma:8000"
    assert "respond /metrics 404" in caddyfile  # metrics stay inside
    assert services()["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def names_in(text: str) -> set[str]:
    return set(re.findall(r"\bTHIDUA_[A-Z0-9_]+\b", text))


def test_every_setting_compose_names_exists() -> None:
    named = names_in(COMPOSE.read_text(encoding="utf-8"))
    assert named, "compose.yaml names no setting"
    assert named - SETTING_NAMES == set()


def example_lines() -> dict[str, str]:
    """THIDUA_NAME -> the value .env.example shows (commented out or not)."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?\s*(THIDUA_[A-Z0-9_]+)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = example_lines()
    assert SETTING_NAMES - set(listed) == set(), "settings missing from .env.example"
    assert set(listed) - SETTING_NAMES == set(), "names Settings does not have"
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"#?\s*THIDUA_", line):
            assert lines[number - 1].startswith("# "), f"no comment above {line}"


def test_env_example_shows_each_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its values, read as settings, are the defaults; an empty one stands for 'not set'."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name, value in example_lines().items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            field = name.removeprefix("THIDUA_").lower()
            assert getattr(defaults, field) in (None, ""), f"{name}: its default is not empty"
    assert Settings(_env_file=None) == defaults  # type: ignore[call-arg]
