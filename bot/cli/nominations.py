"""`thidua results import|template`, `thidua export nominations`, `thidua clusters ranking`:
the year end's office verbs.

Only parses the command line, opens the records and prints: the office's imports go through
bot.cli.admin's own read, transaction and row-error steps; the logic is in bot.admin.results,
bot.admin.nomination_export and bot.store.awards.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from bot.admin import results
from bot.admin.tables import ImportFailed, Row
from bot.admin.units import unit_code
from bot.admin.values import clean, fold, parse_date
from bot.cli.admin import (
    FileArgument,
    ForceOption,
    MovementOption,
    OutOption,
    _fail,
    _settings,
    _template,
    clusters_app,
    export_app,
    movement_app,
    open_sessions,
    read_import,
    write_import,
)
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.store import awards, nominations, pledges
from bot.store.models import Cluster, Unit

results_app = typer.Typer(help=nv.CLI_RESULTS_HELP, no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `results` to the root command (`export nominations` and `clusters ranking` hang on
    bot.cli.admin's sub-apps when this module is imported)."""
    app.add_typer(results_app, name="results")


@results_app.command("import", help=nv.CLI_RESULTS_IMPORT_HELP)
def results_import(ctx: typer.Context, file: FileArgument) -> None:
    """Nhập kết quả khen thưởng các năm từ tệp xlsx/csv."""
    settings = _settings(ctx)
    rows = read_import(file, results.COLUMNS)
    with open_sessions(settings) as sessions:
        write_import(
            file,
            sessions,
            lambda session: results.import_results(session, rows, now=datetime.now(settings.tz)),
        )


@results_app.command("template", help=nv.CLI_RESULTS_TEMPLATE_HELP)
def results_template(
    out: Annotated[Path, typer.Option("--out", help=vi.CLI_OUT_HELP)] = Path("mau-ket-qua.xlsx"),
    force: ForceOption = False,
) -> None:
    """Ghi tệp mẫu (xlsx hoặc csv) với các cột cần điền cho kết quả khen thưởng."""
    _template(out, results.COLUMNS, nv.TEMPLATE_RESULTS_SHEET, force)


@export_app.command("nominations", help=nv.CLI_EXPORT_NOMINATIONS_HELP)
def export_nominations(ctx: typer.Context, movement: MovementOption, out: OutOption) -> None:
    """Xuất danh sách đề nghị khen thưởng của một phong trào ra Excel."""
    from bot.admin import exports, nomination_export

    if out.suffix.lower() != ".xlsx":
        raise _fail(vi.EXPORT_NOT_XLSX.format(file=out))
    try:
        with open_sessions(_settings(ctx)) as sessions, sessions() as session:
            count = nomination_export.export_nominations(session, movement, out)
    except exports.ExportError as error:
        raise _fail(str(error)) from None
    typer.echo(nv.EXPORT_DONE.format(file=out, count=count))


@clusters_app.command("ranking", help=nv.CLI_RANKING_HELP)
def clusters_ranking(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help=nv.CLI_RANKING_HELP)],
    units: Annotated[list[str], typer.Argument(help=nv.CLI_RANKING_HELP)],
    year: Annotated[int, typer.Option("--year", min=2000, max=2100)],
) -> None:
    """Ghi kết quả bình xét, suy tôn của một cụm/khối (đơn vị dẫn đầu trước)."""
    settings = _settings(ctx)
    with open_sessions(settings) as sessions, sessions.begin() as session:
        cluster = session.scalar(
            select(Cluster).where(Cluster.code == unit_code(code), Cluster.year == year)
        )
        if cluster is None:
            raise _fail(nv.RANK_UNKNOWN_CLUSTER.format(code=code, year=year))
        members = set(pledges.members(session, cluster))
        by_code = {u.code: u for u in session.scalars(select(Unit))}
        ordered = []
        for item in units:
            unit = by_code.get(unit_code(item))
            if unit is None or unit.id not in members:
                raise _fail(nv.RANK_NOT_MEMBER.format(code=item, cluster=cluster.name, year=year))
            ordered.append(unit)
        ordered = list(dict.fromkeys(ordered))
        ids = [u.id for u in ordered]
        awards.record_ranking(session, cluster, ids, person_id=None, now=datetime.now(settings.tz))
        names = ", ".join(f"{i}. {u.name}" for i, u in enumerate(ordered, start=1))
        typer.echo(nv.RANK_RECORDED.format(cluster=cluster.name, year=year, units=names))


def _quota(text: str, catalog: dict[str, tuple[str, str]]) -> tuple[str, str, float]:
    """'CSTDCS:LDTT:15' -> ('CSTDCS', 'LDTT', 15.0), award names or codes alike."""
    parts = [part.strip() for part in text.split(":")]
    try:
        award, base, percent = parts
        limit = float(percent.replace(",", "."))
    except ValueError:
        raise _fail(nv.SETTINGS_BAD_QUOTA.format(value=text)) from None
    codes = [catalog.get(fold(item), ("", ""))[0] for item in (award, base)]
    if not all(codes) or not 0 <= limit <= 100:
        raise _fail(nv.SETTINGS_BAD_QUOTA.format(value=text))
    return codes[0], codes[1], limit


@movement_app.command("nominations", help=nv.CLI_SETTINGS_HELP)
def movement_nominations(
    ctx: typer.Context,
    movement: Annotated[str, typer.Argument(help=vi.CLI_EXPORT_MOVEMENT_HELP)],
    deadline: Annotated[str | None, typer.Option(help=nv.CLI_DEADLINE_HELP)] = None,
    quota: Annotated[list[str] | None, typer.Option(help=nv.CLI_QUOTA_HELP)] = None,
    clear_quotas: Annotated[bool, typer.Option(help=nv.CLI_CLEAR_QUOTAS_HELP)] = False,
) -> None:
    """Đặt hạn gửi đề nghị khen thưởng và tỷ lệ tối đa của một phong trào."""
    from bot.admin.exports import ExportError, find_movement

    try:
        due = parse_date(deadline) if deadline else None
    except ValueError as error:
        raise _fail(str(error)) from None
    with open_sessions(_settings(ctx)) as sessions, sessions.begin() as session:
        try:
            found = find_movement(session, movement)
        except ExportError as error:
            raise _fail(str(error)) from None
        current = nominations.settings_of(session, found.id)
        quotas = {} if clear_quotas or current is None else dict(current.quotas)
        catalog = results.award_catalog(session)
        for item in quota or []:
            award, base, limit = _quota(item, catalog)
            quotas[award] = {"of": base, "max_percent": limit}
        if due is None and current is not None:
            due = current.deadline
        nominations.save_settings(session, found.id, deadline=due, quotas=quotas)
        shown = ", ".join(
            f"{code} ≤ {rule['max_percent']:g} % {rule['of']}" for code, rule in quotas.items()
        )
        typer.echo(
            nv.SETTINGS_SAVED.format(
                movement=found.title,
                deadline=due.strftime("%d/%m/%Y") if due else nv.SETTINGS_NO_DEADLINE,
                quotas=shown or nv.SETTINGS_NO_QUOTAS,
            )
        )


@results_app.command("add", help=nv.CLI_RESULTS_ADD_HELP)
def results_add(
    ctx: typer.Context,
    year: Annotated[str, typer.Option(help=nv.NOTE_YEAR)],
    award: Annotated[str, typer.Option(help=nv.NOTE_AWARD)],
    unit: Annotated[str, typer.Option(help=nv.NOTE_UNIT)],
    decision: Annotated[str, typer.Option(help=nv.NOTE_DECISION)],
    date: Annotated[str, typer.Option(help=nv.NOTE_DATE)],
    name: Annotated[str, typer.Option(help=nv.NOTE_NAME)] = "",
    phone: Annotated[str, typer.Option(help=nv.NOTE_PHONE)] = "",
    issuer: Annotated[str, typer.Option(help=nv.NOTE_ISSUER)] = "",
) -> None:
    """Ghi một kết quả khen thưởng, kiểm tra như một dòng của tệp nhập."""
    settings = _settings(ctx)
    values = {"year": year, "award": award, "unit": unit, "name": name, "phone": phone,
              "decision": decision, "date": date, "issuer": issuer}  # fmt: skip
    row = Row(1, {key: clean(value) for key, value in values.items()})
    try:
        with open_sessions(settings) as sessions, sessions.begin() as session:
            summary = results.import_results(session, [row], now=datetime.now(settings.tz))
    except ImportFailed as failure:
        for error in failure.errors:
            typer.echo(nv.RESULT_ROW_ERROR.format(reason=error.reason), err=True)
        raise _fail(vi.IMPORT_NOTHING_WRITTEN.format(count=len(failure.errors))) from None
    typer.echo(nv.RESULT_ADDED.format(created=summary.created, updated=summary.updated))
