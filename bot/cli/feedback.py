"""`thidua unanswered` and `thidua feedback`: what the office reads of the questions the bot
could not answer and of the answers cadres rated, to answer them once (bot.cli.answers)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated

import typer

from bot.config import Settings
from bot.i18n import vi
from bot.store import answer_log, unanswered
from bot.store.qa_models import AnswerLog

LimitOption = Annotated[int, typer.Option(min=1, max=10000, help=vi.CLI_LIMIT_HELP)]


def register(app: typer.Typer) -> None:
    app.command("unanswered")(unanswered_command)
    app.command("feedback")(feedback_command)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _stamp(settings: Settings, moment: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return moment.astimezone(settings.tz).strftime(fmt) if moment else ""


def unanswered_command(ctx: typer.Context, limit: LimitOption = 50) -> None:
    """Liệt kê câu hỏi chưa trả lời được (hỏi nhiều nhất trước) và câu trả lời bị đánh giá 👎."""
    from bot import wiring

    settings = _settings(ctx)
    with wiring.open_records(settings) as sessions, sessions() as session:
        groups = unanswered.open_groups(session, limit)
        disliked = answer_log.disliked_groups(session)[:limit]
        if not groups and not disliked:
            typer.echo(vi.UNANSWERED_EMPTY)
            return
        if groups:
            typer.echo(vi.UNANSWERED_HEADER)
        for group in groups:
            typer.echo(
                vi.UNANSWERED_GROUP.format(
                    id=f"U{group.id}",
                    count=group.count,
                    chats=group.chats,
                    last=_stamp(settings, group.last_at),
                    question=group.question,
                )
            )
        if disliked:
            typer.echo(vi.UNANSWERED_DISLIKED_HEADER)
        for rows in disliked:
            newest = rows[-1]
            typer.echo(
                vi.UNANSWERED_DISLIKED.format(
                    id=f"F{newest.id}",
                    count=len(rows),
                    last=_stamp(settings, newest.rated_at),
                    question=newest.question,
                )
            )
            for reason in dict.fromkeys(r.reason for r in rows if r.reason):
                typer.echo(vi.UNANSWERED_REASON.format(reason=reason))
        typer.echo(vi.UNANSWERED_HOW)


def feedback_command(
    ctx: typer.Context,
    by_article: Annotated[
        bool, typer.Option("--by-article", help=vi.CLI_FEEDBACK_BY_ARTICLE_HELP)
    ] = False,
    limit: LimitOption = 50,
) -> None:
    """Liệt kê đánh giá 👍/👎 của cán bộ về câu trả lời (mới nhất trước, hoặc theo điều khoản)."""
    from bot import wiring

    settings = _settings(ctx)
    with wiring.open_records(settings) as sessions, sessions() as session:
        rows = answer_log.rated(session, 100_000 if by_article else limit)
        if not rows:
            typer.echo(vi.FEEDBACK_EMPTY)
            return
        if by_article:
            _print_by_article(rows, limit)
            return
        typer.echo(vi.FEEDBACK_HEADER)
        for row in rows:
            typer.echo(
                vi.FEEDBACK_LINE.format(
                    id=row.id,
                    when=_stamp(settings, row.rated_at),
                    mark="👍" if row.rating == answer_log.UP else "👎",
                    channel=row.channel,
                    question=row.question,
                )
            )
            if row.reason:
                typer.echo(vi.FEEDBACK_REASON.format(reason=row.reason))
            bases = "; ".join(str(c.get("basis", "")) for c in row.citations)
            typer.echo(vi.FEEDBACK_BASIS.format(basis=bases or vi.FEEDBACK_NO_BASIS))
            if row.curated_id:
                typer.echo(vi.FEEDBACK_CURATED.format(id=row.curated_id))


def _article(cited: dict[str, str]) -> str:
    """'Điều 24 Luật Thi đua, khen thưởng 06/2022/QH15' (the basis when no Điều)."""
    if not cited.get("article"):
        return str(cited.get("basis", ""))
    name = " ".join(p for p in (cited.get("title", ""), cited.get("doc_number", "")) if p)
    return f"Điều {cited['article']} {name}".strip()


def _print_by_article(rows: list[AnswerLog], limit: int) -> None:
    tally: dict[str, list[AnswerLog]] = defaultdict(list)
    for row in rows:
        for article in dict.fromkeys(_article(c) for c in row.citations):
            tally[article].append(row)
    if not tally:
        tally[vi.FEEDBACK_NO_BASIS] = rows

    def down(group: list[AnswerLog]) -> int:
        return sum(r.rating == answer_log.DOWN for r in group)

    typer.echo(vi.FEEDBACK_BY_ARTICLE_HEADER)
    ordered = sorted(tally.items(), key=lambda item: (-down(item[1]), -len(item[1]), item[0]))
    for article, group in ordered[:limit]:
        typer.echo(
            vi.FEEDBACK_ARTICLE.format(basis=article, up=len(group) - down(group), down=down(group))
        )
        for row in group:
            if row.rating == answer_log.DOWN:
                reason = f" — {row.reason}" if row.reason else ""
                typer.echo(
                    vi.FEEDBACK_ARTICLE_DOWN.format(id=row.id, question=row.question, reason=reason)
                )
