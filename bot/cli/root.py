"""The root `thidua` command and its assistant verbs: ingest, ask, chat, run.

The composition root (with bot/wiring.py): it reads Settings, picks concrete classes, wires.
The other verbs come from bot.cli.admin, bot.cli.answers, bot.cli.feedback (unanswered,
feedback), bot.cli.serve, bot.cli.reminders, bot.cli.outbox, bot.cli.web and bot.cli.index.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import logs
from bot.cli.admin import register as register_admin
from bot.cli.answers import register as register_answers
from bot.cli.answers import review_after_ingest
from bot.cli.db import register as register_db
from bot.cli.feedback import register as register_feedback
from bot.cli.index import register as register_index
from bot.cli.nominations import register as register_nominations
from bot.cli.outbox import register as register_outbox
from bot.cli.reminders import register as register_reminders
from bot.cli.serve import register as register_channels
from bot.cli.web import register as register_web
from bot.config import Settings
from bot.i18n import vi

app = typer.Typer(
    help="Trợ lý Thi đua: hỏi đáp quy định thi đua, khen thưởng có căn cứ pháp lý.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="THIDUA_DATA_DIR", help="Thư mục dữ liệu (mặc định ./data)."),
]


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


@app.callback()
def _options(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    try:
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    except ValidationError as error:
        details = "; ".join(
            f"THIDUA_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        typer.echo(vi.CONFIG_ERROR.format(details=details), err=True)
        raise typer.Exit(2) from None
    logs.configure(settings.log_level, settings.log_format)
    ctx.obj = settings


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục văn bản.")],
    prune: Annotated[
        bool, typer.Option(help="Gỡ văn bản không còn trong các thư mục này.")
    ] = False,
) -> None:
    """Nạp văn bản (md, txt, docx, pdf, html, jsonl) vào kho tri thức; chỉ mã hoá phần thay đổi."""
    from bot import wiring

    settings = _settings(ctx)
    index = wiring.open_index(settings)
    wiring.ensure_bundled_index(index, settings)  # a new data dir gets the bundled texts too
    report = wiring.ingest_with_progress(index, paths, settings, prune=prune)
    review_after_ingest(settings, index)  # curated answers resting on a changed text
    for path, reason in report.skipped:
        typer.echo(vi.INGEST_SKIPPED.format(path=path, reason=reason), err=True)
    if report.hidden:
        typer.echo(vi.INGEST_HIDDEN.format(count=report.hidden), err=True)
    for _path, message in report.failed:
        typer.echo(vi.INGEST_FAILED.format(message=message), err=True)
    if report.files == 0 and not report.failed:
        typer.echo(vi.INGEST_NOTHING.format(paths=", ".join(str(p) for p in paths)), err=True)
        raise typer.Exit(1)
    typer.echo(
        vi.INGEST_SUMMARY.format(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            removed=report.removed,
            embedded=report.chunks_embedded,
        )
    )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[
        str | None, typer.Argument(help="Câu hỏi; bỏ trống để đọc từ stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Mỗi câu hỏi một dòng JSON.")] = False,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50)] = None,
) -> None:
    """Hỏi một câu (hoặc mỗi dòng stdin một câu) và in câu trả lời kèm căn cứ."""
    from bot import wiring
    from bot.core.qa import ANSWERED_BY, LLM_REJECTED
    from bot.messages import Incoming
    from knowledge.answer import EXTRACTIVE

    assistant = wiring.build_assistant(_settings(ctx))
    questions = [question] if question is not None else [line.rstrip("\n") for line in sys.stdin]
    for text in questions:
        message = Incoming(channel="cli", chat_id="cli", user_id="cli", text=text)
        reply = assistant.qa.ask(message, top_k=top_k)
        if as_json:
            record: dict[str, object] = {
                "question": text,
                "found": bool(reply.found),
                "answer": reply.text,
                "citations": [
                    {
                        key: value
                        for key, value in asdict(c).items()
                        if key
                        in (
                            "id",
                            "doc_number",
                            "title",
                            "article",
                            "clause",
                            "in_force",
                            "score",
                            "text",
                        )
                    }
                    for c in reply.citations
                ],
            }
            record["answered_by"] = reply.meta.get(ANSWERED_BY, EXTRACTIVE)
            if reply.meta.get(LLM_REJECTED):
                record["llm_rejected"] = reply.meta[LLM_REJECTED]
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(reply.text + "\n")


@app.command()
def chat(
    ctx: typer.Context,
    as_person: Annotated[str | None, typer.Option("--as", help=vi.CLI_CHAT_AS_HELP)] = None,
) -> None:
    """Trò chuyện với trợ lý ngay trên máy tính (tiếng Việt, /help, /exit)."""
    from bot import wiring
    from bot.channels.console import run_console

    assistant = wiring.build_assistant(_settings(ctx))
    user_id, intro = "console", vi.CONSOLE_INTRO
    if as_person is not None:
        user_id, playing = _act_as(assistant.sessions, as_person, assistant.now())
        intro = f"{intro}\n{playing}"
    run_console(
        assistant.turns.run,
        sys.stdin,
        sys.stdout,
        intro=intro,
        prompt=vi.CONSOLE_PROMPT,
        speaker=vi.CONSOLE_BOT,
        goodbye=vi.CONSOLE_BYE,
        user_id=user_id,
    )


def _act_as(sessions: sessionmaker[Session], who: str, now: datetime) -> tuple[str, str]:
    """Binds a console account of its own to the person named by phone or person code (the
    local user is the administrator: no invite) and says whom the console now plays; an
    unknown person ends the command with the reason. Reminders never route to the console."""
    from bot.cli.admin import find_person
    from bot.core.linking import describe
    from bot.store import org

    with sessions.begin() as session:
        person = find_person(session, who)
        user_id = f"as-{person.id}"
        org.bind_identity(
            session, channel="console", external_id=user_id, person_id=person.id, now=now
        )
        playing = vi.CONSOLE_AS.format(**describe(session, person))
    return user_id, playing


@app.command()
def run(ctx: typer.Context) -> None:
    """Chạy trợ lý: nhận tin Telegram/Zalo (long polling) khi có token, nếu không thì trò chuyện
    trên máy tính."""
    settings = _settings(ctx)
    if not (settings.telegram_token or settings.zalo_bot_token):
        chat(ctx)
        return
    import asyncio
    import contextlib

    from bot import wiring
    from bot.delivery.heap import tune_for_server
    from bot.delivery.polling import run_polling

    services = wiring.build_services(settings)
    typer.echo(vi.POLLING_STARTED.format(channels=", ".join(services.channels)))
    tune_for_server()

    async def main_loop() -> None:
        await run_polling(services, asyncio.Event())

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_loop())


register_admin(app)
register_answers(app)
register_feedback(app)
register_channels(app)
register_reminders(app)
register_web(app)
register_outbox(app)
register_db(app)
register_index(app)
register_nominations(app)


def main() -> None:
    from knowledge.backends import IndexChanged, IndexUnreachable

    try:
        app()
    except IndexUnreachable as error:  # THIDUA_CHROMA_URL names a server that is not there
        typer.echo(vi.INDEX_UNREACHABLE.format(url=error.url), err=True)
        raise SystemExit(2) from None
    except IndexChanged:  # two ingests at once
        typer.echo(vi.INDEX_CHANGED, err=True)
        raise SystemExit(1) from None
