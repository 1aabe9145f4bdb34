"""/search: explainers found by their words, best match first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_all


async def search(update: Update, context: NewsContext) -> None:
    """Answer with the explainers matching the words, or with how to search."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    words = " ".join(context.args or ())
    if words.strip():
        cards = await context.services.news.search(words)
        reply = render.render_search_results(cards, words)
    else:
        reply = [render.render_search_usage()]
    in_group = incoming.chat.type in ("group", "supergroup")
    await send_all(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                   reply_to=incoming.message_id if in_group else None)


def register(application: NewsApplication) -> None:
    """Add /search."""
    application.add_handler(CommandHandler("search", search))
