"""Vietnamese phone numbers in one canonical form, so an import and a chat find the same person."""

from __future__ import annotations

import re

_NOISE = re.compile(r"[\s.\-()/]")


def normalize_phone(text: str) -> str:
    """Return the number as E.164 (`+84912345678`), the form chat platforms share contacts in.

    Accepts 0912 345 678, 0912.345.678, +84 912 345 678, 84912345678, and the 9 or 10 digits a
    spreadsheet leaves after dropping the leading zero (912345678). Mobile numbers have 9 digits
    after the 0, landlines (0239 3xxx xxx) 10. Raises ValueError when it is not such a number.
    """
    digits = _NOISE.sub("", text.strip())
    if digits.startswith("+"):
        if not digits.startswith("+84"):
            raise ValueError(text)
        national = digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if (
        not (national.isascii() and national.isdigit())
        or len(national) not in (9, 10)
        or national.startswith("0")
    ):
        raise ValueError(text)
    return "+84" + national


def display_phone(canonical: str) -> str:
    """The domestic form cadres read and type: +84912345678 -> 0912345678."""
    return "0" + canonical[3:] if canonical.startswith("+84") else canonical


def zns_phone(text: str) -> str:
    """The form Zalo's ZNS API takes a recipient in: +84912345678 -> 84912345678.

    Accepts whatever `normalize_phone` accepts (the stored canonical form above all), so a
    number typed by hand cannot reach Zalo with a leading 0 or +. Raises ValueError likewise.
    """
    return normalize_phone(text)[1:]
