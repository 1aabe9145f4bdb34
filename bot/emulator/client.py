"""The client side of the emulator: users and chats that talk to the bot.

Handles change the emulator's state directly and queue updates for the bot (getUpdates or the
webhook); they never go through HTTP. Every method returns copies of Bot API dicts.
"""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from bot.emulator.faults import Faults
from bot.emulator.html import utf16_len
from bot.emulator.state import (
    CallbackRecord,
    ChatState,
    EmulatorState,
    Topic,
    member_dict,
    now,
)

__all__ = ["ChatHandle", "UserHandle", "detect_entities"]

JSON = dict[str, Any]

_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_URL = re.compile(r"(?<![\w@])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?!\w)")


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram detects in a user's plain text: bot_command, url and mention."""
    found: list[JSON] = []
    for kind, pattern in (("bot_command", _COMMAND), ("url", _URL), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


class UserHandle:
    """A Telegram user who talks to the bot. Create with `BotAPIEmulator.user`."""

    def __init__(self, state: EmulatorState, faults: Faults, user: JSON) -> None:
        self._state = state
        self._faults = faults
        self.user = user

    @property
    def id(self) -> int:
        """The user id (also the id of the private chat with the bot)."""
        user_id: int = self.user["id"]
        return user_id

    def __repr__(self) -> str:
        return f"UserHandle(id={self.id}, first_name={self.user['first_name']!r})"

    def _chat_for_sending(self, chat_id: int | None) -> ChatState:
        target = self.id if chat_id is None else chat_id
        chat = self._state.chats.get(target)
        if chat is None:
            raise ValueError(f"chat {target} does not exist; create it with emu.group(...)")
        if chat.type == "private" and chat.id != self.id:
            raise ValueError(f"user {self.id} cannot write in the private chat of user {chat.id}")
        if chat.type == "channel":
            raise ValueError("users do not write in channels; use ChatHandle.post()")
        if not chat.bot_is_member:
            raise ValueError(
                f"the bot is not a member of chat {target}; call `await group.add_bot(by=user)`"
            )
        if chat.type != "private" and chat.members.get(self.id) in (None, "left", "kicked"):
            chat.members[self.id] = "member"
        return chat

    async def send(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """Write `text` to the bot (private chat) or in group `chat_id`; return the Message.

        Commands, URLs and @mentions get their entities as on Telegram unless `entities` is
        given. `reply_to` is a message id in the same chat. In a forum, `message_thread_id`
        names a topic, which is created if new.
        """
        chat = self._chat_for_sending(chat_id)
        fields: JSON = {}
        if message_thread_id is not None:
            fields["message_thread_id"] = message_thread_id
            if chat.is_forum:
                fields["is_topic_message"] = True
                topic = chat.topics.setdefault(
                    message_thread_id, Topic(name=f"Topic {message_thread_id}")
                )
                if topic.deleted:
                    raise ValueError(f"topic {message_thread_id} of chat {chat.id} was deleted")
        if reply_to is not None:
            target = self._state.find_message(chat.id, reply_to)
            if target is None:
                raise ValueError(f"message {reply_to} does not exist in chat {chat.id}")
            replied = copy.deepcopy(target.data)
            replied.pop("reply_to_message", None)
            fields["reply_to_message"] = replied
        fields["text"] = text
        detected = detect_entities(text) if entities is None else copy.deepcopy(entities)
        if detected:
            fields["entities"] = detected
        message = self._state.new_message(chat, self.user, fields)
        self._state.store_message(chat, message, from_bot=False)
        self._state.push_update("message", message)
        await asyncio.sleep(0)
        return copy.deepcopy(message)

    async def edit(self, message: JSON, text: str) -> JSON:
        """Edit one of this user's messages; queues an ``edited_message`` update."""
        chat_id = message["chat"]["id"]
        stored = self._state.find_message(chat_id, message["message_id"])
        if stored is None or stored.from_bot or stored.data.get("from", {}).get("id") != self.id:
            raise ValueError(f"user {self.id} has no message {message['message_id']} in {chat_id}")
        stored.data["text"] = text
        detected = detect_entities(text)
        if detected:
            stored.data["entities"] = detected
        else:
            stored.data.pop("entities", None)
        stored.data["edit_date"] = now()
        self._state.push_update("edited_message", stored.data)
        await asyncio.sleep(0)
        return copy.deepcopy(stored.data)

    async def press(self, message: JSON, callback_data: str, *, forged: bool = False) -> JSON:
        """Press the inline button with `callback_data` on a bot message; return the query.

        Raises ValueError if the message is gone, is not the bot's, is in someone else's
        private chat, or has no such button in its current keyboard. ``forged=True`` skips the
        button check, as a modified client can: the Bot API warns that a query's data need
        not match any button of its message.
        """
        chat_id = message["chat"]["id"]
        stored = self._state.find_message(chat_id, message["message_id"])
        if stored is None or not stored.from_bot:
            raise ValueError(f"bot message {message['message_id']} not found in chat {chat_id}")
        chat = self._state.chats[chat_id]
        if chat.type == "private" and chat_id != self.id:
            raise ValueError(f"user {self.id} cannot see messages in chat {chat_id}")
        rows = stored.data.get("reply_markup", {}).get("inline_keyboard", [])
        available = [b.get("callback_data") for row in rows for b in row if "callback_data" in b]
        if callback_data not in available and not forged:
            raise ValueError(
                f"message {message['message_id']} in chat {chat_id} has no button with "
                f"callback_data {callback_data!r}; its buttons carry {available!r}"
            )
        query_id = str(self._state.next_callback_id * 1_000_003 + 4_242)
        self._state.next_callback_id += 1
        query: JSON = {
            "id": query_id,
            "from": copy.deepcopy(self.user),
            "message": copy.deepcopy(stored.data),
            "chat_instance": str(abs(chat_id) * 7_919 + 1_000_000_007),
            "data": callback_data,
        }
        self._state.callback_queries[query_id] = CallbackRecord(
            user_id=self.id, chat_id=chat_id, message_id=message["message_id"]
        )
        self._state.push_update("callback_query", query)
        await asyncio.sleep(0)
        return copy.deepcopy(query)

    async def block_bot(self) -> None:
        """Block the bot: sends now get 403, and the bot gets a my_chat_member update."""
        self._faults.block(self.id)
        await self._private_status("kicked")

    async def unblock_bot(self) -> None:
        """Unblock the bot (restart it), with the my_chat_member update."""
        self._faults.unblock(self.id)
        await self._private_status("member")

    async def _private_status(self, status: str) -> None:
        chat = self._state.chats[self.id]
        old = chat.bot_status
        chat.bot_status = status
        self._state.push_update(
            "my_chat_member",
            {
                "chat": chat.chat,
                "from": self.user,
                "date": now(),
                "old_chat_member": member_dict(self._state.bot_user, old),
                "new_chat_member": member_dict(self._state.bot_user, status),
            },
        )
        await asyncio.sleep(0)


class ChatHandle:
    """A group, supergroup or channel. Create with `BotAPIEmulator.group` or `.channel`."""

    def __init__(self, state: EmulatorState, faults: Faults, chat_id: int) -> None:
        self._state = state
        self._faults = faults
        self.id = chat_id

    def __repr__(self) -> str:
        return f"ChatHandle(id={self.id}, type={self.chat['type']!r})"

    @property
    def _chat(self) -> ChatState:
        return self._state.chats[self.id]

    @property
    def chat(self) -> JSON:
        """A copy of the Bot API Chat dict."""
        return copy.deepcopy(self._chat.chat)

    @property
    def bot_status(self) -> str:
        """The bot's membership status here (left, member, administrator, kicked…)."""
        return self._chat.bot_status

    def set_member(self, user: UserHandle, status: str = "member") -> None:
        """Make `user` a member with `status` (creator, administrator, member, left, kicked)."""
        member_dict(user.user, status)  # validates the status
        self._chat.members[user.id] = status

    async def _change_bot_status(
        self, by: UserHandle, status: str, rights: dict[str, bool] | None = None
    ) -> JSON:
        chat = self._chat
        old, old_rights = chat.bot_status, chat.bot_rights
        chat.bot_status = status
        chat.bot_rights = dict(rights or {})
        if by.id not in chat.members:
            chat.members[by.id] = "administrator" if chat.type == "channel" else "member"
        payload: JSON = {
            "chat": copy.deepcopy(chat.chat),
            "from": copy.deepcopy(by.user),
            "date": now(),
            "old_chat_member": member_dict(self._state.bot_user, old, old_rights),
            "new_chat_member": member_dict(self._state.bot_user, status, chat.bot_rights),
        }
        self._state.push_update("my_chat_member", payload)
        await asyncio.sleep(0)
        return payload

    async def add_bot(self, by: UserHandle, *, as_admin: bool = False) -> JSON:
        """`by` adds the bot (channels: always as administrator); queues my_chat_member, and
        for groups also a ``message`` with ``new_chat_members``. Returns the my_chat_member."""
        chat = self._chat
        status = "administrator" if as_admin or chat.type == "channel" else "member"
        payload = await self._change_bot_status(by, status)
        if chat.type != "channel":
            service = self._state.new_message(
                chat, by.user, {"new_chat_members": [copy.deepcopy(self._state.bot_user)]}
            )
            self._state.store_message(chat, service, from_bot=False)
            self._state.push_update("message", service)
        return payload

    async def remove_bot(self, by: UserHandle, *, ban: bool = True) -> JSON:
        """`by` removes the bot: status ``kicked`` (``left`` in basic groups, or with
        ``ban=False``); sends get 403 "Forbidden: bot was kicked from the <type> chat" or,
        when ``left``, "Forbidden: bot is not a member of the <type> chat".

        Returns the my_chat_member payload."""
        status = "kicked" if ban and self._chat.type != "group" else "left"
        return await self._change_bot_status(by, status)

    async def set_bot_rights(
        self, *, by: UserHandle, admin: bool = True, can_post_messages: bool = True
    ) -> JSON:
        """`by` promotes the bot to administrator (``admin=True``, optionally without
        ``can_post_messages``) or demotes it to a plain member; queues my_chat_member.

        In a channel the bot then needs ``admin`` and ``can_post_messages`` to send or edit:
        otherwise Telegram answers 400 "Bad Request: need administrator rights in the channel
        chat". Returns the my_chat_member payload."""
        if not self._chat.bot_is_member or self._chat.type == "private":
            raise ValueError(f"the bot is not in chat {self.id}; add it with add_bot() first")
        if admin:
            rights = {} if can_post_messages else {"can_post_messages": False}
            return await self._change_bot_status(by, "administrator", rights)
        return await self._change_bot_status(by, "member")

    async def migrate_to_supergroup(
        self, new_chat_id: int, *, by: UserHandle | None = None
    ) -> ChatHandle:
        """Upgrade this basic group to supergroup `new_chat_id`, like Telegram does.

        Queues the service messages with ``migrate_to_chat_id`` / ``migrate_from_chat_id``;
        afterwards requests to the old id answer 400 with ``parameters.migrate_to_chat_id``.
        """
        old = self._chat
        if old.type != "group":
            raise ValueError("only basic groups migrate to supergroups")
        if new_chat_id in self._state.chats:
            raise ValueError(f"chat {new_chat_id} already exists")
        new = self._state.add_chat(
            new_chat_id, str(old.chat["title"]), "supergroup", bot_status=old.bot_status
        )
        new.members = dict(old.members)
        sender = by.user if by is not None else None
        if old.bot_is_member:
            to_msg = self._state.new_message(old, sender, {"migrate_to_chat_id": new_chat_id})
            self._state.store_message(old, to_msg, from_bot=False)
            self._state.push_update("message", to_msg)
            from_msg = self._state.new_message(new, sender, {"migrate_from_chat_id": self.id})
            self._state.store_message(new, from_msg, from_bot=False)
            self._state.push_update("message", from_msg)
        self._faults.migrate(self.id, new_chat_id)
        await asyncio.sleep(0)
        return ChatHandle(self._state, self._faults, new_chat_id)

    def create_topic(self, name: str, *, by: UserHandle | None = None) -> int:
        """Create a forum topic and return its message_thread_id.

        Like Telegram, the topic's id is that of its ``forum_topic_created`` service message,
        which is queued for the bot as a ``message`` update.
        """
        chat = self._chat
        if not chat.is_forum:
            raise ValueError("topics exist only in forum supergroups")
        message = self._state.new_message(
            chat,
            by.user if by is not None else None,
            {
                "forum_topic_created": {"name": name, "icon_color": 7322096},
                "is_topic_message": True,
            },
        )
        thread_id: int = message["message_id"]
        message["message_thread_id"] = thread_id
        chat.topics[thread_id] = Topic(name=name)
        self._state.store_message(chat, message, from_bot=False)
        if chat.bot_is_member:
            self._state.push_update("message", message)
        return thread_id

    def _topic(self, thread_id: int) -> Topic:
        topic = self._chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise ValueError(f"chat {self.id} has no topic {thread_id}")
        return topic

    def _topic_service(self, thread_id: int, field: str, by: UserHandle | None) -> None:
        chat = self._chat
        message = self._state.new_message(
            chat,
            by.user if by is not None else None,
            {field: {}, "message_thread_id": thread_id, "is_topic_message": True},
        )
        self._state.store_message(chat, message, from_bot=False)
        if chat.bot_is_member:
            self._state.push_update("message", message)

    def close_topic(self, thread_id: int | None = None, *, by: UserHandle | None = None) -> None:
        """Close a topic (None: the General topic); sends there get 400 "Bad Request:
        TOPIC_CLOSED". Closing a created topic queues its ``forum_topic_closed`` message."""
        chat = self._chat
        if thread_id is None:
            chat.general_closed = True
            return
        self._topic(thread_id).closed = True
        self._topic_service(thread_id, "forum_topic_closed", by)

    def reopen_topic(self, thread_id: int | None = None, *, by: UserHandle | None = None) -> None:
        """Reopen a closed topic (None: the General topic); a created topic's reopening
        queues its ``forum_topic_reopened`` message."""
        chat = self._chat
        if thread_id is None:
            chat.general_closed = False
            return
        self._topic(thread_id).closed = False
        self._topic_service(thread_id, "forum_topic_reopened", by)

    def delete_topic(self, thread_id: int) -> None:
        """Delete a topic with all its messages, as Telegram does (no update reaches the bot);
        sends there get 400 "Bad Request: message thread not found". General cannot be
        deleted."""
        if thread_id == 1:
            raise ValueError("the General topic cannot be deleted")
        self._topic(thread_id).deleted = True
        for stored in self._chat.messages.values():
            if stored.thread_id == thread_id:
                stored.deleted = True
        self._state.messages_signal.fire()

    async def post(self, text: str) -> JSON:
        """Publish `text` in this channel; queues a ``channel_post`` update."""
        chat = self._chat
        if chat.type != "channel":
            raise ValueError("only channels have posts; use user.send(chat_id=...) in groups")
        fields: JSON = {"text": text}
        detected = detect_entities(text)
        if detected:
            fields["entities"] = detected
        message = self._state.new_message(chat, None, fields)
        self._state.store_message(chat, message, from_bot=False)
        if chat.bot_is_member:
            self._state.push_update("channel_post", message)
        await asyncio.sleep(0)
        return copy.deepcopy(message)
