"""Checks on the shape of a platform's JSON update, for the parsers.

An authenticated body can still be anything JSON allows: a chat that is a string, an id that
is a list, a date in the year 10^12. Each check returns the value in the type the parser
uses, or raises MalformedUpdate naming the field, so every way a body can be unusable ends
in that one exception. Ids are kept short and printable: they become keys and columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.channels.base import MalformedUpdate

ID_MAX = 128  # chat and user ids are stored in columns of 128 characters
NAME_MAX = 255  # an attachment's file name and content type, as their columns keep them
TYPE_MAX = 128
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # platforms' dates fall between these
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_PRINTABLE_ID = re.compile(r"[\x21-\x7e]+")
# What a parser's own code raises on a shape its checks missed: also the body's fault.
SHAPE_ERRORS = (
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


@contextmanager
def reading(update_id: object) -> Iterator[str]:
    """Around a parser: a shape error of any kind becomes MalformedUpdate with the update's id
    as far as it could be read, which is also what the block gets (for an ignored update's
    key)."""
    ref = update_id if isinstance(update_id, str | int) and not isinstance(update_id, bool) else ""
    shown = str(ref) if ref == "" or _PRINTABLE_ID.fullmatch(str(ref)) else ascii(ref)
    shown = shown[:ID_MAX]  # printable: a log line stays one line
    try:
        yield shown
    except MalformedUpdate as exc:
        exc.update_id = exc.update_id or shown
        raise
    except SHAPE_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        raise MalformedUpdate(reason, update_id=shown) from exc


def obj(value: object, field: str) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise MalformedUpdate(f"{field} is not an object")
    return value


def opt_obj(parent: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
    """An object that may be absent (then empty)."""
    value = parent.get(key)
    return {} if value is None else obj(value, field)


def objects(value: object, field: str) -> list[Mapping[str, Any]]:
    """A list of objects; absent is empty."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise MalformedUpdate(f"{field} is not a list of objects")
    return value


def integer(value: object, field: str) -> int:
    """A JSON integer (not a boolean, not a float such as an id past 2**64 became)."""
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
        raise MalformedUpdate(f"{field} is not an integer")
    return value


def ident(value: object, field: str) -> str:
    """An id given as a string or an integer: non-empty, short, printable."""
    text = str(integer(value, field)) if not isinstance(value, str) else value
    if not _PRINTABLE_ID.fullmatch(text) or len(text) > ID_MAX:
        raise MalformedUpdate(f"{field} is not a usable id")
    return text


def text(value: object, field: str) -> str:
    """A string that may be absent (then empty); NUL characters, which no database column
    takes, are dropped."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedUpdate(f"{field} is not a string")
    return value.replace("\x00", "")


def unix_time(value: object, field: str, tz: tzinfo, *, per_second: int = 1) -> datetime:
    """A Unix time (in seconds, or `per_second` units of a second), given as a number or a
    string of digits, between EARLIEST and LATEST."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        value = int(value)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise MalformedUpdate(f"{field} is not a time")
    seconds = value / per_second
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise MalformedUpdate(f"{field} is out of range")
    return datetime.fromtimestamp(seconds, tz)
