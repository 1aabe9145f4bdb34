"""In-memory state of the emulated Telegram: the bot, users, chats, messages and pending updates.

Pure bookkeeping with no networking; `BotApi` (the server side) and the client handles both
work on one `EmulatorState`. All of it lives on one event loop, so no locks are needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from typing import Any

from bot.emulator.records import (
    CallbackAnswer,
    CallbackRecord,
    ChatState,
    SentMessage,
    StoredFile,
    StoredMessage,
    Topic,
    WebhookConfig,
)

__all__ = [
    "ALL_UPDATE_TYPES",
    "DEFAULT_UPDATE_TYPES",
    "CallbackAnswer",
    "CallbackRecord",
    "ChatState",
    "EmulatorState",
    "SentMessage",
    "Signal",
    "StoredFile",
    "StoredMessage",
    "Topic",
    "WebhookConfig",
    "member_dict",
]

JSON = dict[str, Any]

ALL_UPDATE_TYPES: tuple[str, ...] = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
"""Every update type the Bot API knows."""

DEFAULT_UPDATE_TYPES: frozenset[str] = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
"""What Telegram delivers when allowed_updates was never set or set to an empty list."""

_ADMIN_RIGHTS: JSON = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_pin_messages": True,
    "can_manage_topics": True,
}
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})


def member_dict(user: JSON, status: str, rights: dict[str, bool] | None = None) -> JSON:
    """A Bot API ChatMember object for `user` with `status`; `rights` override an
    administrator's default rights."""
    if status not in MEMBER_STATUSES:
        raise ValueError(
            f"unsupported member status {status!r}; use one of {sorted(MEMBER_STATUSES)}"
        )
    member: JSON = {"status": status, "user": copy.deepcopy(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
        member.update(rights or {})
    elif status == "kicked":
        member["until_date"] = 0
    return member


def now() -> int:
    """Unix time in seconds, as Telegram dates are."""
    return int(time.time())


class Signal:
    """A broadcast wake-up: `fire()` wakes every current `wait()`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return at the next `fire()` or after `seconds`, whichever is first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


class EmulatorState:
    """Everything the emulated Telegram knows, for one bot."""

    def __init__(self, bot_user: JSON, *, auto_create_chats: bool = False) -> None:
        self.bot_user = bot_user
        self.auto_create_chats = auto_create_chats
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, ChatState] = {}
        self.updates: list[JSON] = []
        self.next_update_id = 100_000_001
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_texts: dict[str, str] = {}
        self.callback_queries: dict[str, CallbackRecord] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.files: dict[str, StoredFile] = {}
        self.bot_log: list[StoredMessage] = []
        self.next_callback_id = 1
        self.next_file_number = 1
        self.poll_generation = 0
        self.stopping = False
        self.updates_signal = Signal()
        self.messages_signal = Signal()
        self.requests_signal = Signal()

    # -- users and chats ---------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        last_name: str | None = None,
    ) -> JSON:
        """Create (or replace) a user and their private chat with the bot."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        existing = self.chats.get(user_id)
        if existing is None:
            self.chats[user_id] = ChatState(chat=chat, bot_status="member")
        else:
            existing.chat = chat
        return user

    def add_chat(
        self,
        chat_id: int,
        title: str,
        kind: str,
        *,
        is_forum: bool = False,
        username: str | None = None,
        bot_status: str = "left",
    ) -> ChatState:
        """Create (or replace) a group, supergroup or channel."""
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"chat type must be group, supergroup or channel, not {kind!r}")
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        if bot_status not in MEMBER_STATUSES:
            raise ValueError(f"unsupported bot status {bot_status!r}")
        chat: JSON = {"id": chat_id, "title": title, "type": kind}
        if username:
            chat["username"] = username
        if is_forum:
            if kind != "supergroup":
                raise ValueError("only supergroups can be forums")
            chat["is_forum"] = True
        state = ChatState(chat=chat, bot_status=bot_status)
        if is_forum:
            state.next_message_id = 2  # thread id 1 is the General topic
        self.chats[chat_id] = state
        return state

    def resolve_chat(self, chat_id: int | str, migrations: dict[int, int]) -> ChatState | None:
        """Find a chat by id or @username; create migration targets and, if enabled, users."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if str(chat.chat.get("username", "")).lower() == wanted:
                    return chat
            return None
        existing = self.chats.get(chat_id)
        if existing is not None:
            return existing
        for old_id, new_id in migrations.items():
            old = self.chats.get(old_id)
            if new_id == chat_id and old is not None:
                title = str(old.chat.get("title", ""))
                new = self.add_chat(chat_id, title, "supergroup", bot_status=old.bot_status)
                new.members = dict(old.members)
                return new
        if self.auto_create_chats and chat_id > 0:
            self.add_user(chat_id, f"User {chat_id}", None, "en")
            return self.chats[chat_id]
        return None

    # -- messages ----------------------------------------------------------------------------

    def new_message(self, chat: ChatState, sender: JSON | None, fields: JSON) -> JSON:
        """Build a Message dict with the chat's next id (not stored yet)."""
        message: JSON = {"message_id": chat.allocate_message_id()}
        if sender is not None:
            message["from"] = copy.deepcopy(sender)
        if chat.type == "channel" and (sender is None or sender.get("is_bot")):
            message.pop("from", None)
            message["sender_chat"] = copy.deepcopy(chat.chat)
        message["chat"] = copy.deepcopy(chat.chat)
        message["date"] = now()
        message.update(fields)
        return message

    def store_message(
        self,
        chat: ChatState,
        message: JSON,
        *,
        from_bot: bool,
        disable_notification: bool = False,
        paid_broadcast: bool = False,
    ) -> StoredMessage:
        """Keep `message` in `chat`'s history (the bot's also in `bot_log`, in send order) and
        wake `wait_for_sent`."""
        stored = StoredMessage(
            data=message,
            from_bot=from_bot,
            disable_notification=disable_notification,
            paid_broadcast=paid_broadcast,
        )
        chat.messages[message["message_id"]] = stored
        if from_bot:
            self.bot_log.append(stored)
        self.messages_signal.fire()
        return stored

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A live (not deleted) message, or None."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            return None
        return stored

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[JSON]:
        """Copies of the bot's messages in `chat_id`, oldest first, in their current state."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(m.data)
            for m in chat.messages.values()
            if m.from_bot and (include_deleted or not m.deleted)
        ]

    def sent_messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """The bot's messages (in `chat_id`, or everywhere) as `SentMessage`, in send order."""
        if chat_id is None:
            stored: list[StoredMessage] = self.bot_log
        else:
            chat = self.chats.get(chat_id)
            stored = [m for m in chat.messages.values() if m.from_bot] if chat else []
        return [m.summary() for m in stored if include_deleted or not m.deleted]

    # -- updates -----------------------------------------------------------------------------

    def wants(self, kind: str) -> bool:
        """Whether the bot's allowed_updates setting lets `kind` through."""
        allowed = self.allowed_updates
        if not allowed:
            return kind in DEFAULT_UPDATE_TYPES
        return kind in allowed

    def push_update(self, kind: str, payload: JSON) -> JSON | None:
        """Queue an update of `kind` unless allowed_updates filters it out; return it."""
        if not self.wants(kind):
            return None
        update: JSON = {"update_id": self.next_update_id, kind: copy.deepcopy(payload)}
        self.next_update_id += 1
        self.updates.append(update)
        self.updates_signal.fire()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Apply a getUpdates offset: forget updates before it (negative: keep the last -offset)."""
        if offset < 0:
            keep = -offset
            self.updates = self.updates[-keep:] if keep else []
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    # -- files -------------------------------------------------------------------------------

    def new_photo(self, *, data: bytes | None, url: str | None, filename: str | None) -> StoredFile:
        """Register a photo and give it Telegram-looking file ids and two sizes."""
        number = self.next_file_number
        self.next_file_number += 1
        file_id = f"AgACAgEmulatorPhoto{number:08d}"
        unique = f"AQADEmu{number:08d}"
        size = len(data) if data is not None else 54_321
        sizes: list[JSON] = [
            {
                "file_id": f"{file_id}-thumb",
                "file_unique_id": f"{unique}-t",
                "file_size": max(1, size // 20),
                "width": 90,
                "height": 68,
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_size": size,
                "width": 1280,
                "height": 960,
            },
        ]
        stored = StoredFile(file_id, unique, sizes, data=data, url=url, filename=filename)
        self.files[file_id] = stored
        self.files[f"{file_id}-thumb"] = stored
        return stored
