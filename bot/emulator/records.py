"""The records the emulated Telegram keeps: chats, messages, topics, photos, callback queries
and the webhook setting. Plain data; `EmulatorState` holds them.

`SentMessage` is the compact view of one bot message that `BotAPIEmulator.sent_messages`
returns: where it went (chat and forum thread), its text and how it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "CallbackAnswer",
    "CallbackRecord",
    "ChatState",
    "SentMessage",
    "StoredFile",
    "StoredMessage",
    "Topic",
    "WebhookConfig",
]

JSON = dict[str, Any]


@dataclass
class StoredMessage:
    """A message as the emulator keeps it: the current Bot API dict plus bookkeeping.

    `disable_notification` and `paid_broadcast` record how the bot sent it (the
    ``disable_notification`` and ``allow_paid_broadcast`` parameters); like on Telegram, the
    Message dict itself does not carry them.
    """

    data: JSON
    from_bot: bool
    deleted: bool = False
    disable_notification: bool = False
    paid_broadcast: bool = False

    @property
    def thread_id(self) -> int | None:
        """The message's ``message_thread_id`` (None: no thread, or a forum's General topic)."""
        thread: int | None = self.data.get("message_thread_id")
        return thread

    def summary(self) -> SentMessage:
        """The compact `SentMessage` view of this message as it is now."""
        data = self.data
        text: str | None = data.get("text", data.get("caption"))
        return SentMessage(
            chat_id=data["chat"]["id"],
            thread_id=self.thread_id,
            text=text,
            disable_notification=self.disable_notification,
            message_id=data["message_id"],
            paid_broadcast=self.paid_broadcast,
            deleted=self.deleted,
        )


class SentMessage(NamedTuple):
    """One bot message, compactly: destination, current text (or caption), send flags.

    A tuple, so ``m[:4] == (chat_id, thread_id, text, disable_notification)`` compares the
    destination and content at once.
    """

    chat_id: int
    thread_id: int | None
    text: str | None
    disable_notification: bool
    message_id: int
    paid_broadcast: bool
    deleted: bool


@dataclass
class Topic:
    """A forum topic. A deleted topic is kept (so its id is never reused) but is gone for
    sending: Telegram answers "message thread not found"."""

    name: str
    closed: bool = False
    deleted: bool = False


@dataclass
class ChatState:
    """One chat: its Bot API Chat dict, the bot's membership, members and message history.

    `bot_rights` overrides the bot's administrator rights (e.g. ``{"can_post_messages":
    False}``); it matters only while `bot_status` is ``administrator``.
    """

    chat: JSON
    bot_status: str
    bot_rights: dict[str, bool] = field(default_factory=dict)
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

    @property
    def bot_can_post(self) -> bool:
        """Whether the bot may write here: in a channel only as creator or as an administrator
        with ``can_post_messages``; elsewhere whenever it is a member."""
        if not self.bot_is_member:
            return False
        if self.type != "channel":
            return True
        if self.bot_status == "creator":
            return True
        return self.bot_status == "administrator" and self.bot_rights.get("can_post_messages", True)

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
