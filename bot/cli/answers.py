"""`thidua answers add|list|remove|restore|export|import`: the office's own answers.

Only parses the command line, opens the records and the index (bot.wiring) and prints; the
logic is in bot.core.answering, bot.core.curated and bot.admin.answers. What the office reads
of the questions and answers (`unanswered`, `feedback`) is in bot.cli.feedback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.i18n import vi
from bot.store import curated as store
from bot.store.qa_models import CuratedAnswer

if TYPE_CHECKING:  # the knowledge stack loads only for the commands that need it
    from bot.core.curated import CuratedLibrary
    from knowledge.index import KnowledgeIndex

answers_app = typer.Typer(help=vi.CLI_ANSWERS_HELP, no_args_is_help=True)
LimitOption = Annotated[int, typer.Option(min=1, max=10000, help=vi.CLI_LIMIT_HELP)]
IdArgument = Annotated[str, typer.Argument(help=vi.CLI_ANSWER_ID_HELP)]


def register(app: typer.Typer) -> None:
    app.add_typer(answers_app, name="answers")


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@contextmanager
def _records(settings: Settings) -> Iterator[sessionmaker[Session]]:
    from bot import wiring

    with wiring.open_records(settings) as sessions:
        yield sessions


@contextmanager
def _library(settings: Settings) -> Iterator[tuple[sessionmaker[Session], CuratedLibrary]]:
    """The records and the curated answers over the data dir's index."""
    from bot import wiring

    index = wiring.open_index(settings)
    wiring.ensure_bundled_index(index, settings)
    with wiring.open_records(settings) as sessions:
        yield sessions, _curated(settings, sessions, index)


def _curated(
    settings: Settings, sessions: sessionmaker[Session], index: KnowledgeIndex
) -> CuratedLibrary:
    from bot import wiring

    return wiring.curated_library(settings, sessions, index, lambda: datetime.now(settings.tz))


def push_channels() -> frozenset[str]:
    """The chat platforms a push can go out on (the serving process sends it)."""
    from bot.channels.registry import CHANNELS

    return frozenset(name for name, _module in CHANNELS)


def review_after_ingest(settings: Settings, index: KnowledgeIndex) -> None:
    """After an ingest: withdraw the curated answers whose provisions changed, and say so."""
    with _records(settings) as sessions, sessions.begin() as session:
        for row in _curated(settings, sessions, index).sweep(session):
            typer.echo(vi.ANSWERS_WITHDRAWN.format(id=row.id, note=row.review_note), err=True)


# -- answers ---------------------------------------------------------------------------------


def _answer_id(text: str) -> int:
    from bot.admin.answers import answer_id

    found = answer_id(text)
    if found is None:
        raise _fail(vi.ANSWER_BAD_ID.format(id=text))
    return found


@answers_app.command("add")
def answers_add(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Option("--text", help=vi.CLI_ANSWER_TEXT_HELP)] = None,
    cite: Annotated[list[str] | None, typer.Option("--cite", help=vi.CLI_ANSWER_CITE_HELP)] = None,
    item: Annotated[str | None, typer.Option("--from", help=vi.CLI_ANSWER_FROM_HELP)] = None,
    question: Annotated[
        str | None, typer.Option("--question", help=vi.CLI_ANSWER_QUESTION_HELP)
    ] = None,
    also: Annotated[list[str] | None, typer.Option("--also", help=vi.CLI_ANSWER_ALSO_HELP)] = None,
    no_push: Annotated[bool, typer.Option("--no-push", help=vi.CLI_ANSWER_NO_PUSH_HELP)] = False,
) -> None:
    """Thêm câu trả lời của Ban cho một câu hỏi (từ danh sách chờ hoặc mới), kèm căn cứ; báo
    cho những người đã hỏi."""
    from bot.core.answering import Asked, add_answer, item_rows, parse_item, provisions_of

    settings = _settings(ctx)
    if not text or not text.strip():
        raise _fail(vi.ANSWER_NEED_TEXT)
    if not cite:
        raise _fail(vi.ANSWER_NEED_CITE)
    parsed = parse_item(item) if item else None
    if item and parsed is None:
        raise _fail(vi.ANSWER_BAD_ITEM.format(item=item))
    if parsed is None and not (question and question.strip()):
        raise _fail(vi.ANSWER_NEED_QUESTION)
    with _library(settings) as (sessions, library), sessions.begin() as session:
        asked: list[Asked] = item_rows(session, parsed) if parsed else []
        if parsed and not asked:
            raise _fail(vi.ANSWER_BAD_ITEM.format(item=item))
        provisions, errors = provisions_of(library, cite)
        if errors:
            raise _fail("\n".join(errors))
        wording = (question or "").strip() or asked[-1].question
        added = add_answer(
            session,
            library,
            question=wording,
            text=text.strip(),
            provisions=provisions,
            also=also or [],
            asked=asked,
            source=str(parsed) if parsed else "",
            push_to=() if no_push else push_channels(),
        )
        typer.echo(vi.ANSWER_ADDED.format(id=added.row.id, question=wording))
        for provision in provisions:
            typer.echo(vi.ANSWER_BASIS.format(basis=provision.citation.basis()))
        if added.closed:
            typer.echo(vi.ANSWER_CLOSED.format(count=len(added.closed)))
        if added.pushed:
            typer.echo(vi.ANSWER_PUSHED.format(count=added.pushed))


@answers_app.command("list")
def answers_list(
    ctx: typer.Context,
    review: Annotated[bool, typer.Option("--review", help=vi.CLI_ANSWER_REVIEW_HELP)] = False,
) -> None:
    """Liệt kê câu trả lời của Ban (kiểm tra lại căn cứ trước: câu nào có căn cứ đã đổi thì
    tạm rút, chờ xem lại)."""
    settings = _settings(ctx)
    with _library(settings) as (sessions, library), sessions.begin() as session:
        library.sweep(session)
        rows = store.listing(session, store.WITHDRAWN if review else None)
        if not rows:
            typer.echo(vi.ANSWERS_REVIEW_EMPTY if review else vi.ANSWERS_EMPTY)
            return
        typer.echo(vi.ANSWERS_HEADER)
        for row in rows:
            _print_answer(row)


def _print_answer(row: CuratedAnswer) -> None:
    from bot.admin.answers import cite_spec, status_label

    typer.echo(
        vi.ANSWER_LINE.format(
            id=row.id,
            status=status_label(row),
            date=row.answered_on.strftime("%d/%m/%Y"),
            question=row.question,
        )
    )
    typer.echo(f"   {row.answer}")
    for cited in row.citations:
        typer.echo(vi.ANSWER_BASIS.format(basis=cite_spec(cited)))
    also = [q.text for q in row.questions if q.text != row.question]
    if also:
        typer.echo(vi.ANSWER_ALSO.format(questions="; ".join(f"«{q}»" for q in also)))
    if row.review_note:
        typer.echo(vi.ANSWER_REVIEW_NOTE.format(note=row.review_note))


@answers_app.command("remove")
def answers_remove(ctx: typer.Context, answer: IdArgument) -> None:
    """Gỡ một câu trả lời của Ban (bot không dùng lại nữa)."""
    settings = _settings(ctx)
    found = _answer_id(answer)
    with _records(settings) as sessions, sessions.begin() as session:
        if not store.remove(session, found):
            raise _fail(vi.ANSWER_BAD_ID.format(id=answer))
    typer.echo(vi.ANSWER_REMOVED.format(id=found))


@answers_app.command("restore")
def answers_restore(ctx: typer.Context, answer: IdArgument) -> None:
    """Dùng lại một câu trả lời đã tạm rút, sau khi Ban xem lại (căn cứ theo văn bản hiện tại)."""
    from bot.core.answering import restore_answer
    from bot.core.cited import CiteError

    settings = _settings(ctx)
    found = _answer_id(answer)
    with _library(settings) as (sessions, library), sessions.begin() as session:
        row = store.get(session, found)
        if row is None:
            raise _fail(vi.ANSWER_BAD_ID.format(id=answer))
        try:
            restore_answer(session, library, row)
        except CiteError as error:
            raise _fail(str(error)) from None
    typer.echo(vi.ANSWER_RESTORED.format(id=found))


@answers_app.command("export")
def answers_export(
    ctx: typer.Context, out: Annotated[Path, typer.Argument(help=vi.CLI_EXPORT_OUT_HELP)]
) -> None:
    """Xuất các câu trả lời của Ban ra Excel (sửa rồi nhập lại được)."""
    from bot.admin.answers import export_answers

    settings = _settings(ctx)
    with _records(settings) as sessions, sessions() as session:
        count = export_answers(session, out)
    typer.echo(vi.ANSWERS_EXPORTED.format(count=count, file=out))


@answers_app.command("import")
def answers_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=vi.CLI_FILE_HELP)],
    no_push: Annotated[bool, typer.Option("--no-push", help=vi.CLI_ANSWER_NO_PUSH_HELP)] = False,
) -> None:
    """Nhập câu trả lời của Ban từ Excel/CSV: dòng có mã thì sửa, không có mã thì thêm mới."""
    from bot.admin.answers import COLUMNS, import_answers
    from bot.cli.admin import read_import, write_import

    settings = _settings(ctx)
    rows = read_import(file, COLUMNS)
    push_to = () if no_push else push_channels()
    with _library(settings) as (sessions, library):
        write_import(
            file,
            sessions,
            lambda session: import_answers(session, rows, library=library, push_to=push_to),
        )
