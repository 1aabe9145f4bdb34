"""The PTB Application: our aiohttp transport, typed context, every handler module registered.

Also the two lifecycle helpers :class:`bot.app.NewsBot` stacks its resources with.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeAllGroupChats
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults

import handlers.channels
import handlers.comments
import handlers.fallback
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
from bot.callback_data import (
    ChannelAction,
    ChannelTopic,
    CommentConsent,
    CommentsPage,
    DeleteChatData,
    FollowAllTopics,
    ModerateComment,
    PickerDone,
    SettingsChoice,
    ShowComments,
    ToggleTopic,
)
from bot.config import Settings
from bot.context import CONTEXT_TYPES, NewsApplication, NewsContext
from bot.transport import AiohttpRequest, ApiActivity
from bot.updates import PerChatUpdateProcessor, UpdateObserver, mark_update_failed

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
HANDLER_MODULES = (
    handlers.language,  # group -2: this update's language, before anything answers
    handlers.flood,  # group -1: sees every update first
    handlers.start, handlers.help, handlers.topics, handlers.reader, handlers.search,
    handlers.comments, handlers.membership, handlers.channels, handlers.subscriptions,
    handlers.settings,
    handlers.fallback,  # after every command handler: unknown commands, free text
    handlers.stale_buttons,  # last: it answers the presses no other module claimed
)
BOT_COMMANDS = (
    ("start", "Welcome and pick your topics"),
    ("topics", "Follow or unfollow topics"),
    ("latest", "The newest explainers, summarised"),
    ("topic", "Key points of a topic, e.g. /topic russia"),
    ("search", "Find explainers by their words"),
    ("subscribe", "Follow topics by name, e.g. /subscribe russia"),
    ("unsubscribe", "Unfollow topics, or all of them"),
    ("settings", "Delivery: instant or digest, quiet hours, filters"),
    ("stop", "Stop all messages (and delete your data)"),
    ("help", "What this bot can do"),
    ("connect", "Connect your channel, e.g. /connect @mychannel"),
    ("channels", "Your connected channels"),
)
# The menu in Ukrainian (language_code "uk"); a command missing here shows its English text.
BOT_COMMANDS_UK = {
    "start": "Вітання і вибір тем",
    "topics": "Стежити за темами або відписатися",
    "latest": "Найновіші пояснення, коротко",
    "topic": "Головне з теми, напр. /topic russia",
    "search": "Знайти пояснення за словами",
    "help": "Що вміє цей бот",
    "settings": "Налаштування: розклад, часовий пояс, мова",
    "stop": "Зупинити розсилку",
    "subscribe": "Стежити за темою: /subscribe назва",
    "unsubscribe": "Відписатися від теми або від усіх",
    "connect": "Підключити канал",
    "channels": "Ваші підключені канали",
}
# Commands that make no sense in a group's menu (they manage the user's own channels).
PRIVATE_ONLY_COMMANDS = frozenset({"connect", "channels"})
BUTTON_KINDS: tuple[str, ...] = (ToggleTopic.prefix, ShowComments.prefix, FollowAllTopics.prefix,
                PickerDone.prefix, SettingsChoice.prefix, DeleteChatData.prefix,
                ChannelAction.prefix, ChannelTopic.prefix)
BUTTON_KINDS += (CommentConsent.prefix, ModerateComment.prefix, CommentsPage.prefix)  # comments


def command_menus() -> list[tuple[list[BotCommand], BotCommandScope | None, str | None]]:
    """The command menus to register: (commands, scope, language_code) for the default scope
    and for all group chats, each in English (no language) and Ukrainian."""
    menus: list[tuple[list[BotCommand], BotCommandScope | None, str | None]] = []
    group = [(c, d) for c, d in BOT_COMMANDS if c not in PRIVATE_ONLY_COMMANDS]
    for scope, commands in ((None, list(BOT_COMMANDS)),
                            (BotCommandScopeAllGroupChats(), group)):
        menus.append(([BotCommand(c, d) for c, d in commands], scope, None))
        menus.append(([BotCommand(c, BOT_COMMANDS_UK.get(c, d)) for c, d in commands],
                      scope, "uk"))
    return menus


async def publish_commands(bot: Bot) -> None:
    """Register the command menus with Telegram (setMyCommands per scope and language)."""
    for commands, scope, language in command_menus():
        await bot.set_my_commands(commands, scope=scope, language_code=language)


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
            commands=[command for command, _ in BOT_COMMANDS],
            button_kinds=BUTTON_KINDS,
        ))
    )
    if tg.mode == "webhook":
        builder = builder.updater(None)
    application: NewsApplication = builder.build()
    application.bot_data[handlers.help.COMMANDS_KEY] = BOT_COMMANDS
    for module in HANDLER_MODULES:
        module.register(application)
    application.add_error_handler(_on_error)
    return application


async def _on_error(update: object, context: NewsContext) -> None:
    """Log a handler failure (token masked by the log set-up); never crash the bot."""
    mark_update_failed()  # the update's outcome in the metrics
    log.error("error while handling an update", exc_info=context.error)


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
