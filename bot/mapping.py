"""Telegram objects → small frozen values, in one place.

Services never import ``telegram``; handlers call these mappers and pass plain values down.
"""

from __future__ import annotations

from telegram import Chat as TgChat
from telegram import Update
from telegram import User as TgUser

from bot.domain import ChatInfo, ChatType, IncomingMessage, TextSpan, UserInfo

__all__ = ["ChatInfo", "ChatType", "IncomingMessage", "UserInfo", "chat_info",
           "incoming_message", "message_spans", "user_info"]

def chat_info(chat: TgChat) -> ChatInfo:
    """Map a PTB chat."""
    kind: ChatType = "private"
    if chat.type in ("group", "supergroup", "channel"):
        kind = chat.type  # type: ignore[assignment]
    title = chat.title or chat.full_name
    return ChatInfo(
        id=chat.id,
        type=kind,
        title=title,
        username=chat.username,
        is_forum=bool(chat.is_forum),
    )


def user_info(user: TgUser) -> UserInfo:
    """Map a PTB user."""
    return UserInfo(
        id=user.id,
        first_name=user.first_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )


def incoming_message(update: Update) -> IncomingMessage | None:
    """Map an update carrying a text message; None for anything else."""
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return None
    replied = message.reply_to_message
    bot_id = message.get_bot().id if replied is not None else None
    return IncomingMessage(
        chat=chat_info(update.effective_chat),
        user=user_info(update.effective_user) if update.effective_user else None,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to_message_id=replied.message_id if replied else None,
        reply_to_bot=bool(replied and replied.from_user and replied.from_user.id == bot_id),
    )


def message_spans(update: Update) -> tuple[TextSpan, ...]:
    """The formatting entities of an update's message text (or caption), as plain spans."""
    message = update.effective_message
    if message is None:
        return ()
    entities = message.entities if message.text else message.caption_entities
    return tuple(
        TextSpan(str(entity.type), entity.offset, entity.length, entity.url)
        for entity in entities or ()
    )


def message_photo(update: Update) -> str | None:
    """The file id of the largest size of the message's photo, if it carries one."""
    message = update.effective_message
    if message is None or not message.photo:
        return None
    return message.photo[-1].file_id
