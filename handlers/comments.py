"""Comments: replies to pushed explainers, the consent question before a reader's first
comment, the admins' Approve / Reject / Ban buttons, and the "Comments" button."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import render
from bot.callback_data import CommentConsent, CommentsPage, ModerateComment, ShowComments
from bot.context import NewsApplication, NewsContext
from bot.domain import CommentDecision, HeldComment
from bot.i18n import use_language
from bot.mapping import incoming_message, message_spans
from bot.render.messages import OutgoingMessage
from bot.telegram_io import edit_rendered, send_rendered
from handlers.comment_follow import relay_published, with_follow_button

log = logging.getLogger(__name__)
_VIEWS_KEY = "comment_views"  # chat_data: article id → the message id of its comments view


async def reply_to_explainer(update: Update, context: NewsContext) -> None:
    """Take a reply to one of the bot's explainers as a comment and answer it."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None or incoming.reply_to_message_id is None:
        return
    if not incoming.reply_to_bot:
        return  # people replying to each other in a group: not for us
    comments = context.services.comments
    posted = await comments.post_reply(
        incoming.chat.id, incoming.reply_to_message_id, incoming.user, incoming.text,
        message_spans(update), incoming.message_id,
    )
    quiet = incoming.chat.type != "private" and posted.reason == "not an explainer"
    reply = render.render_comment_posted(posted)
    if not quiet and reply is not None:
        await _send_quietly(context, incoming.chat.id, reply, incoming.thread_id,
                            incoming.message_id)
    if posted.stored and posted.status == "pending" and posted.comment_id is not None:
        held = await comments.held(posted.comment_id)
        await _tell_admins(context, (held,) if held else (), ())
    elif posted.stored and posted.status == "visible" and posted.comment_id is not None:
        published = await comments.held(posted.comment_id)
        await _tell_admins(context, (), (published,) if published else ())


async def choose_name(update: Update, context: NewsContext) -> None:
    """Publish the presser's held comment(s) under the name they chose, or drop them."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = CommentConsent.parse(query.data)
    if pressed is None:
        await query.answer(render.stale_button_notice())
        return
    decision = await context.services.comments.choose_name(
        update.effective_user.id, pressed.comment_id, pressed.choice
    )
    await query.answer(render.moderation_toast(decision))
    if decision.outcome not in ("gone", "not yours"):
        await edit_rendered(query, OutgoingMessage(
            method="sendMessage", text=render.render_consent_result(decision),
            disable_preview=True))
    await _tell_admins(context, decision.held, decision.published)


async def moderate(update: Update, context: NewsContext) -> None:
    """Approve, reject or ban a held comment — only for the bot's admins."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = ModerateComment.parse(query.data)
    admin = update.effective_user
    if pressed is None:
        allowed = admin.id in context.services.comments.admins
        await query.answer(render.stale_button_notice() if allowed else
                           render.moderation_toast(_forbidden()))
        return
    decision = await context.services.comments.moderate(admin.id, pressed.comment_id,
                                                         pressed.action)
    await query.answer(render.moderation_toast(decision))
    if decision.outcome in ("forbidden", "gone"):
        return
    await relay_published(context, decision.published)  # approved: to discussion, followers
    await edit_rendered(query, OutgoingMessage(
        method="sendMessage", disable_preview=True,
        text=render.render_moderation_result(decision, admin.full_name)))
    author = decision.author_user_id
    if author is not None:
        with use_language(await context.services.languages.for_chat(author)):
            notice = render.render_moderation_for_author(decision)
        if notice is not None:
            try:
                await send_rendered(context.bot, author, notice)
            except TelegramError as exc:  # the author blocked the bot, or never started it
                log.info("could not tell user %s about their comment: %s", author, exc)


async def show_comments(update: Update, context: NewsContext) -> None:
    """Show an explainer's comments (first page) to the presser — privately when pressed in a
    group — and put the count on the pressed button."""
    query = update.callback_query
    if query is None or update.effective_chat is None or update.effective_user is None:
        return
    pressed = ShowComments.parse(query.data)
    if pressed is None:
        await query.answer(render.stale_button_notice())
        return
    found = await context.services.comments.for_article(pressed.article_id)
    view = render.render_comments(found)
    chat = update.effective_chat
    if chat.type == "private":
        await query.answer()
        thread_id = (query.message.message_thread_id if isinstance(query.message, Message)
                     else None)
        await _show_view(context, chat.id, pressed.article_id, view, thread_id)
    else:
        user = update.effective_user
        with use_language(await context.services.languages.for_chat(
                user.id, user.language_code)):
            view = render.render_comments(found)
        try:
            await _show_view(context, user.id, pressed.article_id, view, None)
        except (Forbidden, BadRequest):
            await query.answer(render.comments_need_private_chat(), show_alert=True)
            return
        await query.answer(render.comments_sent_privately())
    if found is not None:
        await _relabel(query, render.comments_button_label(found.total))


async def turn_page(update: Update, context: NewsContext) -> None:
    """Show another page of comments in the same message."""
    query = update.callback_query
    if query is None:
        return
    pressed = CommentsPage.parse(query.data)
    if pressed is None or pressed.page > CommentsPage.MAX_PAGE:
        await query.answer(render.stale_button_notice())
        return
    found = await context.services.comments.for_article(pressed.article_id, pressed.page - 1)
    await query.answer()
    view = render.render_comments(found)
    if isinstance(query.message, Message):  # H's relay: the follow toggle stays on the view
        view = await with_follow_button(context, query.message.chat.id, pressed.article_id,
                                        view)
    await edit_rendered(query, view)


async def _show_view(context: NewsContext, chat_id: int, article_id: int,
                     view: OutgoingMessage, thread_id: int | None) -> None:
    """Send a comments view and delete this chat's previous view of the same explainer, so a
    reader has one view per explainer, not a new copy per tap (kept in memory: after a
    restart one older view may stay)."""
    views: dict[int, int] = context.application.chat_data[chat_id].setdefault(
        _VIEWS_KEY, {})
    view = await with_follow_button(context, chat_id, article_id, view)  # H's relay
    sent = await send_rendered(context.bot, chat_id, view, thread_id=thread_id)
    previous = views.get(article_id)
    views[article_id] = sent.message_id
    if previous is not None:
        try:
            await context.bot.delete_message(chat_id, previous)
        except TelegramError as exc:  # already deleted by the reader, or too old
            log.debug("old comments view %s in chat %s not deleted: %s", previous, chat_id, exc)


async def _relabel(query: CallbackQuery, label: str) -> None:
    """Put ``label`` on the pressed button (the comment count), leaving the others alone."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = message.reply_markup.inline_keyboard
    if not any(b.callback_data == query.data and b.text != label for row in rows for b in row):
        return
    new_rows = [[InlineKeyboardButton(label, callback_data=b.callback_data)
                 if b.callback_data == query.data else b for b in row] for row in rows]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(new_rows))
    except TelegramError as exc:
        log.debug("comment count not updated on message %s: %s", message.message_id, exc)


def _forbidden() -> CommentDecision:
    return CommentDecision("forbidden")


async def _send_quietly(context: NewsContext, chat_id: int, message: OutgoingMessage,
                        thread_id: int | None, reply_to: int | None) -> None:
    """Send a reply to a reader; a flood limit (429) costs that one reply, not an error."""
    try:
        await send_rendered(context.bot, chat_id, message, thread_id=thread_id,
                            reply_to=reply_to)
    except RetryAfter as exc:
        log.warning("comment reply to chat %s dropped: flood limit (retry after %s s)",
                    chat_id, exc.retry_after)


async def _tell_admins(context: NewsContext, held: tuple[HeldComment, ...],
                       published: tuple[HeldComment, ...]) -> None:
    """Send each held comment (with the moderation buttons) to every admin, and published
    ones too when comments.notify_admins is on — each in the admin's own language."""
    await relay_published(context, published)  # H's relay: discussion chat, followers
    comments = context.services.comments
    items = [*held, *(published if comments.settings.notify_admins else ())]
    if not items:
        return
    for admin_id in sorted(comments.admins):
        language = await context.services.languages.for_chat(admin_id)
        for item in items:
            with use_language(language):
                message = render.render_held_comment(item, spoiler=comments.settings.spoiler)
            try:
                await send_rendered(context.bot, admin_id, message)
            except TelegramError as exc:
                log.warning("could not tell admin %s about comment %s: %s", admin_id,
                            item.comment_id, exc)


def register(application: NewsApplication) -> None:
    """Add the reply-as-comment handler and the comment buttons."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_to_explainer,
        )
    )
    application.add_handler(CallbackQueryHandler(show_comments, pattern=ShowComments.matches))
    application.add_handler(CallbackQueryHandler(turn_page, pattern=CommentsPage.matches))
    application.add_handler(CallbackQueryHandler(choose_name, pattern=CommentConsent.matches))
    application.add_handler(CallbackQueryHandler(moderate, pattern=ModerateComment.matches))
