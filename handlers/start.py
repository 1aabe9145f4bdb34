"""/start and /help: greet the reader and show the topic picker."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_rendered


async def start(update: Update, context: NewsContext) -> None:
    """Register the chat and answer with a welcome and the topic picker."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    services = context.services
    choices = await services.readers.register(incoming.chat, incoming.user,
                                              incoming.thread_id or 0)
    reply = render.render_welcome(services.publisher_name, incoming.user, choices)
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id)


async def help_command(update: Update, context: NewsContext) -> None:
    """List the commands."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    services = context.services
    await send_rendered(context.bot, incoming.chat.id, render.render_help(services.publisher_name),
                        thread_id=incoming.thread_id)


def register(application: NewsApplication) -> None:
    """Add the /start and /help handlers."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
