"""The web app: the channels' webhooks and a health check, beside the background loops.

`create_app(services)` takes what the composition root built (bot.cli.serve).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.delivery.services import Services
from bot.web import webhooks


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = services.start_loops(stop)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.close()

    app = FastAPI(title="Trợ lý Thi đua", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = services
    app.include_router(webhooks.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
