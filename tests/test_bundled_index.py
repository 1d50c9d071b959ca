"""The bundled texts in a data dir's index: added when missing, updated when the package
brings a new version, never over a text the office ingested itself under the same id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import wiring
from bot.config import Settings
from ingest.pipeline import ingest_paths, pending
from knowledge.prebuilt import BUNDLED_DIR

pytestmark = pytest.mark.slow

GUIDE = "hd-1479-btdkt-2016.md"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A sources folder with one bundled excerpt (its vectors are prebuilt)."""
    folder = tmp_path / "mau"
    folder.mkdir()
    shutil.copy(BUNDLED_DIR / GUIDE, folder / GUIDE)
    return folder


def settings_for(tmp_path: Path, sources: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", sources_dir=sources)


def test_a_new_version_of_a_bundled_text_is_indexed_at_the_next_start(
    tmp_path: Path, sources: Path
) -> None:
    settings = settings_for(tmp_path, sources)
    index = wiring.open_index(settings)
    wiring.ensure_bundled_index(index, settings)
    assert [d.doc_id for d in index.documents()] == ["hd-1479-btdkt-2016"]
    assert not pending(sources, index.document_hashes())  # a later start does nothing

    text = (sources / GUIDE).read_text(encoding="utf-8")
    (sources / GUIDE).write_text(text + "\nCác cụm, khối thi đua tổ chức ký kết giao ước.\n")
    index = wiring.open_index(settings)
    assert pending(sources, index.document_hashes())
    wiring.ensure_bundled_index(index, settings)
    assert any("ký kết giao ước" in c.text for c in index.chunks())
    assert not pending(sources, index.document_hashes())


def test_the_offices_own_copy_under_a_bundled_id_is_left_alone(
    tmp_path: Path, sources: Path
) -> None:
    settings = settings_for(tmp_path, sources)
    own = tmp_path / "cua-ban"
    own.mkdir()
    text = (sources / GUIDE).read_text(encoding="utf-8")
    (own / GUIDE).write_text(text + "\nBản của Ban Thi đua - Khen thưởng tỉnh.\n")
    index = wiring.open_index(settings)
    assert ingest_paths([own], index).added == 1

    assert not pending(sources, index.document_hashes())
    wiring.ensure_bundled_index(index, settings)
    assert any("Bản của Ban Thi đua" in c.text for c in index.chunks())
