"""The python-telegram-bot `Bot` the Telegram adapter talks through, on PTB's own httpx
request path."""

from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.channels.common import NODELAY, protect_logs


def make_bot(
    token: str,
    *,
    base_url: str = "https://api.telegram.org",
    pool_size: int = 20,
    timeout_s: float = 10.0,
) -> Bot:
    """A bare PTB Bot whose API and file URLs can point at a fake server in tests.

    Registers the token with the log filter first: PTB logs the API URL (which holds the
    token) while it is constructed, and httpx logs every request URL.

    API calls and the long poll get separate HTTPXRequest pools, so a poll held open by
    Telegram never takes a connection a reply needs. The API pool bounds the calls in flight
    (the outbox sender's, button answers when polling, downloads); a call waits
    for a free connection up to the pool timeout. Uploads get a longer write timeout.
    """
    protect_logs(token)
    base = base_url.rstrip("/")
    request = HTTPXRequest(
        connection_pool_size=pool_size,
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=timeout_s,
        pool_timeout=timeout_s,
        media_write_timeout=max(timeout_s, 30.0),
        socket_options=NODELAY,
    )
    polling = HTTPXRequest(
        connection_pool_size=1,
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=timeout_s,
        pool_timeout=timeout_s,
        socket_options=NODELAY,
    )
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=request,
        get_updates_request=polling,
    )
