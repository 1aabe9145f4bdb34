"""Chats and members: getChat, getChatMember, getChatAdministrators, getChatMemberCount,
leaveChat and sendChatAction."""

from __future__ import annotations

import copy
from typing import Any

from bot.emulator.api.base import MethodFamily
from bot.emulator.api.params import JSON, Params, bad_request
from bot.emulator.state import ChatState, member_dict

__all__ = ["ChatMethods"]


class ChatMethods(MethodFamily):
    """What the bot can learn about a chat and its members, and leaving it."""

    METHODS = (
        "sendChatAction",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
        "getChatMemberCount",
        "leaveChat",
    )

    async def send_chat_action(self, p: Params) -> Any:
        self.chat(p.chat_id(), writing=True)
        p.get_str("action", required=True)
        return True

    async def get_chat(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        info = copy.deepcopy(chat.chat)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member_status(self, chat: ChatState, user_id: int) -> str:
        if user_id == self.state.bot_user["id"]:
            return chat.bot_status
        if chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            return "member"
        return chat.members.get(user_id, "left")

    async def get_chat_member(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        user_id = p.get_int("user_id", required=True)
        assert user_id is not None
        if user_id == self.state.bot_user["id"]:
            user = self.state.bot_user
        else:
            found = self.state.users.get(user_id)
            if found is None:
                raise bad_request("user not found")
            user = found
        rights = chat.bot_rights if user_id == self.state.bot_user["id"] else None
        return member_dict(user, self._member_status(chat, user_id), rights)

    async def get_chat_administrators(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins: list[JSON] = []
        for user_id, status in chat.members.items():
            if status in ("creator", "administrator") and user_id in self.state.users:
                admins.append(member_dict(self.state.users[user_id], status))
        if chat.bot_status == "administrator":
            admins.append(member_dict(self.state.bot_user, "administrator", chat.bot_rights))
        return admins

    async def get_chat_member_count(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member")
        people = sum(1 for status in chat.members.values() if status in present)
        return people + (1 if chat.bot_is_member else 0)

    async def leave_chat(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True
