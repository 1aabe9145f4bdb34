"""Per-user flood protection: past ``telegram.commands_per_minute`` commands a minute, one
polite "slow down", then the user's commands are ignored for the rest of that minute.

A :class:`~telegram.ext.TypeHandler` in group -1 sees every update before the command
handlers (group 0) and stops the rest with ``ApplicationHandlerStop``.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.telegram_io import send_rendered
from bot.updates import FloodGate

GATE_KEY = "newsbot.flood_gate"
FLOOD_GROUP = -1


def _command_for_us(update: Update, bot_username: str | None) -> bool:
    """Whether the update is a command (``/name`` or ``/name@thisbot``) from a user."""
    message = update.message
    text = message.text if message is not None else None
    if not text or not text.startswith("/") or update.effective_user is None:
        return False
    target = text.split(maxsplit=1)[0].partition("@")[2]
    return not target or bot_username is None or target.lower() == bot_username.lower()


async def limit_commands(update: object, context: NewsContext) -> None:
    """Count the user's commands; warn once past the limit, then drop them."""
    if not isinstance(update, Update) or not _command_for_us(update, context.bot.username):
        return
    gate: FloodGate | None = context.bot_data.get(GATE_KEY)
    if gate is None:
        gate = FloodGate(context.services.settings.telegram.commands_per_minute)
        context.bot_data[GATE_KEY] = gate
    assert update.effective_user is not None  # checked by _command_for_us
    verdict = gate.check(update.effective_user.id)
    if verdict == "ok":
        return
    if verdict == "warn" and update.effective_chat is not None and update.message is not None:
        message = update.message
        await send_rendered(
            context.bot, update.effective_chat.id, render.slow_down_notice(),
            thread_id=message.message_thread_id if message.is_topic_message else None,
            reply_to=message.message_id if update.effective_chat.type != "private" else None,
        )
    raise ApplicationHandlerStop


def register(application: NewsApplication) -> None:
    """Add the flood gate ahead of every other handler (group -1)."""
    application.add_handler(TypeHandler(Update, limit_commands), group=FLOOD_GROUP)
