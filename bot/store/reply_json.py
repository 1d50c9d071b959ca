"""A Reply as the JSON an outbox row holds, and back; attachment bytes as base64 (the outbox
holds only small files)."""

from __future__ import annotations

import base64

from bot.messages import Attachment, Button, Reply, SourceRef
from bot.store.models import Json


def reply_to_json(reply: Reply) -> Json:
    return {
        "text": reply.text,
        "buttons": [
            [{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons
        ],
        "citations": [dict(vars(c)) for c in reply.citations],
        "attachments": [
            {**vars(a), "data": base64.b64encode(a.data).decode() if a.data else None}
            for a in reply.attachments
        ],
        "found": reply.found,
        "meta": dict(reply.meta),
    }


def reply_from_json(data: Json) -> Reply:
    return Reply(
        text=data["text"],
        buttons=tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", ())),
        citations=tuple(SourceRef(**c) for c in data.get("citations", ())),
        attachments=tuple(
            Attachment(**{**a, "data": base64.b64decode(a["data"]) if a.get("data") else None})
            for a in data.get("attachments", ())
        ),
        found=data.get("found"),
        meta=dict(data.get("meta", {})),
    )
