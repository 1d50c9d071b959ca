"""Role × action × unit: the whole permission matrix, written out so a change shows up here."""

from __future__ import annotations

import pytest

from bot.core.access import UNLINKED, Action, Actor, can
from bot.store.roles import Role

OWN, CLUSTER, OTHER = 1, 2, 3  # the actor's unit, a unit of the cluster it leads, anyone else

ACTORS = {
    "office": Actor(10, 9, frozenset({Role.OFFICE_ADMIN})),
    "lead": Actor(11, OWN, frozenset({Role.CLUSTER_LEAD}), frozenset({OWN, CLUSTER})),
    "head": Actor(12, OWN, frozenset({Role.UNIT_HEAD})),
    "officer": Actor(13, OWN, frozenset({Role.UNIT_OFFICER})),
    "cadre": Actor(14, OWN, frozenset({Role.CADRE})),
    "unlinked": UNLINKED,
    # a head whose unit leads a cluster and who holds both roles
    "head+lead": Actor(
        15, OWN, frozenset({Role.UNIT_HEAD, Role.CLUSTER_LEAD}), frozenset({OWN, CLUSTER})
    ),
}

# For each actor and action: the units (of OWN, CLUSTER, OTHER) on which it is allowed.
ALLOWED: dict[str, dict[Action, set[int]]] = {
    "office": {
        Action.ASK: {OWN, CLUSTER, OTHER},
        Action.VIEW: {OWN, CLUSTER, OTHER},
        Action.DRAFT: set(),
        Action.CONFIRM: set(),
        Action.REVIEW: {OWN, CLUSTER, OTHER},
        Action.LEAD_PLEDGE: {OWN, CLUSTER, OTHER},
    },
    "lead": {
        Action.ASK: {OWN, CLUSTER, OTHER},
        Action.VIEW: {OWN, CLUSTER},
        Action.DRAFT: set(),
        Action.CONFIRM: set(),
        Action.REVIEW: set(),
        Action.LEAD_PLEDGE: {OWN, CLUSTER},
    },
    "head": {
        Action.ASK: {OWN, CLUSTER, OTHER},
        Action.VIEW: {OWN},
        Action.DRAFT: {OWN},
        Action.CONFIRM: {OWN},
        Action.REVIEW: set(),
        Action.LEAD_PLEDGE: set(),
    },
    "officer": {
        Action.ASK: {OWN, CLUSTER, OTHER},
        Action.VIEW: {OWN},
        Action.DRAFT: {OWN},
        Action.CONFIRM: set(),
        Action.REVIEW: set(),
        Action.LEAD_PLEDGE: set(),
    },
    "cadre": {
        action: ({OWN, CLUSTER, OTHER} if action is Action.ASK else set()) for action in Action
    },
    "unlinked": {
        action: ({OWN, CLUSTER, OTHER} if action is Action.ASK else set()) for action in Action
    },
    "head+lead": {
        Action.ASK: {OWN, CLUSTER, OTHER},
        Action.VIEW: {OWN, CLUSTER},
        Action.DRAFT: {OWN},
        Action.CONFIRM: {OWN},
        Action.REVIEW: set(),
        Action.LEAD_PLEDGE: {OWN, CLUSTER},
    },
}

CASES = [
    (name, action, unit, unit in ALLOWED[name][action])
    for name in ACTORS
    for action in Action
    for unit in (OWN, CLUSTER, OTHER)
]


@pytest.mark.parametrize(("actor", "action", "unit", "allowed"), CASES)
def test_matrix(actor: str, action: Action, unit: int, allowed: bool) -> None:
    assert can(ACTORS[actor], action, unit) is allowed


def test_the_matrix_is_complete() -> None:
    assert len(CASES) == len(ACTORS) * len(Action) * 3
    assert all(set(table) == set(Action) for table in ALLOWED.values())


def test_no_unit_means_only_office_wide_actions() -> None:
    assert can(ACTORS["office"], Action.REVIEW, None)
    assert not can(ACTORS["head"], Action.DRAFT, None)
    assert can(UNLINKED, Action.ASK, None)
