"""The python-telegram-bot `Bot` the Telegram adapter talks through, on PTB's own httpx
request path."""

from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.channels.common import NODELAY, protect_logs
from bot.channels.transport import CONNECT_TIMEOUT_S, SEND_TIMEOUT_S


def make_bot(
    token: str,
    *,
    base_url: str = "https://api.telegram.org",
    pool_size: int = 20,
    timeout_s: float = SEND_TIMEOUT_S,
) -> Bot:
    """A bare PTB Bot whose API and file URLs can point at a fake server in tests.

    Registers the token with the log filter first: PTB logs the API URL (which holds the
    token) while it is constructed, and httpx logs every request URL.

    API calls and the long poll get separate HTTPXRequest pools, so a poll held open by
    Telegram never takes a connection a reply needs. The API pool bounds the calls in flight
    (the outbox sender's, button answers when polling, downloads); a call waits
    for a free connection up to the pool timeout. `timeout_s` bounds writing a call and
    reading its answer, longer than Telegram takes (bot.channels.transport); connecting and
    waiting for the pool fail sooner, as nothing was sent then. Uploads get at least 30 s to
    write. The long poll reads for its own timeout plus CONNECT_TIMEOUT_S (PTB adds them).
    """
    protect_logs(token)
    base = base_url.rstrip("/")
    request = HTTPXRequest(
        connection_pool_size=pool_size,
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=CONNECT_TIMEOUT_S,
        pool_timeout=CONNECT_TIMEOUT_S,
        media_write_timeout=max(timeout_s, 30.0),
        socket_options=NODELAY,
    )
    polling = HTTPXRequest(
        connection_pool_size=1,
        read_timeout=CONNECT_TIMEOUT_S,
        write_timeout=CONNECT_TIMEOUT_S,
        connect_timeout=CONNECT_TIMEOUT_S,
        pool_timeout=CONNECT_TIMEOUT_S,
        socket_options=NODELAY,
    )
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=request,
        get_updates_request=polling,
    )
