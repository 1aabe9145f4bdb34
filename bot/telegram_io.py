"""Sending rendered messages through PTB: the one place that turns
:class:`bot.render.OutgoingMessage` into Bot API calls."""

from __future__ import annotations

from collections.abc import Sequence

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


async def send_rendered(
    bot: Bot,
    chat_id: int,
    message: OutgoingMessage,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send one rendered message; a rejected photo falls back to its text version."""
    markup = keyboard(message.buttons)
    if message.method == "sendPhoto" and message.photo:
        try:
            return await bot.send_photo(
                chat_id, message.photo, caption=message.caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread_id,
                reply_to_message_id=reply_to,
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
        self, chat_id: int, messages: Sequence[OutgoingMessage], thread_id: int | None
    ) -> SendOutcome:
        """Send all parts; translate Telegram's errors into an outcome."""
        try:
            sent = await send_all(self._bot, chat_id, list(messages), thread_id=thread_id)
        except RetryAfter as exc:
            seconds = exc.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            return SendOutcome("retry", retry_after=float(delay), error=str(exc))
        except ChatMigrated as exc:
            return SendOutcome("migrated", new_chat_id=exc.new_chat_id, error=str(exc))
        except Forbidden as exc:
            return SendOutcome("blocked", error=str(exc))
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return SendOutcome("blocked", error=str(exc))
            return SendOutcome("failed", error=str(exc))
        except NetworkError as exc:  # includes TimedOut; worth another try
            return SendOutcome("retry", error=str(exc))
        except TelegramError as exc:
            return SendOutcome("failed", error=str(exc))
        return SendOutcome("sent", message_id=sent[0].message_id if sent else None)
