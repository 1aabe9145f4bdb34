"""Sending rendered messages through PTB: the one place that turns
:class:`bot.render.OutgoingMessage` into Bot API calls."""

from __future__ import annotations

from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.render import Button, OutgoingMessage
from bot.services.delivery import SendOutcome


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Build PTB's inline keyboard from rendered buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(b.text, callback_data=b.callback_data)
                for b in row
            ]
            for row in rows
        ]
    )


async def edit_keyboard(query: CallbackQuery, rows: tuple[tuple[Button, ...], ...]) -> None:
    """Replace the pressed message's keyboard; an unchanged keyboard is not an error."""
    try:
        await query.edit_message_reply_markup(keyboard(rows))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def edit_rendered(query: CallbackQuery, message: OutgoingMessage) -> None:
    """Replace the pressed message's text and keyboard; an unchanged one is not an error."""
    try:
        await query.edit_message_text(
            message.text or "", parse_mode=ParseMode.HTML, reply_markup=keyboard(message.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=True)
            if message.disable_preview else None,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def send_rendered(
    bot: Bot,
    chat_id: int,
    message: OutgoingMessage,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
    silent: bool = False,
    paid: bool = False,
) -> Message:
    """Send one rendered message; a rejected photo falls back to its text version.
    ``silent`` sends without a notification sound; ``paid`` with ``allow_paid_broadcast``."""
    markup = keyboard(message.buttons)
    options: dict[str, Any] = {}
    if silent:
        options["disable_notification"] = True
    if paid:
        options["allow_paid_broadcast"] = True
    if message.method == "sendPhoto" and message.photo:
        try:
            return await bot.send_photo(
                chat_id, message.photo, caption=message.caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread_id,
                reply_to_message_id=reply_to, **options,
            )
        except BadRequest as exc:
            if message.fallback is None or "parse entities" in str(exc):
                raise
            message = message.fallback
            markup = keyboard(message.buttons)
    return await bot.send_message(
        chat_id,
        message.text or "",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        message_thread_id=thread_id,
        reply_to_message_id=reply_to,
        link_preview_options=LinkPreviewOptions(is_disabled=True) if message.disable_preview
        else None,
        **options,
    )


async def send_all(
    bot: Bot, chat_id: int, messages: list[OutgoingMessage], *, thread_id: int | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send several rendered parts in order."""
    sent = []
    for index, part in enumerate(messages):
        sent.append(await send_rendered(bot, chat_id, part, thread_id=thread_id,
                                        reply_to=reply_to if index == 0 else None))
    return sent


class PtbSender:
    """The delivery service's :class:`~bot.services.delivery.MessageSender` over PTB."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
        silent: bool = False, paid: bool = False,
    ) -> SendOutcome:
        """Send one message; translate Telegram's answer into an outcome (never raises)."""
        try:
            sent = await send_rendered(self._bot, chat_id, message, thread_id=thread_id,
                                       silent=silent, paid=paid)
        except RetryAfter as exc:
            seconds = exc.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            return SendOutcome("retry", retry_after=float(delay), error=str(exc))
        except ChatMigrated as exc:
            return SendOutcome("migrated", new_chat_id=exc.new_chat_id, error=str(exc))
        except Forbidden as exc:
            text = str(exc).lower()
            if "not a member of the channel" in text:
                return SendOutcome("paused", paused="channel_left", error=str(exc))
            return SendOutcome("blocked", error=str(exc))
        except BadRequest as exc:
            return _bad_request(exc)
        except TimedOut as exc:  # the request may have been carried out
            return SendOutcome("retry", error=str(exc), unknown=True)
        except NetworkError as exc:
            unknown = "disconnected" in str(exc).lower() or "reset" in str(exc).lower()
            return SendOutcome("retry", error=str(exc), unknown=unknown)
        except TelegramError as exc:
            return SendOutcome("failed", error=str(exc))
        return SendOutcome("sent", message_id=sent.message_id)


def _bad_request(exc: BadRequest) -> SendOutcome:
    text = str(exc).lower()
    if "chat not found" in text:
        return SendOutcome("blocked", error=str(exc))
    if "topic_closed" in text or "topic closed" in text:
        return SendOutcome("paused", paused="thread_closed", error=str(exc))
    if "thread not found" in text or "topic_deleted" in text:
        return SendOutcome("paused", paused="thread_gone", error=str(exc))
    if "administrator rights" in text or "chat_write_forbidden" in text or (
        "not enough rights" in text
    ):
        return SendOutcome("paused", paused="channel_rights", error=str(exc))
    return SendOutcome("failed", error=str(exc))
