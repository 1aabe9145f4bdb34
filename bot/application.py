"""The PTB Application: our aiohttp transport, typed context, every handler module registered.

Also the two lifecycle helpers :class:`bot.app.NewsBot` stacks its resources with.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, Defaults

import handlers.admin
import handlers.broadcasts
import handlers.channels
import handlers.comment_edits
import handlers.comment_follow
import handlers.comments
import handlers.errors
import handlers.fallback
import handlers.feeds_admin
import handlers.flood
import handlers.help
import handlers.language
import handlers.membership
import handlers.reader
import handlers.search
import handlers.settings
import handlers.stale_buttons
import handlers.start
import handlers.subscriptions
import handlers.topics
from bot.callback_data import CallbackData
from bot.config import Settings
from bot.context import CONTEXT_TYPES, NewsApplication
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, _, use_language
from bot.transport import AiohttpRequest, ApiActivity
from bot.updates import PerChatUpdateProcessor, UpdateObserver

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
HANDLER_MODULES = (
    handlers.language,  # group -2: this update's language, before anything answers
    handlers.flood,  # group -1: sees every update first
    handlers.broadcasts,  # first in group 0: an admin's announcement after a bare /broadcast
    handlers.start, handlers.help, handlers.topics, handlers.reader, handlers.search,
    handlers.comments, handlers.comment_edits, handlers.membership, handlers.channels,
    handlers.subscriptions,
    handlers.settings, handlers.admin, handlers.comment_follow, handlers.feeds_admin,
    handlers.fallback,  # after every command handler: unknown commands, free text
    handlers.stale_buttons,  # last: it answers the presses no other module claimed
)
# The command menu: each description is a catalogue text, registered once per language.
BOT_COMMANDS = (
    ("start", N_("Welcome and pick your topics")),
    ("topics", N_("Follow or unfollow topics")),
    ("latest", N_("The newest explainers, summarised")),
    ("topic", N_("Key points of a topic, e.g. /topic russia")),
    ("search", N_("Find explainers by their words")),
    ("subscribe", N_("Follow topics by name, e.g. /subscribe russia")),
    ("unsubscribe", N_("Unfollow topics, or all of them")),
    ("settings", N_("Delivery: instant or digest, quiet hours, filters")),
    ("stop", N_("Stop all messages (and delete your data)")),
    ("help", N_("What this bot can do")),
    ("connect", N_("Connect your channel, e.g. /connect @mychannel")),
    ("channels", N_("Your connected channels")),
)
# The admins' own commands: in their private chat's menu (with the readers'), never in the
# public menus or /help.
ADMIN_COMMANDS = (
    ("admin", N_("Admins: list, /admin add <id>, /admin remove <id>")),
    ("queue", N_("Comments waiting for approval")),
    ("ban", N_("Ban a user from commenting: /ban <id>")),
    ("unban", N_("Let a banned user comment again: /unban <id>")),
    ("audit", N_("The latest admin actions: /audit [n]")),
    ("feeds", N_("Feeds and their health; add, remove, pause, resume")),
    ("post", N_("Publish one explainer now: /post <url>")),
    ("stats", N_("Subscribers, deliveries, feeds, comments, clicks and a chart")),
    ("broadcast", N_("Send an announcement to subscribers")),
    ("broadcasts", N_("Scheduled and running broadcasts")),
)
# The languages of the menu besides the default (English, registered with no language code).
MENU_LANGUAGES = tuple(language for language in LANGUAGES if language != DEFAULT_LANGUAGE)
# Commands that make no sense in a group's menu (they manage the user's own channels).
PRIVATE_ONLY_COMMANDS = frozenset({"connect", "channels"})
# Every button's kind (its callback data prefix), for the metrics' labels.
BUTTON_KINDS = tuple(sorted(kind.prefix for kind in CallbackData.__subclasses__()))


def command_menus() -> list[tuple[list[BotCommand], BotCommandScope | None, str | None]]:
    """The command menus to register: (commands, scope, language_code) for the default scope
    and for all group chats, each in English (no language code: everyone else) and in every
    other interface language (Ukrainian), the descriptions translated through the catalogue."""
    menus: list[tuple[list[BotCommand], BotCommandScope | None, str | None]] = []
    group = [(c, d) for c, d in BOT_COMMANDS if c not in PRIVATE_ONLY_COMMANDS]
    for scope, commands in ((None, list(BOT_COMMANDS)),
                            (BotCommandScopeAllGroupChats(), group)):
        for language in (None, *MENU_LANGUAGES):
            with use_language(language):
                menus.append(([BotCommand(c, _(d)) for c, d in commands], scope, language))
    return menus


def admin_command_menus() -> list[tuple[list[BotCommand], str | None]]:
    """An admin's private menu, the readers' commands then the admin ones, per language."""
    menus: list[tuple[list[BotCommand], str | None]] = []
    for language in (None, *MENU_LANGUAGES):
        with use_language(language):
            menus.append(([BotCommand(c, _(d)) for c, d in (*BOT_COMMANDS, *ADMIN_COMMANDS)],
                          language))
    return menus


async def publish_admin_menu(bot: Bot, chat_id: int) -> None:
    """Give one admin the admin menu in their private chat (setMyCommands, chat scope)."""
    for commands, language in admin_command_menus():
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id),
                                  language_code=language)


async def withdraw_admin_menu(bot: Bot, chat_id: int) -> None:
    """Take the admin menu back from a removed admin (they see the readers' menu again)."""
    for language in (None, *MENU_LANGUAGES):
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=language)


async def publish_commands(bot: Bot, admin_ids: Iterable[int] = ()) -> None:
    """Register the command menus with Telegram (setMyCommands per scope and language), and
    each admin's own menu; an admin whose chat Telegram refuses (never opened the bot) is
    logged and skipped."""
    for commands, scope, language in command_menus():
        await bot.set_my_commands(commands, scope=scope, language_code=language)
    for admin_id in admin_ids:
        try:
            await publish_admin_menu(bot, admin_id)
        except TelegramError as exc:
            log.warning("admin menu for %s not published: %s", admin_id, exc)


def file_base_url(api_base_url: str) -> str:
    """Derive the file download base from the API base (…/bot → …/file/bot)."""
    if api_base_url.endswith("/bot"):
        return api_base_url[: -len("/bot")] + "/file/bot"
    return api_base_url.rstrip("/") + "/file/bot"


def build_application(
    settings: Settings,
    activity: ApiActivity | None = None,
    observer: UpdateObserver | None = None,
) -> NewsApplication:
    """Build the PTB Application on our aiohttp transport and register every handler module.

    ``observer`` (the bot's metrics) is told each update's type, command, outcome and time.
    The services are attached afterwards with :func:`attach_services` (the outbox needs the
    application's bot). ``activity`` records each successful Bot API call (readiness)."""
    tg = settings.telegram
    api_request = AiohttpRequest(
        pool_size=tg.pool_size,
        connect_timeout=tg.connect_timeout,
        read_timeout=tg.read_timeout,
        write_timeout=tg.write_timeout,
        pool_timeout=tg.pool_timeout,
        activity=activity,
    )
    updates_request = AiohttpRequest(
        pool_size=2,
        connect_timeout=tg.connect_timeout,
        read_timeout=tg.read_timeout + tg.poll_timeout,
        write_timeout=tg.write_timeout,
        pool_timeout=tg.pool_timeout,
        activity=activity,
    )
    builder = (
        ApplicationBuilder()
        .token(tg.token.get_secret_value())
        .base_url(tg.api_base_url)
        .base_file_url(file_base_url(tg.api_base_url))
        .request(api_request)
        .get_updates_request(updates_request)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(PerChatUpdateProcessor(
            observer=observer,
            commands=[command for command, _ in (*BOT_COMMANDS, *ADMIN_COMMANDS)],
            button_kinds=BUTTON_KINDS,
        ))
    )
    if tg.mode == "webhook":
        builder = builder.updater(None)
    application: NewsApplication = builder.build()
    application.bot_data[handlers.help.COMMANDS_KEY] = BOT_COMMANDS
    application.bot_data[handlers.help.PRIVATE_ONLY_KEY] = PRIVATE_ONLY_COMMANDS
    application.bot_data[handlers.admin.MENUS_KEY] = handlers.admin.AdminMenus(
        publish=publish_admin_menu, withdraw=withdraw_admin_menu)
    application.bot_data[handlers.errors.COMMANDS_KEY] = frozenset(
        command for command, _ in (*BOT_COMMANDS, *ADMIN_COMMANDS))
    application.bot_data[handlers.errors.BUTTON_KINDS_KEY] = frozenset(BUTTON_KINDS)
    for module in HANDLER_MODULES:
        module.register(application)
    application.add_error_handler(handlers.errors.on_error)
    return application


def close_on_stop(
    stack: AsyncExitStack, name: str, close: Callable[[], Awaitable[object]]
) -> None:
    """Register ``close`` on the stack; a failure is logged and the other closes still run."""

    async def guarded() -> None:
        try:
            await close()
        except Exception:
            log.exception("error while stopping the %s", name)

    stack.push_async_callback(guarded)


@asynccontextmanager
async def initialized(application: NewsApplication) -> AsyncIterator[NewsApplication]:
    """Initialize the application; shut it down on exit (its bot alone if initialize failed)."""
    try:
        await application.initialize()
    except BaseException:
        await application.bot.shutdown()  # the HTTP sessions may be open half-way
        raise
    try:
        yield application
    finally:
        try:
            await application.shutdown()
        except Exception:
            log.exception("error while stopping the application shutdown")
