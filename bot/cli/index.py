"""`thidua index copy --to URL`: the embedded index of the data dir onto a Chroma server, the
upgrade path to several processes and machines. A composition root, like root.py."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.config import Settings
from bot.i18n import vi

index_app = typer.Typer(help=vi.CLI_INDEX_HELP, no_args_is_help=True)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


@index_app.command("copy", help=vi.CLI_INDEX_COPY_HELP)
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help=vi.CLI_INDEX_TO_HELP)],
) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from knowledge.backends import IndexUnreachable, split_url
    from knowledge.index_copy import copy_index, embedded_store

    settings = _settings(ctx)
    url = to.strip().rstrip("/")
    try:
        split_url(url)
    except ValueError:
        typer.echo(vi.INDEX_COPY_BAD_URL.format(url=to), err=True)
        raise typer.Exit(2) from None
    if not embedded_store(settings.index_dir).is_dir():
        typer.echo(vi.INDEX_COPY_NOTHING.format(path=settings.index_dir), err=True)
        raise typer.Exit(1)

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    tasks: dict[str, TaskID] = {}

    def progress(collection: str, done: int, total: int) -> None:
        if collection not in tasks:
            label = vi.INDEX_COPY_TASK.format(collection=collection)
            tasks[collection] = bar.add_task(label, total=total)
        bar.update(tasks[collection], completed=done)

    try:
        with bar:
            copied = copy_index(settings.index_dir, url, progress)
    except IndexUnreachable:
        typer.echo(vi.INDEX_UNREACHABLE.format(url=url), err=True)
        raise typer.Exit(2) from None
    for one in copied:
        removed = vi.INDEX_COPY_REMOVED.format(count=one.removed) if one.removed else ""
        typer.echo(
            vi.INDEX_COPIED.format(
                collection=one.collection,
                records=one.records,
                on_server=one.on_server,
                removed=removed,
            )
        )
    if not all(one.verified for one in copied):
        typer.echo(vi.INDEX_COPY_MISMATCH, err=True)
        raise typer.Exit(1)
    typer.echo(vi.INDEX_COPY_DONE.format(url=url))


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
