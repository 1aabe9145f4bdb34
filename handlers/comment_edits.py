"""Changing a comment after it was written: an edited comment message updates the comment
(and, through the relay, its copies), and authors or admins delete it with 🗑 Delete or
/delete replying to it."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import render
from bot.callback_data import DeleteComment
from bot.context import NewsApplication, NewsContext
from bot.domain import CommentDecision
from bot.i18n import use_language
from bot.mapping import incoming_message, message_spans
from bot.render.messages import OutgoingMessage
from bot.telegram_io import edit_rendered
from handlers.comments import EDITS_GROUP, after_posted, send_quietly


async def delete_pressed(update: Update, context: NewsContext) -> None:
    """Delete a comment from its 🗑 button: its author, or one of the bot's admins."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    pressed = DeleteComment.parse(query.data)
    decision = (CommentDecision("gone") if pressed is None else
                await context.services.comments.delete(user.id, pressed.comment_id))
    await query.answer(render.delete_toast(decision), show_alert=decision.outcome == "not yours")
    if decision.outcome != "deleted":
        return  # refused, or already gone: the pressed message (maybe a forgery's) stays
    own = decision.author_user_id == user.id
    await edit_rendered(query, OutgoingMessage(
        method="sendMessage", disable_preview=True,
        text=render.render_comment_deleted(decision, None if own else user.full_name)))


async def delete_command(update: Update, context: NewsContext) -> None:
    """/delete replying to one's comment message or to the bot's confirmation of it (admins:
    to anyone's comment or to a notice of it)."""
    message = update.effective_message
    incoming = incoming_message(update)
    if message is None or incoming is None or incoming.user is None:
        return
    replied = message.reply_to_message
    comments = context.services.comments
    if replied is None:
        decision = None
    elif incoming.reply_to_bot:
        comment_id = _delete_button_of(replied)
        decision = (None if comment_id is None else
                    await comments.delete(incoming.user.id, comment_id))
    else:
        decision = await comments.delete_replied(incoming.chat.id, incoming.user.id,
                                                 replied.message_id)
    if decision is None:
        if incoming.chat.type == "private":
            await send_quietly(context, incoming.chat.id, render.delete_usage(),
                                incoming.thread_id, incoming.message_id)
        return
    own = decision.author_user_id == incoming.user.id
    name = None if own else incoming.user.display_name
    await send_quietly(context, incoming.chat.id, OutgoingMessage(
        method="sendMessage", disable_preview=True,
        text=render.render_comment_deleted(decision, name)),
        incoming.thread_id, incoming.message_id)


def _delete_button_of(message: Message) -> int | None:
    """The comment named by the 🗑 Delete button on one of the bot's messages, if any (its
    keyboard is what the bot sent; the presser's rights are checked by the service)."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            pressed = DeleteComment.parse(button.callback_data)
            if pressed is not None:
                return pressed.comment_id
    return None


async def comment_edited(update: Update, context: NewsContext) -> None:
    """Update a comment whose message its author edited; explain a refused edit. Edited
    messages stop here: an edited command does not run again."""
    incoming = incoming_message(update)
    # Comments are always replies to the bot: other edits (most of a group's) need no lookup.
    if (incoming is not None and incoming.user is not None and not incoming.user.is_bot
            and incoming.reply_to_bot):
        posted = await context.services.comments.edit(
            incoming.chat.id, incoming.message_id, incoming.user.id, incoming.text,
            message_spans(update))
        answer = None
        if posted.comment_id is not None:
            with use_language(await context.services.languages.for_chat(
                    incoming.chat.id, incoming.user.language_code)):
                answer = render.render_edit_refused(posted)
        if answer is not None:
            await send_quietly(context, incoming.chat.id, answer, incoming.thread_id,
                                incoming.message_id)
        if posted.stored and posted.status == "pending":
            await after_posted(context, posted)  # the admins see the text they decide on
    raise ApplicationHandlerStop


def register(application: NewsApplication) -> None:
    """Add the handler of edited messages (its own early group), /delete and the 🗑 button."""
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, comment_edited), group=EDITS_GROUP)
    application.add_handler(CommandHandler("delete", delete_command,
                                           filters=filters.UpdateType.MESSAGE))
    application.add_handler(CallbackQueryHandler(delete_pressed, pattern=DeleteComment.matches))
