"""/latest and /topic: summaries on demand."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_all


async def latest(update: Update, context: NewsContext) -> None:
    """Answer with the newest explainers, each with its summary."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    cards = await context.services.news.latest()
    await send_all(context.bot, incoming.chat.id, render.render_latest(cards),
                   thread_id=incoming.thread_id)


async def topic(update: Update, context: NewsContext) -> None:
    """Answer with the key points of the named topic, or help choosing one."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    news = context.services.news
    lookup = await news.find_topic(" ".join(context.args or ()))
    if lookup.topic is None:
        reply = [render.render_topic_choices(" ".join(context.args or ()), lookup.candidates)]
    else:
        digest = await news.topic_digest(lookup.topic)
        reply = render.render_topic_digest(digest.topic, digest.points)
    await send_all(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id)


def register(application: NewsApplication) -> None:
    """Add /latest and /topic."""
    application.add_handler(CommandHandler("latest", latest))
    application.add_handler(CommandHandler("topic", topic))
