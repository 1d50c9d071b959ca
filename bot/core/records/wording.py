"""How lists of units read in a chat: the first names, then «… và N đơn vị khác»; dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.core.text import fold
from bot.i18n import vi
from bot.store import org
from bot.store.models import Cluster

SHOWN = 30  # names a chat message lists before «… và N đơn vị khác»; counts stay exact


def names_line(names: Sequence[str], shown: int = SHOWN) -> str:
    """'A, B, C … và 12 đơn vị khác'."""
    text = ", ".join(names[:shown])
    rest = len(names) - shown
    return text + (vi.OPS_MORE.format(count=rest) if rest > 0 else "")


def noted(name: str, note: str) -> str:
    return vi.OPS_NOTED.format(unit=name, note=note) if note else name


def local_day(moment: datetime, now: datetime) -> date:
    """A stored moment as a calendar day where the asker is (`now`'s zone)."""
    return org.aware(moment).astimezone(now.tzinfo).date()


def overdue(deadline: date, today: date) -> str:
    return vi.OPS_LIST_OVERDUE if today > deadline else ""


def cluster_title(cluster: Cluster) -> str:
    """«Khối Nội chính» as named, or «cụm «Miền núi»» when the name does not say its kind."""
    if fold(cluster.name).startswith(fold(cluster.kind)):
        return cluster.name
    return vi.OPS_SCOPE_CLUSTER.format(kind=cluster.kind, name=cluster.name)
