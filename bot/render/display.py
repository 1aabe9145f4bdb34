"""What the reply renderers share: plain text tidied for display, and long HTML made into
as many text messages as it needs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.i18n import _
from bot.render.cutting import split_html
from bot.render.markup import TEXT_LIMIT
from bot.render.messages import OutgoingMessage
from bot.text import fix_surrogates, strip_controls

__all__ = ["clean_plain", "shorten_plain", "text_messages", "url_title"]

_BLANK_LINES = re.compile(r"\n{3,}")
_LINE_SPACE = re.compile(r"[ \t\f\v\xa0]+")


def clean_plain(text: str) -> str:
    """Plain user or feed text tidied for display: no control characters, no runs of blank
    lines, no trailing spaces on lines."""
    text = fix_surrogates(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = strip_controls(text.replace("\t", " "))
    lines = [_LINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def shorten_plain(text: str, limit: int) -> str:
    """Plain `text` cut between words to at most `limit` code points, with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip(" ,;:-–—") + "…"


def url_title(url: str | None) -> str:
    """A title made of a URL's host and path, for things that have no title."""
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return _("Untitled")
        host = (parts.hostname or "").removeprefix("www.")
        title = (host + parts.path.rstrip("/")).strip()
        if title:
            return title
    return _("Untitled")


def text_messages(html: str) -> list[OutgoingMessage]:
    """Telegram HTML as text messages without link previews, split to fit."""
    return [
        OutgoingMessage("sendMessage", text=part, disable_preview=True)
        for part in split_html(html, TEXT_LIMIT)
    ]
