"""The bot's own membership: added to or removed from a group, blocked in a private chat."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.mapping import chat_info
from bot.services.container import services_of

PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record whether the bot can still post in the chat."""
    change = update.my_chat_member
    if change is None:
        return
    chat = chat_info(change.chat)
    if change.new_chat_member.status in PRESENT:
        status = "active"
    else:
        status = "blocked" if chat.type == "private" else "left"
    await services_of(context.application).readers.set_membership(chat, status)


def register(application: Application) -> None:
    """Add the my_chat_member handler."""
    application.add_handler(
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
