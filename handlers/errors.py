"""The application's error handler: a handler exception is logged with its context, the user
gets a short apology in their language, and admins an alert — one per error kind (exception
class and handler) per 10 minutes, counted in this process's memory."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Collection

from telegram import Update
from telegram.error import TelegramError

from bot.context import NewsContext
from bot.i18n import current_language, use_language
from bot.log import mask_secrets
from bot.render import admin_replies as replies
from bot.telegram_io import send_rendered
from bot.updates import mark_update_failed, update_command, update_kind

log = logging.getLogger(__name__)

# The wiring puts the commands and button kinds here, so a log line names a known command and
# never echoes what a user typed.
COMMANDS_KEY = "newsbot.error_commands"
BUTTON_KINDS_KEY = "newsbot.error_button_kinds"


def failing_handler(error: BaseException) -> str:
    """Where ``error`` was raised: the innermost frame in a ``handlers`` module (the handler),
    else the innermost frame of all, as ``module.function``."""
    frames = traceback.extract_tb(error.__traceback__)
    names = [(frame.filename, frame.name) for frame in frames]
    for filename, name in reversed(names):
        parts = filename.replace("\\", "/").split("/")
        if len(parts) >= 2 and parts[-2] == "handlers":
            return f"handlers.{parts[-1].removesuffix('.py')}.{name}"
    if names:
        filename, name = names[-1]
        return f"{filename.replace(chr(92), '/').rsplit('/', 1)[-1].removesuffix('.py')}.{name}"
    return "unknown"


async def on_error(update: object, context: NewsContext) -> None:
    """Log a handler failure, apologise to the user, alert the admins (rate-limited)."""
    mark_update_failed()  # the update's outcome in the metrics
    error = context.error
    if error is None:
        return
    commands: Collection[str] = context.bot_data.get(COMMANDS_KEY, ())
    buttons: Collection[str] = context.bot_data.get(BUTTON_KINDS_KEY, ())
    kind = update_kind(update)
    command = update_command(update, commands, buttons)
    chat = update.effective_chat if isinstance(update, Update) else None
    handler = failing_handler(error)
    log.error("error while handling a %s update (chat %s, command %s) in %s", kind,
              chat.id if chat else None, command, handler, exc_info=error)
    if isinstance(update, Update) and chat is not None and chat.type != "channel":
        await _apologise(update, context, chat.id)
    services = context.services
    if services.admins.alert_gate.allow(f"{type(error).__qualname__}@{handler}"):
        alert = (type(error).__qualname__, handler, kind, chat.id if chat else None, command,
                 mask_secrets(str(error)))
        for admin_id in await services.admins.admin_ids():
            try:
                language = await services.languages.for_chat(admin_id)
            except Exception:  # the error may be that the database is away
                language = current_language()
            try:
                with use_language(language):
                    message = replies.render_error_alert(*alert)
                await send_rendered(context.bot, admin_id, message)
            except TelegramError as exc:  # an admin who never opened the bot
                log.warning("could not alert admin %s about an error: %s", admin_id, exc)


async def _apologise(update: Update, context: NewsContext, chat_id: int) -> None:
    """Tell the user, in their language, that their request failed."""
    user = update.effective_user
    try:
        language = await context.services.languages.for_chat(
            chat_id, user.language_code if user else None)
    except Exception:  # the error may be that the database is away: the update's language
        language = current_language()
    message = update.effective_message
    thread_id = message.message_thread_id if message and message.is_topic_message else None
    with use_language(language):
        toast, apology = replies.error_apology(), replies.render_error_apology()
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(toast, show_alert=True)
            return
        except TelegramError as exc:  # already answered: say it in the chat instead
            log.debug("could not answer the failed press: %s", exc)
    try:
        await send_rendered(context.bot, chat_id, apology, thread_id=thread_id)
    except TelegramError as exc:  # the failure may be Telegram itself
        log.info("could not apologise to chat %s: %s", chat_id, exc)
