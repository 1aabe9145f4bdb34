"""`ComposingFamily`: the parts of a bot message that sending, copying and editing share —
forum threads, replies, send options, storing the message, and finding one to edit.

``reply_parameters`` may only point into the same chat (Telegram also allows other chats).
"""

from __future__ import annotations

import copy
from typing import Any

from bot.emulator.api.base import MethodFamily
from bot.emulator.api.params import JSON, Params, bad_request, maybe_bool, maybe_int
from bot.emulator.state import ChatState, StoredMessage, now

__all__ = ["ComposingFamily"]


class ComposingFamily(MethodFamily):
    """Methods that create or change the bot's messages."""

    def thread(self, chat: ChatState, p: Params) -> JSON:
        """The thread fields of a new message; refuse closed or unknown forum topics."""
        thread_id = p.get_int("message_thread_id")
        if not chat.is_forum:
            return {"message_thread_id": thread_id} if thread_id else {}
        if thread_id is None or thread_id == 1:
            if chat.general_closed:
                raise bad_request("TOPIC_CLOSED")
            return {}
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request("message thread not found")
        if topic.closed:
            raise bad_request("TOPIC_CLOSED")
        return {"message_thread_id": thread_id, "is_topic_message": True}

    def reply(self, chat: ChatState, p: Params) -> JSON:
        """The ``reply_to_message`` field of a new message, if it replies to one."""
        reply = p.get_json("reply_parameters")
        allow_missing = p.get_bool("allow_sending_without_reply")
        message_id: Any
        if reply is not None:
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise bad_request("can't parse reply parameters JSON object")
            message_id = maybe_int(reply["message_id"])
            allow_missing = bool(maybe_bool(reply.get("allow_sending_without_reply", False)))
            other_chat = maybe_int(reply.get("chat_id"))
            if other_chat is not None and other_chat != chat.id:
                raise bad_request("message to be replied not found")
        else:
            message_id = p.get_int("reply_to_message_id")
            if message_id is None:
                return {}
        if not isinstance(message_id, int):
            raise bad_request("message to be replied not found")
        target = self.state.find_message(chat.id, message_id)
        if target is None:
            if allow_missing:
                return {}
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(target.data)
        replied.pop("reply_to_message", None)
        return {"reply_to_message": replied}

    @staticmethod
    def send_options(p: Params) -> JSON:
        """Link preview and content protection fields of a new message."""
        extra: JSON = {}
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict):
            extra["link_preview_options"] = preview
        elif p.get_bool("disable_web_page_preview"):
            extra["link_preview_options"] = {"is_disabled": True}
        if p.get_bool("protect_content"):
            extra["has_protected_content"] = True
        return extra

    def store_bot_message(self, chat: ChatState, fields: JSON, p: Params) -> JSON:
        """Store a new message from the bot in `chat`, remembering its ``disable_notification``
        and ``allow_paid_broadcast``; return a copy of it."""
        message = self.state.new_message(chat, self.state.bot_user, fields)
        self.state.store_message(
            chat,
            message,
            from_bot=True,
            disable_notification=p.get_bool("disable_notification"),
            paid_broadcast=p.get_bool("allow_paid_broadcast"),
        )
        return copy.deepcopy(message)

    def editable(
        self, p: Params, *, holding: str | None = None, missing: str = ""
    ) -> tuple[ChatState, StoredMessage]:
        """The chat and the bot's own message that an edit method names; with `holding`, a
        message without that field is refused with `missing`."""
        if p.raw("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the emulator")
        chat = self.chat(p.chat_id(), writing=True)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        stored = self.state.find_message(chat.id, message_id)
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        if holding is not None and holding not in stored.data:
            raise bad_request(missing)
        return chat, stored

    def apply_edit(self, chat: ChatState, stored: StoredMessage, changes: JSON, p: Params) -> JSON:
        """Refuse a no-op edit like Telegram, apply the rate limit, then set (None: remove)."""
        data = stored.data
        if all(data.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self.rate(chat, p)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        data["edit_date"] = now()
        self.state.messages_signal.fire()
        return copy.deepcopy(data)
