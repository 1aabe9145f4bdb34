"""The language of every answer: before any other handler (group -2, ahead of the flood
gate), look up the chat's interface language and render the rest of this update in it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import NewsApplication, NewsContext
from bot.i18n import set_language

LANGUAGE_GROUP = -2


async def choose_language(update: object, context: NewsContext) -> None:
    """Set this update's language from its chat (or, for a new chat, the user's Telegram
    language)."""
    if not isinstance(update, Update):
        return
    user, chat = update.effective_user, update.effective_chat
    code = user.language_code if user is not None else None
    if chat is None:
        set_language(context.services.languages.default_for(code))
        return
    set_language(await context.services.languages.for_chat(chat.id, code))


def register(application: NewsApplication) -> None:
    """Add the language lookup ahead of every other handler (group -2)."""
    application.add_handler(TypeHandler(Update, choose_language), group=LANGUAGE_GROUP)
