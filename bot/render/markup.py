"""Telegram HTML primitives: escaping, the formatting helpers, limits and URL safety.

Telegram counts its limits (4096 characters for a text, 1024 for a caption) in UTF-16 code
units after entity parsing. Every helper escapes the text it is given, so user or feed text
never becomes markup.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from bot.text import fix_surrogates

__all__ = [
    "CAPTION_LIMIT",
    "LINK_SCHEMES",
    "TEXT_LIMIT",
    "blockquote",
    "bold",
    "code",
    "code_language",
    "escape",
    "fill",
    "italic",
    "join_lines",
    "link",
    "pre",
    "safe_url",
    "spoiler",
    "utf16_len",
    "web_url",
]

TEXT_LIMIT = 4096
"""Longest message text Telegram accepts, in UTF-16 code units after entity parsing."""
CAPTION_LIMIT = 1024
"""Longest media caption Telegram accepts, in UTF-16 code units after entity parsing."""

LINK_SCHEMES = frozenset({"http", "https", "tg", "mailto"})
"""URL schemes that may appear in a link; anything else (``javascript:``…) becomes plain text."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\x00-\x1f\x7f]")
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.\-]{1,32}")


def escape(text: str, *, quote: bool = False) -> str:
    """Escape ``&``, ``<`` and ``>`` (and ``"`` when `quote`) so `text` reads literally."""
    text = fix_surrogates(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def fill(template: str, **html_values: str) -> str:
    """A (translated) text with HTML in its placeholders: the template is escaped, then each
    ``{name}`` becomes its value, which must already be HTML (``bold(...)``, ``escape(...)``).
    Values are not parsed again, so braces a user typed stay literal."""
    return escape(template).format(**html_values)


def utf16_len(text: str) -> int:
    """Length of `text` as Telegram counts it: in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def safe_url(url: str | None, *, base_url: str | None = None) -> str | None:
    """`url` if it is an absolute link with an allowed scheme (resolving it against
    `base_url` when relative), else None."""
    if not url:
        return None
    url = _URL_EDGES.sub("", _URL_NOISE.sub("", url))
    if not url:
        return None
    try:
        if _SCHEME.match(url) is None:
            if base_url is None:
                return None
            url = urljoin(base_url, url)
        scheme = _SCHEME.match(url)
        if scheme is None or scheme.group(1).lower() not in LINK_SCHEMES:
            return None
        if scheme.group(1).lower() in ("http", "https") and not urlsplit(url).hostname:
            return None
    except ValueError:  # urlsplit rejects e.g. a broken IPv6 literal
        return None
    return fix_surrogates(url.replace(" ", "%20"))


def web_url(url: str | None) -> str | None:
    """`url` if it is a safe absolute http(s) link, else None."""
    safe = safe_url(url)
    return safe if safe is not None and safe.lower().startswith(("http:", "https:")) else None


def code_language(value: str | None) -> str | None:
    """`value` if it can name a code block's language (letters, digits, ``_+#.-``)."""
    if value and _LANGUAGE.fullmatch(value):
        return value
    return None


def bold(text: str) -> str:
    """`text`, escaped, in bold (empty text gives an empty string)."""
    return f"<b>{escape(text)}</b>" if text else ""


def italic(text: str) -> str:
    """`text`, escaped, in italics (empty text gives an empty string)."""
    return f"<i>{escape(text)}</i>" if text else ""


def spoiler(text: str) -> str:
    """`text`, escaped, hidden behind a spoiler (empty text gives an empty string)."""
    return f"<tg-spoiler>{escape(text)}</tg-spoiler>" if text else ""


def code(text: str) -> str:
    """`text`, escaped, as inline monospace (empty text gives an empty string)."""
    return f"<code>{escape(text)}</code>" if text else ""


def pre(text: str, language: str | None = None) -> str:
    """`text`, escaped, as a preformatted block, optionally tagged with a `language`."""
    if not text:
        return ""
    lang = code_language(language)
    if lang:
        return f'<pre><code class="language-{lang}">{escape(text)}</code></pre>'
    return f"<pre>{escape(text)}</pre>"


def blockquote(text: str, *, expandable: bool = False) -> str:
    """`text`, escaped, as a quotation (collapsed behind "show more" when `expandable`)."""
    if not text:
        return ""
    return f"<blockquote{' expandable' if expandable else ''}>{escape(text)}</blockquote>"


def link(text: str, url: str | None) -> str:
    """`text`, escaped, linking to `url`; just the text when `url` is not a safe absolute
    link (http, https, tg, mailto). Empty text shows the URL itself."""
    safe = safe_url(url)
    label = text or (url or "")
    if safe is None:
        return escape(label)
    return f'<a href="{escape(safe, quote=True)}">{escape(label or safe)}</a>'


def join_lines(*html_lines: str) -> str:
    """Join already rendered lines with line breaks (an empty string is a blank line)."""
    return "\n".join(html_lines)
