"""Admin broadcasts from Telegram: /broadcast (the announcement as the next message, or after
the command), the preview with its controls (audience, test to me, send now, schedule,
cancel), the progress message with Pause / Resume / Cancel, /broadcast schedule|button and
/broadcasts. Every command and button asks AdminService, server-side (the service checks
again); a non-admin gets "not allowed" with nothing changed.

:func:`broadcast_tick` is the job that fires scheduled broadcasts and edits progress
messages (the wiring runs it about every 5 seconds)."""

from __future__ import annotations

import dataclasses
import logging
import time

from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import render
from bot.callback_data import BroadcastAction, BroadcastTopic
from bot.context import NewsApplication, NewsContext
from bot.domain import BroadcastContent
from bot.mapping import incoming_message, message_photo, message_spans
from bot.render import admin_replies
from bot.render import broadcasts as replies
from bot.render.markup import CAPTION_LIMIT, TEXT_LIMIT, safe_url, utf16_len
from bot.render.messages import OutgoingMessage
from bot.services.broadcasts import (
    BroadcastResult,
    BroadcastService,
    announcement,
    parse_local_time,
)
from bot.telegram_io import edit_keyboard, edit_rendered, keyboard, send_rendered
from handlers.admin_gate import admin_press

log = logging.getLogger(__name__)

AWAITING_KEY = "newsbot.broadcast_awaiting"
AWAIT_SECONDS = 600.0  # how long /broadcast waits for the announcement


class _Awaiting(filters.MessageFilter):
    """A private message from an admin who sent a bare /broadcast (and not a command)."""

    def __init__(self) -> None:
        super().__init__(name="broadcast_awaiting")
        self.users: dict[int, float] = {}

    def expect(self, user_id: int) -> None:
        self.users[user_id] = time.monotonic() + AWAIT_SECONDS

    def forget(self, user_id: int) -> None:
        self.users.pop(user_id, None)

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != "private" or user.id not in self.users:
            return False
        if message.text is not None and message.text.startswith("/"):
            self.forget(user.id)  # any command ends the wait: the next text is not taken
            return False
        return self.users[user.id] > time.monotonic()


def _service(context: NewsContext) -> BroadcastService:
    service = context.services.broadcasts
    assert service is not None
    return service


async def _say(context: NewsContext, chat_id: int, html: str) -> None:
    await send_rendered(context.bot, chat_id,
                        OutgoingMessage(method="sendMessage", text=html, disable_preview=True))


async def _is_admin(context: NewsContext, user_id: int) -> bool:
    return context.services.broadcasts is not None and \
        await context.services.admins.is_admin(user_id)


async def broadcast_command(update: Update, context: NewsContext) -> None:
    """Start a broadcast (/broadcast [text]); schedule one or give it a link button."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None:
        return
    chat_id, actor = incoming.chat.id, incoming.user.id
    if not await _is_admin(context, actor):
        await _say(context, chat_id, render.escape(admin_replies.not_allowed()))
        return
    args = context.args or []
    if args and args[0].lower() == "schedule":
        await _schedule(context, chat_id, actor, args[1:])
        return
    if args and args[0].lower() == "button":
        await _button(context, chat_id, actor, args[1:])
        return
    if not args:
        awaiting = context.bot_data.get(AWAITING_KEY)
        if isinstance(awaiting, _Awaiting) and incoming.chat.type == "private":
            awaiting.expect(actor)
        await _say(context, chat_id, replies.broadcast_usage())
        return
    text = incoming.text
    command = text.split(maxsplit=1)[0]
    skip = utf16_len(text[: text.index(command) + len(command)])
    await _draft(update, context, announcement(text, message_spans(update), skip=skip))


async def announcement_message(update: Update, context: NewsContext) -> None:
    """Take the message after a bare /broadcast as the announcement."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    awaiting = context.bot_data.get(AWAITING_KEY)
    if isinstance(awaiting, _Awaiting):
        awaiting.users.pop(message.from_user.id, None)
    if not await _is_admin(context, message.from_user.id):
        return
    photo = message_photo(update)
    await _draft(update, context, announcement(message.text or message.caption or "",
                                               message_spans(update), photo=photo))


async def _draft(update: Update, context: NewsContext,
                 content: BroadcastContent | str) -> None:
    """Store the draft; send the preview and its controls (or why it cannot be sent)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if content == "too long":
        limit = CAPTION_LIMIT if message_photo(update) else TEXT_LIMIT
        await _say(context, chat.id, replies.too_long(limit))
        return
    if not isinstance(content, BroadcastContent):
        await _say(context, chat.id, replies.broadcast_usage())
        return
    service = _service(context)
    broadcast_id = await service.create(user.id, content, chat_id=chat.id)
    if broadcast_id is None:
        await _say(context, chat.id, render.escape(admin_replies.not_allowed()))
        return
    await _preview(context, service, chat.id, broadcast_id)


async def _preview(context: NewsContext, service: BroadcastService, chat_id: int,
                   broadcast_id: int) -> None:
    content = await service.content(broadcast_id)
    progress = await service.progress(broadcast_id)
    if content is None or progress is None:
        return
    await send_rendered(context.bot, chat_id, replies.render_broadcast(content))
    size = await service.audience_size(progress.audience, ())
    await send_rendered(context.bot, chat_id, replies.render_controls(progress, size))


async def _schedule(context: NewsContext, chat_id: int, actor: int, args: list[str]) -> None:
    service = _service(context)
    timezone = await service.timezone(chat_id)
    if len(args) != 3 or not (args[0].isascii() and args[0].isdigit()) or len(args[0]) > 9:
        await _say(context, chat_id, replies.schedule_usage(0, timezone))
        return
    when = parse_local_time(f"{args[1]} {args[2]}", timezone)
    if when is None:
        await _say(context, chat_id, replies.bad_time())
        return
    result = await service.schedule(actor, int(args[0]), when)
    if result.progress is None:
        text = (replies.bad_time() if result.outcome == "wrong state"
                and await service.progress(int(args[0])) is not None
                else render.escape(replies.outcome_text(result.outcome)))
        await _say(context, chat_id, text)
        return
    await _say(context, chat_id, replies.scheduled_line(result.progress))


async def _button(context: NewsContext, chat_id: int, actor: int, args: list[str]) -> None:
    service = _service(context)
    url = safe_url(args[1]) if len(args) >= 3 else None
    if url is None or not (args[0].isascii() and args[0].isdigit()) or len(args[0]) > 9:
        await _say(context, chat_id, replies.broadcast_usage())
        return
    result = await service.set_button(actor, int(args[0]), " ".join(args[2:]), url)
    if result.outcome != "ok":
        await _say(context, chat_id, render.escape(replies.outcome_text(result.outcome)))
        return
    await _preview(context, service, chat_id, int(args[0]))


async def broadcasts_command(update: Update, context: NewsContext) -> None:
    """List the scheduled, sending and paused broadcasts, each with Cancel."""
    incoming = incoming_message(update)
    if incoming is None or incoming.user is None:
        return
    if not await _is_admin(context, incoming.user.id):
        await _say(context, incoming.chat.id, render.escape(admin_replies.not_allowed()))
        return
    for message in replies.render_live(await _service(context).live()):
        await send_rendered(context.bot, incoming.chat.id, message)


async def action_pressed(update: Update, context: NewsContext) -> None:
    """Act on a broadcast's control or progress button."""
    gate = await admin_press(update, context,
                             available=context.services.broadcasts is not None)
    if gate is None:
        return
    query, user_id = gate
    pressed = BroadcastAction.parse(query.data)
    if pressed is None or pressed.action not in BroadcastAction.ACTIONS:
        await query.answer(render.stale_button_notice())
        return
    service, bid, action = _service(context), pressed.broadcast_id, pressed.action
    if action == "topics":
        await query.answer()
        await edit_keyboard(query, replies.topic_buttons(bid, await service.topics(),
                                                         chosen=await service.topic_ids_of(bid)))
    elif action == "back":  # from the page of topics to the controls, the audience kept
        progress = await service.progress(bid)
        await _show_audience(query, service,
                             BroadcastResult("ok" if progress else "gone", progress))
    elif action == "test":
        await _test_to_me(context, query, service, user_id, bid)
    elif action == "schedule":
        await query.answer()
        await _say(context, user_id, replies.schedule_usage(bid, await service.timezone(user_id)))
    elif action in ("all", "private", "groups", "channels"):
        await _show_audience(query, service, await service.set_audience(user_id, bid, action))
    else:
        await _change_state(query, service, user_id, bid, action)


async def _test_to_me(context: NewsContext, query: CallbackQuery, service: BroadcastService,
                      user_id: int, bid: int) -> None:
    """Send the announcement to the presser alone (nothing is queued)."""
    content = await service.content(bid)
    if content is None or not await service.record_test(user_id, bid):
        await query.answer(replies.outcome_text("gone"))
        return
    await send_rendered(context.bot, user_id, replies.render_broadcast(content))
    await query.answer(replies.test_note())


async def _show_audience(query: CallbackQuery, service: BroadcastService,
                         result: BroadcastResult, *, topics_page: bool = False) -> None:
    """The controls again, with the audience just chosen and its size (after a topic press,
    the text with the page of topics still open)."""
    progress = result.progress
    if progress is None:
        await query.answer(replies.outcome_text(result.outcome))
        return
    await query.answer(replies.audience_toast())
    topic_ids = await service.topic_ids_of(progress.broadcast_id)
    size = await service.audience_size(progress.audience, topic_ids)
    controls = replies.render_controls(progress, size)
    if topics_page:  # a topic was toggled: stay on the page, the chosen ones ticked
        controls = dataclasses.replace(controls, buttons=replies.topic_buttons(
            progress.broadcast_id, await service.topics(), chosen=topic_ids))
    await edit_rendered(query, controls)


async def _change_state(query: CallbackQuery, service: BroadcastService, actor: int, bid: int,
                        action: str) -> None:
    """Send now, Cancel, Pause or Resume; the pressed message becomes the progress message."""
    change = {"send": service.send_now, "cancel": service.cancel, "pause": service.pause,
              "resume": service.resume}[action]
    result = await change(actor, bid)
    if result.progress is None:
        await query.answer(replies.outcome_text(result.outcome))
        return
    await query.answer(replies.started_toast() if action == "send" else None)
    await edit_rendered(query, replies.render_progress(result.progress))
    if query.message is not None:  # the pressed message is the progress message from now on
        await service.set_progress_message(bid, query.message.chat.id, query.message.message_id)


async def topic_pressed(update: Update, context: NewsContext) -> None:
    """Add one topic's subscribers to the broadcast's audience, or take them off again."""
    gate = await admin_press(update, context,
                             available=context.services.broadcasts is not None)
    if gate is None:
        return
    query, user_id = gate
    pressed = BroadcastTopic.parse(query.data)
    if pressed is None:
        await query.answer(render.stale_button_notice())
        return
    service = _service(context)
    await _show_audience(query, service, await service.set_audience(
        user_id, pressed.broadcast_id, "topic", pressed.topic_id), topics_page=True)


async def broadcast_tick(bot: Bot, service: BroadcastService) -> None:
    """Fire due scheduled broadcasts; edit each running one's progress message, sending the
    final report when one is done (a scheduled one gets a new progress message)."""
    await service.fire_due()
    for progress, chat_id, message_id, finished in await service.tick():
        if chat_id is None or (message_id is None and progress.status == "cancelled"):
            continue  # from the CLI; or cancelled before it had a progress message (the
            # pressed Cancel already shows it, or it was a scheduled one never started)
        shown = replies.render_progress(progress)
        try:
            if message_id is None:
                sent = await send_rendered(bot, chat_id, shown)
                await service.set_progress_message(progress.broadcast_id, chat_id,
                                                   sent.message_id)
            else:
                await bot.edit_message_text(
                    shown.text or "", chat_id=chat_id, message_id=message_id,
                    parse_mode=ParseMode.HTML, reply_markup=keyboard(shown.buttons))
            if finished:
                await send_rendered(bot, chat_id, shown)
        except TelegramError as exc:  # "not modified", a deleted message: the next tick
            if "not modified" not in str(exc).lower():
                log.warning("broadcast %d progress not shown: %s", progress.broadcast_id, exc)


def register(application: NewsApplication) -> None:
    """Add /broadcast, /broadcasts, the announcement after a bare /broadcast, and the
    broadcast buttons."""
    awaiting = _Awaiting()
    application.bot_data[AWAITING_KEY] = awaiting
    application.add_handler(CommandHandler("broadcast", broadcast_command))
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    # Only a fresh, plain message: not an edit, a reply (a comment) or a forward (/connect).
    application.add_handler(MessageHandler(
        filters.UpdateType.MESSAGE & ~filters.REPLY & ~filters.FORWARDED & awaiting
        & ~filters.COMMAND & (filters.TEXT | filters.PHOTO), announcement_message))
    application.add_handler(CallbackQueryHandler(action_pressed, pattern=BroadcastAction.matches))
    application.add_handler(CallbackQueryHandler(topic_pressed, pattern=BroadcastTopic.matches))
