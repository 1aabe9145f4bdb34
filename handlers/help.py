"""/help: the commands, how to stop, the publisher's website."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import CommandHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_rendered

# The wiring (bot.application) puts its BOT_COMMANDS here (names and English descriptions,
# which render_help translates): handlers cannot import it.
COMMANDS_KEY = "newsbot.commands"
PRIVATE_ONLY_KEY = "newsbot.private_only_commands"  # left out of /help in a group


async def help_command(update: Update, context: NewsContext) -> None:
    """List the commands the bot registers with Telegram (a group's menu in a group, as a
    reply to the asker), how to stop, the website."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    services = context.services
    commands: Sequence[tuple[str, str]] = context.bot_data.get(COMMANDS_KEY, ())
    in_group = incoming.chat.type != "private"
    if in_group:
        private_only = context.bot_data.get(PRIVATE_ONLY_KEY, frozenset())
        commands = [(name, text) for name, text in commands if name not in private_only]
    website = services.settings.publisher.website
    reply = render.render_help(services.publisher_name, str(website) if website else None,
                               commands)
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                        reply_to=incoming.message_id if in_group else None)


def register(application: NewsApplication) -> None:
    """Add the /help handler."""
    application.add_handler(CommandHandler("help", help_command))
