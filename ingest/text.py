"""Text clean-up shared by every loader: one decoding policy, one normal form.

Vietnamese text arrives precomposed or decomposed (cp1258 and some Word exports use
combining tone marks); NFC makes both compare and index the same way.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f"), " ")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, '\\n' line endings, no zero-width characters, no trailing spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANKS.sub("\n\n", text).strip("\n")


class DecodeError(ValueError):
    """Raised with a Vietnamese reason; the loader turns it into an IngestError."""


def decode_bytes(data: bytes) -> str:
    """Decode text bytes: BOM first, then UTF-8, then cp1258 only when the result is clean.

    UTF-16 is accepted only with a BOM: without one it cannot be told from binary data.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16")
    if b"\x00" in data:
        raise DecodeError("tệp nhị phân, không phải văn bản")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise DecodeError(_UNKNOWN_ENCODING) from exc
    if looks_binary(text):
        raise DecodeError("tệp nhị phân, không phải văn bản")
    return text


_UNKNOWN_ENCODING = "không nhận ra bảng mã ký tự (hãy lưu lại tệp dưới dạng UTF-8)"


def _strict(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(_UNKNOWN_ENCODING) from exc
    if looks_binary(text):
        raise DecodeError("tệp nhị phân, không phải văn bản")
    return text


def looks_binary(text: str) -> bool:
    """More than 1% control characters means this was never meant to be read as text."""
    controls = len(_CONTROL.findall(text))
    return controls > max(2, len(text) // 100)


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """'Luật TĐKT 2022' -> 'luat-tdkt-2022': ASCII, lowercase, dash-separated."""
    value = value.replace("đ", "d").replace("Đ", "D")
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _SLUG_DROP.sub("-", ascii_only.lower()).strip("-")
