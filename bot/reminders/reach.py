"""Where a reminder to one person goes: which linked chat, and through which Zalo OA message kind.

Pure: the caller loads the person's chat identities, phone and the office's policy, and gets
the routes back in order of preference. The first is the one to use; the rest are fallbacks
for when it fails (the outbox marks a chat that refuses us unreachable, and the next call
skips it). No route at all means the person goes on the office's list of people not reached.
`route_by` is that choice over a person's stored contacts, as the reminder pass uses it.

A Zalo Official Account may message a person freely within 48 hours of their last
interaction (customer-service message), for a fee up to 7 days after it, and afterwards only
through a ZNS template message to their phone. Telegram and the Zalo Bot have no window.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.store.phone import zns_phone
from bot.store.recipients import Recipient

__all__ = [
    "DIRECT_CHANNELS",
    "FREE_CS_WINDOW",
    "OA_CHANNEL",
    "PAID_CS_WINDOW",
    "ZNS_CHANNEL",
    "Identity",
    "Route",
    "RouteFinder",
    "RouteKind",
    "RoutingPolicy",
    "choose_route",
    "route_by",
    "routes",
]

OA_CHANNEL = "zalo_oa"
ZNS_CHANNEL = "zalo_zns"
DIRECT_CHANNELS = frozenset({"telegram", "zalo_bot"})
FREE_CS_WINDOW = timedelta(hours=48)
PAID_CS_WINDOW = timedelta(days=7)


class RouteKind(StrEnum):
    DIRECT = "direct"  # Telegram, Zalo Bot: no messaging window
    CS = "cs"  # OA customer-service message, within 48 h of the last interaction
    CS_PAID = "cs_paid"  # OA customer-service message 48 h - 7 days after it (paid)
    ZNS = "zns"  # ZNS template message to the phone (84… form)


@dataclass(frozen=True)
class Identity:
    """One chat account linked to the person (a ChannelIdentity row).

    `unreachable`: the person blocked us or left this chat. Not for an OA chat whose window
    has merely closed (Zalo's −230 "no interaction"): the time rules below cover that, and
    marking it unreachable would also rule out the ZNS message that is meant for exactly it.
    """

    channel: str
    external_id: str
    last_interaction_at: datetime | None = None
    unreachable: bool = False


@dataclass(frozen=True)
class RoutingPolicy:
    """The office's settings: paid customer-service messages, and whether ZNS is set up (a
    template id configured and the zalo_zns channel running).

    `direct_channels`: the channels that reach a person at any time; identities on any other
    channel (the console of a development run, a platform not running) are passed over.
    """

    allow_paid_cs: bool = False
    zns_enabled: bool = False
    direct_channels: frozenset[str] = DIRECT_CHANNELS


@dataclass(frozen=True)
class Route:
    """Queue the reminder as an outbox row on `channel` / `chat_id`."""

    channel: str
    chat_id: str
    kind: RouteKind


def routes(
    identities: Iterable[Identity],
    *,
    phone: str,
    now: datetime,
    policy: RoutingPolicy,
    phone_unreachable: bool = False,
) -> tuple[Route, ...]:
    """Every usable route, best first, without duplicates.

    Identities are taken most recently used first (never used last, in the given order);
    unreachable ones are skipped. An OA identity gives a customer-service route inside its
    window, else a ZNS route to `phone` (stored +84… form; empty, malformed or
    `phone_unreachable` means none) when the policy enables ZNS; a direct channel a direct
    route; any other channel none.
    """
    found: list[Route] = []
    for identity in _by_recency(identities):
        if identity.unreachable:
            continue
        route = _route(
            identity, phone=phone, now=now, policy=policy, phone_ok=not phone_unreachable
        )
        if route is not None and route not in found:
            found.append(route)
    return tuple(found)


def choose_route(
    identities: Iterable[Identity],
    *,
    phone: str,
    now: datetime,
    policy: RoutingPolicy,
    phone_unreachable: bool = False,
) -> Route | None:
    """The route to use, or None: the person goes on the office's list of people not reached."""
    found = routes(
        identities, phone=phone, now=now, policy=policy, phone_unreachable=phone_unreachable
    )
    return found[0] if found else None


def _by_recency(identities: Iterable[Identity]) -> list[Identity]:
    """Most recent interaction first, never-used last; ties keep the caller's order."""
    listed = list(identities)
    stamped = [(i.last_interaction_at, i) for i in listed if i.last_interaction_at is not None]
    used = [i for _, i in sorted(stamped, key=lambda pair: -pair[0].timestamp())]
    return used + [i for i in listed if i.last_interaction_at is None]


def _route(
    identity: Identity, *, phone: str, now: datetime, policy: RoutingPolicy, phone_ok: bool
) -> Route | None:
    if identity.channel in policy.direct_channels:
        return Route(identity.channel, identity.external_id, RouteKind.DIRECT)
    if identity.channel != OA_CHANNEL:
        return None
    since = identity.last_interaction_at
    age = None if since is None else max(now - since, timedelta(0))
    if age is not None and age < FREE_CS_WINDOW:
        return Route(OA_CHANNEL, identity.external_id, RouteKind.CS)
    if age is not None and age < PAID_CS_WINDOW and policy.allow_paid_cs:
        return Route(OA_CHANNEL, identity.external_id, RouteKind.CS_PAID)
    if not (policy.zns_enabled and phone_ok and phone):
        return None
    try:
        return Route(ZNS_CHANNEL, zns_phone(phone), RouteKind.ZNS)
    except ValueError:
        return None


RouteFinder = Callable[[Recipient, datetime], Route | None]


def route_by(policy: RoutingPolicy, channels: Collection[str] | None = None) -> RouteFinder:
    """Routes by `choose_route` over the person's chats on the running `channels` (all when
    None): a Zalo OA chat only when the OA runs, ZNS only when the policy enables it."""

    def find(recipient: Recipient, now: datetime) -> Route | None:
        identities = [
            Identity(c.channel, c.external_id, c.last_interaction_at, c.unreachable)
            for c in recipient.contacts
            if channels is None or c.channel in channels
        ]
        return choose_route(
            identities,
            phone=recipient.phone,
            now=now,
            policy=policy,
            phone_unreachable=recipient.phone_unreachable,
        )

    return find
