"""Comments: replies to pushed explainers (or to the "Comment" button's prompt, or to a
digest, asking which explainer), the consent question before a reader's first comment, the
admins' Approve / Reject / Ban buttons, the "Comments" button and /comments, edited comment
messages, and deleting a comment (🗑 button or /delete)."""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import render
from bot.callback_data import (
    CommentConsent,
    CommentsPage,
    FollowComments,
    ModerateComment,
    PickExplainer,
    ShowComments,
    WriteComment,
)
from bot.context import NewsApplication, NewsContext
from bot.domain import CommentDecision, CommentPosted, ExplainerChoice, HeldComment
from bot.i18n import use_language
from bot.mapping import incoming_message, message_spans
from bot.render.messages import OutgoingMessage
from bot.telegram_io import edit_rendered, send_rendered
from handlers.comment_follow import relay_published, with_follow_button

log = logging.getLogger(__name__)
_VIEWS_KEY = "comment_views"  # chat_data: article id → the message id of its comments view
EDITS_GROUP = -3  # edited messages: before the language and flood groups, and stopped there


async def reply_to_explainer(update: Update, context: NewsContext) -> None:
    """Take a reply to one of the bot's explainers as a comment and answer it."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None or incoming.reply_to_message_id is None:
        return
    if not incoming.reply_to_bot:
        return  # people replying to each other in a group: not for us
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        # Posted as the group (an anonymous admin) or as a channel: no person to ask for
        # consent or to hold to the limits, so not taken as a comment.
        return
    comments = context.services.comments
    posted = await comments.post_reply(
        incoming.chat.id, incoming.reply_to_message_id, incoming.user, incoming.text,
        message_spans(update), incoming.message_id,
    )
    quiet = incoming.chat.type != "private" and posted.reason == "not an explainer"
    reply = render.render_comment_posted(posted)
    if not quiet and reply is not None:
        await send_quietly(context, incoming.chat.id, reply, incoming.thread_id,
                            incoming.message_id)
    await after_posted(context, posted)


async def after_posted(context: NewsContext, posted: CommentPosted) -> None:
    """Tell the admins about a stored comment: held ones to decide, published ones (if
    comments.notify_admins) to know."""
    comments = context.services.comments
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
        decided = (*decision.held, *decision.published)
        buttons = (render.comment_delete_buttons(decided[0].comment_id)
                   if len(decided) == 1 else ())
        await edit_rendered(query, OutgoingMessage(
            method="sendMessage", text=render.render_consent_result(decision),
            disable_preview=True, buttons=buttons))
    await _tell_admins(context, decision.held, decision.published)


async def moderate(update: Update, context: NewsContext) -> None:
    """Approve, reject or ban a held comment — only for the bot's admins."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = ModerateComment.parse(query.data)
    admin = update.effective_user
    if pressed is None:
        allowed = await context.services.comments.is_admin(admin.id)
        await query.answer(render.stale_button_notice() if allowed else
                           render.moderation_toast(_forbidden()))
        return
    decision = await context.services.comments.moderate(admin.id, pressed.comment_id,
                                                         pressed.action)
    await query.answer(render.moderation_toast(decision))
    if decision.outcome in ("forbidden", "gone"):
        return
    await context.services.admins.record(
        admin.id, f"comments.{pressed.action}", str(pressed.comment_id),
        {"outcome": decision.outcome})
    await relay_published(context, decision.published)  # approved: to discussion, followers
    approved = decision.published[0].comment_id if decision.published else None
    await edit_rendered(query, OutgoingMessage(
        method="sendMessage", disable_preview=True,
        text=render.render_moderation_result(decision, admin.full_name),
        buttons=render.comment_delete_buttons(approved)))
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
    view = render.render_comments(found, spoiler=_spoiler(context))
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
            view = render.render_comments(found, spoiler=_spoiler(context))
        try:
            await _show_view(context, user.id, pressed.article_id, view, None)
        except (Forbidden, BadRequest):
            # The member has no private chat with the bot yet: Telegram opens it through
            # this deep link, and /start shows the comments there.
            link = comments_link(context, pressed.article_id)
            if link:
                await query.answer(url=link)
            else:
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
    message = query.message
    if (pressed is None or pressed.page > CommentsPage.MAX_PAGE
            or not isinstance(message, Message) or message.chat.type != "private"
            or not _is_comments_view(message, pressed.article_id)):
        # Views are sent to private chats only, and only a view is paged: forged data must
        # not turn a group's explainer (or any other message) into a comment list.
        await query.answer(render.stale_button_notice())
        return
    found = await context.services.comments.for_article(pressed.article_id, pressed.page - 1)
    await query.answer()
    view = render.render_comments(found, spoiler=_spoiler(context))
    if isinstance(query.message, Message):  # H's relay: the follow toggle stays on the view
        view = await with_follow_button(context, query.message.chat.id, pressed.article_id,
                                        view)
    await edit_rendered(query, view)


def _spoiler(context: NewsContext) -> bool:
    """Whether comment bodies are shown behind a spoiler (``comments.spoiler``)."""
    return context.services.comments.settings.spoiler


def _is_comments_view(message: Message, article_id: int) -> bool:
    """Whether ``message`` is a comments view of ``article_id``: its keyboard pages or
    follows that explainer's comments (an empty view has just the follow toggle)."""
    markup = message.reply_markup
    page, follow = f"{CommentsPage.prefix}:{article_id}:", FollowComments(article_id).pack()
    return markup is not None and any(
        isinstance(button.callback_data, str)
        and (button.callback_data.startswith(page) or button.callback_data == follow)
        for row in markup.inline_keyboard for button in row)


async def ask_for_comment(update: Update, context: NewsContext) -> None:
    """Ask the presser of "Comment" for their comment with a ForceReply prompt (in a group,
    selective: it names the presser)."""
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    pressed = WriteComment.parse(query.data)
    title = None if pressed is None else await context.services.comments.prompt_title(
        pressed.article_id)
    if pressed is None or title is None:
        await query.answer(render.stale_button_notice())
        return
    if chat.type == "channel":  # nobody can reply in a channel: ask in the private chat
        with use_language(await context.services.languages.for_chat(
                user.id, user.language_code)):
            text = render.render_comment_prompt(title)
        try:
            await _prompt(context, user.id, None, text, selective=False, user_id=user.id,
                          article_id=pressed.article_id)
        except (Forbidden, BadRequest):
            await query.answer(render.comment_prompt_needs_private_chat(), show_alert=True)
            return
        await query.answer(render.comment_prompt_sent_privately())
        return
    await query.answer()
    group = chat.type != "private"
    thread_id = (query.message.message_thread_id
                 if isinstance(query.message, Message) and query.message.is_topic_message
                 else None)
    text = render.render_comment_prompt(title, (user.id, user.full_name) if group else None)
    await _prompt(context, chat.id, thread_id, text, selective=group, user_id=user.id,
                  article_id=pressed.article_id)


async def _prompt(context: NewsContext, chat_id: int, thread_id: int | None, text: str, *,
                  selective: bool, user_id: int, article_id: int) -> None:
    """Send the ForceReply comment prompt and remember what a reply to it is about."""
    sent = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=thread_id,
        reply_markup=ForceReply(selective=selective,
                                input_field_placeholder=render.comment_prompt_placeholder()),
    )
    context.services.comments.remember_prompt(chat_id, sent.message_id, user_id, article_id)


async def cancel(update: Update, context: NewsContext) -> None:
    """Drop the sender's open comment prompt (or digest draft) in this chat."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None:
        return
    cancelled = context.services.comments.cancel_prompts(incoming.chat.id, incoming.user.id)
    if not cancelled and incoming.chat.type != "private":
        return  # someone's /cancel in a group, meant for another bot
    await send_quietly(context, incoming.chat.id, render.render_prompt_cancelled(cancelled),
                        incoming.thread_id, incoming.message_id)


async def pick_explainer(update: Update, context: NewsContext) -> None:
    """Put the presser's reply to a digest on the explainer they picked."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = PickExplainer.parse(query.data)
    posted = (CommentPosted(False, reason="gone") if pressed is None else
              await context.services.comments.pick(update.effective_user.id, pressed.draft,
                                                   pressed.article_id))
    if posted.reason == "not yours":
        await query.answer(render.moderation_toast(CommentDecision("not yours")))
        return
    if posted.reason == "gone":
        await query.answer(render.stale_button_notice())
        return
    await query.answer()
    reply = render.render_comment_posted(posted)
    if reply is not None:
        await edit_rendered(query, reply)
    await after_posted(context, posted)


async def comments_command(update: Update, context: NewsContext) -> None:
    """/comments replying to an explainer: its comments view (privately in a group)."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None:
        return
    chat, user = incoming.chat, incoming.user
    choices: tuple[ExplainerChoice, ...] = ()
    if incoming.reply_to_message_id is not None and incoming.reply_to_bot:
        choices = await context.services.comments.explainers_at(chat.id,
                                                                incoming.reply_to_message_id)
    if len(choices) != 1:
        reply = render.render_comments_picker(choices) if choices else render.comments_usage()
        await send_quietly(context, chat.id, reply, incoming.thread_id, incoming.message_id)
        return
    article_id = choices[0].article_id
    found = await context.services.comments.for_article(article_id)
    if chat.type == "private":
        await _show_view(context, chat.id, article_id,
                         render.render_comments(found, spoiler=_spoiler(context)),
                         incoming.thread_id)
        return
    with use_language(await context.services.languages.for_chat(user.id, user.language_code)):
        view = render.render_comments(found, spoiler=_spoiler(context))
    try:
        await _show_view(context, user.id, article_id, view, None)
    except (Forbidden, BadRequest):
        link = comments_link(context, article_id)
        await send_quietly(context, chat.id, OutgoingMessage(
            method="sendMessage", disable_preview=True,
            text=render.comments_deep_link(link) if link
            else render.comments_need_private_chat()),
            incoming.thread_id, incoming.message_id)


#: The /start payload of a deep link to an explainer's comments ("comments-<article id>").
COMMENTS_PAYLOAD = "comments-"


def comments_link(context: NewsContext, article_id: int) -> str | None:
    """A t.me link that opens the private chat with the bot on an explainer's comments."""
    username = context.bot.username
    return f"https://t.me/{username}?start={COMMENTS_PAYLOAD}{article_id}" if username else None


async def open_comments_link(context: NewsContext, chat_id: int, payload: str) -> bool:
    """``/start comments-<id>`` in a private chat (the deep link a group member followed):
    show that explainer's comments. False when the payload is not such a link."""
    number = payload.removeprefix(COMMENTS_PAYLOAD)
    if not payload.startswith(COMMENTS_PAYLOAD) or not number.isdecimal() or len(number) > 10:
        return False
    article_id = int(number)
    found = await context.services.comments.for_article(article_id)
    await _show_view(context, chat_id, article_id,
                     render.render_comments(found, spoiler=_spoiler(context)), None)
    return True


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


async def send_quietly(context: NewsContext, chat_id: int, message: OutgoingMessage,
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
    for admin_id in await comments.admin_ids():
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
    """Add the reply-as-comment handler and the comment commands and buttons (edits and
    deletes: handlers.comment_edits)."""
    application.add_handler(CommandHandler("comments", comments_command,
                                           filters=filters.UpdateType.MESSAGE))
    application.add_handler(CommandHandler("cancel", cancel, filters=filters.UpdateType.MESSAGE))
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
    application.add_handler(CallbackQueryHandler(ask_for_comment, pattern=WriteComment.matches))
    application.add_handler(CallbackQueryHandler(pick_explainer, pattern=PickExplainer.matches))

