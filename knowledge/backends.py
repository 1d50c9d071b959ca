"""Where the index keeps its records: Chroma embedded in the data dir, or a Chroma server.

Embedded (the default): a PersistentClient on `<index dir>/chroma`, and the catalog of
documents (their metadata and source hashes) a JSON file beside it. Chroma's embedded files
take one process; several writers on them end in "readonly database" errors.

Server: an HttpClient; the catalog is the one record of its own collection on the server,
next to the chunks, so every process on every machine that uses the server sees the same
documents, and the server alone touches the files. The data dir then keeps only what each
machine derives from the server for a fast start, the BM25 indexes and the snapshot, each
tagged with the catalog it was built from (see knowledge.index).

Chroma is imported only when a client is first needed: its import is slow.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

_CATALOG_ID = "catalog"
HEARTBEAT_TIMEOUT_S = 2.0  # a readiness probe answers quickly or not at all


class IndexUnreachable(RuntimeError):
    """The Chroma server named in the settings did not answer."""

    def __init__(self, url: str, error: BaseException) -> None:
        super().__init__(f"Chroma server {url}: {type(error).__name__}: {error}")
        self.url = url


class IndexChanged(RuntimeError):
    """Another process wrote the index since this one read it: writing now would overwrite
    its catalog (one ingest at a time)."""


class Catalog(Protocol):
    """The catalog's text (JSON), read and replaced whole."""

    def read(self) -> str:
        """The text, or '' when there is none yet."""

    def write(self, text: str) -> None: ...


def chunks_name(slug: str) -> str:
    return f"chunks-{slug}"


def catalog_name(slug: str) -> str:
    return f"catalog-{slug}"


def write_atomically(path: Path, text: str) -> None:
    """Write beside `path` under a name of this process's own, then rename over it: readers
    see the old text or the new, and two processes never write one temporary file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class FileCatalog:
    """The embedded layout's catalog: `catalog-<slug>.json` in the index dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def write(self, text: str) -> None:
        write_atomically(self.path, text)


class ServerCatalog:
    """The catalog as one record of the collection `catalog-<slug>` on the Chroma server:
    replaced in one request, so a reader gets the old catalog or the new one."""

    def __init__(self, client: Callable[[], Any], name: str) -> None:
        self._client = client
        self._name = name
        self._collection: Any = None

    def _records(self) -> Any:
        if self._collection is None:
            self._collection = self._client().get_or_create_collection(
                self._name, embedding_function=None
            )
        return self._collection

    def read(self) -> str:
        got = self._records().get(ids=[_CATALOG_ID], include=["documents"])
        return str(got["documents"][0] or "") if got["ids"] else ""

    def write(self, text: str) -> None:
        # Chroma stores no record without a vector; the catalog's is a placeholder.
        self._records().upsert(ids=[_CATALOG_ID], embeddings=[[1.0]], documents=[text])


@dataclass(frozen=True)
class Backend:
    """How an index reaches its records: a client (made once, on first use), the catalog
    (None: in memory only) and a cheap check that the records are reachable."""

    client: Callable[[], Any]
    catalog: Catalog | None
    ping: Callable[[], None]
    server: str = ""  # the server's URL; '' when embedded


def _once(make: Callable[[], Any]) -> Callable[[], Any]:
    lock = threading.Lock()
    made: list[Any] = []

    def get() -> Any:
        with lock:
            if not made:
                made.append(make())
            return made[0]

    return get


def _settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def persistent_client(directory: Path) -> Any:
    """The embedded store of the index dir `directory`."""
    import chromadb

    return chromadb.PersistentClient(path=str(directory / "chroma"), settings=_settings())


def embedded(directory: Path, slug: str) -> Backend:
    return Backend(
        _once(lambda: persistent_client(directory)),
        FileCatalog(directory / f"{catalog_name(slug)}.json"),
        _opened,
    )


def ephemeral() -> Backend:
    """In memory only, without a catalog (ephemeral clients of one process share one store)."""

    def connect() -> Any:
        import chromadb

        return chromadb.EphemeralClient(settings=_settings())

    return Backend(_once(connect), None, _opened)


def server(url: str, slug: str) -> Backend:
    client = _once(lambda: http_client(url))
    return Backend(client, ServerCatalog(client, catalog_name(slug)), lambda: heartbeat(url), url)


def _opened() -> None:
    """An embedded index is reachable once it is open: its files are this process's."""


def racing_a_write(error: BaseException) -> bool:
    """Chroma's server may answer a read of vectors that races the first write of a
    collection with an internal error ("Error creating hnsw segment reader: Nothing found on
    disk"); read again a moment later, it answers."""
    from chromadb.errors import InternalError

    return isinstance(error, InternalError)


def split_url(url: str) -> tuple[str, int, bool]:
    """'http://chroma:8000' -> ('chroma', 8000, False); https without a port means 443."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"a Chroma server URL has no path: {url!r}")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


def http_client(url: str) -> Any:
    """A client of the server at `url`; IndexUnreachable when it does not answer."""
    import chromadb

    host, port, ssl = split_url(url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_settings())
    except Exception as error:  # chromadb raises ValueError, httpx errors or its own
        raise IndexUnreachable(url, error) from error


def heartbeat(url: str, timeout: float = HEARTBEAT_TIMEOUT_S) -> None:
    """Raises unless the server answers its heartbeat within `timeout` seconds (Chroma's
    own client waits forever, which a readiness probe cannot)."""
    import httpx

    base = url.rstrip("/")
    try:
        response = httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise IndexUnreachable(url, error) from error


__all__ = [
    "Backend",
    "Catalog",
    "FileCatalog",
    "IndexChanged",
    "IndexUnreachable",
    "ServerCatalog",
    "catalog_name",
    "chunks_name",
    "embedded",
    "ephemeral",
    "heartbeat",
    "http_client",
    "persistent_client",
    "racing_a_write",
    "server",
    "split_url",
    "write_atomically",
]
