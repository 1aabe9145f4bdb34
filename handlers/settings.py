"""/settings: the chat's delivery settings, as buttons (edited in place) and text fallbacks;
inside a forum thread, that thread's own delivery settings; from the private chat, the
settings of a connected channel (``/settings @channel …`` and the /channels buttons).

Also :func:`may_change`, the one place that decides whether the sender may change a group's
topics or settings (used by handlers.subscriptions too).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import ChannelSetting, SettingsChoice
from bot.chat_admins import caller_is_admin
from bot.context import NewsApplication, NewsContext
from bot.domain import ChatInfo, ChatSettingsView, ConnectedChannel
from bot.i18n import set_language
from bot.mapping import chat_info, incoming_message
from bot.render.messages import OutgoingMessage
from bot.services.settings import SettingsError, interface_choice
from bot.telegram_io import edit_rendered, send_rendered

#: The button key that switches the interface language (the rest are settings presets).
LANGUAGE_KEY = "lang"


async def may_change(update: Update, context: NewsContext) -> bool:
    """Whether the sender may change this chat's topics or settings: anyone in a private
    chat; in a group, its admins (anonymous admins post as the group: sender_chat)."""
    return await caller_is_admin(update, context)


def _thread_of(message: Message) -> int:
    """The forum thread a message is in (0: not a forum thread, or General)."""
    return (message.message_thread_id or 0) if message.is_topic_message else 0


async def _apply_text(context: NewsContext, chat: ChatInfo, args: Sequence[str],
                      thread_id: int, *, own_language: bool) -> ChatSettingsView:
    """Apply ``/settings <what> <value…>`` to ``chat`` (the interface language through the
    language service; ``own_language``: the reply is in the chat being changed, so it switches
    at once). Raises SettingsError."""
    service = context.services.chat_settings
    language = interface_choice(args)
    if language is None:
        return await service.apply_text(chat, args, thread_id)
    await service.view(chat, thread_id)  # registers a chat seen for the first time
    await context.services.languages.choose(chat.id, language)
    if own_language:
        set_language(language)
    return await service.view(chat, thread_id)


def _looks_like_channel(word: str) -> bool:
    return word.startswith("@") or (word.startswith("-100") and word[1:].isascii()
                                    and word[1:].isdigit())


def _channel_reply(channel: ConnectedChannel, view: ChatSettingsView, language: str, *,
                   changed: bool) -> OutgoingMessage:
    return render.render_settings(
        view, changed=changed, scope="channel", channel=channel.id,
        title=channel.title or (f"@{channel.username}" if channel.username else str(channel.id)),
        handle=f"@{channel.username}" if channel.username else str(channel.id),
        interface=language)


async def _channel_language(context: NewsContext, channel_id: int) -> str:
    return await context.services.languages.for_chat(channel_id)


async def _managed_channel(context: NewsContext, channel_id: int, user_id: int
                           ) -> ConnectedChannel | None:
    """The connected channel, if ``user_id`` administers it now (asked of Telegram again
    every time, not from the cache: a demoted admin's next press is refused)."""
    channel = await context.services.channels.channel(channel_id)
    if channel is None or not await context.chat_admins.is_admin(
            context.bot, channel_id, user_id, fresh=True):
        return None
    return channel


async def _channel_settings_command(update: Update, context: NewsContext,
                                    args: Sequence[str]) -> OutgoingMessage:
    """``/settings @channel [<what> <value…>]`` from the private chat."""
    user = update.effective_user
    if user is None:
        return render.render_settings_error("unknown_channel")
    found = await context.services.channels.find(args[0])
    if found is None:
        return render.render_settings_error("unknown_channel")
    channel = await _managed_channel(context, found.id, user.id)
    if channel is None:
        return render.render_admins_only("channel")
    service, info = context.services.chat_settings, context.services.channels.info(channel)
    if len(args) == 1:
        view = await service.view(info)
        return _channel_reply(channel, view, await _channel_language(context, channel.id),
                              changed=False)
    try:
        view = await _apply_text(context, info, args[1:], 0, own_language=False)
    except SettingsError as error:
        return render.render_settings_error(error.reason, error.value, args[1].casefold())
    return _channel_reply(channel, view, await _channel_language(context, channel.id),
                          changed=True)


async def settings_command(update: Update, context: NewsContext) -> None:
    """Show the settings with their buttons, or apply ``/settings <what> <value>``."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    service, args = context.services.chat_settings, context.args or ()
    thread_id = incoming.thread_id or 0
    scope = "thread" if thread_id else "chat"
    if incoming.chat.type == "private" and args and _looks_like_channel(args[0]):
        reply = await _channel_settings_command(update, context, args)
    elif not args:
        reply = render.render_settings(await service.view(incoming.chat, thread_id),
                                       scope=scope)
    elif not await may_change(update, context):
        reply = render.render_admins_only()
    else:
        try:
            view = await _apply_text(context, incoming.chat, args, thread_id,
                                     own_language=True)
            reply = render.render_settings(view, changed=True, scope=scope)
        except SettingsError as error:
            reply = render.render_settings_error(error.reason, error.value,
                                                 args[0].casefold())
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id,
                        reply_to=incoming.message_id if incoming.chat.type != "private"
                        else None)


async def settings_pressed(update: Update, context: NewsContext) -> None:
    """Apply the pressed preset (or language) and redraw the settings in place."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    pressed = SettingsChoice.parse(query.data)
    if pressed is not None and not await may_change(update, context):
        await query.answer(render.admins_only_notice())
        return
    chat, thread_id = chat_info(query.message.chat), _thread_of(query.message)
    service = context.services.chat_settings
    view: ChatSettingsView | None = None
    if pressed is not None and pressed.key == LANGUAGE_KEY:
        if await context.services.languages.choose(chat.id, pressed.value):
            set_language(pressed.value)
            view = await service.view(chat, thread_id)
    elif pressed is not None:
        view = await service.apply_preset(chat, pressed.key, pressed.value, thread_id)
    await query.answer(render.settings_notice(view is not None))
    if view is not None:
        await edit_rendered(query, render.render_settings(
            view, changed=True, scope="thread" if thread_id else "chat"))


async def channel_setting_pressed(update: Update, context: NewsContext) -> None:
    """A channel's settings button in the private chat: show them, or apply the preset —
    only while the presser administers that channel (checked again on every press)."""
    query = update.callback_query
    if query is None:
        return
    pressed = ChannelSetting.parse(query.data)
    channel_id = pressed.channel_id if pressed else None
    if pressed is None or channel_id is None:
        await query.answer(render.settings_notice(False))
        return
    channel = await _managed_channel(context, channel_id, query.from_user.id)
    if channel is None:
        await query.answer(render.admins_only_notice("channel"))
        return
    service, info = context.services.chat_settings, context.services.channels.info(channel)
    if pressed.key == ChannelSetting.SHOW:
        await query.answer()
        shown = await service.view(info)
        await send_rendered(context.bot, query.from_user.id, _channel_reply(
            channel, shown, await _channel_language(context, channel.id), changed=False))
        return
    view: ChatSettingsView | None = None
    if pressed.key == LANGUAGE_KEY:
        if await context.services.languages.choose(channel.id, pressed.value):
            view = await service.view(info)
    else:
        view = await service.apply_preset(info, pressed.key, pressed.value)
    await query.answer(render.settings_notice(view is not None))
    if view is not None and isinstance(query.message, Message):
        await edit_rendered(query, _channel_reply(
            channel, view, await _channel_language(context, channel.id), changed=True))


def register(application: NewsApplication) -> None:
    """Add /settings and its buttons (a chat's own, and a channel's from the private chat)."""
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(
        CallbackQueryHandler(settings_pressed, pattern=SettingsChoice.matches))
    application.add_handler(
        CallbackQueryHandler(channel_setting_pressed, pattern=ChannelSetting.matches))

