"""/latest and /topic: summaries on demand, and /latest's "More" button."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import LatestMore
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.services.news import parse_latest_args
from bot.telegram_io import edit_rendered, send_all, send_rendered


async def latest(update: Update, context: NewsContext) -> None:
    """Answer with the newest explainers on the chat's topics (or the one named)."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    news, reply_to = context.services.news, _reply_to(incoming.chat.type, incoming.message_id)
    query = parse_latest_args(context.args or ())
    lookup = await news.find_topic(query.topic) if query and query.topic else None
    if query is None or (lookup is not None and lookup.topic is None):
        usage = render.render_latest_usage(query.topic if query else "",
                                           lookup.candidates if lookup else ())
        await send_rendered(context.bot, incoming.chat.id, usage,
                            thread_id=incoming.thread_id, reply_to=reply_to)
        return
    page = await news.latest_page(
        incoming.chat.id, thread_id=incoming.thread_id or 0, count=query.count,
        topic=lookup.topic if lookup else None,
        language=incoming.user.language_code
        if incoming.user and incoming.chat.type == "private" else None)
    if page is None:  # the topic went away between lookup and read
        return
    reply = render.render_latest_page(page, clamped_to=query.count if query.clamped else None)
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                        reply_to=reply_to)


async def latest_more(update: Update, context: NewsContext) -> None:
    """Replace the pressed /latest page with the next one, in the same message."""
    query = update.callback_query
    if query is None:
        return
    pressed, message = LatestMore.parse(query.data), query.message
    if pressed is None or not pressed.well_formed or not isinstance(message, Message):
        await query.answer(render.latest_more_notice(found=False, has_more=False))
        return
    page = await context.services.news.latest_page(
        message.chat.id, thread_id=(message.message_thread_id or 0)
        if message.is_topic_message else 0,
        count=pressed.count, topic_id=pressed.topic_id, after=pressed.after,
        language=query.from_user.language_code if message.chat.type == "private" else None)
    if page is None or not page.cards:
        await query.answer(render.latest_more_notice(found=page is not None, has_more=False))
        return
    await query.answer(render.latest_more_notice(found=True, has_more=True) or None)
    await edit_rendered(query, render.render_latest_page(page, earlier=True))


async def topic(update: Update, context: NewsContext) -> None:
    """Answer with the key points of the named topic, or help choosing one."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    news = context.services.news
    lookup = await news.find_topic(" ".join(context.args or ()))
    if lookup.topic is None:
        reply = render.render_topic_choices(" ".join(context.args or ()), lookup.candidates)
    else:
        digest = await news.topic_digest(lookup.topic)
        reply = render.render_topic_digest(digest.topic, digest.points)
    await send_all(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                   reply_to=_reply_to(incoming.chat.type, incoming.message_id))


def _reply_to(chat_type: str, message_id: int) -> int | None:
    """In a group the answer replies to the asker's message; in a private chat it need not."""
    return message_id if chat_type in ("group", "supergroup") else None


def register(application: NewsApplication) -> None:
    """Add /latest, its "More" button and /topic."""
    application.add_handler(CommandHandler("latest", latest))
    application.add_handler(CallbackQueryHandler(latest_more, pattern=LatestMore.matches))
    application.add_handler(CommandHandler("topic", topic))
