"""The admin console: /admin (list, add, remove admins), /audit, /ban, /unban, /queue, /stats
and the Remove buttons. Every command and button asks AdminService, server-side, and a
non-admin gets a short "not allowed" with nothing changed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import RemoveAdmin
from bot.context import NewsApplication, NewsContext
from bot.domain import IncomingMessage
from bot.render import admin_replies as replies
from bot.render import stats_replies
from bot.services.admins import AUDIT_DEFAULT, parse_user_id
from bot.telegram_io import send_rendered
from handlers.admin_gate import admin_message, admin_press, reply_html

log = logging.getLogger(__name__)

# The wiring (bot.application) puts the admin menu's publish/withdraw calls here: handlers
# cannot import it.
MENUS_KEY = "newsbot.admin_menus"
ADMIN_COMMAND_NAMES = ("admin", "audit", "ban", "unban", "queue", "feeds", "post", "stats",
                       "broadcast", "broadcasts")


@dataclass(frozen=True)
class AdminMenus:
    """Show or take back the admin command menu in one user's private chat."""

    publish: Callable[[Bot, int], Awaitable[None]]
    withdraw: Callable[[Bot, int], Awaitable[None]]


async def _reply(context: NewsContext, incoming: IncomingMessage, text: str) -> None:
    await reply_html(context, incoming, text)


async def _admin_message(update: Update, context: NewsContext) -> IncomingMessage | None:
    return await admin_message(update, context)


async def admin_command(update: Update, context: NewsContext) -> None:
    """List the admins, or add / remove one (/admin add|remove <user id>)."""
    incoming = await _admin_message(update, context)
    if incoming is None or incoming.user is None:
        return
    args = context.args or []
    admins = context.services.admins
    if not args:
        listed = await admins.admins()
        await send_rendered(context.bot, incoming.chat.id, replies.render_admin_list(listed),
                            thread_id=incoming.thread_id)
        return
    user_id = parse_user_id(args[1]) if len(args) == 2 else None
    if args[0].lower() not in ("add", "remove") or user_id is None:
        await _reply(context, incoming, replies.admin_usage())
        return
    if args[0].lower() == "add":
        result = await admins.add(incoming.user.id, user_id)
    else:
        result = await admins.remove(incoming.user.id, user_id)
    await _reply(context, incoming, render.escape(replies.admin_outcome(result)))
    await _update_menu(context, result.outcome, user_id)


async def remove_pressed(update: Update, context: NewsContext) -> None:
    """Take admin rights from the admin whose Remove button was pressed."""
    admins = context.services.admins
    if (gate := await admin_press(update, context)) is None:
        return
    query, actor = gate
    pressed = RemoveAdmin.parse(query.data)
    user_id = parse_user_id(pressed.user_id) if pressed else None
    if user_id is None:
        await query.answer(render.stale_button_notice())
        return
    result = await admins.remove(actor, user_id)
    await query.answer(replies.admin_outcome(result))
    await _update_menu(context, result.outcome, user_id)


async def audit_command(update: Update, context: NewsContext) -> None:
    """Show the newest entries of the audit log (/audit [n], 20 by default)."""
    incoming = await _admin_message(update, context)
    if incoming is None or incoming.user is None:
        return
    args = context.args or []
    count = int(args[0]) if len(args) == 1 and args[0].isascii() and args[0].isdigit() \
        and len(args[0]) < 6 else AUDIT_DEFAULT
    entries = await context.services.admins.audit(incoming.user.id, count)
    await _reply(context, incoming, replies.render_audit(entries or ()))


async def ban_command(update: Update, context: NewsContext) -> None:
    """Ban a user from commenting (/ban <user id>)."""
    await _set_ban(update, context, banned=True)


async def unban_command(update: Update, context: NewsContext) -> None:
    """Lift a user's comment ban (/unban <user id>)."""
    await _set_ban(update, context, banned=False)


async def _set_ban(update: Update, context: NewsContext, *, banned: bool) -> None:
    incoming = await _admin_message(update, context)
    if incoming is None or incoming.user is None:
        return
    args = context.args or []
    user_id = parse_user_id(args[0]) if len(args) == 1 else None
    if user_id is None:
        await _reply(context, incoming, replies.user_id_usage("ban" if banned else "unban"))
        return
    result = await context.services.admins.ban(incoming.user.id, user_id, banned=banned)
    await _reply(context, incoming, render.escape(replies.admin_outcome(result)))


async def queue_command(update: Update, context: NewsContext) -> None:
    """List the comments held for moderation, each with Approve / Reject / Ban."""
    incoming = await _admin_message(update, context)
    if incoming is None or incoming.user is None:
        return
    services = context.services
    queue = await services.admins.queue(incoming.user.id)
    if queue is None:
        return
    await _reply(context, incoming, replies.render_queue_head(queue))
    for held in queue.comments:
        await send_rendered(context.bot, incoming.chat.id,
                            render.render_held_comment(held,
                                                       spoiler=services.comments.settings.spoiler),
                            thread_id=incoming.thread_id)


async def stats_command(update: Update, context: NewsContext) -> None:
    """Send the statistics, then the chart of the last 30 days as a photo."""
    incoming = await _admin_message(update, context)
    if incoming is None:
        return
    stats = context.services.stats
    report = await stats.report()
    await _reply(context, incoming, stats_replies.render_stats(report))
    await context.bot.send_photo(
        incoming.chat.id, photo=InputFile(await stats.chart(report.series), filename="stats.png"),
        caption=stats_replies.chart_caption(), parse_mode=ParseMode.HTML,
        message_thread_id=incoming.thread_id)


async def _update_menu(context: NewsContext, outcome: str, user_id: int) -> None:
    """Give a new admin the admin menu, or take it from a removed one."""
    menus = context.bot_data.get(MENUS_KEY)
    if not isinstance(menus, AdminMenus) or outcome not in ("added", "removed"):
        return
    try:
        await (menus.publish if outcome == "added" else menus.withdraw)(context.bot, user_id)
    except TelegramError as exc:  # a user who never opened the bot: the menu comes at start
        log.warning("admin menu for %s not %s: %s", user_id, outcome, exc)


def register(application: NewsApplication) -> None:
    """Add the admin commands and the admin list's Remove buttons."""
    application.add_handler(CommandHandler("admin", admin_command))
    application.add_handler(CommandHandler("audit", audit_command))
    application.add_handler(CommandHandler("ban", ban_command))
    application.add_handler(CommandHandler("unban", unban_command))
    application.add_handler(CommandHandler("queue", queue_command))
    application.add_handler(CommandHandler("stats", stats_command))
    application.add_handler(CallbackQueryHandler(remove_pressed, pattern=RemoveAdmin.matches))
