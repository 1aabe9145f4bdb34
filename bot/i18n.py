"""The bot's languages: every text a reader sees goes through gettext catalogues (Babel).

English is the source language (the msgids); Ukrainian is ``bot/locale/uk/LC_MESSAGES/
newsbot.po``. The ``.po`` file is the one source of truth: it is compiled in memory with
Babel's own ``write_mo`` the first time a language is used, so there is no compiled file to
forget to rebuild. ``make messages`` re-extracts the template and updates the catalogue.

The language of what is being rendered is a context variable. A handler in group -2
(:mod:`handlers.language`) sets it from the chat's interface language before any other
handler runs; jobs that write to many chats (the outbox) wrap each chat's rendering in
:func:`use_language`. Renderers call :func:`_` / :func:`ngettext` and never take a language
argument.

Texts use ``str.format`` placeholders (``_("You follow {topic}.").format(topic=...)``) so
translators can move them; HTML is added by the renderer around the values, and the tests in
``tests/unit/test_i18n.py`` check that every translation keeps its msgid's placeholders and
tags.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "current_language",
    "interface_language",
    "language_name",
    "ngettext",
    "set_language",
    "translations",
    "use_language",
]

DOMAIN = "newsbot"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
#: The interface languages, source language first.
LANGUAGES = ("en", "uk")
#: Each language's name in itself (the /settings buttons show these).
_NAMES = {"en": "English", "uk": "Українська"}

_current: ContextVar[str] = ContextVar("newsbot_language", default=DEFAULT_LANGUAGE)


def interface_language(code: str | None) -> str:
    """The interface language for a Telegram ``language_code`` ("uk-UA" → "uk"); English for
    anything we have no catalogue for, or no code at all."""
    primary = (code or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def language_name(language: str) -> str:
    """A language's own name ("Українська"), or the code itself when unknown."""
    return _NAMES.get(language, language)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: no catalogue, the msgids as they are).
    Fuzzy and untranslated entries fall back to English."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def current_language() -> str:
    """The language being rendered in now."""
    return _current.get()


def set_language(language: str) -> Token[str]:
    """Render in ``language`` from now on in this task (the per-update handler uses this);
    unknown languages become English."""
    return _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Render in ``language`` inside the block, then restore the previous language."""
    token = set_language(language or DEFAULT_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted text right for ``n`` in the current language (Ukrainian has
    three: 1 стаття, 2 статті, 5 статей)."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a module-level text for extraction without translating it yet: translate it
    with :func:`_` where it is used, when the language is known."""
    return message
