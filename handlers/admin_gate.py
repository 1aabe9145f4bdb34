"""The one admin check the admin handlers share: a command's message or a button press goes
on only when AdminService (server-side, on every use) says its sender is one of the bot's
admins; anyone else gets a short "not allowed" and nothing happens."""

from __future__ import annotations

from telegram import CallbackQuery, Update

from bot import render
from bot.context import NewsContext
from bot.domain import IncomingMessage
from bot.mapping import incoming_message
from bot.render import admin_replies
from bot.render.messages import OutgoingMessage
from bot.telegram_io import send_rendered


async def reply_html(context: NewsContext, incoming: IncomingMessage, html: str) -> None:
    """Answer a command in its chat (and forum thread) with a rendered HTML text."""
    await send_rendered(context.bot, incoming.chat.id,
                        OutgoingMessage(method="sendMessage", text=html, disable_preview=True),
                        thread_id=incoming.thread_id)


async def admin_message(update: Update, context: NewsContext, *, available: bool = True
                        ) -> IncomingMessage | None:
    """The command's message when its sender is an admin (and the feature is ``available``);
    otherwise answer "not allowed" and return None."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None:
        return None
    if not available or not await context.services.admins.is_admin(incoming.user.id):
        await reply_html(context, incoming, render.escape(admin_replies.not_allowed()))
        return None
    return incoming


async def admin_press(update: Update, context: NewsContext, *, available: bool = True
                      ) -> tuple[CallbackQuery, int] | None:
    """The pressed button and its presser's id when the presser is an admin (and the
    feature is ``available``); otherwise answer "not allowed" and return None."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    if not available or not await context.services.admins.is_admin(user.id):
        await query.answer(admin_replies.not_allowed())
        return None
    return query, user.id
