"""`thidua outbox failed|retry`: the messages the sender gave up on (a bad request, or errors
that lasted past the retry policy), for the office to read and queue again. A composition
root, like root.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from bot.config import Settings
from bot.i18n import vi

outbox_app = typer.Typer(help=vi.CLI_OUTBOX_HELP, no_args_is_help=True)

PREVIEW_CHARS = 60


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _preview(text: str) -> str:
    """The message's first line, cut to a table cell."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


@outbox_app.command("failed", help=vi.CLI_OUTBOX_FAILED_HELP)
def failed(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help=vi.CLI_OUTBOX_LIMIT_HELP)
    ] = 200,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot import wiring
    from bot.store import outbox

    settings = _settings(ctx)
    with wiring.open_records(settings) as sessions, sessions() as session:
        rows = outbox.failed_rows(session, limit=limit)
    if not rows:
        typer.echo(vi.OUTBOX_FAILED_NONE)
        return
    table = Table(title=vi.OUTBOX_FAILED_TITLE.format(count=len(rows)))
    for header in (vi.OUTBOX_COL_ID, vi.OUTBOX_COL_CHANNEL, vi.OUTBOX_COL_CHAT):
        table.add_column(header, no_wrap=True)
    table.add_column(vi.OUTBOX_COL_FIRST_FAILURE, no_wrap=True)
    table.add_column(vi.OUTBOX_COL_ATTEMPTS, justify="right", no_wrap=True)
    table.add_column(vi.OUTBOX_COL_ERROR, overflow="fold")
    table.add_column(vi.OUTBOX_COL_TEXT, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.channel,
            row.chat_id,
            _stamp(row.first_failed_at, settings),
            str(row.attempts),
            row.last_error,
            _preview(row.text),
        )
    console = Console()
    if not console.is_terminal:  # a file or a pipe: one message a line, whole, for grep
        console = Console(width=240)
    console.print(table)
    typer.echo(vi.OUTBOX_FAILED_HINT)


def _stamp(at: datetime | None, settings: Settings) -> str:
    return at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M") if at else "—"


@outbox_app.command("retry", help=vi.CLI_OUTBOX_RETRY_HELP)
def retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help=vi.CLI_OUTBOX_IDS_HELP)] = None,
    every: Annotated[bool, typer.Option("--all", help=vi.CLI_OUTBOX_ALL_HELP)] = False,
) -> None:
    from bot import wiring
    from bot.store import outbox

    if not ids and not every:
        typer.echo(vi.OUTBOX_RETRY_NOTHING, err=True)
        raise typer.Exit(2)
    if ids and every:
        typer.echo(vi.OUTBOX_RETRY_BOTH, err=True)
        raise typer.Exit(2)
    settings = _settings(ctx)
    with wiring.open_records(settings) as sessions, sessions.begin() as session:
        queued = outbox.retry(session, None if every else ids)
    typer.echo(vi.OUTBOX_RETRIED.format(count=len(queued)))
    unknown = sorted(set(ids or ()) - set(queued))
    if unknown:
        typer.echo(vi.OUTBOX_RETRY_UNKNOWN.format(ids=", ".join(map(str, unknown))), err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
