"""The bot's own membership (added to or removed from a group or channel, blocked in a private
chat, its rights changed), a group's upgrade to a supergroup, and a reopened forum topic."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler, MessageHandler, filters

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
    can_post = status == "active" and (
        chat.type != "channel" or bool(getattr(change.new_chat_member, "can_post_messages",
                                               False))
    )
    await context.services.readers.set_membership(chat, status, can_post=can_post)


async def group_migrated(update: Update, context: NewsContext) -> None:
    """Follow a group to the supergroup it became: subscriptions and history move there."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await context.services.readers.migrate(message.chat_id, message.migrate_to_chat_id)


async def topic_reopened(update: Update, context: NewsContext) -> None:
    """Resume pushes to a forum topic that was closed and is open again."""
    message = update.effective_message
    if message is None:
        return
    await context.services.readers.resume(message.chat_id, message.message_thread_id or 0)


def register(application: NewsApplication) -> None:
    """Add the membership, migration and reopened-topic handlers."""
    application.add_handlers([
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        MessageHandler(filters.StatusUpdate.FORUM_TOPIC_REOPENED, topic_reopened),
    ])
