"""The "🔔 Follow comments" toggle: on an explainer's comments view, and as "🔕 Unfollow
comments" under every relayed comment a follower gets. Per chat: the chat where it is
pressed (the reader's private chat — comments views are shown there)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot import render
from bot.callback_data import FollowComments
from bot.context import NewsApplication, NewsContext
from bot.domain import HeldComment
from bot.render.messages import OutgoingMessage

log = logging.getLogger(__name__)


async def with_follow_button(context: NewsContext, chat_id: int, article_id: int,
                             view: OutgoingMessage) -> OutgoingMessage:
    """``view`` (an explainer's comments view for ``chat_id``) with the follow toggle as its
    last row, labelled by whether the chat follows the explainer's comments now (unchanged
    when the explainer is gone)."""
    following = await context.services.comment_relay.following(chat_id, article_id)
    if following is None:
        return view
    row = (render.follow_button(article_id, following=following),)
    return dataclasses.replace(view, buttons=(*view.buttons, row))


async def toggle_follow(update: Update, context: NewsContext) -> None:
    """Follow or stop following the pressed explainer's comments in this private chat."""
    query = update.callback_query
    if query is None or update.effective_chat is None:
        return
    pressed = FollowComments.parse(query.data)
    if pressed is None or update.effective_chat.type != "private":
        # The toggle is only ever shown in private chats (comments views and relayed copies
        # there): a press elsewhere is forged and must not subscribe a group or channel.
        await query.answer(render.stale_button_notice())
        return
    following = await context.services.comment_relay.toggle_follow(
        update.effective_chat.id, pressed.article_id)
    if following is None:
        await query.answer(render.stale_button_notice())
        return
    await query.answer(render.follow_toast(following))
    await _relabel(query, render.follow_button(pressed.article_id, following=following).text)


async def _relabel(query: CallbackQuery, label: str) -> None:
    """Put ``label`` on the pressed button, leaving the others alone."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = message.reply_markup.inline_keyboard
    new_rows = [[InlineKeyboardButton(label, callback_data=b.callback_data)
                 if b.callback_data == query.data else b for b in row] for row in rows]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(new_rows))
    except TelegramError as exc:  # "not modified" (pressed twice quickly), or too old
        log.debug("follow button not updated on message %s: %s", message.message_id, exc)


def register(application: NewsApplication) -> None:
    """Add the follow toggle."""
    application.add_handler(CallbackQueryHandler(toggle_follow, pattern=FollowComments.matches))


async def relay_published(context: NewsContext, published: Sequence[HeldComment]) -> None:
    """Hand just-published comments to the relay (the outbox sends them on its next run)."""
    for item in published:
        try:
            await context.services.comment_relay.publish(item.comment_id)
        except Exception:  # the comment is published; only its relay is lost (logged)
            log.exception("comment %s could not be queued for relaying", item.comment_id)
