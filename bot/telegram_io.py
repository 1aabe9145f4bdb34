"""Sending rendered messages through PTB: the one place that turns
:class:`bot.render.OutgoingMessage` into Bot API calls."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.render import Button, OutgoingMessage


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
