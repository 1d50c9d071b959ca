"""What the Law and the year's record say about one nomination: warnings with their article.

Pure functions over `Facts` (gathered from the records by bot.core.nomination_record), as
bot.core.flows.registration_checks does for registrations: the officer sees them in the
summary, the head before confirming, the office in review and in the council's export. A
warning never blocks; the council decides. The articles are those of Luật Thi đua, khen
thưởng 06/2022/QH15 as bundled in knowledge/sources/luat-tdkt-2022.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from bot.core.text import format_number
from bot.i18n import nominations_vi as nv
from bot.store import nominations

LDTT, CSTT, CSTDCS, PROVINCIAL, NATIONAL = "LDTT", "CSTT", "CSTDCS", "CSTD_TINH", "CSTDTQ"
BASIC = frozenset({LDTT, CSTT})  # Điều 24: the titles a CSTĐCS is chosen among
EXCELLENT = {"TTLDXS": 1, "DVQT": 2}  # Điều 27: the clause of each
FLAGS = {"CO_TINH": 26, "CO_CP": 25}  # the article of each: the leading unit of a cluster
FIGHTERS = frozenset({CSTDCS, PROVINCIAL, NATIONAL})  # Điều 84 khoản 1 điểm d: an initiative
FORMS = frozenset({"GK", "BK_TINH", "BK_TTG"})  # Điều 84 khoản 2: a form's file
# Điều 84 khoản 3: the awards whose file holds the opinion of a central agency or the provincial
# People's Committee — those of the catalogue by code, any other by the name the Law gives it.
STATE_LEVEL = frozenset({"BK_TTG", "CO_CP"})
STATE_LEVEL_NAMES = (
    "huân chương",
    "huy chương",
    "danh hiệu vinh dự nhà nước",
    "giải thưởng hồ chí minh",
    "giải thưởng nhà nước",
)
# Điều 84 khoản 1 (titles) and khoản 2 (forms), điểm a–c: what every file holds.
BASE_FILES = (
    ("a", nominations.PROPOSAL),
    ("b", nominations.ACHIEVEMENTS),
    ("c", nominations.MINUTES),
)


class Finding(NamedTuple):
    """One finding: a stable code (for tests and the export's filter) and its sentence."""

    code: str
    text: str


@dataclass(frozen=True)
class Standing:
    """A cluster of the unit that year and the unit its ranking puts first."""

    cluster: str
    leader: str | None  # its name; None: no ranking recorded
    leads: bool


@dataclass(frozen=True)
class Registered:
    """The unit's registration for the nomination's movement, as far as the checks need it."""

    collective: str  # a title code, "" for none
    lines: Mapping[str, tuple[str, ...]]  # title code -> names listed (folded), () for a count


@dataclass(frozen=True)
class Progress:
    """The unit's latest progress report: how many of its targets reached their value."""

    period: str
    reached: int
    total: int


@dataclass(frozen=True)
class Facts:
    """Everything the checks read about one nomination."""

    year: int
    award: str
    nominee: str  # the name shown in a warning
    nominee_key: str
    for_unit: bool
    files: frozenset[str] = frozenset()
    history: frozenset[tuple[str, int]] = frozenset()  # the nominee's (award, year): results
    # and nominations of this year
    unit_awards: tuple[tuple[str, str], ...] = ()  # (award, nominee key): the unit's
    # nominations that year, this one included, and its people's results that year
    unit_people: int = 0
    clusters: tuple[Standing, ...] = ()
    movement: str = ""  # "" when the nomination names no movement
    registration: Registered | None = None
    progress: Progress | None = None
    quotas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)  # award code -> name


def warnings(facts: Facts) -> list[Finding]:
    """Every finding, in the order a clerk checks a file: standards, cluster, file, record."""
    return [
        *_individual(facts),
        *_excellent(facts),
        *_flag(facts),
        *_files(facts),
        *_opinion(facts),
        *_registration(facts),
        *_quota(facts),
    ]


def _years(history: frozenset[tuple[str, int]], award: str) -> list[int]:
    return sorted(year for code, year in history if code == award)


def _run_ending(years: list[int], last: int, length: int) -> bool:
    """`length` consecutive years among `years`, ending at `last` or the year before."""
    have = set(years)
    return any(all(end - i in have for i in range(length)) for end in (last, last - 1))


def _year_list(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) or nv.NO_YEARS


def _individual(facts: Facts) -> list[Finding]:
    if facts.for_unit:
        return []
    name, year = facts.nominee, facts.year
    if facts.award == CSTDCS and not any((code, year) in facts.history for code in BASIC):
        return [Finding("dieu23", nv.WARN_CSTDCS_NEEDS_LDTT.format(name=name, year=year))]
    if facts.award == PROVINCIAL:
        years = _years(facts.history, CSTDCS)
        if not _run_ending(years, year, 3):
            text = nv.WARN_PROVINCIAL_NEEDS_THREE.format(name=name, years=_year_list(years))
            return [Finding("dieu22", text)]
    if facts.award == NATIONAL:
        years = _years(facts.history, PROVINCIAL)
        if not _run_ending(years, year, 2):
            text = nv.WARN_NATIONAL_NEEDS_TWO.format(name=name, years=_year_list(years))
            return [Finding("dieu21", text)]
    return []


def _percent(part: int, whole: int) -> str:
    return format_number(round(Decimal(part * 100) / Decimal(whole), 1))


def _excellent(facts: Facts) -> list[Finding]:
    clause = EXCELLENT.get(facts.award)
    if not facts.for_unit or clause is None:
        return []
    found = []
    basic = {key for code, key in facts.unit_awards if code in BASIC}
    if facts.unit_people and len(basic) * 10 < facts.unit_people * 7:
        text = nv.WARN_EXCELLENT_SHARE.format(
            count=len(basic),
            people=facts.unit_people,
            basic=facts.names.get(LDTT if clause == 1 else CSTT, LDTT),
            year=facts.year,
            percent=_percent(len(basic), facts.unit_people),
            clause="1 điểm c" if clause == 1 else "2",
        )
        found.append(Finding("dieu27_70", text))
    if not any(code == CSTDCS for code, _key in facts.unit_awards):
        found.append(
            Finding("dieu27_cstdcs", nv.WARN_EXCELLENT_NEEDS_CSTDCS.format(year=facts.year))
        )
    return found


def _flag(facts: Facts) -> list[Finding]:
    article = FLAGS.get(facts.award)
    if not facts.for_unit or article is None:
        return []
    if not facts.clusters:
        return [Finding("dieu26", nv.WARN_FLAG_NO_CLUSTER.format(year=facts.year, article=article))]
    if any(standing.leads for standing in facts.clusters):
        return []
    found = []
    for standing in facts.clusters:
        fields = {"cluster": standing.cluster, "year": facts.year, "article": article}
        if standing.leader is None:
            found.append(Finding("dieu26", nv.WARN_FLAG_NO_RANKING.format(**fields)))
        else:
            text = nv.WARN_FLAG_NOT_LEADER.format(leader=standing.leader, **fields)
            found.append(Finding("dieu26", text))
    return found


def _files(facts: Facts) -> list[Finding]:
    """Điều 84: khoản 1 for a title, khoản 2 for a form; điểm d for a chiến sĩ thi đua."""
    clause = 2 if facts.award in FORMS else 1
    wanted = list(BASE_FILES)
    if clause == 1 and facts.award in FIGHTERS:
        wanted.append(("d", nominations.INITIATIVE))
    missing = [(point, kind) for point, kind in wanted if kind not in facts.files]
    if not missing:
        return []
    text = nv.WARN_FILES_MISSING.format(
        missing=", ".join(nv.FILE_KIND_NAMES[kind].lower() for _point, kind in missing),
        clause=clause,
        points="điểm " + ", ".join(point for point, _kind in missing),
    )
    return [Finding("dieu84", text)]


def _opinion(facts: Facts) -> list[Finding]:
    """Điều 84 khoản 3: a Prime Minister's Bằng khen, the Government's flag, an order or medal…
    go up with the opinion of the central agency concerned or the provincial People's Committee."""
    name = facts.names.get(facts.award, facts.award)
    state_level = facts.award in STATE_LEVEL or name.lower().startswith(STATE_LEVEL_NAMES)
    if not state_level or nominations.OPINION in facts.files:
        return []
    return [Finding("dieu84_3", nv.WARN_OPINION_MISSING.format(award=name))]


def _registration(facts: Facts) -> list[Finding]:
    """The unit's registration for the movement beside the nomination, and its latest report."""
    if not facts.movement:
        return []
    reg = facts.registration
    if reg is None:
        return [Finding("registration", nv.WARN_NOT_REGISTERED.format(movement=facts.movement))]
    name = facts.names.get(facts.award, facts.award)
    found = []
    collective_title = facts.for_unit and facts.award not in FORMS
    if collective_title and reg.collective != facts.award and facts.award not in FLAGS:
        if reg.collective:
            registered = facts.names.get(reg.collective, reg.collective)
            text = nv.WARN_REGISTERED_OTHER.format(registered=registered, award=name)
        else:
            text = nv.WARN_REGISTERED_NO_COLLECTIVE.format(award=name)
        found.append(Finding("registration", text))
    if not facts.for_unit and facts.award not in FORMS:
        listed = reg.lines.get(facts.award)
        if listed is None:
            found.append(Finding("registration", nv.WARN_TITLE_NOT_REGISTERED.format(award=name)))
        elif listed and nominations.fold_name(facts.nominee) not in listed:
            text = nv.WARN_NAME_NOT_REGISTERED.format(name=facts.nominee, award=name)
            found.append(Finding("registration", text))
    progress = facts.progress
    if (
        facts.for_unit
        and progress is not None
        and progress.total
        and progress.reached < progress.total
    ):
        text = nv.WARN_TARGETS.format(
            period=progress.period,
            reached=progress.reached,
            total=progress.total,
            percent=_percent(progress.reached, progress.total),
            basis=nv.WARN_TARGETS_BASIS.get(facts.award, ""),
        )
        found.append(Finding("targets", text))
    return found


def _quota(facts: Facts) -> list[Finding]:
    """A province's quota (a movement setting): at most `max_percent` of the base award's count."""
    rule = facts.quotas.get(facts.award)
    if not rule or facts.for_unit:
        return []
    base, limit = str(rule.get("of", "")), Decimal(str(rule.get("max_percent", 100)))
    count = len({key for code, key in facts.unit_awards if code == facts.award})
    base_count = len({key for code, key in facts.unit_awards if code == base})
    if Decimal(count) * 100 <= limit * base_count:
        return []
    text = nv.WARN_QUOTA.format(
        award=facts.names.get(facts.award, facts.award),
        count=count,
        limit=format_number(limit),
        base=facts.names.get(base, base),
        base_count=base_count,
    )
    return [Finding("quota", text)]
