"""Channels from the private chat: /connect @channel (or a forwarded channel post),
/channels, a channel's topic picker and its Disconnect button. Every button is checked
again server-side: the presser must still administer that channel."""

from __future__ import annotations

from telegram import Message, MessageOriginChannel, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import render
from bot.callback_data import ChannelAction, ChannelTopic
from bot.chat_admins import check_channel
from bot.context import NewsApplication, NewsContext
from bot.telegram_io import edit_keyboard, edit_rendered, send_rendered


class _ChannelForward(filters.MessageFilter):
    """A message forwarded from a channel."""

    def filter(self, message: Message) -> bool:
        return isinstance(message.forward_origin, MessageOriginChannel)


async def _connect(context: NewsContext, user_id: int, target: int | str) -> None:
    """Check the channel with Telegram, record it and send its picker (or what is wrong)."""
    check = await check_channel(context.bot, context.chat_admins, target, user_id)
    if check.channel is None:
        reply = render.render_connect_problem(check.problem or "not_found")
    else:
        choices = await context.services.channels.connect(check.channel, user_id)
        reply = render.render_channel_picker(check.channel, choices)
    await send_rendered(context.bot, user_id, reply)


async def connect_command(update: Update, context: NewsContext) -> None:
    """/connect @channel (or its id)."""
    user, args = update.effective_user, context.args or []
    if user is None:
        return
    if len(args) != 1 or not args[0].lstrip("@-").strip():
        await send_rendered(context.bot, user.id, render.render_connect_usage())
        return
    target = args[0]
    digits = target.lstrip("-")
    numeric = digits.isascii() and digits.isdigit() and len(digits) <= 16  # not "²", "٣"
    await _connect(context, user.id, int(target) if numeric else "@" + target.lstrip("@"))


async def forwarded_post(update: Update, context: NewsContext) -> None:
    """A post forwarded from a channel: connect that channel."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not isinstance(
            message.forward_origin, MessageOriginChannel):
        return
    await _connect(context, user.id, message.forward_origin.chat.id)


async def channels_command(update: Update, context: NewsContext) -> None:
    """/channels: the user's connected channels."""
    if update.effective_user is None:
        return
    user_id = update.effective_user.id
    channels = await context.services.channels.channels_of(user_id)
    await send_rendered(context.bot, user_id, render.render_channel_list(channels))


async def channel_action(update: Update, context: NewsContext) -> None:
    """Connect, show the picker of, or disconnect a channel, if the presser administers it."""
    query = update.callback_query
    if query is None:
        return
    pressed = ChannelAction.parse(query.data)
    channel_id = pressed.channel_id if pressed else None
    if pressed is None or channel_id is None:
        await query.answer(render.stale_button_notice())
        return
    user_id = query.from_user.id
    if pressed.action == "connect":
        await query.answer()
        await _connect(context, user_id, channel_id)
        return
    channels = context.services.channels
    if not await context.chat_admins.is_admin(context.bot, channel_id, user_id, fresh=True) or (
            await channels.channel(channel_id)) is None:
        await query.answer(render.admins_only_notice("channel"))
        return
    await query.answer()
    if pressed.action == "off":
        await channels.disconnect(channel_id)
        await edit_rendered(query, render.render_channel_list(await channels.channels_of(
            user_id)))
        return
    channel, choices = await channels.channel(channel_id), await channels.topics(channel_id)
    if channel is not None and choices is not None:
        await send_rendered(context.bot, user_id, render.render_channel_picker(channel, choices))


async def toggle_channel_topic(update: Update, context: NewsContext) -> None:
    """A channel picker press: follow or unfollow, if the presser administers the channel."""
    query = update.callback_query
    if query is None:
        return
    pressed = ChannelTopic.parse(query.data)
    channel_id = pressed.channel_id if pressed else None
    if pressed is None or channel_id is None:
        await query.answer(render.stale_button_notice())
        return
    if not await context.chat_admins.is_admin(
            context.bot, channel_id, query.from_user.id, fresh=True):
        await query.answer(render.admins_only_notice("channel"))
        return
    result = await context.services.channels.toggle(channel_id, pressed.slug)
    if result is None:
        await query.answer(render.stale_button_notice())
        return
    await query.answer(render.toggle_notice(result.topic))
    await edit_keyboard(query, render.channel_topic_picker(channel_id, result.choices))


def register(application: NewsApplication) -> None:
    """Add /connect, /channels, forwarded channel posts and the channel buttons (private chats
    only; register before any catch-all for private text)."""
    private = filters.ChatType.PRIVATE
    application.add_handlers([
        CommandHandler("connect", connect_command, filters=private),
        CommandHandler("channels", channels_command, filters=private),
        MessageHandler(private & _ChannelForward(), forwarded_post),
        CallbackQueryHandler(channel_action, pattern=ChannelAction.matches),
        CallbackQueryHandler(toggle_channel_topic, pattern=ChannelTopic.matches),
    ])
