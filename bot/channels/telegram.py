"""Telegram adapter: python-telegram-bot 22 as the API client, nothing more.

Only `telegram.Bot` and its own `HTTPXRequest` are used: no Application, ConversationHandler,
persistence or JobQueue, whose state lives in process memory. Bare `Bot` never retries (no
AIORateLimiter, no ExtBot) and its httpx transport has no retries, so every outcome comes back
here once and is turned into a SendResult for the outbox sender, which decides about waiting
and retrying. PTB types never leave this module; updates are parsed from dicts in
telegram_parse.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import warnings
from base64 import urlsafe_b64encode
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import Any, Protocol

from pydantic import SecretStr
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
)
from telegram import error as tg_error
from telegram.constants import ChatAction
from telegram.warnings import PTBUserWarning

from bot.channels.base import (
    CallbackStore,
    Channel,
    ChannelContext,
    ChannelError,
    FileTooLarge,
    SendResult,
    SendStatus,
    Update,
)
from bot.channels.common import VN_TZ, protect_logs, split_text, utf16_len
from bot.channels.telegram_bot import make_bot
from bot.channels.telegram_errors import failure, send_failure
from bot.channels.telegram_parse import CALLBACK_PREFIX, FILE_REF, MemoryCallbackStore, parse_update
from bot.i18n import channels_vi
from bot.messages import Attachment, Button, Incoming, MenuCommand, Reply

__all__ = [
    "CallbackStore",
    "MemoryCallbackStore",
    "TelegramChannel",
    "from_settings",
    "make_bot",
]

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # characters (UTF-16 units) after entity parsing
CALLBACK_DATA_BYTES = 64
CALLBACK_TEXT_LIMIT = 200  # characters of answerCallbackQuery's text
PHOTO_LIMIT = 10 * 1024 * 1024  # sendPhoto by upload
DOCUMENT_LIMIT = 50 * 1024 * 1024  # sendDocument by upload
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves at most 20 MB
UPDATE_TYPES = ("message", "callback_query")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANSWERS_IN_FLIGHT = 4  # answerCallbackQuery calls at once (each inbox update may make one)


def callback_key(payload: str) -> str:
    """A short, stable key for a payload: the same payload always maps to the same key."""
    digest = hashlib.sha256(payload.encode()).digest()[:12]
    return CALLBACK_PREFIX + urlsafe_b64encode(digest).decode().rstrip("=")


class TelegramSettings(Protocol):
    """The application settings this adapter reads."""

    telegram_token: SecretStr | None
    telegram_webhook_secret: SecretStr | None
    telegram_bot_username: str
    telegram_api_url: str
    send_timeout: float


def from_settings(settings: TelegramSettings, context: ChannelContext) -> TelegramChannel | None:
    """The adapter when a bot token is set; long button payloads are kept in the store the
    composition root provides (the database), so they survive restarts."""
    if settings.telegram_token is None:
        return None
    secret = settings.telegram_webhook_secret
    return TelegramChannel(
        make_bot(
            settings.telegram_token.get_secret_value(),
            base_url=settings.telegram_api_url,
            timeout_s=settings.send_timeout,
        ),
        bot_username=settings.telegram_bot_username,
        callbacks=context.callback_store() if context.callback_store is not None else None,
        webhook_secret=secret.get_secret_value() if secret is not None else "",
        tz=context.tz,
    )


class TelegramChannel(Channel):
    """The Channel for Telegram: parse updates, send replies, and the few admin calls."""

    name = "telegram"
    webhook_path = "telegram"
    can_poll = True
    # Telegram resends an update answered otherwise and holds the chat's later ones behind it.
    malformed_status = 200

    def __init__(
        self,
        bot: Bot,
        *,
        bot_username: str,
        callbacks: CallbackStore | None = None,
        webhook_secret: str = "",
        tz: tzinfo = VN_TZ,
        download_limit: int = DOWNLOAD_LIMIT,
    ) -> None:
        self.bot = bot
        self.bot_username = bot_username.lstrip("@")
        self.callbacks: CallbackStore = callbacks or MemoryCallbackStore()
        self.tz = tz
        self.download_limit = download_limit
        self._secrets = (bot.token, webhook_secret)
        self._webhook_secret = webhook_secret
        self._offset: int | None = None
        self._answers = asyncio.Semaphore(ANSWERS_IN_FLIGHT)
        protect_logs(bot.token, webhook_secret)

    async def start(self) -> None:
        await self.bot.initialize()

    async def close(self) -> None:
        """Closes the HTTP pools. PTB's shutdown skips a bot never started, but its API
        pool was opened when made and may have served calls: that one is closed either way."""
        await self.bot.shutdown()
        await self.bot.request.shutdown()

    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    # --- incoming -------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The secret given to setWebhook, compared in constant time; a missing one fails."""
        given = headers.get(SECRET_HEADER) or ""
        secret = self._webhook_secret
        return bool(given and secret) and hmac.compare_digest(given.encode(), secret.encode())

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def prepare_polling(self) -> None:
        await self.delete_webhook()  # getUpdates is refused while a webhook is set

    async def answer_button(self, callback_id: str, text: str = "") -> None:
        await self.answer_callback(callback_id, text)

    async def show_typing(self, chat_id: str) -> None:
        """sendChatAction "typing"; a failure costs only the indicator."""
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except tg_error.TelegramError as exc:
            log.info(
                "telegram typing in %s not shown: %s", chat_id, failure(exc, self._secrets).detail
            )

    def webhook_reply(self, update: Update) -> dict[str, Any] | None:
        """answerCallbackQuery at once, but in a group: there the press may be someone
        else's button, and the turn's refusal is shown in the answer (a toast for the presser
        alone), which Telegram takes only once."""
        if not update.callback_id:
            return None
        if update.incoming is not None and self.is_group(update.incoming.chat_id):
            return None
        return {"method": "answerCallbackQuery", "callback_query_id": update.callback_id}

    def parse(self, payload: Mapping[str, Any]) -> Update:
        return parse_update(
            payload, bot_username=self.bot_username, callbacks=self.callbacks, tz=self.tz
        )

    async def poll(self, timeout: int) -> list[dict[str, Any]]:
        """One long poll; its offset confirms the updates of the poll before, which the
        polling loop stored before polling again."""
        payloads, self._offset = await self.poll_from(self._offset, timeout)
        return payloads

    async def poll_from(
        self, offset: int | None, timeout: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One long poll: the raw update dicts (to store as received) and the next offset."""
        try:
            raw = await self.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=list(UPDATE_TYPES)
            )
        except tg_error.TelegramError as exc:
            raise self._channel_error(exc) from None
        except Exception as exc:  # PTB could not read an update (a field it requires missing)
            log.warning("telegram: PTB could not read a polled update (%r); taking them raw", exc)
            return await self._poll_raw(offset)
        next_offset = max((update.update_id for update in raw), default=None)
        payloads = [update.to_dict() for update in raw]
        return payloads, (next_offset + 1 if next_offset is not None else offset)

    async def _poll_raw(self, offset: int | None) -> tuple[list[dict[str, Any]], int | None]:
        """The pending updates as Telegram sent them, for a poll PTB could not read: stored
        as a webhook stores its body, each read by our own parser, and one that cannot be
        read is skipped alone. The offset goes past all of them, so polling goes on."""
        query: dict[str, Any] = {"timeout": 0, "allowed_updates": list(UPDATE_TYPES)}
        if offset is not None:
            query["offset"] = offset
        try:
            with warnings.catch_warnings():  # PTB asks for get_updates, which cannot read them
                warnings.simplefilter("ignore", PTBUserWarning)
                raw = await self.bot.do_api_request("getUpdates", api_kwargs=query)
        except tg_error.TelegramError as exc:
            raise self._channel_error(exc) from None
        payloads = [u for u in raw if isinstance(u, dict)] if isinstance(raw, list) else []
        ids = [u["update_id"] for u in payloads if isinstance(u.get("update_id"), int)]
        return payloads, (max(ids) + 1 if ids else offset)

    def _channel_error(self, exc: tg_error.TelegramError) -> ChannelError:
        result = failure(exc, self._secrets)
        return ChannelError(result.status, result.detail, retry_after_s=result.retry_after_s)

    async def get_updates(
        self, offset: int | None, timeout: int
    ) -> tuple[list[Update], int | None]:
        """One long poll; returns our updates and the offset that confirms them."""
        payloads, next_offset = await self.poll_from(offset, timeout)
        return [self.parse(payload) for payload in payloads], next_offset

    async def download(self, file_id: str, *, filename: str = "") -> bytes:
        """A file's bytes by file_id, refused above the limit before anything is fetched."""
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size is not None and file.file_size > self.download_limit:
                raise FileTooLarge(filename or file_id, file.file_size, self.download_limit)
            data = bytes(await file.download_as_bytearray())
        except tg_error.TelegramError as exc:
            result = failure(exc, self._secrets)
            raise ChannelError(result.status, result.detail) from None
        if len(data) > self.download_limit:
            raise FileTooLarge(filename or file_id, len(data), self.download_limit)
        return data

    async def resolve_attachments(self, incoming: Incoming) -> Incoming:
        """Downloads every attachment still on Telegram (ref 'telegram:<file_id>') into data."""
        resolved: list[Attachment] = []
        for attachment in incoming.attachments:
            if attachment.data is None and (attachment.ref or "").startswith(FILE_REF):
                file_id = (attachment.ref or "")[len(FILE_REF) :]
                data = await self.download(file_id, filename=attachment.filename)
                attachment = replace(attachment, data=data, ref=None)
            resolved.append(attachment)
        return replace(incoming, attachments=tuple(resolved))

    # --- outgoing -------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        """Sends the reply's parts from `first_part` on; stops at the first failure."""
        parts = self._parts(reply)
        ids: list[str] = []
        for index in range(first_part, len(parts)):
            try:
                message_id = await self._send_part(chat_id, parts[index])
            except tg_error.TelegramError as exc:
                failure = send_failure(exc, self._secrets)
                log.info("telegram send to %s failed: %s", chat_id, failure.detail)
                return replace(failure, platform_message_ids=tuple(ids), parts_sent=len(ids))
            except ValueError as exc:  # an attachment we refuse to upload
                failure = SendResult(SendStatus.FAILED, detail=str(exc))
                return replace(failure, platform_message_ids=tuple(ids), parts_sent=len(ids))
            ids.append(str(message_id))
        return SendResult(SendStatus.SENT, platform_message_ids=tuple(ids), parts_sent=len(ids))

    def _parts(self, reply: Reply) -> list[tuple[str | Attachment, InlineKeyboardMarkup | None]]:
        """Text chunks then attachments; the keyboard rides on the last text chunk (or file)."""
        chunks = split_text(reply.text, TEXT_LIMIT, utf16_len) if reply.text.strip() else []
        items: list[str | Attachment] = [*chunks, *reply.attachments]
        if not items:
            return []
        markup = self._keyboard(reply.buttons)
        carrier = len(chunks) - 1 if chunks else len(items) - 1
        return [(item, markup if i == carrier else None) for i, item in enumerate(items)]

    def _keyboard(self, rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
        """The buttons as an inline keyboard whose callback data fits Telegram's 64 bytes."""
        if not rows:
            return None
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.label, callback_data=self._callback_data(b.payload))
                    for b in row
                ]
                for row in rows
            ]
        )

    def _callback_data(self, payload: str) -> str:
        """The payload itself when it fits in 64 bytes, else a short key kept in the store."""
        fits = 0 < len(payload.encode()) <= CALLBACK_DATA_BYTES
        if fits and not payload.startswith(CALLBACK_PREFIX):
            return payload
        key = callback_key(payload)
        self.callbacks.put(key, payload)
        return key

    async def _send_part(
        self, chat_id: str, part: tuple[str | Attachment, InlineKeyboardMarkup | None]
    ) -> int:
        """Sends one part; its message_id."""
        item, markup = part
        if isinstance(item, str):
            # HTML mode with everything escaped: our text shows exactly as written, and
            # nothing in it (a "<" or "&" in a name) can break entity parsing.
            message = await self.bot.send_message(
                chat_id=chat_id,
                text=html.escape(item, quote=False),
                parse_mode="HTML",
                reply_markup=markup,
            )
            return message.message_id
        return (await self._upload(chat_id, item, markup)).message_id

    async def _upload(
        self, chat_id: str, item: Attachment, markup: InlineKeyboardMarkup | None
    ) -> Message:
        if item.data is None:
            raise ValueError(f"attachment {item.filename!r} has no data to upload")
        size = len(item.data)
        upload = InputFile(item.data, filename=item.filename)
        if item.kind == "photo" and size <= PHOTO_LIMIT:
            return await self.bot.send_photo(chat_id=chat_id, photo=upload, reply_markup=markup)
        if size > DOCUMENT_LIMIT:
            raise ValueError(f"attachment {item.filename!r} is too large ({size} bytes)")
        return await self.bot.send_document(chat_id=chat_id, document=upload, reply_markup=markup)

    async def set_chat_menu(self, chat_id: str, commands: Sequence[MenuCommand]) -> SendResult:
        """setMyCommands with the chat's own scope: this person's commands beside the text
        box, in place of the bot-wide list; classified like a send."""
        listed = [BotCommand(c.command, c.description[:256]) for c in commands]
        try:
            await self.bot.set_my_commands(listed, scope=BotCommandScopeChat(chat_id))
        except tg_error.TelegramError as exc:
            failure = send_failure(exc, self._secrets)
            log.info("telegram setMyCommands for %s failed: %s", chat_id, failure.detail)
            return failure
        return SendResult(SendStatus.SENT)

    async def answer_callback(self, callback_id: str, text: str = "") -> SendResult:
        """Stops the button's spinner, with a short text shown to the presser alone when
        given; the real answer is a normal reply through the outbox."""
        try:
            async with self._answers:
                await self.bot.answer_callback_query(
                    callback_id, text=text[:CALLBACK_TEXT_LIMIT] or None
                )
        except tg_error.TelegramError as exc:
            return failure(exc, self._secrets)
        return SendResult(SendStatus.SENT)

    # --- setup ----------------------------------------------------------------------------

    async def set_commands(self) -> None:
        """The command menu in Vietnamese (/start, /help, /dangky, /baocao, /giaouoc, /huy)."""
        commands = [BotCommand(name, text) for name, text in channels_vi.COMMANDS]
        await self._admin(self.bot.set_my_commands(commands))

    async def set_webhook(self, url: str, secret: str, *, drop_pending: bool = False) -> None:
        """Telegram will POST updates to `url` with X-Telegram-Bot-Api-Secret-Token: secret."""
        protect_logs(secret)
        await self._admin(
            self.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(UPDATE_TYPES),
                drop_pending_updates=drop_pending,
            )
        )

    async def delete_webhook(self) -> None:
        """Needed before long polling: getUpdates answers 409 while a webhook is set."""
        await self._admin(self.bot.delete_webhook())

    async def _admin(self, call: Any) -> None:
        try:
            await call
        except tg_error.TelegramError as exc:
            result = failure(exc, self._secrets)
            raise ChannelError(result.status, result.detail) from None
