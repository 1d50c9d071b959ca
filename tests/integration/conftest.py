"""The forms' province on SQLite and on PostgreSQL (`world`), for the tests of the delivery
path whose claims and upserts differ between the two."""

from __future__ import annotations

from tests.forms.conftest import world

__all__ = ["world"]
