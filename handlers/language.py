"""The language of every answer: before any other handler (group -2, ahead of the flood
gate), look up the chat's interface language and render the rest of this update in it.

A chat that is new to the bot is answered in the user's Telegram language; once the update
has been handled (group 100, after every feature's handler) and the chat has been recorded —
by /start, /subscribe, a picker press… — it keeps that language, so its pushes speak it too.
"""

from __future__ import annotations

from contextvars import ContextVar

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import NewsApplication, NewsContext
from bot.i18n import set_language

LANGUAGE_GROUP = -2
FIRST_CONTACT_GROUP = 100

# (chat id, user's language code) of this update's chat when it was not yet known; each
# update is handled in its own task, so this is the update's own.
_new_chat: ContextVar[tuple[int, str | None] | None] = ContextVar("newsbot_new_chat",
                                                                   default=None)


async def choose_language(update: object, context: NewsContext) -> None:
    """Set this update's language from its chat (or, for a new chat, the user's Telegram
    language)."""
    if not isinstance(update, Update):
        return
    user, chat = update.effective_user, update.effective_chat
    code = user.language_code if user is not None else None
    languages = context.services.languages
    if chat is None:
        set_language(languages.default_for(code))
        return
    language, known = await languages.lookup(chat.id, code)
    set_language(language)
    _new_chat.set(None if known else (chat.id, code))


async def keep_first_language(update: object, context: NewsContext) -> None:
    """After the update: a chat it recorded keeps the language it was answered in."""
    new = _new_chat.get()
    if new is not None:
        _new_chat.set(None)
        await context.services.languages.for_chat(*new)


def register(application: NewsApplication) -> None:
    """Add the language lookup ahead of every other handler (group -2) and the first-contact
    record after them (group 100)."""
    application.add_handler(TypeHandler(Update, choose_language), group=LANGUAGE_GROUP)
    application.add_handler(TypeHandler(Update, keep_first_language), group=FIRST_CONTACT_GROUP)
