"""Comments: replies to pushed explainers, and the "Comments" button that relays them."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import render
from bot.callback_data import ShowComments
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_rendered


async def reply_to_explainer(update: Update, context: NewsContext) -> None:
    """Store a reply to one of the bot's explainers as a comment and confirm it."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None or incoming.reply_to_message_id is None:
        return
    if not incoming.reply_to_bot:
        return  # people replying to each other in a group: not for us
    posted = await context.services.comments.post_reply(
        incoming.chat.id, incoming.reply_to_message_id, incoming.user, incoming.text
    )
    quiet = incoming.chat.type != "private" and posted.reason == "not an explainer"
    if quiet:  # in groups, stay quiet about replies to the bot's other messages
        return
    await send_rendered(context.bot, incoming.chat.id, render.render_comment_posted(posted),
                        thread_id=incoming.thread_id, reply_to=incoming.message_id)


async def show_comments(update: Update, context: NewsContext) -> None:
    """Relay an explainer's comments, each behind a spoiler."""
    query = update.callback_query
    if query is None or update.effective_chat is None:
        return
    pressed = ShowComments.parse(query.data)
    if pressed is None:
        await query.answer(render.stale_button_notice())
        return
    found = await context.services.comments.for_article(pressed.article_id)
    await query.answer()
    thread_id = query.message.message_thread_id if isinstance(query.message, Message) else None
    await send_rendered(context.bot, update.effective_chat.id, render.render_comments(found),
                        thread_id=thread_id)


def register(application: NewsApplication) -> None:
    """Add the reply-as-comment handler and the comments button."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_to_explainer,
        )
    )
    application.add_handler(
        CallbackQueryHandler(show_comments, pattern=ShowComments.matches)
    )
