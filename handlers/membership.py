"""The bot's own membership (added to or removed from a group or channel, blocked in a private
chat, its rights changed), a group's upgrade to a supergroup, and a reopened forum topic."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.i18n import use_language
from bot.mapping import chat_info
from bot.telegram_io import send_rendered

log = logging.getLogger(__name__)

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
    if status == "active" and chat.type != "private":  # speaks the adder's language
        await context.services.languages.first_contact(chat.id, change.from_user.language_code)
    context.chat_admins.forget(chat.id)
    await _greet(change, context)


async def _greet(change: ChatMemberUpdated, context: NewsContext) -> None:
    """Just added to a group: a short hello there, in the group's language (on first
    contact, the adder's). Made a channel's admin: offer the adding admin (privately; they
    may never have started the bot) to connect the channel, in that admin's language."""
    old, new = change.old_chat_member.status, change.new_chat_member.status
    chat, user = change.chat, change.from_user
    languages = context.services.languages
    try:
        if chat.type in ("group", "supergroup") and new in PRESENT and old not in PRESENT:
            with use_language(await languages.for_chat(chat.id, user.language_code)):
                hello = render.render_group_hello(context.services.publisher_name)
            await send_rendered(context.bot, chat.id, hello)
        elif chat.type == "channel" and new == ChatMember.ADMINISTRATOR and (
                old != ChatMember.ADMINISTRATOR) and not user.is_bot:
            with use_language(await languages.for_chat(user.id, user.language_code)):
                offer = render.render_channel_offer(chat_info(chat))
            await send_rendered(context.bot, user.id, offer)
    except (Forbidden, BadRequest) as exc:
        log.info("could not greet after joining chat %s: %s", chat.id, exc.message)


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
