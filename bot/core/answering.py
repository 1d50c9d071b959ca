"""The office answers a question once, for everyone who asked it.

`add_answer` stores a curated answer (its question, the other wordings known for it, its text
and provisions), closes the questions it answers — the item it was written from, and every
waiting unanswered or 👎 question it matches as the bot would match it — and tells the chats
that asked them: one message per chat through the outbox, the same path as every reply, under
a key that makes a second run queue nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.cited import CiteError, Provision
from bot.core.curated import CuratedLibrary, best_match, day
from bot.core.questions import same_question
from bot.i18n import vi
from bot.messages import Reply
from bot.store import answer_log, outbox, unanswered
from bot.store import curated as store
from bot.store.outbox import Queued
from bot.store.qa_models import AnswerLog, CuratedAnswer, UnansweredQuestion
from bot.store.unreachable import UnreachableChat

_ITEM = re.compile(r"\s*([UuFf])\s*(\d+)\s*")
SCAN_LIMIT = 500  # waiting questions compared with a new answer, newest first


@dataclass(frozen=True)
class Item:
    """An entry of `thidua unanswered`: U<id> (unanswered) or F<id> (a 👎 answer)."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}{self.id}"


def parse_item(text: str) -> Item | None:
    match = _ITEM.fullmatch(text)
    return Item(match.group(1).upper(), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Asked:
    """A question someone asked and the office has now answered."""

    kind: str  # "U" | "F"
    id: int
    channel: str
    chat_id: str
    question: str
    asked_at: datetime


def item_rows(session: Session, item: Item) -> list[Asked]:
    """The item's question and its repeats still waiting (empty: no such item)."""
    if item.kind == "U":
        return [_unanswered(r) for r in unanswered.group_of(session, item.id)]
    row = answer_log.get(session, item.id)
    if row is None or row.rating != answer_log.DOWN:
        return []
    same = [
        r
        for r in answer_log.disliked(session)
        if r.question_key == row.question_key or r.id == row.id
    ]
    return [_disliked(r) for r in same]


def _unanswered(row: UnansweredQuestion) -> Asked:
    return Asked("U", row.id, row.channel, row.chat_id, row.question, row.asked_at)


def _disliked(row: AnswerLog) -> Asked:
    return Asked("F", row.id, row.channel, row.chat_id, row.question, row.asked_at)


def provisions_of(
    library: CuratedLibrary, specs: Sequence[str]
) -> tuple[list[Provision], list[str]]:
    """The provisions `specs` name, and why each one that cannot be used cannot: what the
    office typed is checked against the loaded texts before anything is written."""
    found: list[Provision] = []
    errors: list[str] = []
    for spec in specs:
        try:
            found.append(library.provision(spec))
        except CiteError as error:
            errors.append(str(error))
    return found, errors


@dataclass(frozen=True)
class Added:
    row: CuratedAnswer
    closed: list[Asked]
    pushed: int


def add_answer(
    session: Session,
    library: CuratedLibrary,
    *,
    question: str,
    text: str,
    provisions: Sequence[Provision],
    also: Sequence[str] = (),
    asked: Sequence[Asked] = (),
    source: str = "",
    answered_on: date | None = None,
    push_to: Collection[str] = (),
) -> Added:
    """Store the answer, close what it answers, queue the news for `push_to` channels."""
    now = library.now()
    wordings = library.wordings([question, *(a.question for a in asked), *also])
    row = store.add(
        session,
        question=question,
        answer=text,
        citations=[p.to_json() for p in provisions],
        answered_on=answered_on or now.date(),
        wordings=wordings,
        now=now,
        source=source,
    )
    closed = close_matching(session, library, row, asked)
    pushed = notify(session, library, row, closed, push_to) if push_to else 0
    return Added(row, closed, pushed)


def close_matching(
    session: Session, library: CuratedLibrary, row: CuratedAnswer, asked: Sequence[Asked] = ()
) -> list[Asked]:
    """Mark answered by `row` the questions in `asked` and every waiting one it matches."""
    chosen = {(a.kind, a.id): a for a in asked}
    wordings = [
        store.StoredWording(row.id, q.text, q.key, q.model_id, q.vector, q.folded_vector)
        for q in row.questions
    ]
    waiting = [_unanswered(r) for r in unanswered.waiting(session)]
    waiting += [_disliked(r) for r in answer_log.disliked(session)]
    waiting.sort(key=lambda a: a.asked_at, reverse=True)
    for candidate in waiting[:SCAN_LIMIT]:
        if (candidate.kind, candidate.id) in chosen:
            continue
        if _answers(library, candidate.question, wordings):
            chosen[(candidate.kind, candidate.id)] = candidate
    found = list(chosen.values())
    unanswered.mark_answered(session, [a.id for a in found if a.kind == "U"], row.id)
    answer_log.mark_answered(session, [a.id for a in found if a.kind == "F"], row.id)
    return found


def _answers(
    library: CuratedLibrary, question: str, wordings: Sequence[store.StoredWording]
) -> bool:
    """Whether the bot would give this answer to `question` (embedding only the questions
    whose words could match at all)."""
    if best_match(question, None, wordings, threshold=1.0, model_id="") is not None:
        return True
    if not any(same_question(question, w.text) for w in wordings):
        return False
    vector = library.embedder.embed_query(question)
    found = best_match(
        question,
        vector,
        wordings,
        threshold=library.threshold,
        model_id=library.embedder.model_id,
    )
    return found is not None


def notify(
    session: Session,
    library: CuratedLibrary,
    row: CuratedAnswer,
    asked: Sequence[Asked],
    channels: Collection[str],
) -> int:
    """One message per chat that asked (the newest question it asked), on the channels that
    can deliver and not to a chat that refused us. Returns how many were queued."""
    refused = select(UnreachableChat.channel, UnreachableChat.chat_id)
    blocked = {(channel, chat_id) for channel, chat_id in session.execute(refused)}
    latest: dict[tuple[str, str], Asked] = {}
    for item in sorted(asked, key=lambda a: a.asked_at):
        chat = (item.channel, item.chat_id)
        if item.channel in channels and chat not in blocked:
            latest[chat] = item
    if not latest:
        return 0
    answer = library.reply(row)
    tz = library.now().tzinfo
    messages = []
    for (channel, chat_id), item in latest.items():
        when = item.asked_at.astimezone(tz) if tz else item.asked_at
        head = vi.CURATED_PUSH.format(date=day(when.date()), question=item.question)
        reply = Reply(
            f"{head}\n\n{answer.text}",
            citations=answer.citations,
            found=True,
            meta=dict(answer.meta),
        )
        messages.append(Queued(channel, chat_id, reply, f"curated:{row.id}:{channel}:{chat_id}"))
    return outbox.enqueue_many(session, messages, now=library.now())


def update_answer(
    session: Session,
    library: CuratedLibrary,
    row: CuratedAnswer,
    *,
    question: str,
    text: str,
    provisions: Sequence[Provision],
    also: Sequence[str] = (),
    answered_on: date | None = None,
    push_to: Collection[str] = (),
) -> list[Asked]:
    """The office rewrites an answer: its wordings are replaced, it is back in use on the
    provisions given (checked by the caller), and whatever it now answers is closed and told.
    A changed text or question dates the answer today unless `answered_on` says otherwise."""
    now = library.now()
    changed = row.answer != text or row.question != question
    row.question, row.answer = question, text
    if answered_on is not None:
        row.answered_on = answered_on
    elif changed:
        row.answered_on = now.date()
    store.restore(session, row, [p.to_json() for p in provisions], now)
    row.questions.clear()
    session.flush()
    store.add_wordings(session, row, library.wordings([question, *also]))
    closed = close_matching(session, library, row)
    if push_to and closed:
        notify(session, library, row, closed, push_to)
    return closed


def restore_answer(session: Session, library: CuratedLibrary, row: CuratedAnswer) -> None:
    """A withdrawn answer back in use after review, resting on its provisions as they read
    now; CiteError when one is gone or no longer in force (the answer stays withdrawn)."""
    provisions = library.revalidate(row)
    store.restore(session, row, [p.to_json() for p in provisions], library.now())
