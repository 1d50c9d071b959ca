"""`thidua summary` and `thidua reminders plan|unreached` (composition root, like root.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings
from bot.i18n import vi

reminders_app = typer.Typer(help="Nhắc việc: lịch nhắc của các hạn nộp.", no_args_is_help=True)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


AtOption = Annotated[
    datetime | None,
    typer.Option(
        "--at", formats=["%Y-%m-%d"], help="Tính đến ngày (YYYY-MM-DD); mặc định hôm nay."
    ),
]


def _as_of(settings: Settings, at: datetime | None, clock: time) -> datetime:
    """Now, or the `--at` day at `clock`: the moment a command's answer is worked out for."""
    if at is None:
        return datetime.now(settings.tz)
    return datetime.combine(at.date(), clock, tzinfo=settings.tz)


CHARTS_DIR = "bieu-do"  # inside the data dir: where `summary --dry-run` draws by default


def summary(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=vi.CLI_SUMMARY_DRY_RUN_HELP)] = False,
    out: Annotated[Path | None, typer.Option("--out", help=vi.CLI_SUMMARY_OUT_HELP)] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help=vi.CLI_SUMMARY_CLUSTER_HELP)
    ] = None,
    at: AtOption = None,
) -> None:
    """Tổng hợp tuần: đơn vị đã nộp, nộp muộn, chưa nộp, kèm biểu đồ tiến độ theo đơn vị."""
    from bot import wiring
    from bot.reminders.digest import summary_for, week_label
    from bot.reports.charts import progress_png

    settings = _settings(ctx)
    sessions = wiring.open_store(settings)
    now = _as_of(settings, at, settings.reminder_send_time)
    if not dry_run:
        chaser = wiring.build_chaser(settings)
        with sessions.begin() as session:
            report = chaser.summary_now(session, now)
        typer.echo(vi.SUMMARY_QUEUED.format(count=report.summaries))
        return
    with sessions() as session:
        digest = summary_for(session, now, wiring.work_calendar(settings), cluster)
    if digest is None:
        typer.echo(vi.SUMMARY_UNKNOWN_CLUSTER.format(code=cluster), err=True)
        raise typer.Exit(2)
    typer.echo(digest.text)
    if out is None:  # the data dir, not wherever the command happens to run
        week = week_label(now.date())
        out = settings.data_dir / CHARTS_DIR / f"tong-hop-tien-do-{week}.png"
    for number, chart in enumerate(digest.charts, 1):
        path = out if number == 1 else out.with_stem(f"{out.stem}-{number}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(progress_png(chart))
        typer.echo(vi.SUMMARY_WRITTEN.format(path=path.resolve()))


@reminders_app.command("plan")
def plan(ctx: typer.Context, at: AtOption = None) -> None:
    """In lịch nhắc của từng hạn nộp trong các phong trào đang diễn ra (đã tránh ngày nghỉ)."""
    from bot import wiring
    from bot.reminders import planning, standing

    settings = _settings(ctx)
    calendar = wiring.work_calendar(settings)
    sessions = wiring.open_store(settings)
    today = _as_of(settings, at, settings.reminder_send_time).date()
    with sessions() as session:
        movements = standing.active_movements(session, today)
        subjects = standing.subjects(session, movements)
    if not subjects:
        typer.echo(vi.PLAN_NOTHING)
    for subject in sorted(subjects, key=lambda s: (s.deadline, s.key)):
        policy = movements.policies[subject.movement_id]
        slots = planning.plan(
            subject.deadline,
            policy.unit_offsets(),
            calendar,
            working_days=policy.working_days,
            until=subject.until,
        )
        days = ", ".join(slot.day.strftime("%d/%m") for slot in slots)
        name = subject.name[:1].upper() + subject.name[1:]
        typer.echo(
            vi.PLAN_SUBJECT.format(
                subject=name, deadline=subject.deadline.strftime("%d/%m/%Y"), days=days
            )
        )


@reminders_app.command("unreached")
def unreached(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Số ngày nhìn lại.")] = 7,
    at: AtOption = None,
) -> None:
    """Danh sách của Ban: cán bộ mà nhắc việc không gửi được qua kênh nào."""
    from bot import wiring
    from bot.store import recipients
    from bot.store.phone import display_phone

    settings = _settings(ctx)
    sessions = wiring.open_store(settings)
    since = _as_of(settings, at, time(23, 59)) - timedelta(days=days)
    with sessions() as session:
        people = recipients.unreached_people(session, since)
    if not people:
        typer.echo(vi.UNREACHED_NONE.format(days=days))
        return
    typer.echo(vi.UNREACHED_HEADER.format(days=days))
    for item in people:
        phone = f", {display_phone(item.phone)}" if item.phone else ""
        last = item.last.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
        typer.echo(
            vi.UNREACHED_LINE.format(
                name=item.name, unit=item.unit or "—", phone=phone, count=item.count, last=last
            )
        )


def register(app: typer.Typer) -> None:
    app.command("summary")(summary)
    app.add_typer(reminders_app, name="reminders")
