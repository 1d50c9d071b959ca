"""What the HTTP adapters share about time limits and failed calls.

A send must wait longer than the platform itself may take to answer: a client that gives up
first sends the message again while the platform is still delivering the first one (at-least-
once, see the sender). Telegram publishes no limit for a send; it waits 60 s for a webhook's
answer itself, and its Bot API server ends a request after 500 s. 75 s outlasts the minute
the platform allows for itself and still shows a dead connection well within the outbox
lease; an operator behind a slow proxy or a local Bot API server raises the setting.
Connecting has its own short limit: a call that never connected surely did nothing.
"""

from __future__ import annotations

import httpx

SEND_TIMEOUT_S = 75.0  # reading the answer to a send (and writing its request)
CONNECT_TIMEOUT_S = 10.0  # connecting, and waiting for a free connection of the pool

# The request went out whole and its answer never came: the platform may have acted on it.
# Connecting, waiting for the pool or writing the request failed: it cannot have.
_MAY_HAVE_ARRIVED = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def timeouts(send_timeout_s: float = SEND_TIMEOUT_S) -> httpx.Timeout:
    """An httpx client's limits: `send_timeout_s` to write a call and read its answer."""
    return httpx.Timeout(send_timeout_s, connect=CONNECT_TIMEOUT_S, pool=CONNECT_TIMEOUT_S)


def may_have_arrived(error: BaseException | None) -> bool:
    """Whether a call that failed with `error` may still have been carried out."""
    return isinstance(error, _MAY_HAVE_ARRIVED)
