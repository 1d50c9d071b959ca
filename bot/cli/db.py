"""`thidua db migrate|copy`: the schema brought up to date (the migrations job of a deployment),
and an office's records moved from its SQLite file to PostgreSQL (bot.store.transfer). A
composition root, like root.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.config import Settings
from bot.i18n import vi

if TYPE_CHECKING:  # loaded by the commands themselves: `thidua --help` stays quick
    from rich.progress import Progress
    from sqlalchemy import Engine

    from bot.store import transfer

db_app = typer.Typer(help=vi.CLI_DB_HELP, no_args_is_help=True)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


@db_app.command("migrate", help=vi.CLI_DB_MIGRATE_HELP)
def migrate_command(ctx: typer.Context) -> None:
    from bot.store import transfer
    from bot.store.db import make_engine, migrate

    engine = make_engine(_settings(ctx).db_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    typer.echo(vi.DB_MIGRATED.format(revision=transfer.head_revision()))


@db_app.command("copy", help=vi.CLI_DB_COPY_HELP)
def copy_command(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help=vi.CLI_DB_COPY_TO_HELP)],
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=100_000, help=vi.CLI_DB_BATCH_HELP)
    ] = 1000,
) -> None:
    from rich.console import Console
    from rich.progress import Progress
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from bot.store import transfer
    from bot.store.db import make_engine

    settings = _settings(ctx)
    try:
        target_url = make_url(to)
        make_engine(to).dispose()  # an unknown driver fails here
    except (ArgumentError, ImportError) as error:
        _fail(vi.DB_COPY_BAD_URL.format(error=error))
    if target_url == make_url(settings.db_url):
        _fail(vi.DB_COPY_SAME)
    source, target = make_engine(settings.db_url), make_engine(to)
    try:
        _reachable(source, vi.DB_SOURCE)
        _reachable(target, vi.DB_TARGET)
        with Progress(console=Console(stderr=True)) as bars:
            report = transfer.copy_database(source, target, batch=batch, progress=_shown(bars))
    except transfer.CopyRefused as refused:
        _fail(_refusal(refused))
    finally:
        source.dispose()
        target.dispose()
    typer.echo(vi.DB_COPY_DONE.format(rows=report.total, tables=len(report.rows)))
    typer.echo(vi.DB_COPY_NEXT.format(url=target_url.render_as_string(hide_password=True)))


def _reachable(engine: Engine, which: str) -> None:
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        _fail(vi.DB_COPY_UNREACHABLE.format(which=which, error=str(error.orig).strip()))


def _shown(bars: Progress) -> transfer.Progress:
    """One bar over every row, named after the table being copied."""
    from rich.progress import TaskID

    task: list[TaskID] = []

    def show(table: str, done: int, total: int) -> None:
        if not task:
            task.append(bars.add_task(table, total=total))
        bars.update(task[0], description=table, completed=done, total=total)

    return show


def _refusal(refused: transfer.CopyRefused) -> str:
    from bot.store import transfer

    match refused:
        case transfer.SourceBehind(current=current, head=head):
            return vi.DB_COPY_SOURCE_BEHIND.format(current=current or vi.DB_COPY_NEVER, head=head)
        case transfer.TargetNotEmpty(tables=tables):
            listed = ", ".join(f"{name}: {rows}" for name, rows in sorted(tables.items()))
            return vi.DB_COPY_TARGET_NOT_EMPTY.format(tables=listed)
        case transfer.UnknownTables(tables=tables):
            return vi.DB_COPY_UNKNOWN_TABLES.format(tables=", ".join(tables))
        case transfer.CountMismatch(table=table, source=source, target=target):
            return vi.DB_COPY_MISMATCH.format(table=table, source=source, target=target)
    return str(refused)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
