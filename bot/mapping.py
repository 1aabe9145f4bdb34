"""Telegram objects → small frozen values, in one place.

Services never import ``telegram``; handlers call these mappers and pass plain values down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telegram import Chat as TgChat
from telegram import Update
from telegram import User as TgUser

ChatType = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class ChatInfo:
    """The facts about a chat that newsbot keeps."""

    id: int
    type: ChatType
    title: str | None
    username: str | None
    is_forum: bool = False


@dataclass(frozen=True)
class UserInfo:
    """The facts about a user that newsbot needs."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    is_bot: bool = False

    @property
    def display_name(self) -> str:
        """A name to show: first name, or @username, or the id."""
        return self.first_name or (f"@{self.username}" if self.username else str(self.id))


@dataclass(frozen=True)
class IncomingMessage:
    """A text message (or command) addressed to the bot."""

    chat: ChatInfo
    user: UserInfo | None
    message_id: int
    text: str
    thread_id: int | None
    reply_to_message_id: int | None


def chat_info(chat: TgChat) -> ChatInfo:
    """Map a PTB chat."""
    kind = chat.type if chat.type in ("private", "group", "supergroup", "channel") else "private"
    title = chat.title or chat.full_name
    return ChatInfo(
        id=chat.id,
        type=kind,  # type: ignore[arg-type]
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
    return IncomingMessage(
        chat=chat_info(update.effective_chat),
        user=user_info(update.effective_user) if update.effective_user else None,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to_message_id=(
            message.reply_to_message.message_id if message.reply_to_message else None
        ),
    )
