"""/settings: the chat's delivery settings, as buttons (edited in place) and text fallbacks.

Also :func:`may_change`, the one place that decides whether the sender may change a group's
topics or settings (used by handlers.subscriptions too).
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import SettingsChoice
from bot.chat_admins import caller_is_admin
from bot.context import NewsApplication, NewsContext
from bot.mapping import chat_info, incoming_message
from bot.services.settings import SettingsError
from bot.telegram_io import edit_rendered, send_rendered


async def may_change(update: Update, context: NewsContext) -> bool:
    """Whether the sender may change this chat's topics or settings: anyone in a private
    chat; in a group, its admins (anonymous admins post as the group: sender_chat)."""
    return await caller_is_admin(update, context)


async def settings_command(update: Update, context: NewsContext) -> None:
    """Show the settings with their buttons, or apply ``/settings <what> <value>``."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    service, args = context.services.chat_settings, context.args or ()
    if not args:
        reply = render.render_settings(await service.view(incoming.chat))
    elif not await may_change(update, context):
        reply = render.render_admins_only()
    else:
        try:
            reply = render.render_settings(await service.apply_text(incoming.chat, args),
                                           changed=True)
        except SettingsError as error:
            reply = render.render_settings_error(error.reason, error.value,
                                                 args[0].casefold())
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                        reply_to=incoming.message_id if incoming.chat.type != "private"
                        else None)


async def settings_pressed(update: Update, context: NewsContext) -> None:
    """Apply the pressed preset and redraw the settings in place."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    pressed = SettingsChoice.parse(query.data)
    if pressed is not None and not await may_change(update, context):
        await query.answer(render.admins_only_notice())
        return
    view = await context.services.chat_settings.apply_preset(
        chat_info(query.message.chat), pressed.key, pressed.value) if pressed else None
    await query.answer(render.settings_notice(view is not None))
    if view is not None:
        await edit_rendered(query, render.render_settings(view, changed=True))


def register(application: NewsApplication) -> None:
    """Add /settings and its buttons."""
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(
        CallbackQueryHandler(settings_pressed, pattern=SettingsChoice.matches))
