"""`thidua movement create`: a movement and its report periods from flags or a YAML file.

Upserted by code (derived from year and title when not given), so re-running the same file
updates the movement. Periods are matched by code; one the file no longer lists is removed
unless a report was already filed for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.values import clean, fold, parse_date, parse_year
from bot.i18n import vi
from bot.reminders.planning import ReminderPolicy
from bot.store.models import Movement, ProgressReport, ReportPeriod
from bot.store.org import audit
from bot.store.reminders import ReminderPolicyRow

MOVEMENT_KINDS = {"thuong xuyen": "thường xuyên", "chuyen de": "chuyên đề"}
PERIOD_KINDS = {"tien do": "tiến độ", "so ket": "sơ kết", "tong ket": "tổng kết"}
FIELDS = (
    "code",
    "title",
    "theme",
    "motto",
    "kind",
    "year",
    "start",
    "end",
    "registration_deadline",
    "pledge_deadline",
    "periods",
    "reminders",
)
REMINDER_FIELDS = {  # field -> (smallest, largest); offsets are days around the deadline
    "repeat_every_days": (0, 60),
    "repeat_times": (0, 52),
    "escalate_cluster_after": (1, 120),
    "escalate_office_after": (1, 120),
}
OFFSET_RANGE = (-90, 90)


class MovementError(Exception):
    """What is wrong with the description, one Vietnamese reason per item."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class PeriodSpec:
    code: str
    name: str
    kind: str
    start: date
    end: date
    deadline: date


@dataclass(frozen=True)
class MovementSpec:
    code: str
    title: str
    theme: str
    motto: str
    kind: str
    year: int
    start: date
    end: date
    registration_deadline: date
    pledge_deadline: date | None
    periods: tuple[PeriodSpec, ...]
    reminders: ReminderSpec | None = None


@dataclass(frozen=True)
class ReminderSpec:
    """A movement's own reminder rhythm (bot.reminders.planning.ReminderPolicy has the defaults)."""

    offsets: tuple[int, ...]
    repeat_every_days: int
    repeat_times: int
    working_days: bool
    escalate_cluster_after: int
    escalate_office_after: int


def _loader() -> Any:
    """PyYAML's safe loader with dates left as text: `2027-02-30` is then one field's error
    (parse_movement names it) rather than an exception from inside the YAML parser."""
    import yaml

    class DatesAsText(yaml.SafeLoader):
        pass

    DatesAsText.yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return DatesAsText


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_loader())  # a SafeLoader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MovementError([vi.MOVEMENT_FILE_UNREADABLE.format(error=error)]) from None
    if not isinstance(data, dict):
        raise MovementError([vi.MOVEMENT_FILE_NOT_MAPPING])
    return {str(k): v for k, v in data.items()}


def parse_period_flag(text: str) -> dict[str, str]:
    """'Q1|Quý 1|tiến độ|1/1/2026|31/3/2026|5/4/2026' -> a period mapping."""
    parts = [clean(part) for part in text.split("|")]
    if len(parts) != 6:
        raise MovementError([vi.MOVEMENT_BAD_PERIOD_FLAG.format(value=text)])
    return dict(zip(("code", "name", "kind", "start", "end", "deadline"), parts, strict=True))


def parse_movement(data: Mapping[str, Any]) -> MovementSpec:
    """Validate everything and report every problem at once."""
    reasons: list[str] = []
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        reasons.append(vi.MOVEMENT_UNKNOWN_FIELDS.format(fields=", ".join(unknown)))

    def text(key: str) -> str:
        value = data.get(key)
        return "" if value is None else clean(str(value))

    def day(key: str, required: bool = True) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                reasons.append(vi.MOVEMENT_MISSING.format(field=key))
            return None
        try:
            return parse_date(value if isinstance(value, date) else str(value))
        except ValueError as error:
            reasons.append(vi.MOVEMENT_FIELD.format(field=key, reason=error))
            return None

    title = text("title")
    if not title:
        reasons.append(vi.MOVEMENT_MISSING.format(field="title"))
    kind = MOVEMENT_KINDS.get(fold(text("kind") or "thường xuyên"), "")
    if not kind:
        reasons.append(vi.MOVEMENT_BAD_KIND.format(value=text("kind")))
    start, end = day("start"), day("end")
    registration_deadline = day("registration_deadline")
    pledge_deadline = day("pledge_deadline", required=False)
    if start and end and start > end:
        reasons.append(vi.MOVEMENT_START_AFTER_END)
    for key, deadline in (
        ("registration_deadline", registration_deadline),
        ("pledge_deadline", pledge_deadline),
    ):
        if deadline and start and deadline < start:
            reasons.append(vi.MOVEMENT_FIELD.format(field=key, reason=vi.MOVEMENT_BEFORE_START))
        elif deadline and end and deadline > end:
            reasons.append(vi.MOVEMENT_FIELD.format(field=key, reason=vi.MOVEMENT_AFTER_END))
    year = start.year if start else 0
    if text("year"):
        try:
            year = parse_year(text("year"))
        except ValueError as error:
            reasons.append(vi.MOVEMENT_FIELD.format(field="year", reason=error))
    periods = _periods(data.get("periods") or [], reasons)
    reminders = _reminders(data.get("reminders"), reasons)
    code = text("code").upper() or _derive_code(year, title)
    if reasons or start is None or end is None or registration_deadline is None:
        raise MovementError(reasons)
    return MovementSpec(
        code=code[:64],
        title=title,
        theme=text("theme"),
        motto=text("motto"),
        kind=kind,
        year=year,
        start=start,
        end=end,
        registration_deadline=registration_deadline,
        pledge_deadline=pledge_deadline,
        periods=tuple(periods),
        reminders=reminders,
    )


def _reminders(raw: Any, reasons: list[str]) -> ReminderSpec | None:
    """The `reminders:` block; absent means the defaults. Every bad value is reported."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        reasons.append(vi.MOVEMENT_REMINDERS_NOT_MAP)
        return None
    defaults = ReminderPolicy()
    unknown = sorted(set(raw) - {"offsets", "working_days", *REMINDER_FIELDS})
    if unknown:
        reasons.append(vi.MOVEMENT_UNKNOWN_FIELDS.format(fields=", ".join(unknown)))
    count = len(reasons)
    offsets = raw.get("offsets", list(defaults.offsets))
    low, high = OFFSET_RANGE
    if (
        not isinstance(offsets, list)
        or not offsets
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and low <= n <= high for n in offsets
        )
    ):
        reasons.append(vi.MOVEMENT_BAD_OFFSETS.format(low=low, high=high))
    numbers: dict[str, int] = {}
    for name, (smallest, largest) in REMINDER_FIELDS.items():
        value = raw.get(name, getattr(defaults, name))
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not smallest <= value <= largest
        ):
            reasons.append(
                vi.MOVEMENT_BAD_NUMBER.format(field=f"reminders.{name}", low=smallest, high=largest)
            )
        else:
            numbers[name] = value
    working = raw.get("working_days", defaults.working_days)
    if not isinstance(working, bool):
        reasons.append(vi.MOVEMENT_BAD_BOOL.format(field="reminders.working_days"))
    if len(reasons) > count:
        return None
    return ReminderSpec(
        offsets=tuple(sorted(set(offsets))),
        working_days=bool(working),
        **numbers,
    )


def _periods(raw: Any, reasons: list[str]) -> list[PeriodSpec]:
    if not isinstance(raw, list):
        reasons.append(vi.MOVEMENT_PERIODS_NOT_LIST)
        return []
    periods: list[PeriodSpec] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        problems: list[str] = []
        if not isinstance(item, Mapping):
            reasons.append(vi.MOVEMENT_PERIOD.format(number=number, reason=vi.MOVEMENT_NOT_MAP))
            continue
        code = clean(str(item.get("code") or "")).upper()
        name = clean(str(item.get("name") or ""))
        kind = PERIOD_KINDS.get(fold(str(item.get("kind") or "tiến độ")), "")
        if not code:
            problems.append(vi.MOVEMENT_MISSING.format(field="code"))
        elif code in seen:
            problems.append(vi.MOVEMENT_PERIOD_DUPLICATE.format(code=code))
        seen.add(code)
        if not name:
            problems.append(vi.MOVEMENT_MISSING.format(field="name"))
        if not kind:
            problems.append(vi.MOVEMENT_BAD_PERIOD_KIND.format(value=item.get("kind")))
        dates: dict[str, date] = {}
        for key in ("start", "end", "deadline"):
            value = item.get(key)
            try:
                if value is None or value == "":
                    raise ValueError(vi.MOVEMENT_MISSING.format(field=key))
                dates[key] = parse_date(value if isinstance(value, date) else str(value))
            except ValueError as error:
                problems.append(vi.MOVEMENT_FIELD.format(field=key, reason=error))
        if len(dates) == 3 and dates["start"] > dates["end"]:
            problems.append(vi.MOVEMENT_START_AFTER_END)
        if len(dates) == 3 and dates["deadline"] < dates["start"]:
            problems.append(vi.MOVEMENT_DEADLINE_BEFORE_START)
        if problems:
            for problem in problems:
                reasons.append(vi.MOVEMENT_PERIOD.format(number=number, reason=problem))
            continue
        periods.append(
            PeriodSpec(code, name, kind, dates["start"], dates["end"], dates["deadline"])
        )
    return periods


def _derive_code(year: int, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-").upper()
    return f"{year}-{slug}" if slug else str(year)


def save_movement(session: Session, spec: MovementSpec, *, now: datetime) -> tuple[Movement, bool]:
    """Insert or update by code; returns the movement and whether it is new."""
    movement = session.scalar(select(Movement).where(Movement.code == spec.code))
    created = movement is None
    if movement is None:
        movement = Movement(code=spec.code)
        session.add(movement)
    before = None if created else _snapshot(movement)
    movement.title, movement.theme, movement.motto = spec.title, spec.theme, spec.motto
    movement.kind, movement.year = spec.kind, spec.year
    movement.start_date, movement.end_date = spec.start, spec.end
    movement.registration_deadline = spec.registration_deadline
    movement.pledge_deadline = spec.pledge_deadline
    wanted = {p.code: p for p in spec.periods}
    for period in list(movement.periods):
        if period.code in wanted:
            continue
        used = session.scalar(
            select(ProgressReport.id).where(ProgressReport.period_id == period.id).limit(1)
        )
        if used is not None:
            raise MovementError([vi.MOVEMENT_PERIOD_IN_USE.format(code=period.code)])
        movement.periods.remove(period)
    existing = {p.code: p for p in movement.periods}
    for code, item in wanted.items():
        period = existing.get(code) or ReportPeriod(code=code)
        if period.id is None:
            movement.periods.append(period)
        period.name, period.kind = item.name, item.kind
        period.start_date, period.end_date, period.deadline = item.start, item.end, item.deadline
    session.flush()
    _save_reminders(session, movement.id, spec.reminders)
    audit(
        session,
        person_id=None,
        action="movement.create" if created else "movement.update",
        entity="movement",
        entity_id=movement.id,
        before=before,
        after=_snapshot(movement),
        now=now,
    )
    return movement, created


def _save_reminders(session: Session, movement_id: int, spec: ReminderSpec | None) -> None:
    """Stores the movement's rhythm; without a `reminders:` block the defaults apply again."""
    row = session.get(ReminderPolicyRow, movement_id)
    if spec is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = ReminderPolicyRow(movement_id=movement_id)
        session.add(row)
    row.offsets = list(spec.offsets)
    row.repeat_every_days, row.repeat_times = spec.repeat_every_days, spec.repeat_times
    row.working_days = spec.working_days
    row.escalate_cluster_after = spec.escalate_cluster_after
    row.escalate_office_after = spec.escalate_office_after


def _snapshot(movement: Movement) -> dict[str, Any]:
    return {
        "code": movement.code,
        "title": movement.title,
        "kind": movement.kind,
        "year": movement.year,
        "start": movement.start_date,
        "end": movement.end_date,
        "registration_deadline": movement.registration_deadline,
        "pledge_deadline": movement.pledge_deadline,
        "periods": [
            {"code": p.code, "name": p.name, "kind": p.kind, "deadline": p.deadline}
            for p in movement.periods
        ],
    }
