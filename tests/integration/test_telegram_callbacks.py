"""Long button payloads kept in the database survive a restart of the process.

callback_data holds at most 64 bytes (a Vietnamese letter takes 2–3), so longer payloads go
out as a short key and the payload is kept in `telegram_callbacks`. A button sent by one
process must still work when pressed after a redeploy: a new TelegramChannel over a new
engine on the same database resolves it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.channels.telegram import MemoryCallbackStore, TelegramChannel, make_bot
from bot.messages import Button, Reply
from bot.store.callbacks import DatabaseCallbackStore, TelegramCallback
from bot.store.db import make_engine, migrate, session_factory
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update

TOKEN = "7012345678:AAH-test-SECRET-token"
CHAT = 5012345678
LONG = "reg:chọn-danh-hiệu:Tập thể lao động xuất sắc:đơn vị Sở Nội vụ tỉnh Hà Tĩnh"


async def test_a_long_payload_stored_by_one_process_is_resolved_by_the_next(
    tmp_path: Path,
) -> None:
    assert len(LONG.encode()) > 64
    url = f"sqlite:///{tmp_path / 'thidua.db'}"
    first_engine = make_engine(url)
    migrate(first_engine)
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        first = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url),
            bot_username="ThiDuaTestBot",
            callbacks=DatabaseCallbackStore(session_factory(first_engine)),
        )
        await first.start()
        reply = Reply("Chọn danh hiệu", buttons=((Button("Tập thể LĐXS", LONG),),))
        assert (await first.send(str(CHAT), reply)).status == "sent"
        await first.close()
        [message] = fake.delivered(CHAT)
        [[button]] = (message.reply_markup or {})["inline_keyboard"]
        data = str(button["callback_data"])
    first_engine.dispose()
    assert data != LONG and len(data.encode()) <= 64

    # The restarted process: a new engine, new sessions, a new channel and store.
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        [row] = session.scalars(select(TelegramCallback)).all()
    assert (row.key, row.payload) == (data, LONG)
    restarted = TelegramChannel(
        make_bot(TOKEN), bot_username="ThiDuaTestBot", callbacks=DatabaseCallbackStore(sessions)
    )
    pressed = restarted.parse(callback_update(CHAT, data, update_id=1))
    assert pressed.incoming is not None
    assert pressed.incoming.payload == LONG

    # What the in-memory store did: the restarted process saw only an opaque key.
    forgetful = TelegramChannel(
        make_bot(TOKEN), bot_username="ThiDuaTestBot", callbacks=MemoryCallbackStore()
    )
    lost = forgetful.parse(callback_update(CHAT, data, update_id=2))
    assert lost.incoming is not None and lost.incoming.payload == data
    engine.dispose()


def test_put_is_idempotent_and_an_unknown_key_is_none(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'thidua.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    store = DatabaseCallbackStore(sessions)
    store.put("~abc", LONG)
    DatabaseCallbackStore(sessions).put("~abc", LONG)  # another worker sends the same button
    assert DatabaseCallbackStore(sessions).get("~abc") == LONG
    assert DatabaseCallbackStore(sessions).get("~nope") is None
    with sessions() as session:
        assert len(session.scalars(select(TelegramCallback)).all()) == 1
    engine.dispose()
