"""What a person is told when their file or message could not be taken: the Vietnamese text
the delivery path sends back (the composition root hands these to the services)."""

from __future__ import annotations

from bot.channels.base import FileTooLarge
from bot.i18n import channels_vi
from bot.messages import Incoming


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f}".replace(".", ",") + " MB"


def file_too_large_text(error: FileTooLarge) -> str:
    """The Vietnamese refusal of an incoming file over the download limit."""
    return channels_vi.FILE_TOO_LARGE.format(
        name=error.filename, size=_megabytes(error.size), limit=_megabytes(error.limit)
    )


def unreadable_text(incoming: Incoming | None) -> str:
    """What a person is told when their update became a dead letter: the files that could
    not be fetched, or the message that could not be read."""
    if incoming is not None and incoming.attachments:
        names = ", ".join(a.filename for a in incoming.attachments if a.filename)
        return channels_vi.ATTACHMENT_UNREADABLE.format(name=names or channels_vi.THE_FILE)
    return channels_vi.UPDATE_UNREADABLE
