"""Input no other handler claimed: in a private chat, an unknown command or free text gets a
short pointer to what works; in groups, silence (people talk to each other there).

Register after every command handler (same group: the first matching handler wins) and
before ``handlers.stale_buttons``. Replies are left to ``handlers.comments``.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.telegram_io import send_rendered

_PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


async def unknown_command(update: Update, context: NewsContext) -> None:
    """"I don't know /foo — try /help" (commands for another bot are ignored)."""
    message = update.message
    if message is None or not message.text:
        return
    command, _, target = message.text.split(maxsplit=1)[0].partition("@")
    username = context.bot.username
    if target and username and target.lower() != username.lower():
        return
    await send_rendered(context.bot, message.chat_id, render.render_unknown_command(command))


async def free_text(update: Update, context: NewsContext) -> None:
    """Point a private chat's free text at /latest, /search and /topics."""
    if update.message is not None:
        await send_rendered(context.bot, update.message.chat_id, render.render_free_text_hint())


def register(application: NewsApplication) -> None:
    """Add the private-chat fallbacks (after every command handler)."""
    application.add_handler(MessageHandler(_PRIVATE & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(
        _PRIVATE & filters.TEXT & ~filters.COMMAND & ~filters.REPLY, free_text))
