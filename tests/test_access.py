"""Role × action × unit: the whole permission matrix, written out so a change shows up here;
then the same roles in a group chat, pressing the buttons of someone else's form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.access import UNLINKED, Action, Actor, can
from bot.i18n import vi
from bot.store.roles import Role
from tests.chat import Chat
from tests.forms.conftest import PEOPLE, World, build_world
from tests.forms.groups import in_group, rows, to_summary

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


# --- group chats ----------------------------------------------------------------------------
# In a group every person fills their own form. Each role presses every button of someone
# else's form about Sở Nội vụ, whose unit is the presser's own, in the cluster it leads, or
# another: refused, and nothing changes or shows, even where `can` allows the action on that
# unit (the unit's head may draft its registration, the office may see it), because a form is
# its owner's. The forms, by the action their owner does:
GROUP_FORMS = {Action.DRAFT: "officer", Action.CONFIRM: "head", Action.REVIEW: "office"}
# The pressers: (role as in ACTORS, Sở Nội vụ seen from them, a person of the test province).
GROUP_PRESSERS = [
    ("office", OTHER, "office"),
    ("head+lead", CLUSTER, "head2"),
    ("head", OWN, "head"),
    ("head", OTHER, "head3"),
    ("officer", OWN, "officer"),
    ("cadre", OWN, "cadre"),
    ("unlinked", OTHER, "stranger"),
]
GROUP_CASES = [
    (action, role, unit, user)
    for action, owner in GROUP_FORMS.items()
    for role, unit, user in GROUP_PRESSERS
    if user != owner
]


def _open_form(world: World, action: Action) -> Chat:
    """The owner's form about Sở Nội vụ, open in the group at the step that shows it all."""
    target, value = "Giải quyết hồ sơ công vụ đúng hạn", "97,3"
    if action is Action.DRAFT:
        to_summary(owner := in_group(world, "officer"), "xuất sắc", target, value)
        return owner
    author = "officer" if action is Action.CONFIRM else "head"
    to_summary(private := world.chat(author), "xuất sắc", target, value)
    private.press("Gửi thủ trưởng" if author == "officer" else "Xác nhận và nộp")
    owner = in_group(world, GROUP_FORMS[action])
    if action is Action.CONFIRM:
        owner.say("/xacnhan")
    else:
        owner.say("/duyet")
        owner.press("Sở Nội vụ")
    assert target in owner.text and "97,3" in owner.text
    return owner


GroupForm = tuple[World, Chat, dict[str, Any]]


@pytest.fixture(scope="module")
def group_forms(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Action], GroupForm]]:
    """One province per form, made on first use and shared by that form's cases, each of
    which asserts that its presses changed nothing. On SQLite: the store's keys have their
    own contract tests on both databases."""
    made: dict[Action, GroupForm] = {}

    def form(action: Action) -> GroupForm:
        if action not in made:
            path: Path = tmp_path_factory.mktemp("group")
            world = build_world(f"sqlite:///{path / 'thidua.db'}", path / "files")
            owner = _open_form(world, action)
            made[action] = (world, owner, rows(world))
        return made[action]

    yield form
    for world, _owner, _rows in made.values():
        world.engine.dispose()


@pytest.mark.parametrize(("action", "role", "unit", "user"), GROUP_CASES)
def test_group_matrix(
    group_forms: Callable[[Action], GroupForm], action: Action, role: str, unit: int, user: str
) -> None:
    world, owner, before = group_forms(action)
    presser = in_group(world, user)
    refusal = vi.BUTTON_NOT_YOURS.format(name=PEOPLE[owner.user][0])
    labels = [b.label for b in owner.buttons()]
    assert len(labels) >= 4
    for label in labels:
        replies = presser.press(label, on=owner)
        assert [(r.text, r.buttons) for r in replies] == [(refusal, ())], (role, unit, label)
        assert rows(world) == before, (role, unit, label)


def test_the_group_matrix_is_complete_and_not_vacuous() -> None:
    """Every role of ACTORS presses on every form but its own, and some are refused what
    `can` would allow them on that unit elsewhere."""
    assert {role for _a, role, _u, _p in GROUP_CASES} == set(ACTORS) - {"lead"}  # head+lead
    assert len(GROUP_CASES) == len(GROUP_FORMS) * len(GROUP_PRESSERS) - len(GROUP_FORMS)
    allowed = [(a, r, u) for a, r, u, _p in GROUP_CASES if u in ALLOWED[r][a]]
    assert (Action.DRAFT, "head", OWN) in allowed
    assert (Action.REVIEW, "head+lead", CLUSTER) not in allowed
