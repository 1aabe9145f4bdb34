"""What a chat wants in its pushes beyond topics: mute words, include-only words, link
previews and images (``chats.settings``; `/settings` writes them). Pure: no I/O.

Words match whole words of an explainer's title, summary and topic names, case- and
accent-insensitively ("Kyiv" mutes "kyiv" and "KYIV", not "Kyivstar")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.domain import ArticleCard
from bot.render import OutgoingMessage

_WORD = re.compile(r"\w+(?:['’]\w+)*")


def _fold(text: str) -> str:
    """Case- and accent-folded text; marks on Cyrillic letters stay (й ≠ и, ї ≠ і)."""
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text.casefold()):
        if not unicodedata.combining(ch):
            base = ch
            kept.append(ch)
        elif "\u0400" <= base <= "\u04ff":
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def _words(values: object) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        return ()
    return tuple(dict.fromkeys(_fold(value).strip() for value in values
                               if isinstance(value, str) and value.strip()))[:100]


@dataclass(frozen=True, slots=True)
class ContentPrefs:
    """A chat's filters and presentation choices for pushes (defaults: everything, as is)."""

    mute_words: tuple[str, ...] = ()
    only_words: tuple[str, ...] = ()
    previews: bool = True
    images: bool = True

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ContentPrefs:
        """Read ``chats.settings``; anything malformed counts as unset."""
        settings = settings if isinstance(settings, Mapping) else {}
        return cls(
            mute_words=_words(settings.get("mute_words")),
            only_words=_words(settings.get("only_words")),
            previews=settings.get("previews") is not False,
            images=settings.get("images") is not False,
        )

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_CONTENT

    def refusal(self, card: ArticleCard) -> str | None:
        """Why the chat does not want ``card`` (None: it does)."""
        if not self.mute_words and not self.only_words:
            return None
        text = " ".join((card.title, card.summary,
                         *(f"{topic.name} {topic.slug}" for topic in card.topics)))
        words = set(_WORD.findall(_fold(text)))
        phrase = " ".join(_WORD.findall(_fold(text)))
        if muted := next((w for w in self.mute_words if _has(w, words, phrase)), None):
            return f"muted by the chat's settings ({muted!r})"
        if self.only_words and not any(_has(w, words, phrase) for w in self.only_words):
            return "none of the chat's include-only words"
        return None

    def present(self, messages: Sequence[OutgoingMessage]) -> list[OutgoingMessage]:
        """The rendered messages as this chat wants them: without the image (its text
        version) and without link previews, when so chosen."""
        if self.is_default:
            return list(messages)
        shown = []
        for message in messages:
            if not self.images and message.method == "sendPhoto" and message.fallback:
                message = message.fallback
            if not self.previews and message.method == "sendMessage":
                message = replace(message, disable_preview=True)
            shown.append(message)
        return shown


def _has(word: str, words: set[str], phrase: str) -> bool:
    """A muted or wanted word (or phrase of several words) occurs whole."""
    parts = _WORD.findall(word)
    if len(parts) <= 1:
        return word in words
    return f" {' '.join(parts)} " in f" {phrase} "


DEFAULT_CONTENT = ContentPrefs()
