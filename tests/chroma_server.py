"""A real Chroma server for the tests: `chroma run` (installed with the chromadb package) on
127.0.0.1, a free port and a temporary directory, stopped at the end.

`chroma_server` is one server per test session; `chroma_url` hands it to a test and drops
every collection after it, so tests never see each other's records. `start_chroma` starts a
private one for a test that stops it. The server cases are skipped, with the reason, only
where the server cannot start.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.rig import free_port

STARTUP_S = 60.0  # a busy machine may take a while; the heartbeat ends the wait at once


@dataclass
class ChromaServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def chroma_command() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


def start_chroma(directory: Path) -> ChromaServer:
    """A server on its own port over `directory`; skips the test when none can start."""
    command = chroma_command()
    if command is None:
        pytest.skip("the `chroma` command (chromadb package) is not installed")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "chroma.log"
    args = ["run", "--path", str(directory / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [command, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = ChromaServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-500:]
            pytest.skip(f"`chroma run` exited with {process.returncode}: {tail}")
        try:
            if httpx.get(f"{server.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.skip(f"`chroma run` gave no heartbeat on {server.url} within {STARTUP_S:.0f} s")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield server
    server.stop()


@pytest.fixture
def chroma_url(chroma_server: ChromaServer) -> Iterator[str]:
    """The session's server, emptied after the test."""
    yield chroma_server.url
    from knowledge.backends import http_client

    client = http_client(chroma_server.url)
    for collection in client.list_collections():
        client.delete_collection(collection.name)
