"""One office import, from a file to the database, for whoever asks: the command line
(bot.cli.admin) and the dashboard (bot.web.routers.org) go through these same steps.

Read the file (`read_table`: a file that cannot be used says why), then check every row and
write them in one transaction (`apply_import`: an importer raises ImportFailed before it writes
anything, and a database error rolls the transaction back), so the outcome is the counts, or
every bad row with its spreadsheet line and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.admin import clusters, people, units
from bot.admin.tables import Column, ImportFailed, ImportSummary, RowError
from bot.i18n import vi

Importer = Callable[..., ImportSummary]  # (session, rows, *, now) -> summary


@dataclass(frozen=True)
class ImportKind:
    """One kind of file the office imports: its columns, its importer, its template's sheet."""

    columns: Sequence[Column]
    run: Importer
    sheet: str


KINDS: dict[str, ImportKind] = {
    "units": ImportKind(units.COLUMNS, units.import_units, vi.TEMPLATE_UNITS_SHEET),
    "clusters": ImportKind(clusters.COLUMNS, clusters.import_clusters, vi.TEMPLATE_CLUSTERS_SHEET),
    "people": ImportKind(people.COLUMNS, people.import_people, vi.TEMPLATE_PEOPLE_SHEET),
}


@dataclass(frozen=True)
class ImportOutcome:
    """The counts written; or the bad rows (nothing written); or the database's refusal."""

    summary: ImportSummary | None = None
    errors: tuple[RowError, ...] = ()
    db_error: str = ""


def apply_import(
    begin: Callable[[], AbstractContextManager[Session]],
    write: Callable[[Session], ImportSummary],
) -> ImportOutcome:
    """`write` inside the transaction `begin` opens (committed whole or rolled back whole)."""
    try:
        with begin() as session:
            summary = write(session)
    except ImportFailed as failure:
        return ImportOutcome(errors=tuple(failure.errors))
    except SQLAlchemyError as error:
        return ImportOutcome(db_error=str(error))
    return ImportOutcome(summary=summary)
