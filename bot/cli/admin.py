"""The admin verbs as Typer sub-apps; `register` hangs them on the root `thidua` command.

The office's data logic (imports, templates, exports) is in bot.admin; this module only parses
the command line, opens the records (bot.wiring.open_records) and prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.admin import clusters, movements, people, units
from bot.admin.importing import apply_import
from bot.admin.invites import issue_invite, telegram_link
from bot.admin.tables import (
    Column,
    ImportSummary,
    Row,
    TableError,
    read_table,
    write_template,
)
from bot.config import Settings
from bot.i18n import vi
from bot.store.models import Movement, Person
from bot.store.phone import display_phone, normalize_phone

Importer = Callable[..., ImportSummary]

units_app = typer.Typer(help=vi.CLI_UNITS_HELP, no_args_is_help=True)
people_app = typer.Typer(help=vi.CLI_PEOPLE_HELP, no_args_is_help=True)
clusters_app = typer.Typer(help=vi.CLI_CLUSTERS_HELP, no_args_is_help=True)
movement_app = typer.Typer(help=vi.CLI_MOVEMENT_HELP, no_args_is_help=True)
export_app = typer.Typer(help=vi.CLI_EXPORT_HELP, no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(help=vi.CLI_FILE_HELP)]
ForceOption = Annotated[bool, typer.Option("--force", help=vi.CLI_FORCE_HELP)]


class Layout(StrEnum):
    flat = "flat"
    per_unit = "per-unit"


def register(app: typer.Typer) -> None:
    """Add units, people, clusters, movement, invite and export to the root command."""
    app.add_typer(units_app, name="units")
    app.add_typer(people_app, name="people")
    app.add_typer(clusters_app, name="clusters")
    app.add_typer(movement_app, name="movement")
    app.add_typer(export_app, name="export")
    app.command("invite", help=vi.CLI_INVITE_HELP)(invite)


def open_sessions(settings: Settings) -> AbstractContextManager[sessionmaker[Session]]:
    """The records for one command (bot.wiring.open_records), imported when a command runs:
    wiring loads the knowledge stack, which `thidua --help` does not need."""
    from bot import wiring

    return wiring.open_records(settings)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _import(ctx: typer.Context, path: Path, columns: Sequence[Column], run: Importer) -> None:
    """Read, validate and write one file in one transaction; any error writes nothing."""
    settings = _settings(ctx)
    rows = read_import(path, columns)
    with open_sessions(settings) as sessions:
        write_import(
            path, sessions, lambda session: run(session, rows, now=datetime.now(settings.tz))
        )


def read_import(path: Path, columns: Sequence[Column]) -> list[Row]:
    """The file's rows, or the command's exit with the reason it cannot be read."""
    try:
        return read_table(path, columns)
    except TableError as error:
        raise _fail(vi.IMPORT_FILE_ERROR.format(file=path, reason=error)) from None


def write_import(
    path: Path, sessions: sessionmaker[Session], write: Callable[[Session], ImportSummary]
) -> None:
    """`write` in one transaction (bot.admin.importing.apply_import): its summary printed, or
    every row's error and nothing written (the office imports and `thidua answers import`)."""
    outcome = apply_import(sessions.begin, write)
    if outcome.errors:
        for row_error in outcome.errors:
            typer.echo(
                vi.IMPORT_ROW_ERROR.format(file=path, line=row_error.line, reason=row_error.reason),
                err=True,
            )
        raise _fail(vi.IMPORT_NOTHING_WRITTEN.format(count=len(outcome.errors)))
    if outcome.summary is None:
        raise _fail(vi.IMPORT_DB_ERROR.format(file=path, error=outcome.db_error))
    summary = outcome.summary
    typer.echo(vi.IMPORT_DONE.format(file=path, created=summary.created, updated=summary.updated))


def _template(out: Path, columns: Sequence[Column], title: str, force: bool) -> None:
    if out.exists() and not force:
        raise _fail(vi.TEMPLATE_EXISTS.format(file=out))
    try:
        write_template(out, columns, title)
    except TableError as error:
        raise _fail(vi.IMPORT_FILE_ERROR.format(file=out, reason=error)) from None
    typer.echo(vi.TEMPLATE_WRITTEN.format(file=out))
    typer.echo(vi.TEMPLATE_COLUMNS)
    for column in columns:
        mark = vi.TEMPLATE_REQUIRED_MARK if column.required else ""
        typer.echo(vi.TEMPLATE_COLUMN_LINE.format(label=column.label, mark=mark, note=column.note))


@units_app.command("import")
def units_import(ctx: typer.Context, file: FileArgument) -> None:
    """Nhập hoặc cập nhật đơn vị (theo mã đơn vị) từ tệp xlsx/csv."""
    _import(ctx, file, units.COLUMNS, units.import_units)


@units_app.command("template")
def units_template(
    out: Annotated[Path, typer.Option("--out", help=vi.CLI_OUT_HELP)] = Path("mau-don-vi.xlsx"),
    force: ForceOption = False,
) -> None:
    """Ghi tệp mẫu (xlsx hoặc csv) với các cột cần điền cho đơn vị."""
    _template(out, units.COLUMNS, vi.TEMPLATE_UNITS_SHEET, force)


@people_app.command("import")
def people_import(ctx: typer.Context, file: FileArgument) -> None:
    """Nhập hoặc cập nhật cán bộ (theo số điện thoại) từ tệp xlsx/csv."""
    _import(ctx, file, people.COLUMNS, people.import_people)


@people_app.command("template")
def people_template(
    out: Annotated[Path, typer.Option("--out", help=vi.CLI_OUT_HELP)] = Path("mau-can-bo.xlsx"),
    force: ForceOption = False,
) -> None:
    """Ghi tệp mẫu (xlsx hoặc csv) với các cột cần điền cho cán bộ."""
    _template(out, people.COLUMNS, vi.TEMPLATE_PEOPLE_SHEET, force)


@clusters_app.command("import")
def clusters_import(ctx: typer.Context, file: FileArgument) -> None:
    """Nhập hoặc cập nhật cụm, khối thi đua (theo mã và năm) từ tệp xlsx/csv."""
    _import(ctx, file, clusters.COLUMNS, clusters.import_clusters)


@clusters_app.command("template")
def clusters_template(
    out: Annotated[Path, typer.Option("--out", help=vi.CLI_OUT_HELP)] = Path("mau-cum-khoi.xlsx"),
    force: ForceOption = False,
) -> None:
    """Ghi tệp mẫu (xlsx hoặc csv) với các cột cần điền cho cụm, khối thi đua."""
    _template(out, clusters.COLUMNS, vi.TEMPLATE_CLUSTERS_SHEET, force)


def _opt(help_text: str) -> Any:
    return typer.Option(help=help_text)


@movement_app.command("create")
def movement_create(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help=vi.CLI_MOVEMENT_FILE_HELP)] = None,
    code: Annotated[str | None, _opt(vi.CLI_MOVEMENT_CODE_HELP)] = None,
    title: Annotated[str | None, _opt(vi.CLI_MOVEMENT_TITLE_HELP)] = None,
    theme: Annotated[str | None, _opt(vi.CLI_MOVEMENT_THEME_HELP)] = None,
    motto: Annotated[str | None, _opt(vi.CLI_MOVEMENT_MOTTO_HELP)] = None,
    kind: Annotated[str | None, _opt(vi.CLI_MOVEMENT_KIND_HELP)] = None,
    year: Annotated[int | None, _opt(vi.CLI_MOVEMENT_YEAR_HELP)] = None,
    start: Annotated[str | None, _opt(vi.CLI_DATE_HELP)] = None,
    end: Annotated[str | None, _opt(vi.CLI_DATE_HELP)] = None,
    registration_deadline: Annotated[str | None, _opt(vi.CLI_DATE_HELP)] = None,
    pledge_deadline: Annotated[str | None, _opt(vi.CLI_DATE_HELP)] = None,
    period: Annotated[list[str] | None, _opt(vi.CLI_MOVEMENT_PERIOD_HELP)] = None,
) -> None:
    """Phát động (tạo hoặc cập nhật) một phong trào thi đua với các kỳ báo cáo."""
    settings = _settings(ctx)
    source = str(file) if file else "movement"
    flags: dict[str, Any] = {
        "code": code,
        "title": title,
        "theme": theme,
        "motto": motto,
        "kind": kind,
        "year": year,
        "start": start,
        "end": end,
        "registration_deadline": registration_deadline,
        "pledge_deadline": pledge_deadline,
    }
    try:
        data = movements.load_yaml(file) if file else {}
        data.update({key: value for key, value in flags.items() if value is not None})
        if period:
            data["periods"] = [movements.parse_period_flag(item) for item in period]
        spec = movements.parse_movement(data)
        with open_sessions(settings) as sessions, sessions.begin() as session:
            movement, created = movements.save_movement(
                session, spec, now=datetime.now(settings.tz)
            )
            movement_id, periods = movement.id, len(movement.periods)
    except movements.MovementError as error:
        for reason in error.reasons:
            typer.echo(vi.MOVEMENT_ERROR_LINE.format(file=source, reason=reason), err=True)
        raise _fail(vi.IMPORT_NOTHING_WRITTEN.format(count=len(error.reasons))) from None
    done = vi.MOVEMENT_CREATED if created else vi.MOVEMENT_UPDATED
    typer.echo(done.format(id=movement_id, code=spec.code, title=spec.title, periods=periods))


@movement_app.command("template")
def movement_template(
    out: Annotated[Path, typer.Option("--out", help=vi.CLI_OUT_HELP)] = Path("phong-trao.yaml"),
    force: ForceOption = False,
) -> None:
    """Ghi tệp YAML mẫu mô tả một phong trào thi đua."""
    if out.exists() and not force:
        raise _fail(vi.TEMPLATE_EXISTS.format(file=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(vi.MOVEMENT_TEMPLATE.format(name=out.name), encoding="utf-8")
    typer.echo(vi.TEMPLATE_WRITTEN.format(file=out))


@movement_app.command("list")
def movement_list(ctx: typer.Context) -> None:
    """Liệt kê các phong trào thi đua (mã số dùng cho lệnh export)."""
    with open_sessions(_settings(ctx)) as sessions, sessions() as session:
        rows = list(session.scalars(select(Movement).order_by(Movement.start_date, Movement.id)))
        if not rows:
            typer.echo(vi.MOVEMENT_LIST_EMPTY)
        for m in rows:
            typer.echo(
                vi.MOVEMENT_LIST_LINE.format(
                    id=m.id,
                    code=m.code,
                    title=m.title,
                    start=m.start_date.strftime("%d/%m/%Y"),
                    end=m.end_date.strftime("%d/%m/%Y"),
                    deadline=m.registration_deadline.strftime("%d/%m/%Y"),
                )
            )


def invite(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help=vi.CLI_INVITE_PERSON_HELP)],
    days: Annotated[int, typer.Option("--days", min=1, max=90, help=vi.CLI_DAYS_HELP)] = 7,
) -> None:
    """Cấp mã mời dùng một lần để cán bộ liên kết tài khoản Telegram/Zalo."""
    settings = _settings(ctx)
    now = datetime.now(settings.tz)
    with open_sessions(settings) as sessions, sessions.begin() as session:
        target = find_person(session, person)
        code = issue_invite(session, target.id, now=now, ttl=timedelta(days=days), by=None)
        name, phone, value = target.full_name, display_phone(target.phone), code.code
    expires = (now + timedelta(days=days)).strftime("%d/%m/%Y %H:%M")
    typer.echo(vi.INVITE_CREATED.format(name=name, phone=phone, code=value, expires=expires))
    if settings.telegram_bot_username:
        link = telegram_link(settings.telegram_bot_username, value)
        typer.echo(vi.INVITE_LINK.format(link=link))
    else:
        typer.echo(vi.INVITE_NO_BOT_USERNAME)
    typer.echo(vi.INVITE_OTHER_CHANNELS.format(code=value))


def find_person(session: Session, text: str) -> Person:
    """A short number is an id (the person code); anything that reads as a phone number is a
    phone. Unknown, unreadable or shared by several: the reason is printed, exit code 1."""
    value = text.strip()
    if value.isdigit() and len(value) < 9:
        found = session.get(Person, int(value))
        if found is None:
            raise _fail(vi.INVITE_NO_PERSON.format(person=value))
        return found
    try:
        phone = normalize_phone(value)
    except ValueError:
        raise _fail(vi.INVITE_BAD_PERSON.format(person=value)) from None
    matches = []
    for candidate in session.scalars(select(Person).where(Person.phone != "")):
        try:
            if normalize_phone(candidate.phone) == phone:
                matches.append(candidate)
        except ValueError:
            continue
    if not matches:
        raise _fail(vi.INVITE_NO_PERSON.format(person=value))
    if len(matches) > 1:
        choices = ", ".join(f"{p.id} ({p.full_name})" for p in matches)
        raise _fail(vi.INVITE_AMBIGUOUS.format(person=value, choices=choices))
    return matches[0]


def _export(ctx: typer.Context, kind: str, movement: str, out: Path, layout: Layout) -> None:
    from bot.admin import exports

    if out.suffix.lower() != ".xlsx":
        raise _fail(vi.EXPORT_NOT_XLSX.format(file=out))
    settings = _settings(ctx)
    run = exports.KINDS[kind]
    try:
        with open_sessions(settings) as sessions, sessions() as session:
            count = run(session, movement, out, layout=layout.value, tz=settings.tz)
    except exports.ExportError as error:
        raise _fail(str(error)) from None
    typer.echo(vi.EXPORT_DONE.format(file=out, count=count))


MovementOption = Annotated[str, typer.Option("--movement", help=vi.CLI_EXPORT_MOVEMENT_HELP)]
OutOption = Annotated[Path, typer.Option("--out", help=vi.CLI_EXPORT_OUT_HELP)]
LayoutOption = Annotated[Layout, typer.Option("--layout", help=vi.CLI_EXPORT_LAYOUT_HELP)]


@export_app.command("registrations")
def export_registrations(
    ctx: typer.Context, movement: MovementOption, out: OutOption, layout: LayoutOption = Layout.flat
) -> None:
    """Xuất các bản đăng ký thi đua của một phong trào ra Excel."""
    _export(ctx, "registrations", movement, out, layout)


@export_app.command("reports")
def export_reports(
    ctx: typer.Context, movement: MovementOption, out: OutOption, layout: LayoutOption = Layout.flat
) -> None:
    """Xuất các báo cáo tiến độ, sơ kết, tổng kết của một phong trào ra Excel."""
    _export(ctx, "reports", movement, out, layout)
