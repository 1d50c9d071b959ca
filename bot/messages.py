"""Channel-neutral messages: what every channel turns its updates into and sends back.

Standard library only, so the core, the channels and the tests all speak it without
pulling an SDK along.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Button:
    """A choice shown as a button where the channel has them, as a numbered line where not."""

    label: str
    payload: str


@dataclass(frozen=True)
class Attachment:
    """A file in or out; `data` holds small files, `ref` a stored file's content hash."""

    kind: str  # "photo" | "document"
    filename: str
    content_type: str = "application/octet-stream"
    data: bytes | None = None
    ref: str | None = None


@dataclass(frozen=True)
class SourceRef:
    """The legal basis of an answer, flattened for channels and JSON output."""

    id: str
    doc_number: str
    title: str
    article: str
    clause: str
    point: str
    in_force: bool
    score: float
    text: str
    basis: str
    status_note: str = ""


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text, pressed a button (payload) or sent files."""

    channel: str
    chat_id: str
    user_id: str
    text: str = ""
    payload: str | None = None
    attachments: tuple[Attachment, ...] = ()
    message_id: str = ""
    received_at: datetime | None = None


# Reply.meta key: the reply is a short answer to a button press. A channel whose platform
# answers presses itself (Telegram's answerCallbackQuery, a toast only the presser sees) shows
# it there; elsewhere it goes out as a message like any other.
BUTTON_ANSWER = "button_answer"


@dataclass(frozen=True)
class Reply:
    """One message back; channels render buttons natively or fall back to text choices."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    citations: tuple[SourceRef, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    found: bool | None = None  # for answers: whether the knowledge base had a basis
    meta: dict[str, str] = field(default_factory=dict, compare=False)


# Reply.meta key: the reply is not a message but the chat's command menu (Telegram's
# setMyCommands for that one chat), as JSON [[command, description], …]. It travels the outbox
# like any reply, in the chat's order; the sender hands it to the channel's `set_chat_menu`
# (a no-op where the platform has no menu), and the console does not print it.
CHAT_MENU = "chat_menu"


@dataclass(frozen=True)
class MenuCommand:
    """One entry of a chat's command menu: the command without its slash, a short description."""

    command: str
    description: str


def menu_reply(commands: Iterable[MenuCommand]) -> Reply:
    """The reply that sets a chat's command menu to `commands`."""
    listed = [[c.command, c.description] for c in commands]
    return Reply("", meta={CHAT_MENU: json.dumps(listed, ensure_ascii=False)})


def menu_of(reply: Reply) -> tuple[MenuCommand, ...] | None:
    """The commands a menu reply carries; None for a reply that is a message."""
    raw = reply.meta.get(CHAT_MENU)
    if raw is None:
        return None
    try:
        listed = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(listed, list):
        return ()
    return tuple(
        MenuCommand(str(item[0]), str(item[1]))
        for item in listed
        if isinstance(item, list) and len(item) == 2
    )


class WaitOutside(Exception):
    """A turn that must first wait on something slow outside the database (a language model
    writing an answer). Raised inside the turn, it rolls the turn's transaction back; the
    caller runs `work` with no transaction open (showing the chat it is typing), then runs
    the turn again, which finds what `work` left for it."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__("the turn waits outside its transaction")
        self.work = work
