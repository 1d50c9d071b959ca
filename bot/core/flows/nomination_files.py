"""The hồ sơ of a nomination in the /denghi form: press the kind of document (Điều 84: tờ
trình, báo cáo thành tích, biên bản bình xét, chứng nhận sáng kiến), then send its files.

Files are stored once by content (bot.store.files) with the same limits as a report's; the
draft keeps their hash, name and kind, written to the nomination when it is sent.
"""

from __future__ import annotations

import re

from bot.core.flows import nomination_text
from bot.core.flows.base import Ctx, Draft, Turn, buttons
from bot.core.flows.report_text import size_text
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Attachment, Incoming, Reply
from bot.store import nominations

FILES, FILE_WAIT, SUMMARY = "files", "file_wait", "summary"


def ask_files(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The files so far, a button per kind of document, delete, done."""
    files = draft.get("files") or []
    options = [(f"📎 {nv.FILE_KIND_NAMES[kind]}", f"f:{kind}") for kind in nominations.FILE_KINDS]
    options += [(vi.BTN_DELETE_FILE.format(number=i), f"del:{i}") for i in range(1, len(files) + 1)]
    options.append((vi.BTN_DONE, "done"))
    if ctx.files is None:
        return [Reply(vi.REPORT_FILES_OFF, buttons=buttons((vi.BTN_DONE, "done")))]
    text = nv.NOM_ASK_FILES.format(files=nomination_text.files_block(draft))
    return [Reply(text, buttons=buttons(*options))]


def on_files(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A kind to send files of, a file to delete, or done (to the summary)."""
    payload = message.payload or ""
    if message.attachments:
        return Turn(FILES, draft, [Reply(nv.NOM_FILE_KIND_FIRST)])
    if payload == "done":
        draft["files_seen"] = True
        return Turn(SUMMARY, draft)
    if payload.startswith("f:") and payload[2:] in nominations.FILE_KINDS:
        draft["cur_kind"] = payload[2:]
        return Turn(FILE_WAIT, draft)
    files = list(draft.get("files") or [])
    match = re.fullmatch(r"del:(\d+)", payload)
    if match and 1 <= int(match.group(1)) <= len(files):
        del files[int(match.group(1)) - 1]
        draft["files"] = files
        return Turn(FILES, draft, [Reply(vi.REPORT_FILE_DELETED)])
    return Turn(FILES, draft, [Reply(vi.CHOOSE_ONE)])


def ask_file_wait(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Send the files of the kind pressed."""
    kind = nv.FILE_KIND_NAMES.get(draft.get("cur_kind", ""), "")
    return [Reply(nv.NOM_ASK_FILE.format(kind=kind), buttons=buttons((vi.BTN_DONE, "done")))]


def on_file_wait(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Store what was sent under the kind pressed; done goes back to the list."""
    if message.attachments:
        files = list(draft.get("files") or [])
        kind = draft.get("cur_kind") or nominations.OTHER
        replies = [_receive(ctx, files, a, kind) for a in message.attachments]
        draft["files"] = files
        return Turn(FILE_WAIT, draft, replies)
    if message.payload == "done":
        draft.pop("cur_kind", None)
        return Turn(FILES, draft)
    return Turn(FILE_WAIT, draft, [Reply(vi.REPORT_SEND_FILES)])


def _receive(ctx: Ctx, files: list[Draft], attachment: Attachment, kind: str) -> Reply:
    """One attachment: refused with the reason (size, count, unreadable, duplicate) or stored."""
    name = (attachment.filename or attachment.kind or "tệp")[:255]
    store = ctx.files
    if store is None:
        return Reply(vi.REPORT_FILES_OFF)
    if attachment.data is None:
        return Reply(vi.REPORT_FILE_UNREADABLE.format(name=name))
    size = len(attachment.data)
    if size > store.max_bytes:
        limit = size_text(store.max_bytes)
        return Reply(vi.REPORT_FILE_TOO_BIG.format(name=name, size=size_text(size), limit=limit))
    if len(files) >= store.max_files:
        return Reply(vi.REPORT_FILES_TOO_MANY.format(limit=store.max_files, name=name))
    stored = store.put(attachment.data)
    if any(f["sha"] == stored.sha256 for f in files):
        return Reply(vi.REPORT_FILE_DUPLICATE.format(name=name))
    item = {"kind": kind, "sha": stored.sha256, "name": name, "size": size}
    files.append({**item, "type": attachment.content_type})
    return Reply(vi.REPORT_FILE_ADDED.format(name=name, size=size_text(size)))
