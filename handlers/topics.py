"""/topics and the topic picker buttons: follow and unfollow topics, "All topics", "Done"."""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import FollowAllTopics, PickerDone, ToggleTopic
from bot.chat_admins import admins_only
from bot.context import NewsApplication, NewsContext
from bot.domain import ChatInfo
from bot.mapping import chat_info, incoming_message
from bot.telegram_io import edit_keyboard, edit_rendered, send_rendered


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


def _picker_press(update: Update) -> tuple[CallbackQuery, Message, ChatInfo, int] | None:
    """The press, its message, chat and forum thread when the pressed message is a picker
    (its keyboard has the picker's buttons); None for a forged press on another message."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or update.effective_chat is None:
        return None
    markup = message.reply_markup
    buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
    if not render.is_picker_keyboard(
            [b.callback_data if isinstance(b.callback_data, str) else None for b in buttons]):
        return None
    thread_id = (message.message_thread_id or 0) if message.is_topic_message else 0
    return query, message, chat_info(update.effective_chat), thread_id


async def toggle_topic(update: Update, context: NewsContext) -> None:
    """Follow or unfollow the pressed topic and refresh the picker in place."""
    press = _picker_press(update)
    pressed = ToggleTopic.parse(update.callback_query.data) if update.callback_query else None
    if press is None or pressed is None:
        if update.callback_query is not None:
            await update.callback_query.answer(render.toggle_notice(None))
        return
    query, _, chat, thread_id = press
    result = await context.services.readers.toggle(chat, pressed.slug, thread_id)
    await query.answer(render.toggle_notice(result.topic))
    await edit_keyboard(query, render.topic_picker(result.choices))


async def follow_all(update: Update, context: NewsContext) -> None:
    """"All topics": follow every topic and refresh the picker."""
    press = _picker_press(update)
    if press is None or FollowAllTopics.parse(update.callback_query.data if
                                              update.callback_query else None) is None:
        if update.callback_query is not None:
            await update.callback_query.answer(render.stale_button_notice())
        return
    query, _, chat, thread_id = press
    choices = await context.services.readers.follow_all(chat, thread_id)
    await query.answer(render.follow_all_notice())
    await edit_keyboard(query, render.topic_picker(choices))


async def picker_done(update: Update, context: NewsContext) -> None:
    """"Done": replace the picker with a one-line summary of what will arrive."""
    press = _picker_press(update)
    if press is None or PickerDone.parse(update.callback_query.data if
                                         update.callback_query else None) is None:
        if update.callback_query is not None:
            await update.callback_query.answer(render.stale_button_notice())
        return
    query, _, chat, thread_id = press
    summary = await context.services.readers.summary(chat.id, thread_id)
    await query.answer()
    await edit_rendered(query, render.render_picker_summary(summary))


def register(application: NewsApplication) -> None:
    """Add /topics and the picker's button handlers (in groups: admins only)."""
    application.add_handler(CommandHandler("topics", admins_only(topics_command)))
    application.add_handler(
        CallbackQueryHandler(admins_only(toggle_topic), pattern=ToggleTopic.matches))
    application.add_handler(
        CallbackQueryHandler(admins_only(follow_all), pattern=FollowAllTopics.matches))
    application.add_handler(
        CallbackQueryHandler(admins_only(picker_done), pattern=PickerDone.matches))
