"""`thidua serve` and the platform set-up commands (composition root, like root.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli import logs
from bot.config import Settings
from bot.i18n import vi

telegram_app = typer.Typer(help="Telegram: webhook và danh sách lệnh.", no_args_is_help=True)
zalo_app = typer.Typer(help="Zalo Bot: webhook.", no_args_is_help=True)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    if not isinstance(settings, Settings):  # called through a sub-app: the root's object
        settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=16,
        help="Số tiến trình (mặc định THIDUA_WEB_WORKERS, 1).",
        show_default=False,
    ),
]


def worker_app() -> Any:
    """One process of `thidua serve --workers N` (uvicorn's app factory): every process takes
    webhooks, runs turns and sends; claims keep one update and one message in flight per chat
    whichever process holds it, and each sender keeps its share of the rate limits."""
    from bot import wiring
    from bot.cli.web import build_dashboard
    from bot.delivery.heap import tune_for_server
    from bot.web.app import create_app

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)  # a fresh process: no root callback
    assistant = wiring.build_assistant(settings)
    services = wiring.build_services(settings, webhooks=True, assistant=assistant)
    dashboard = build_dashboard(
        settings, services.sessions, services.now, services.channels, assistant.qa.curated
    )
    app = create_app(services, dashboard)
    tune_for_server()
    return app


def serve(ctx: typer.Context, workers: WorkersOption = None) -> None:
    """Chạy máy chủ web: webhook Telegram/Zalo, bộ xử lý tin đến và bộ gửi tin."""
    import uvicorn

    from bot import wiring
    from bot.delivery.heap import tune_for_server
    from bot.web.app import create_app

    settings = _settings(ctx)
    if workers is not None:
        settings = settings.model_copy(update={"web_workers": workers})
    common: dict[str, Any] = {
        "host": settings.web_host,
        "port": settings.web_port,
        "log_level": "warning",
        "access_log": False,  # a line per webhook costs CPU and says nothing the inbox does not
        "log_config": None,  # uvicorn's loggers go to ours (bot.cli.logs), JSON lines included
    }
    if settings.web_workers == 1:
        assistant = wiring.build_assistant(settings)
        services = wiring.build_services(settings, webhooks=True, assistant=assistant)
        if not services.channels:
            typer.echo(vi.NO_CHANNEL_CONFIGURED, err=True)
        from bot.cli.web import build_dashboard

        dashboard = build_dashboard(
            settings, services.sessions, services.now, services.channels, assistant.qa.curated
        )
        app = create_app(services, dashboard)
        tune_for_server()
        uvicorn.run(app, **common)
        return
    # uvicorn starts each worker afresh: they read their Settings from the environment, so the
    # command line's choices go there; the shared parts are made once, before any starts.
    wiring.prepare_shared(settings)
    from bot.cli.web import web_secret

    web_secret(settings)  # made once here, not raced by the workers
    os.environ["THIDUA_DATA_DIR"] = str(settings.data_dir)
    os.environ["THIDUA_WEB_WORKERS"] = str(settings.web_workers)
    shared_metrics(settings.data_dir / "metrics")
    uvicorn.run("bot.cli.serve:worker_app", factory=True, workers=settings.web_workers, **common)


def shared_metrics(directory: Path) -> None:
    """The workers share one port, so a scrape reaches any one of them: each writes its
    counters under `directory` (emptied of a previous run's) and /metrics adds them up
    (bot.metrics). A directory the operator chose through the environment is left to them."""
    from bot.metrics import MULTIPROC_ENV

    if os.environ.get(MULTIPROC_ENV):
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Địa chỉ HTTPS công khai của /webhooks/telegram.")],
) -> None:
    """Đăng ký webhook với Telegram (kèm khoá bí mật) và danh sách lệnh tiếng Việt."""
    from bot.channels.telegram import TelegramChannel, make_bot

    settings = _settings(ctx)
    if not settings.telegram_token or not settings.telegram_webhook_secret:
        typer.echo(vi.TELEGRAM_SETTINGS_MISSING, err=True)
        raise typer.Exit(2)
    channel = TelegramChannel(
        make_bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_url),
        bot_username=settings.telegram_bot_username,
    )

    async def go() -> None:
        await channel.start()
        try:
            await channel.set_webhook(url, settings.telegram_webhook_secret.get_secret_value())  # type: ignore[union-attr]
            await channel.set_commands()
        finally:
            await channel.close()

    asyncio.run(go())
    typer.echo(vi.WEBHOOK_SET.format(url=url))


@zalo_app.command("set-webhook")
def zalo_set_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Địa chỉ HTTPS công khai của /webhooks/zalo-bot.")],
) -> None:
    """Đăng ký webhook với Zalo Bot (kèm khoá bí mật)."""
    from bot.channels.zalo_bot import ZaloBotChannel

    settings = _settings(ctx)
    if not settings.zalo_bot_token or not settings.zalo_bot_webhook_secret:
        typer.echo(vi.ZALO_SETTINGS_MISSING, err=True)
        raise typer.Exit(2)
    channel = ZaloBotChannel(
        settings.zalo_bot_token.get_secret_value(), base_url=settings.zalo_bot_api_url
    )
    secret = settings.zalo_bot_webhook_secret.get_secret_value()

    async def go() -> None:
        try:
            await channel.set_webhook(url, secret)
        finally:
            await channel.close()

    asyncio.run(go())
    typer.echo(vi.WEBHOOK_SET.format(url=url))


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(telegram_app, name="telegram")
    app.add_typer(zalo_app, name="zalo")
