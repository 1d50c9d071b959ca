"""Build knowledge/sources/registry.yaml from the project's document registry (a TSV).

`make registry` (python -m ingest.registry_tsv TSV [OUT]). The TSV is a working note: dates
with remarks ("2024-02-01 (per third-party)"), statuses in prose ("replaced 2025-07-01 by
152/2025"), abbreviations (TĐKT, NĐ). This turns each row into clean fields: number, type,
title, issuer, dates, status (in_force | superseded | unknown), the key of the text that
replaced it, and where to read it. `FROM_TEXTS` adds what the TSV does not say but a bundled
or shared full text does, each with the sentence it rests on.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.lookup import number_key
from knowledge.prebuilt import BUNDLED_DIR

DEFAULT_OUT = BUNDLED_DIR / "registry.yaml"
_DATES = ("issued", "effective_from", "effective_to")
_FIELDS = (
    *("key", "number", "doc_type", "title", "issuer", *_DATES),
    *("status", "replaced_by", "url", "search_site", "note"),
)

_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_BY_NUMBER = re.compile(r"\bby\s+(\d{1,4}/\d{4}(?:/[\w-]+)?)")
_REPLACES = re.compile(r"\bthay (?:NĐ |Nghị định |TT |Thông tư )?(\d{1,4}/\d{4})")
_PARENTHESES = re.compile(r"\s*\(([^)]*)\)")
_TYPES = (  # number suffix -> document type
    ("/QH", "Luật"),
    ("/NĐ-CP", "Nghị định"),
    ("/TT-", "Thông tư"),
    ("-CT/", "Chỉ thị"),
    ("-KL/", "Kết luận"),
    ("/HD-", "Hướng dẫn"),
    ("/VBHN-", "Văn bản hợp nhất"),
)
_TITLE_WORDS = (
    (re.compile(r"\bLuật TĐKT\b"), "Luật Thi đua, khen thưởng"),
    (re.compile(r"^TĐKT\b"), "Thi đua, khen thưởng"),
    (re.compile(r"(?<![-/])\bTĐKT\b"), "thi đua, khen thưởng"),
    (re.compile(r"\bHCM\b"), "Hồ Chí Minh"),
    (re.compile(r"\bNĐ (\d)"), r"Nghị định \1"),
    (re.compile(r"\bCờ thi đua CP\b"), "Cờ thi đua của Chính phủ"),
    (re.compile(r"\bCờ tỉnh\b"), "Cờ thi đua cấp tỉnh"),
)
_ISSUERS = {
    "Quốc hội XV": "Quốc hội",
    "Ban TĐKT TW": "Ban Thi đua - Khen thưởng Trung ương",
    "Bộ Chính trị khóa XI": "Bộ Chính trị",
    "Bộ Chính trị khóa XII": "Bộ Chính trị",
    "Bộ Chính trị khóa XIII": "Bộ Chính trị",
}
# Where to look a text up by its number when the TSV names only a site.
_SITES = {
    "hatinh.gov.vn": "https://hatinh.gov.vn",
    "tulieuvankien.dangcongsan.vn": "https://tulieuvankien.dangcongsan.vn",
    "luatminhkhue.vn": "https://luatminhkhue.vn",
    "vbpl.vn": "https://vbpl.vn",
}
_PARTY_SITE = "https://tulieuvankien.dangcongsan.vn"  # Party documents are not on vbpl.vn

# Facts the TSV leaves out, from the texts themselves (../shared/corpus-full and the bundle).
FROM_TEXTS: dict[str, dict[str, Any]] = {
    # nd-91-2017-full.txt header and Điều 80 khoản 1: in force from 01/10/2017; replaced by
    # Nghị định 98/2023/NĐ-CP; vbpl.vn ItemID 123642 as the Bộ pháp điển cites it.
    "nd-91-2017": {
        "effective_from": "2017-10-01",
        "replaced_by": "nd-98-2023",
        "url": "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=123642",
    },
    # tt-12-2019-bnv.txt header: effective 01/01/2020; replaced by Thông tư 01/2024/TT-BNV.
    "tt-12-2019-bnv": {"effective_from": "2020-01-01", "replaced_by": "tt-01-2024-bnv"},
    # Luật 06/2022/QH15, Điều 94 khoản 2: Luật 15/2003/QH11 as amended ends on 01/01/2024.
    "luat-tdkt-2003": {
        "number": "15/2003/QH11",
        "doc_type": "Luật",
        "title": "Luật Thi đua, khen thưởng",
        "issuer": "Quốc hội",
        "issued": "2003-11-26",
        "effective_from": "2004-07-01",
        "effective_to": "2024-01-01",
        "status": "superseded",
        "replaced_by": "luat-tdkt-2022",
        "search_site": "https://vbpl.vn",
        "note": "sửa đổi, bổ sung bởi Luật 47/2005/QH11, 32/2009/QH12, 39/2013/QH13",
    },
    # Nghị định 91/2017/NĐ-CP, Điều 80 khoản 1: it replaces these three from 01/10/2017.
    "nd-42-2010": {
        "number": "42/2010/NĐ-CP",
        "title": "Quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng và Luật "
        "sửa đổi, bổ sung một số điều của Luật Thi đua, khen thưởng",
        "issuer": "Chính phủ",
        "issued": "2010-04-15",
    },
    "nd-39-2012": {
        "number": "39/2012/NĐ-CP",
        "title": "Sửa đổi, bổ sung một số điều của Nghị định số 42/2010/NĐ-CP",
        "issuer": "Chính phủ",
        "issued": "2012-04-27",
    },
    "nd-65-2014": {
        "number": "65/2014/NĐ-CP",
        "title": "Quy định chi tiết thi hành Luật sửa đổi, bổ sung một số điều của Luật Thi đua, "
        "khen thưởng năm 2013",
        "issuer": "Chính phủ",
        "issued": "2014-07-01",
    },
}
for _key in ("nd-42-2010", "nd-39-2012", "nd-65-2014"):
    FROM_TEXTS[_key].update(
        doc_type="Nghị định",
        effective_to="2017-10-01",
        status="superseded",
        replaced_by="nd-91-2017",
        search_site="https://vbpl.vn",
    )


def build(rows: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
    """The registry entries, TSV order first, then the ones only the texts name."""
    entries = {row["short_name"].strip(): _entry(row) for row in rows if row.get("short_name")}
    for key, facts in FROM_TEXTS.items():
        entry = entries.setdefault(key, {"key": key})
        entry.update(facts)
        if facts.get("url"):
            entry["search_site"] = ""
    _link(entries)
    return [{f: _value(f, entry.get(f, "")) for f in _FIELDS} for entry in entries.values()]


def _value(name: str, value: Any) -> Any:
    """Dates as YAML dates, empty cells as nothing."""
    if value in ("", None):
        return None
    return date.fromisoformat(value) if name in _DATES else value


def _entry(row: Mapping[str, str]) -> dict[str, Any]:
    notes: list[str] = []
    number = _strip_remarks(row.get("number", ""), notes)
    title = _strip_remarks(row.get("title", ""), notes, keep_years=True)
    for pattern, replacement in _TITLE_WORDS:
        title = pattern.sub(replacement, title)
    issuer = _strip_remarks(row.get("issuer", ""), notes)
    status_text = row.get("status_2025", "")
    status, ended, successor = _status(status_text)
    url, site = _where(row.get("best_url", ""), party="/TW" in number.upper())
    if row.get("note", "").strip():
        notes.append(row["note"].strip())
    if "(" in status_text or status == "unknown":
        notes.append(f"status: {status_text.strip()}")
    return {
        "key": row["short_name"].strip(),
        "number": number,
        "doc_type": _doc_type(number, title),
        "title": title,
        "issuer": _ISSUERS.get(issuer, issuer),
        "issued": _date(row.get("issued", ""), notes, "issued"),
        "effective_from": _date(row.get("effective", ""), notes, "effective"),
        "effective_to": ended,
        "status": status,
        "replaced_by": successor,  # a number for now; _link turns it into a key
        "url": url,
        "search_site": site,
        "note": "; ".join(notes),
    }


def _strip_remarks(value: str, notes: list[str], *, keep_years: bool = False) -> str:
    """'02/2023/TT-BNV (as labelled in app)' -> the value, the remark into `notes`; '?' -> ''."""
    value = value.strip()
    if value in ("?", "-"):
        return ""
    for remark in _PARENTHESES.findall(value):
        if keep_years and re.fullmatch(r"[\d/ –-]+|văn bản hợp nhất", remark):
            continue
        notes.append(remark)
        value = value.replace(f"({remark})", "")
    return " ".join(value.split())


def _date(value: str, notes: list[str], name: str) -> str:
    """The ISO date a cell starts with; anything else said beside it goes to the notes."""
    value = value.strip()
    match = _ISO.match(value)
    if value and value not in ("?", "-") and (not match or value != match.group(1)):
        notes.append(f"{name}: {value}")
    return match.group(1) if match else ""


def _status(text: str) -> tuple[str, str, str]:
    """(status, end date, number of the successor) from 'replaced 2025-07-01 by 152/2025'."""
    lowered = text.strip().lower()
    if lowered.startswith("in force"):
        return "in_force", "", ""
    if lowered.startswith("replaced"):
        ended = _ISO.search(lowered)
        by = _BY_NUMBER.search(lowered)
        return "superseded", ended.group(1) if ended else "", by.group(1) if by else ""
    return "unknown", "", ""


def _where(value: str, *, party: bool) -> tuple[str, str]:
    """(an address of the text itself, a site to search it on)."""
    value = value.strip()
    if value.startswith("http"):
        return value, ""
    for name, address in _SITES.items():
        if name in value:
            return "", address
    return "", _PARTY_SITE if party else "https://vbpl.vn"


def _doc_type(number: str, title: str) -> str:
    upper = number.upper()
    for marker, kind in _TYPES:
        if marker in upper:
            return "Luật" if kind == "Luật" and not title.startswith("Luật") else kind
    return ""


def _link(entries: dict[str, dict[str, Any]]) -> None:
    """Successor numbers ('152/2025') become keys; 'thay NĐ 98/2023' in a note links back."""
    by_number = {}
    for key, entry in entries.items():
        parts = number_key(entry.get("number", ""))
        if parts:
            by_number[parts[:2]] = key
    for entry in entries.values():
        successor = str(entry.get("replaced_by", ""))
        parts = number_key(successor) if "/" in successor else None
        if parts:
            entry["replaced_by"] = by_number.get(parts[:2], "")
    for key, entry in entries.items():
        for number in _REPLACES.findall(str(entry.get("note", ""))):
            parts = number_key(number)
            old = by_number.get(parts[:2]) if parts else None
            if old and not entries[old].get("replaced_by"):
                entries[old]["replaced_by"] = key


def dump(entries: Sequence[Mapping[str, Any]]) -> str:
    header = (
        "# The documents the assistant knows of, loaded or not: what each is, whether it is in\n"
        "# force and what replaced it. Built by `make registry` (ingest/registry_tsv.py) from\n"
        "# ../shared/corpus/document-registry.tsv; edit the TSV or FROM_TEXTS, not this file.\n"
    )
    body = yaml.safe_dump(
        {"documents": [dict(e) for e in entries]},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    return header + body


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tsv", type=Path)
    parser.add_argument("out", type=Path, nargs="?", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with args.tsv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    entries = build(rows)
    args.out.write_text(dump(entries), encoding="utf-8")
    print(f"{args.out}: {len(entries)} documents")


if __name__ == "__main__":
    main()
