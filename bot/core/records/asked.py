"""What a question about the records asks: which record (registration, report, pledge), about
whom (the asker's unit, every unit, a cluster, a named unit) and which report period.

Pure and keyword-based on the folded text, like the rest of bot.core.operational: cheap and
predictable. A question that asks whether something was filed or signed («đã nộp … chưa»,
«chưa ký», «đơn vị nào chưa…») about a registration, a report or a pledge is a records question;
anything else is left to the legal Q&A.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core.records.names import plain
from bot.core.records.periods import PeriodAsked, period_asked


class Topic(StrEnum):
    REGISTRATION = "registration"
    REPORT = "report"
    PLEDGE = "pledge"


class Who(StrEnum):
    SELF = "self"  # «đơn vị tôi», «chúng tôi»
    ALL = "all"  # «những đơn vị nào», «danh sách», «bao nhiêu đơn vị»
    OTHER = "other"  # a cluster or a unit named in the text, or nobody in particular


@dataclass(frozen=True)
class ClusterAsked:
    """«cụm 3», «khối III»: a cluster named by its kind and number."""

    kind: str  # folded: "cum" | "khoi"
    number: int


@dataclass(frozen=True)
class Asked:
    topic: Topic
    text: str  # as typed (a unit's code is recognised in capitals)
    plain: str  # folded, words only
    who: Who
    phrase: str  # the words the question is about, where a unit's name would stand
    cluster: ClusterAsked | None
    period: PeriodAsked | None
    done: bool  # «đơn vị nào đã nộp» (without «chưa»): who filed, rather than who did not


_VERB = r"(?:nop|gui|ky|ky ket|dang ky|hoan thanh|bao cao)"
_STATUS = re.compile(
    rf"\b(?:chua|da)(?: duoc)? {_VERB}\b|\bco (?:nop|gui|ky)\b|\b(?:nop|gui|ky)\b.*\bchua\b"
    r"|\bchua(?: a| nhi| vay| the)?$|\b(?:tinh hinh|danh sach|thong ke) (?:nop|ky|dang ky)\b"
)
# What the law answers, not the records: «chưa đăng ký thì có được khen thưởng không».
_LEGAL = re.compile(
    r"\b(?:co duoc|duoc khong|co bi|bi xu ly|xu ly the nao|thi sao|la gi|tai sao|vi sao"
    r"|quy dinh|tieu chuan|dieu kien|thu tuc|can nhung gi|can gi|nhu the nao|phai lam gi"
    r"|co phai|co can|can phai|bat buoc|phai (?:nop|bao cao|dang ky|ky))\b"
)
_VERB_ANY = re.compile(r"\b(?:nop|gui|ky)\b")
_SELF = re.compile(
    r"\b(?:don vi|co quan|ben|phong) (?:cua )?(?:toi|minh|chung toi|em|chung em)\b"
    r"|^(?:toi|minh|em|chung toi|chung em)\b"
)
_ALL = re.compile(
    r"\b(?:don vi nao|nhung don vi|cac don vi|bao nhieu don vi|may don vi|danh sach|thong ke"
    r"|tinh hinh|con don vi|con ai|nhung ai|ai chua|ai da|tat ca|toan tinh|cum nao|khoi nao"
    r"|thanh vien nao|nhung thanh vien|cac thanh vien)\b"
)
_CLUSTER = re.compile(r"\b(cum|khoi)(?: thi dua)?(?: so)? (\d{1,3}|[ivx]{1,5})\b")
_ROMAN = {"i": 1, "v": 5, "x": 10}
_OF = re.compile(
    r"\bcua (.+?)(?= (?:da|chua|co|nop|ky|gui|dang ky|bao cao|giao uoc|quy|thang)\b|$)"
)
_BEFORE_VERB = re.compile(r"\b(?:da|chua|co|nop|ky|gui|dang ky|bao cao|giao uoc)\b")


def read(text: str) -> Asked | None:
    """The records question in `text`, or None when it is not one."""
    words = plain(text)
    topic = _topic(words)
    status = _STATUS.search(words) or (_ALL.search(words) and _VERB_ANY.search(words))
    if topic is None or not status or _LEGAL.search(words):
        return None
    who = Who.SELF if _SELF.search(words) else Who.ALL if _ALL.search(words) else Who.OTHER
    return Asked(
        topic=topic,
        text=text,
        plain=words,
        who=who,
        phrase=_phrase(words),
        cluster=_cluster(words),
        period=period_asked(words),
        done=" chua" not in f" {words}" and bool(re.search(r"\bda\b", words)),
    )


def _topic(words: str) -> Topic | None:
    if "giao uoc" in words:
        return Topic.PLEDGE
    if re.search(r"\bbao cao\b", words):
        return Topic.REPORT
    if re.search(r"\bdang ky\b", words):
        return Topic.REGISTRATION
    return None


def _phrase(words: str) -> str:
    """«của Sở Y tế …» or what stands before the verb («Sở Y tế đã nộp…»)."""
    of = _OF.search(words)
    if of:
        return of.group(1).strip()
    verb = _BEFORE_VERB.search(words)
    return words[: verb.start()].strip() if verb else ""


def _cluster(words: str) -> ClusterAsked | None:
    found = _CLUSTER.search(words)
    if found is None:
        return None
    kind, raw = found.groups()
    number = int(raw) if raw.isdigit() else _from_roman(raw)
    return ClusterAsked(kind, number) if number else None


def _from_roman(numeral: str) -> int:
    """'iii' → 3, 'iv' → 4; 0 when it is not a numeral."""
    total, previous = 0, 0
    for ch in reversed(numeral):
        value = _ROMAN.get(ch, 0)
        if value == 0:
            return 0
        total += -value if value < previous else value
        previous = max(previous, value)
    return total
