"""/subscribe, /unsubscribe and /stop (with its "Delete my data" confirmation)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import DeleteChatData
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import edit_rendered, send_rendered
from handlers.settings import may_change


async def _change(update: Update, context: NewsContext, *, follow: bool) -> None:
    incoming = incoming_message(update)
    if incoming is None:
        return
    text = " ".join(context.args or ())
    if text and not await may_change(update, context):
        reply = render.render_admins_only()
    else:
        change = await context.services.chat_settings.change_subscriptions(
            incoming.chat, text, incoming.thread_id or 0, follow=follow)
        reply = render.render_subscription_change(change, follow=follow)
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                        reply_to=incoming.message_id if incoming.chat.type != "private"
                        else None)


async def subscribe(update: Update, context: NewsContext) -> None:
    """Follow the named topics here (this forum thread, in a forum)."""
    await _change(update, context, follow=True)


async def unsubscribe(update: Update, context: NewsContext) -> None:
    """Stop following the named topics here, or all of them."""
    await _change(update, context, follow=False)


async def stop(update: Update, context: NewsContext) -> None:
    """Unsubscribe the chat from everything and offer to delete its data."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    if not await may_change(update, context):
        reply = render.render_admins_only()
    else:
        result = await context.services.chat_settings.stop(incoming.chat.id)
        reply = render.render_stopped(incoming.chat.id, result.removed, known=result.known)
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id)


async def forget_pressed(update: Update, context: NewsContext) -> None:
    """Delete the stopped chat's data; a button of another chat or a stale one does nothing."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    pressed, chat_id = DeleteChatData.parse(query.data), query.message.chat.id
    if pressed is None or pressed.chat != str(chat_id):
        await query.answer(render.forget_notice(False))
        return
    if not await may_change(update, context):
        await query.answer(render.admins_only_notice())
        return
    done = await context.services.chat_settings.forget(chat_id)
    context.services.languages.forget(chat_id)
    await query.answer(render.forget_notice(done))
    if done:
        await edit_rendered(query, render.render_forgotten())


def register(application: NewsApplication) -> None:
    """Add /subscribe, /unsubscribe, /stop and the data-deletion button."""
    application.add_handler(CommandHandler("subscribe", subscribe))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe))
    application.add_handler(CommandHandler("stop", stop))
    application.add_handler(CallbackQueryHandler(forget_pressed, pattern=DeleteChatData.matches))
