"""/topics and the topic picker buttons: follow and unfollow topics."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import ToggleTopic
from bot.chat_admins import admins_only
from bot.context import NewsApplication, NewsContext
from bot.mapping import chat_info, incoming_message
from bot.telegram_io import edit_keyboard, send_rendered


async def topics_command(update: Update, context: NewsContext) -> None:
    """Show the topic picker."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    services = context.services
    choices = await services.readers.register(incoming.chat, incoming.user,
                                              incoming.thread_id or 0)
    await send_rendered(context.bot, incoming.chat.id, render.render_topic_picker(choices),
                        thread_id=incoming.thread_id)


async def toggle_topic(update: Update, context: NewsContext) -> None:
    """Follow or unfollow the pressed topic and refresh the picker in place."""
    query = update.callback_query
    if query is None or query.message is None or update.effective_chat is None:
        return
    pressed = ToggleTopic.parse(query.data)
    if pressed is None:
        await query.answer(render.toggle_notice(None))
        return
    message = query.message
    thread_id = (message.message_thread_id or 0) if isinstance(message, Message) and (
        message.is_topic_message) else 0
    result = await context.services.readers.toggle(
        chat_info(update.effective_chat), pressed.slug, thread_id
    )
    await query.answer(render.toggle_notice(result.topic))
    await edit_keyboard(query, render.topic_picker(result.choices))


def register(application: NewsApplication) -> None:
    """Add /topics and the picker's button handler."""
    application.add_handler(CommandHandler("topics", admins_only(topics_command)))
    application.add_handler(
        CallbackQueryHandler(admins_only(toggle_topic), pattern=ToggleTopic.matches)
    )
