"""The records the emulated Telegram keeps: chats, messages, topics, photos, callback queries
and the webhook setting. Plain data; `EmulatorState` holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CallbackAnswer",
    "CallbackRecord",
    "ChatState",
    "StoredFile",
    "StoredMessage",
    "Topic",
    "WebhookConfig",
]

JSON = dict[str, Any]


@dataclass
class StoredMessage:
    """A message as the emulator keeps it: the current Bot API dict plus bookkeeping."""

    data: JSON
    from_bot: bool
    deleted: bool = False


@dataclass
class Topic:
    """A forum topic."""

    name: str
    closed: bool = False


@dataclass
class ChatState:
    """One chat: its Bot API Chat dict, the bot's membership, members and message history."""

    chat: JSON
    bot_status: str
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, Topic] = field(default_factory=dict)
    general_closed: bool = False

    @property
    def id(self) -> int:
        """The chat id."""
        chat_id: int = self.chat["id"]
        return chat_id

    @property
    def type(self) -> str:
        """private, group, supergroup or channel."""
        kind: str = self.chat["type"]
        return kind

    @property
    def is_forum(self) -> bool:
        """Whether this is a forum supergroup."""
        return bool(self.chat.get("is_forum"))

    @property
    def bot_is_member(self) -> bool:
        """Whether the bot can see and write to this chat."""
        return self.type == "private" or self.bot_status in ("creator", "administrator", "member")

    def allocate_message_id(self) -> int:
        """The next message id in this chat (ids grow per chat, shared by all senders)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class WebhookConfig:
    """What setWebhook configured, plus delivery status for getWebhookInfo."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """One answerCallbackQuery call."""

    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


@dataclass
class CallbackRecord:
    """A callback query a user made, awaiting its answer."""

    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass
class StoredFile:
    """A file the bot sent (uploaded bytes or a URL that was not fetched)."""

    file_id: str
    file_unique_id: str
    photo_sizes: list[JSON]
    data: bytes | None = None
    url: str | None = None
    filename: str | None = None

