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

from bot.admin import results
from bot.cli.admin import (
    FileArgument,
    ForceOption,
    MovementOption,
    OutOption,
    _fail,
    _settings,
    _template,
    export_app,
    open_sessions,
    read_import,
    write_import,
)
from bot.i18n import nominations_vi as nv
from bot.i18n import vi

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
