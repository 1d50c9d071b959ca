"""Which cụm or khối a question names: «cụm 3», «khối III», «khối Nội chính».

A number is read from the cluster's name or code («Cụm thi đua số 3», «CUM-03», «K3»), a name
is quoted whole (bot.core.records.names). A number that no cluster of that kind carries this
year is said so, with the clusters there are.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.core.flows.base import Ctx
from bot.core.records.asked import Asked
from bot.core.records.names import Named, plain, quoted
from bot.core.records.wording import names_line
from bot.core.text import fold
from bot.i18n import vi
from bot.messages import Reply
from bot.store.models import Cluster

_ROMAN_AFTER = re.compile(r"\b(?:cum|khoi|so)(?: thi dua)?(?: so)? ([ivx]{1,5})\b")
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}


def of_year(ctx: Ctx) -> list[Cluster]:
    query = (
        select(Cluster).where(Cluster.year == ctx.today.year).order_by(Cluster.kind, Cluster.code)
    )
    return list(ctx.session.scalars(query))


def named(ctx: Ctx, asked: Asked) -> list[Cluster] | Reply | None:
    """The clusters the question names; None when it names none; a Reply when it names one
    that does not exist this year."""
    clusters = of_year(ctx)
    if asked.cluster is not None:
        kind, number = asked.cluster.kind, asked.cluster.number
        same_kind = [c for c in clusters if fold(c.kind) == kind]
        found = [c for c in same_kind if number in numbers(c)]
        if found:
            return found
        if not clusters:
            return Reply(vi.OPS_NO_CLUSTERS.format(year=ctx.today.year))
        return Reply(
            vi.OPS_UNKNOWN_CLUSTER.format(
                year=ctx.today.year,
                kind=vi.OPS_KINDS.get(kind, kind),
                number=number,
                names=names_line([c.name for c in clusters]),
            )
        )
    by_id = {c.id: c for c in clusters}
    found_named = quoted(asked.text, [Named(c.id, c.name) for c in clusters])
    return [by_id[n.id] for n in found_named] or None


def numbers(cluster: Cluster) -> set[int]:
    """The numbers a cluster goes by: digits in its name or code, a roman numeral after
    «cụm»/«khối»/«số» in its name."""
    name = plain(cluster.name)
    found = {int(d) for d in re.findall(r"\d+", f"{name} {plain(cluster.code)}")}
    found |= {_ROMAN[r] for r in _ROMAN_AFTER.findall(name) if r in _ROMAN}
    return found
