"""The bot's own membership: added to or removed from a group, blocked in a private chat."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from bot.context import NewsApplication, NewsContext
from bot.mapping import chat_info

PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


async def membership_changed(update: Update, context: NewsContext) -> None:
    """Record whether the bot can still post in the chat."""
    change = update.my_chat_member
    if change is None:
        return
    chat = chat_info(change.chat)
    if change.new_chat_member.status in PRESENT:
        status = "active"
    else:
        status = "blocked" if chat.type == "private" else "left"
    await context.services.readers.set_membership(chat, status)


def register(application: NewsApplication) -> None:
    """Add the my_chat_member handler."""
    application.add_handler(
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
