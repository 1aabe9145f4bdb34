"""Telegram HTML rendering: the one module that builds message markup.

Everything the bot sends in HTML parse mode is produced here, so escaping, nesting rules and
Telegram's limits (4096 characters for a text, 1024 for a caption, both counted in UTF-16 code
units after entity parsing) are handled in one place.

Internally every piece of markup becomes a *document*: a list of runs, each a piece of plain
text with the formatting marks that apply to it. Serialising a document always yields balanced
Telegram HTML in which only allowed tags nest in allowed ways, and cutting a document at any
character offset can never land inside a tag or an entity. Two readers build documents:

* the feed reader (`sanitize_html`, `html_to_text`) reads arbitrary web HTML the way a browser
  would: block elements become line breaks, whitespace collapses, scripts and styles vanish;
* the Telegram reader (`truncate_html`, `split_html`) reads Telegram HTML literally and
  tolerates mistakes by unwrapping what it does not understand.

The nesting rules are deliberately stricter than Telegram's: a mark opens only where every
client renders it (nothing inside ``code``/``pre``; ``a``, ``code``, ``pre`` and ``tg-emoji``
exclude one another; bold and friends never wrap ``code``/``pre``; blockquotes do not nest and
are always outermost). Text is never lost, only formatting.

This module imports only the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import unescape as _unescape_html5
from typing import Any, Literal, Protocol
from urllib.parse import urljoin, urlsplit

from bot.callback_data import ShowComments, ToggleTopic

__all__ = [
    "CAPTION_LIMIT",
    "LINK_SCHEMES",
    "TEXT_LIMIT",
    "ArticleCard",
    "Button",
    "OutgoingMessage",
    "TopicTag",
    "blockquote",
    "bold",
    "code",
    "escape",
    "hashtag",
    "html_to_text",
    "italic",
    "join_lines",
    "link",
    "pre",
    "render_article",
    "render_article_list",
    "render_comment",
    "render_topic_summary",
    "sanitize_html",
    "split_html",
    "spoiler",
    "truncate_html",
]

TEXT_LIMIT = 4096
"""Longest message text Telegram accepts, in UTF-16 code units after entity parsing."""
CAPTION_LIMIT = 1024
"""Longest media caption Telegram accepts, in UTF-16 code units after entity parsing."""

LINK_SCHEMES = frozenset({"http", "https", "tg", "mailto"})
"""URL schemes that may appear in a link; anything else (``javascript:``…) becomes plain text."""

_MAX_DEPTH = 256  # open elements tracked at once; deeper nesting is treated as plain text

# ---------------------------------------------------------------------------------------------
# Escaping and small helpers
# ---------------------------------------------------------------------------------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _fix_surrogates(text: str) -> str:
    """Replace lone surrogates (not valid UTF-8, so Telegram refuses them) with U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def escape(text: str, *, quote: bool = False) -> str:
    """Escape ``&``, ``<`` and ``>`` (and ``"`` when `quote`) so `text` reads literally."""
    text = _fix_surrogates(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\x00-\x1f\x7f]")
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")


def _safe_url(url: str | None, *, base_url: str | None = None) -> str | None:
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
    return _fix_surrogates(url.replace(" ", "%20"))


def _checked_base(base_url: str | None) -> str | None:
    base = _safe_url(base_url)
    if base is None or not base.lower().startswith(("http:", "https:")):
        return None
    return base


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
    lang = _language(language)
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
    safe = _safe_url(url)
    label = text or (url or "")
    if safe is None:
        return escape(label)
    return f'<a href="{escape(safe, quote=True)}">{escape(label or safe)}</a>'


def join_lines(*html_lines: str) -> str:
    """Join already rendered lines with line breaks (an empty string is a blank line)."""
    return "\n".join(html_lines)


# ---------------------------------------------------------------------------------------------
# The document model: runs of text with formatting marks
# ---------------------------------------------------------------------------------------------

_B, _I, _U, _S, _SPOILER = "b", "i", "u", "s", "tg-spoiler"
_LINK, _CODE, _PRE, _QUOTE, _EMOJI = "a", "code", "pre", "blockquote", "tg-emoji"
_INLINE = frozenset({_B, _I, _U, _S, _SPOILER})
_VERBATIM = frozenset({_CODE, _PRE})
_EXCLUSIVE = frozenset({_LINK, _CODE, _PRE, _EMOJI})
# Blockquotes wrap everything; code/pre/emoji sit innermost; the rest keep their source order.
_ORDER = {_QUOTE: 0, _CODE: 2, _PRE: 2, _EMOJI: 2}
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.\-]{1,32}")


def _language(value: str | None) -> str | None:
    if value and _LANGUAGE.fullmatch(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class _Mark:
    """One piece of formatting. `value` is the href, pre language, emoji id or, for a
    blockquote, "expandable"; `serial` keeps separate blocks apart."""

    kind: str
    value: str | None = None
    serial: int = 0

    def open_tag(self) -> str:
        if self.kind == _LINK:
            return f'<a href="{escape(self.value or "", quote=True)}">'
        if self.kind == _PRE:
            if self.value:
                return f'<pre><code class="language-{escape(self.value, quote=True)}">'
            return "<pre>"
        if self.kind == _QUOTE:
            return "<blockquote expandable>" if self.value else "<blockquote>"
        if self.kind == _EMOJI:
            return f'<tg-emoji emoji-id="{escape(self.value or "", quote=True)}">'
        return f"<{self.kind}>"

    def close_tag(self) -> str:
        if self.kind == _PRE and self.value:
            return "</code></pre>"
        return f"</{self.kind}>"


_Marks = tuple[_Mark, ...]


@dataclass(frozen=True, slots=True)
class _Run:
    text: str
    marks: _Marks


def _common_prefix(a: _Marks, b: _Marks) -> _Marks:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _serialize(runs: Sequence[_Run]) -> str:
    """Telegram HTML for `runs`: tags opened and closed by diffing neighbouring mark stacks."""
    out: list[str] = []
    stack: _Marks = ()
    for run in runs:
        if not run.text:
            continue
        keep = len(_common_prefix(stack, run.marks))
        out.extend(mark.close_tag() for mark in reversed(stack[keep:]))
        out.extend(mark.open_tag() for mark in run.marks[keep:])
        out.append(escape(run.text))
        stack = run.marks
    out.extend(mark.close_tag() for mark in reversed(stack))
    return "".join(out)


def _text_of(runs: Sequence[_Run]) -> str:
    return "".join(run.text for run in runs)


@dataclass(slots=True)
class _Entry:
    name: str
    mark: _Mark | None


class _Builder:
    """Collects runs while tracking open elements and which marks they contribute."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._open: dict[str, int] = {}
        self.marks: _Marks = ()
        self._run_marks: list[_Marks] = []
        self._run_texts: list[list[str]] = []
        self._serial = 0
        self._used: set[int] = set()

    # -- elements ---------------------------------------------------------------------------

    def new_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _admit(self, mark: _Mark) -> _Mark | None:
        kinds = {m.kind for m in self.marks}
        if kinds & _VERBATIM:
            return None  # nothing opens inside code/pre
        if mark.kind == _QUOTE or mark.kind in _INLINE:
            return None if mark.kind in kinds else mark
        if kinds & _EXCLUSIVE:
            return None  # links, code, pre and custom emoji never contain each other
        if mark.kind in _VERBATIM and kinds & _INLINE:
            return None  # bold & co. are not allowed around code/pre
        return mark

    def open(self, name: str, mark: _Mark | None) -> None:
        if len(self._entries) >= _MAX_DEPTH:
            return
        admitted = self._admit(mark) if mark is not None else None
        self._entries.append(_Entry(name, admitted))
        self._open[name] = self._open.get(name, 0) + 1
        if admitted is not None:
            self._refresh()

    def close(self, name: str) -> bool:
        """Close the innermost open element called `name`; False if there is none."""
        if not self._open.get(name):
            return False
        for index in range(len(self._entries) - 1, -1, -1):
            if self._entries[index].name == name:
                entry = self._entries.pop(index)
                self._open[name] -= 1
                if entry.mark is not None:
                    self._refresh()
                return True
        return False  # pragma: no cover - the counter says it is open

    def set_pre_language(self, language: str) -> bool:
        """Give the innermost mark a language if it is a still empty ``pre``."""
        for entry in reversed(self._entries):
            mark = entry.mark
            if mark is None:
                continue
            if mark.kind == _PRE and mark.value is None and mark.serial not in self._used:
                entry.mark = _Mark(_PRE, language, mark.serial)
                self._refresh()
                return True
            return False
        return False

    def _refresh(self) -> None:
        active = [entry.mark for entry in self._entries if entry.mark is not None]
        self.marks = tuple(sorted(active, key=lambda mark: _ORDER.get(mark.kind, 1)))

    # -- text -------------------------------------------------------------------------------

    @property
    def has_text(self) -> bool:
        return bool(self._run_texts)

    @property
    def last_marks(self) -> _Marks:
        return self._run_marks[-1] if self._run_marks else ()

    @property
    def last_char(self) -> str:
        return self._run_texts[-1][-1][-1] if self._run_texts else ""

    def emit(self, text: str, marks: _Marks | None = None) -> None:
        if not text:
            return
        if marks is None:
            marks = self.marks
        if self._run_marks and self._run_marks[-1] == marks:
            self._run_texts[-1].append(text)
        else:
            self._run_marks.append(marks)
            self._run_texts.append([text])
            self._used.update(mark.serial for mark in marks if mark.serial)

    def trailing_newlines(self) -> int:
        if not self._run_texts:
            return 0
        last = self._run_texts[-1][-1]
        return len(last) - len(last.rstrip("\n"))

    def rstrip_newlines(self) -> None:
        while self._run_texts:
            text = "".join(self._run_texts[-1]).rstrip("\n")
            if text:
                self._run_texts[-1] = [text]
                return
            self._run_texts.pop()
            self._run_marks.pop()

    def runs(self) -> list[_Run]:
        return [
            _Run("".join(texts), marks)
            for texts, marks in zip(self._run_texts, self._run_marks, strict=True)
        ]


# ---------------------------------------------------------------------------------------------
# Tokenising tags (shared by both readers; linear time on any input)
# ---------------------------------------------------------------------------------------------

_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")
_TAG_SPACE = re.compile(r"[\t\n\f\r ]+")


def _skip_blank(src: str, i: int) -> int:
    match = _TAG_SPACE.match(src, i)
    return match.end() if match else i


@dataclass(frozen=True, slots=True)
class _Tag:
    end: int  # index just after the closing ">"
    name: str
    attrs: dict[str, str]  # raw (still escaped) values; first occurrence wins
    self_closing: bool


def _scan_tag(src: str, start: int) -> _Tag | None:
    """Read a tag whose name begins at `start`; None when the input ends inside it."""
    name_match = _TAG_NAME.match(src, start)
    if name_match is None:  # pragma: no cover - callers check for a letter first
        return None
    name = name_match.group().lower()
    attrs: dict[str, str] = {}
    n = len(src)
    i = name_match.end()
    while True:
        i = _skip_blank(src, i)
        if i >= n:
            return None
        char = src[i]
        if char == ">":
            return _Tag(i + 1, name, attrs, False)
        if char == "/":
            if src.startswith("/>", i):
                return _Tag(i + 2, name, attrs, True)
            i += 1
            continue
        attr = _ATTR_NAME.match(src, i)
        if attr is None:  # pragma: no cover - any character but the excluded ones matches
            return None
        i = _skip_blank(src, attr.end())
        value = ""
        if i < n and src[i] == "=":
            i = _skip_blank(src, i + 1)
            if i >= n:
                return None
            if src[i] in "\"'":
                close = src.find(src[i], i + 1)
                if close < 0:
                    return None
                value = src[i + 1 : close]
                i = close + 1
            else:
                unquoted = _UNQUOTED.match(src, i)
                value = unquoted.group() if unquoted else ""
                i = unquoted.end() if unquoted else i
        attrs.setdefault(attr.group().lower(), value)


# ---------------------------------------------------------------------------------------------
# The feed reader: web HTML → document
# ---------------------------------------------------------------------------------------------

_INLINE_TAGS = {
    "b": _B,
    "strong": _B,
    "i": _I,
    "em": _I,
    "u": _U,
    "ins": _U,
    "s": _S,
    "strike": _S,
    "del": _S,
    "tg-spoiler": _SPOILER,
}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose content is raw text up to the matching end tag; all of them are dropped.
_RAWTEXT = frozenset({"script", "style", "iframe", "noscript", "noembed", "noframes", "title"})
# Elements whose whole content is dropped.
_DROPPED = _RAWTEXT | frozenset(
    {"template", "object", "svg", "math", "head", "video", "audio", "canvas", "embed"}
)
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_PARAGRAPHS = frozenset({"p", "hr", "table", "figure", "dl", "address", "details", "fieldset"})
_LINES = frozenset(
    [
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "tr",
        "dt",
        "dd",
        "figcaption",
        "caption",
        "summary",
        "center",
        "form",
        "legend",
        "hgroup",
        "menu",
        "option",
    ]
)
_CELLS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\f\r]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f-\x9f]")
_RAWTEXT_END: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />]|\Z)", re.IGNORECASE) for name in _RAWTEXT
}
_BULLET = "• "
_INDENT = "  "


class _FeedReader:
    """Turns web HTML into a document the way a browser lays out inline text."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = _checked_base(base_url)
        self.out = _Builder()
        self.pending_breaks = 0
        self.pending_space = False
        self.pending_prefix: tuple[str, _Marks, int] | None = None  # text, marks, list depth
        self.lists: list[list[int]] = []  # [ordered (0/1), counter]
        self.dropping: list[str] = []
        self.pre_depth = 0
        self.pre_fresh = False

    # -- driving ----------------------------------------------------------------------------

    def feed(self, src: str) -> list[_Run]:
        src = _fix_surrogates(src.replace("\r\n", "\n").replace("\r", "\n"))
        n = len(src)
        i = 0
        while i < n:
            lt = src.find("<", i)
            if lt < 0:
                self.text(src[i:])
                break
            if lt > i:
                self.text(src[i:lt])
            i = self.markup(src, lt)
        return _strip_runs(self.out.runs())

    def markup(self, src: str, lt: int) -> int:
        """Handle the markup starting with the ``<`` at `lt`; return where text resumes."""
        n = len(src)
        nxt = src[lt + 1 : lt + 2]
        if nxt and nxt in _ASCII_LETTERS:
            tag = _scan_tag(src, lt + 1)
            if tag is None:
                return n  # the input ends inside a tag: browsers drop it
            self.start(tag)
            if tag.name in _RAWTEXT and not tag.self_closing:
                end = _RAWTEXT_END[tag.name].search(src, tag.end)
                return end.start() if end else n
            return tag.end
        if nxt == "/":
            after = src[lt + 2 : lt + 3]
            if after and after in _ASCII_LETTERS:
                tag = _scan_tag(src, lt + 2)
                if tag is None:
                    return n
                self.end(tag.name)
                return tag.end
            if after == ">":
                return lt + 3
            if not after:
                self.text("</")
                return n
            return _skip_past(src, ">", lt + 2)
        if nxt == "!":
            if src.startswith("<!--", lt):
                for abrupt in ("<!-->", "<!--->"):
                    if src.startswith(abrupt, lt):
                        return lt + len(abrupt)
                return _skip_past(src, "-->", lt + 4)
            return _skip_past(src, ">", lt + 2)
        if nxt == "?":
            return _skip_past(src, ">", lt + 2)
        self.text("<")
        return lt + 1

    # -- elements ---------------------------------------------------------------------------

    def start(self, tag: _Tag) -> None:
        name = tag.name
        if name == "body" and "head" in self.dropping:
            del self.dropping[self.dropping.index("head") :]
            return
        if self.dropping or name in _DROPPED:
            if name in _DROPPED and name not in _VOID and not tag.self_closing:
                self.dropping.append(name)
            return
        attrs = tag.attrs
        out = self.out
        if name in _INLINE_TAGS:
            out.open(name, _Mark(_INLINE_TAGS[name]))
        elif name == "a":
            url = _safe_url(_unescape_html5(attrs.get("href", "")), base_url=self.base_url)
            out.open(name, _Mark(_LINK, url) if url else None)
        elif name == "span":
            classes = _unescape_html5(attrs.get("class", "")).split()
            out.open(name, _Mark(_SPOILER) if "tg-spoiler" in classes else None)
        elif name == "code":
            lang = _class_language(_unescape_html5(attrs.get("class", "")))
            if self.pre_depth and lang and out.set_pre_language(lang):
                out.open(name, None)
            else:
                out.open(name, _Mark(_CODE))
        elif name == "pre":
            self.block(1)
            out.open(name, _Mark(_PRE, None, out.new_serial()))
            self.pre_depth += 1
            self.pre_fresh = True
        elif name == "blockquote":
            self.block(2)
            out.open(name, _Mark(_QUOTE, None, out.new_serial()))
        elif name in _HEADINGS:
            self.block(2)
            out.open("h", _Mark(_B))
        elif name == "br":
            self.pending_breaks += 1
            self.pending_space = False
        elif name in ("ul", "ol"):
            self.block(1 if self.lists else 2)
            first = 1
            start = _unescape_html5(attrs.get("start", "")).strip()
            if name == "ol" and re.fullmatch(r"-?\d{1,9}", start):
                first = int(start)
            self.lists.append([int(name == "ol"), first - 1])
        elif name == "li":
            self.list_item()
        elif name in _CELLS:
            self.pending_space = True
        elif name in _PARAGRAPHS:
            self.block(2)
        elif name in _LINES:
            self.block(1)
        if tag.self_closing and name not in _VOID:
            self.end(name)

    def end(self, name: str) -> None:
        if self.dropping:
            if name in self.dropping:
                index = len(self.dropping) - 1 - self.dropping[::-1].index(name)
                del self.dropping[index:]
            return
        out = self.out
        if name in _INLINE_TAGS or name in ("a", "span", "code"):
            out.close(name)
        elif name == "pre":
            if self.pre_depth:
                out.rstrip_newlines()
                self.pre_depth -= 1
                self.pre_fresh = False
                out.close(name)
            self.block(1)
        elif name == "blockquote":
            out.close(name)
            self.block(2)
        elif name in _HEADINGS:
            out.close("h")
            self.block(2)
        elif name == "br":  # browsers read a stray </br> as <br>
            self.pending_breaks += 1
            self.pending_space = False
        elif name in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.block(1 if self.lists else 2)
        elif name == "li":
            self.block(1)
        elif name in _CELLS:
            self.pending_space = True
        elif name in _PARAGRAPHS:
            self.block(2)
        elif name in _LINES:
            self.block(1)

    def list_item(self) -> None:
        if not self.lists:
            self.lists.append([0, 0])
        if self.pending_prefix is not None and self.pending_prefix[2] < len(self.lists):
            self.flush()  # an item that opens with a nested list still shows its own marker
        self.block(1)
        current = self.lists[-1]
        current[1] += 1
        marker = f"{current[1]}. " if current[0] else _BULLET
        indent = _INDENT * (len(self.lists) - 1)
        self.pending_prefix = (indent + marker, self.out.marks, len(self.lists))

    def block(self, newlines: int) -> None:
        self.pending_breaks = max(self.pending_breaks, newlines)
        self.pending_space = False

    # -- text -------------------------------------------------------------------------------

    def text(self, data: str) -> None:
        if self.dropping or not data:
            return
        data = _unescape_html5(data)
        if self.pre_depth:
            data = _CONTROLS.sub("", data.replace("\r", "\n"))
            if self.pre_fresh:
                self.pre_fresh = False
                if data.startswith("\n"):
                    data = data[1:]
            if data:
                self.flush()
                self.out.emit(data)
            return
        collapsed = _CONTROLS.sub("", _HTML_SPACE.sub(" ", data))
        core = collapsed.strip(" ")
        if collapsed.startswith(" "):
            self.pending_space = True
        if core:
            self.flush()
            self.out.emit(core)
            self.pending_space = collapsed.endswith(" ")

    def flush(self) -> None:
        """Emit the line breaks, space and list marker owed before the next text."""
        out = self.out
        marks = out.marks
        if out.has_text:
            separator = ""
            if self.pending_breaks:
                separator = "\n" * max(0, min(self.pending_breaks, 2) - out.trailing_newlines())
            elif self.pending_space and out.last_char not in " \n\t":
                separator = " "
            out.emit(separator, _common_prefix(out.last_marks, marks))
        self.pending_breaks = 0
        self.pending_space = False
        if self.pending_prefix is not None:
            prefix, prefix_marks, _ = self.pending_prefix
            self.pending_prefix = None
            out.emit(prefix, _common_prefix(prefix_marks, marks))


def _skip_past(src: str, terminator: str, start: int) -> int:
    found = src.find(terminator, start)
    return len(src) if found < 0 else found + len(terminator)


def _class_language(classes: str) -> str | None:
    for token in classes.split():
        if token.startswith("language-"):
            return _language(token[len("language-") :])
    return None


def _strip_runs(runs: list[_Run]) -> list[_Run]:
    """`runs` without whitespace at either end of the text."""
    text = _text_of(runs)
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start == 0 and end == len(text):
        return runs
    return _slice_runs(runs, start, end)


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Turn feed or page HTML into Telegram HTML: allowed formatting kept, blocks turned into
    line breaks and bullet lines, everything else reduced to its text. Never raises."""
    return _serialize(_FeedReader(base_url).feed(html))


def html_to_text(html: str) -> str:
    """The plain text `sanitize_html` would show for `html` (for summaries and hashing)."""
    return _text_of(_FeedReader(None).feed(html))


# ---------------------------------------------------------------------------------------------
# The Telegram reader: Telegram HTML → document
# ---------------------------------------------------------------------------------------------

_TG_ENTITY = re.compile(
    r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,7})|(lt|gt|amp|quot)(?![A-Za-z]));?"
)
_TG_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _tg_char(match: re.Match[str]) -> str:
    decimal, hexadecimal, named = match.groups()
    if named:
        return _TG_NAMED[named]
    value = int(decimal, 10) if decimal else int(hexadecimal, 16)
    if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return match.group()  # not a character: keep the text as written
    return chr(value)


def _tg_unescape(text: str) -> str:
    return _TG_ENTITY.sub(_tg_char, text) if "&" in text else text


def _read_telegram(src: str) -> list[_Run]:
    """Document for Telegram HTML; unknown tags are unwrapped (``<br>`` read as a line
    break), stray ``<`` and unknown entities kept as text, as Telegram shows them."""
    out = _Builder()
    src = _fix_surrogates(src)
    n = len(src)
    i = 0
    while i < n:
        lt = src.find("<", i)
        if lt < 0:
            out.emit(_tg_unescape(src[i:]))
            break
        if lt > i:
            out.emit(_tg_unescape(src[i:lt]))
        closing = src.startswith("</", lt)
        name_at = lt + 2 if closing else lt + 1
        if src[name_at : name_at + 1] and src[name_at] in _ASCII_LETTERS:
            tag = _scan_tag(src, name_at)
            if tag is None:
                out.emit(_tg_unescape(src[lt:]))
                break
            if tag.name == "br" and not closing:
                out.emit("\n")  # not Telegram HTML, but its meaning is plain
            elif closing:
                out.close(tag.name)
            elif not tag.self_closing:
                _tg_open(out, tag)
            i = tag.end
        else:
            out.emit("<")
            i = lt + 1
    return out.runs()


def _tg_open(out: _Builder, tag: _Tag) -> None:
    name = tag.name
    attrs = {key: _tg_unescape(value) for key, value in tag.attrs.items()}
    if name in _INLINE_TAGS:
        out.open(name, _Mark(_INLINE_TAGS[name]))
    elif name == "span":
        out.open(name, _Mark(_SPOILER) if "tg-spoiler" in attrs.get("class", "").split() else None)
    elif name == "a":
        href = attrs.get("href", "").strip()
        out.open(name, _Mark(_LINK, href) if href else None)
    elif name == "code":
        lang = _class_language(attrs.get("class", ""))
        if lang and out.set_pre_language(lang):
            out.open(name, None)
        else:
            out.open(name, _Mark(_CODE))
    elif name == "pre":
        out.open(name, _Mark(_PRE, None, out.new_serial()))
    elif name == "blockquote":
        expandable = "expandable" if "expandable" in attrs else None
        out.open(name, _Mark(_QUOTE, expandable, out.new_serial()))
    elif name == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        mark = _Mark(_EMOJI, emoji_id, out.new_serial()) if emoji_id.isdigit() else None
        out.open(name, mark)


def _visible_length(html: str) -> int:
    return _utf16_len(_text_of(_read_telegram(html)))


# ---------------------------------------------------------------------------------------------
# Cutting documents
# ---------------------------------------------------------------------------------------------


def _slice_runs(runs: Sequence[_Run], start: int, end: int) -> list[_Run]:
    """The runs covering text offsets [start, end) (code points)."""
    out: list[_Run] = []
    pos = 0
    for run in runs:
        run_end = pos + len(run.text)
        if run_end > start and pos < end:
            piece = run.text[max(start - pos, 0) : min(end, run_end) - pos]
            if piece:
                out.append(_Run(piece, run.marks))
        if run_end >= end:
            break
        pos = run_end
    return out


class _Text:
    """The text of a document with UTF-16 offsets and the offsets a cut must avoid."""

    def __init__(self, runs: Sequence[_Run]) -> None:
        self.runs = runs
        self.text = _text_of(runs)
        cum = [0] * (len(self.text) + 1)
        total = 0
        for index, char in enumerate(self.text):
            total += 2 if char > "\uffff" else 1
            cum[index + 1] = total
        self.cum = cum
        self.starts: list[int] = []
        self.sealed: set[int] = set()  # offsets inside a custom emoji
        pos = 0
        for run in runs:
            self.starts.append(pos)
            if any(mark.kind == _EMOJI for mark in run.marks):
                self.sealed.update(range(pos + 1, pos + len(run.text)))
            pos += len(run.text)

    def units(self, start: int, end: int) -> int:
        return self.cum[end] - self.cum[start]

    def fit_end(self, start: int, budget: int) -> int:
        """The furthest offset `end` with units(start, end) ≤ budget."""
        return bisect_right(self.cum, self.cum[start] + budget) - 1

    def skip_space(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos].isspace():
            pos += 1
        return pos

    def trim_end(self, start: int, end: int) -> int:
        text = self.text
        while end > start and text[end - 1].isspace():
            end -= 1
        return end

    def slice(self, start: int, end: int) -> list[_Run]:
        if start >= end:
            return []
        first = bisect_right(self.starts, start) - 1
        last = bisect_left(self.starts, end)
        offset = self.starts[first]
        return _slice_runs(self.runs[first:last], start - offset, end - offset)

    def cuttable(self, pos: int) -> bool:
        text = self.text
        if pos in self.sealed:
            return False
        if pos <= 0 or pos >= len(text):
            return True
        return not _joins(text, pos)


_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")


def _joins(text: str, pos: int) -> bool:
    """True when cutting before ``text[pos]`` would break a user-perceived character."""
    before, after = text[pos - 1], text[pos]
    if after in _JOINERS or before == "\u200d":
        return True
    if "\U0001f3fb" <= after <= "\U0001f3ff" or "\U000e0020" <= after <= "\U000e007f":
        return True  # skin tone modifiers and emoji tag sequences
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return True
    if "\U0001f1e6" <= after <= "\U0001f1ff" and "\U0001f1e6" <= before <= "\U0001f1ff":
        count = 0  # regional indicators pair up into flags: cut only between pairs
        while pos - count - 1 >= 0 and "\U0001f1e6" <= text[pos - count - 1] <= "\U0001f1ff":
            count += 1
        return count % 2 == 1
    return False


_BREAK_SPACE = frozenset(" \t\n")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_NEXT_WORD = re.compile(r"\s*(\S)")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "sr",
        "jr",
        "vs",
        "no",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "rev",
        "approx",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets in (start, end] just after a sentence's final punctuation."""
    found: list[int] = []
    for match in _SENTENCE_END.finditer(text, start, min(end + 1, len(text))):
        stop = match.end()
        if stop <= start or stop > end:
            continue
        if match.group().startswith(".") and match.group().rstrip("\"'”’»)]") == ".":
            word = text[max(start, match.start() - 12) : match.start()].split()
            last = word[-1].lower() if word else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue  # "Dr. Smith", "J. Smith"
        following = _NEXT_WORD.match(text, stop)
        if following is not None and following.group(1).islower():
            continue  # "approx. two", "etc. and"
        found.append(stop)
    return found


def _last_break(text: str, start: int, end: int, floor: int) -> int | None:
    """Last whitespace offset in [floor, end] (end inclusive) that follows non-space text."""
    pos = min(end, len(text) - 1)
    while pos >= max(floor, start + 1):
        if text[pos] in _BREAK_SPACE and not text[pos - 1].isspace():
            return pos
        pos -= 1
    return None


def _hard_cut(doc: _Text, start: int, end: int) -> int:
    pos = end
    while pos > start + 1 and not doc.cuttable(pos) and end - pos < 32:
        pos -= 1
    if doc.cuttable(pos) and pos > start:
        return pos
    return end


def _split_point(doc: _Text, start: int, end: int, limit: int) -> int:
    """Where to end a part that starts at `start` and may run to `end`."""
    text = doc.text

    def floor(fraction: float) -> int:
        return bisect_left(doc.cum, doc.cum[start] + int(limit * fraction))

    # 1. a blank line
    line = text.rfind("\n", start + 1, end + 1)
    lowest = floor(0.3)
    while line >= lowest and line > start:
        before = line - 1
        while before > start and text[before] in " \t":
            before -= 1
        if text[before] == "\n":
            if before >= lowest and before > start:
                return before
            break
        line = text.rfind("\n", start + 1, line)
    # 2. a line break
    line = text.rfind("\n", start + 1, end + 1)
    if line >= floor(0.5) and line > start:
        return line
    # 3. a sentence end
    sentences = [pos for pos in _sentence_ends(text, start, end) if pos >= floor(0.5)]
    if sentences:
        return sentences[-1]
    # 4. a space between words
    space = _last_break(text, start, end, floor(0.2))
    if space is not None:
        return space
    # 5. anywhere that does not break a character
    return _hard_cut(doc, start, end)


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into parts that each show at most `limit` UTF-16 code units,
    breaking at blank lines, then lines, sentences, words, and only then anywhere; formatting
    open across a break is closed and reopened. Whitespace-only input gives no parts."""
    if limit < 2:
        raise ValueError("limit must be at least 2 (one astral character)")
    doc = _Text(_read_telegram(html))
    text = doc.text
    parts: list[str] = []
    start = doc.skip_space(0)
    while start < len(text):
        end_all = doc.trim_end(start, len(text))
        if doc.units(start, end_all) <= limit:
            parts.append(_serialize(doc.slice(start, end_all)))
            break
        cut = _split_point(doc, start, doc.fit_end(start, limit), limit)
        end = doc.trim_end(start, cut)
        parts.append(_serialize(doc.slice(start, end)))
        start = doc.skip_space(cut)
    return parts


_DANGLING = frozenset(",;:([{«“‘\"'-–—/")


def truncate_html(html: str, limit: int, *, suffix_html: str = "…") -> str:
    """Shorten Telegram HTML to at most `limit` visible UTF-16 code units, ending with
    `suffix_html` when anything was cut: at a sentence end within the last ~40% of the room,
    else between words, else anywhere that does not split a character. Tags stay balanced."""
    doc = _Text(_read_telegram(html))
    text = doc.text
    start = doc.skip_space(0)
    end = doc.trim_end(start, len(text))
    if doc.units(start, end) <= limit:
        return _serialize(doc.slice(start, end))
    suffix = _read_telegram(suffix_html)
    suffix_text = _text_of(suffix)
    # A sentence end gets a space before the suffix ("end. …"); a word only when the suffix
    # starts with a letter or digit ("word…" but "word Read more").
    sentence_gap = 1 if suffix_text and not suffix_text[0].isspace() else 0
    word_gap = 1 if suffix_text[:1].isalnum() else 0
    budget = limit - _utf16_len(suffix_text)
    if budget - max(sentence_gap, word_gap) < 1:
        raise ValueError(f"limit {limit} leaves no room for text before the suffix")
    room = doc.fit_end(start, budget - sentence_gap)
    sentence_floor = bisect_left(doc.cum, doc.cum[start] + int(budget * 0.6))
    ends = [pos for pos in _sentence_ends(text, start, room) if pos >= sentence_floor]
    line = text.rfind("\n", start + 1, room + 1)
    if line >= sentence_floor:
        ends.append(line)
    if ends:
        cut = doc.trim_end(start, max(ends))
        gap = sentence_gap
    else:
        gap = word_gap
        room = doc.fit_end(start, budget - word_gap)
        space = _last_break(text, start, room, bisect_left(doc.cum, doc.cum[start] + budget // 2))
        if space is not None:
            cut = doc.trim_end(start, space)
            tidy = cut
            while tidy > start and (text[tidy - 1] in _DANGLING or text[tidy - 1].isspace()):
                tidy -= 1
            cut = tidy if tidy > start else cut
        else:
            cut = _hard_cut(doc, start, room)
    joiner = [_Run(" ", ())] if gap else []
    return _serialize([*doc.slice(start, cut), *joiner, *suffix])


# ---------------------------------------------------------------------------------------------
# Outgoing messages
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button: a link (`url`) or a callback (`callback_data`)."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.callback_data is None):
            raise ValueError("a button needs exactly one of url and callback_data")
        if self.callback_data is not None and not 1 <= len(self.callback_data.encode()) <= 64:
            raise ValueError("callback_data must be 1-64 bytes")

    def to_dict(self) -> dict[str, str]:
        """The Bot API ``InlineKeyboardButton`` object."""
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        return {"text": self.text, "callback_data": self.callback_data or ""}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message ready to send: the Bot API method and its rendered parameters. `fallback`
    is what to send instead when Telegram refuses this one (e.g. an unreachable photo)."""

    method: Literal["sendMessage", "sendPhoto"]
    text: str | None = None
    caption: str | None = None
    photo: str | None = None
    parse_mode: str = "HTML"
    buttons: tuple[tuple[Button, ...], ...] = ()
    fallback: OutgoingMessage | None = None
    disable_preview: bool = False

    def __post_init__(self) -> None:
        if self.method == "sendMessage" and not self.text:
            raise ValueError("sendMessage needs text")
        if self.method == "sendPhoto" and not self.photo:
            raise ValueError("sendPhoto needs a photo")

    def api_params(self) -> dict[str, Any]:
        """Bot API parameters for `method`, without ``chat_id``."""
        params: dict[str, Any] = {}
        if self.method == "sendPhoto":
            params["photo"] = self.photo
            if self.caption:
                params["caption"] = self.caption
        else:
            params["text"] = self.text
            if self.disable_preview:
                params["link_preview_options"] = {"is_disabled": True}
        if self.parse_mode and (self.text if self.method == "sendMessage" else self.caption):
            params["parse_mode"] = self.parse_mode
        if self.buttons:
            params["reply_markup"] = {
                "inline_keyboard": [[button.to_dict() for button in row] for row in self.buttons]
            }
        return params

    def preview_dict(self) -> dict[str, Any]:
        """A compact view for logs and admin previews: method, text or caption, parse mode."""
        preview: dict[str, Any] = {"method": self.method}
        if self.method == "sendPhoto":
            preview["caption"] = self.caption or ""
            preview["photo"] = self.photo
        else:
            preview["text"] = self.text
        preview["parse_mode"] = self.parse_mode
        return preview


@dataclass(frozen=True, slots=True)
class TopicTag:
    """A topic an explainer belongs to (``slug`` like ``war-in-ukraine``)."""

    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class ArticleCard:
    """What a reader sees of an explainer; `summary` is plain text."""

    title: str
    url: str
    summary: str
    topics: tuple[TopicTag, ...] = ()
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    updated: bool = False


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MIN_SUMMARY = 40  # below this much room a cut summary is noise; drop it instead
_BLANK_LINES = re.compile(r"\n{3,}")
_LINE_SPACE = re.compile(r"[ \t\f\v\xa0]+")


def _clean_plain(text: str) -> str:
    """Plain user or feed text tidied for display: no control characters, no runs of blank
    lines, no trailing spaces on lines."""
    text = _fix_surrogates(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROLS.sub("", text.replace("\t", " "))
    lines = [_LINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _one_line(text: str) -> str:
    return " ".join(_clean_plain(text).split())


def _shorten_plain(text: str, limit: int) -> str:
    """Plain `text` cut between words to at most `limit` code points, with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip(" ,;:-–—") + "…"


def hashtag(label: str) -> str | None:
    """A Telegram hashtag for a topic slug, name or tag: letters, digits and underscores
    (any script), lower-cased; None when nothing usable is left."""
    chars = []
    for char in label.strip().lower():
        category = unicodedata.category(char)
        chars.append(char if category[0] in "LNM" or char == "_" else "_")
    body = re.sub(r"_+", "_", "".join(chars)).strip("_")[:64].strip("_")
    if not any(unicodedata.category(char).startswith("L") for char in body):
        return None
    return f"#{body}"


def _hashtags(card: ArticleCard) -> str:
    seen: list[str] = []
    labels = [topic.slug or topic.name for topic in card.topics] + list(card.tags)
    for label in labels:
        tag = hashtag(label)
        if tag is not None and tag not in seen:
            seen.append(tag)
    return escape(" ".join(seen))


def _url_title(url: str | None) -> str:
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return "Untitled"
        host = (parts.hostname or "").removeprefix("www.")
        title = (host + parts.path.rstrip("/")).strip()
        if title:
            return title
    return "Untitled"


def _title_line(title: str, url: str | None) -> str:
    return f"<b>{link(title, url)}</b>" if url else bold(title)


def _meta_line(card: ArticleCard) -> str:
    bits: list[str] = []
    if card.updated:
        bits.append("Updated")
    if card.source and card.source.strip():
        bits.append(_one_line(card.source))
    if card.published_at is not None:
        when = card.published_at
        bits.append(f"{when.day} {_MONTHS[when.month - 1]} {when.year}")
    return italic(" · ".join(bits))


def _fit_article(header: str, summary: str, footer: str, limit: int, suffix: str) -> str:
    """header / summary / footer joined by blank lines within `limit`, shortening the summary
    first, then dropping it, then the footer, then cutting the header."""
    full = "\n\n".join(block for block in (header, summary, footer) if block)
    if _visible_length(full) <= limit:
        return full
    fixed = "\n\n".join(block for block in (header, footer) if block)
    room = limit - _visible_length(fixed) - 2
    if summary and room >= _MIN_SUMMARY:
        short = truncate_html(summary, room, suffix_html=suffix)
        return "\n\n".join(block for block in (header, short, footer) if block)
    if _visible_length(fixed) <= limit:
        return fixed
    if _visible_length(header) <= limit:
        return header
    return truncate_html(header, limit)


def _web_url(url: str | None) -> str | None:
    safe = _safe_url(url)
    return safe if safe is not None and safe.lower().startswith(("http:", "https:")) else None


def render_article(card: ArticleCard) -> list[OutgoingMessage]:
    """An explainer as one message: a photo with a caption (falling back to text when the
    photo is refused) or a text message, with a "Read" button linking to it."""
    url = _web_url(card.url)
    title = _one_line(card.title) or _url_title(url)
    header = join_lines(*(line for line in (_title_line(title, url), _meta_line(card)) if line))
    summary = escape(_clean_plain(card.summary))
    footer = _hashtags(card)
    buttons = ((Button("Read", url=url),),) if url else ()
    more = f"… {link('Read more', url)}" if url else "…"
    message = OutgoingMessage(
        "sendMessage",
        text=_fit_article(header, summary, footer, TEXT_LIMIT, more),
        buttons=buttons,
    )
    photo = _web_url(card.image_url)
    if photo is None:
        return [message]
    caption = _fit_article(header, summary, footer, CAPTION_LIMIT, "…")
    return [
        OutgoingMessage(
            "sendPhoto", caption=caption, photo=photo, buttons=buttons, fallback=message
        )
    ]


def _first_sentence(text: str, limit: int = 300) -> str:
    """The first sentence of the first non-empty line of plain `text`, at most `limit` long."""
    lines = [line for line in _clean_plain(text).split("\n") if line.strip()]
    text = _one_line(lines[0]) if lines else ""
    ends = _sentence_ends(text + " ", 0, len(text))
    if ends and ends[0] <= limit:
        return text[: ends[0]]
    return _shorten_plain(text, limit)


def _messages(html: str) -> list[OutgoingMessage]:
    return [
        OutgoingMessage("sendMessage", text=part, disable_preview=True)
        for part in split_html(html, TEXT_LIMIT)
    ]


def render_article_list(cards: Sequence[ArticleCard], heading: str) -> list[OutgoingMessage]:
    """A digest for /latest: the heading in bold, then each explainer's linked title and first
    sentence, split over as many messages as needed."""
    blocks = [bold(_one_line(heading) or "Latest")]
    for card in cards:
        url = _web_url(card.url)
        title = _shorten_plain(_one_line(card.title) or _url_title(url), 300)
        first = _first_sentence(card.summary)
        lines = [_title_line(title, url)]
        if first:
            lines.append(escape(first))
        blocks.append(join_lines(*lines))
    if not cards:
        blocks.append(italic("Nothing new yet."))
    return _messages("\n\n".join(blocks))


def render_topic_summary(
    topic: TopicTag,
    points: Sequence[tuple[str, str, str]],
    *,
    more_url: str | None = None,
) -> list[OutgoingMessage]:
    """Key points about a topic as bullet lines, each citing the explainer it comes from."""
    name = _one_line(topic.name) or _one_line(topic.slug) or "this topic"
    lines = [bold(f"Key points: {name}"), ""]
    for point_text, source_title, source_url in points:
        point = _one_line(point_text)
        if not point:
            continue
        url = _safe_url(source_url)
        source = _one_line(source_title) or (_url_title(url) if url else "")
        cite = ""
        if source:
            cite = f" — {link(source, url)}" if url else f" — {italic(source)}"
        lines.append(f"{_BULLET}{escape(point)}{cite}")
    if len(lines) == 2:
        lines.append(italic("No key points yet."))
    more = link(f"More on {name}", more_url) if _safe_url(more_url) else ""
    if more:
        lines.extend(["", more])
    return _messages(join_lines(*lines))


def render_comment(
    author: str,
    text: str,
    *,
    article_title: str | None = None,
    article_url: str | None = None,
    spoiler: bool = True,
) -> str:
    """A reader's comment: the author in italics, the article it is about, and the escaped
    comment (behind a spoiler by default), cut so the whole message fits one text."""
    who = italic(_shorten_plain(_one_line(author), 64) or "Anonymous")
    url = _safe_url(article_url)
    about = _shorten_plain(_one_line(article_title or ""), 256) or (_url_title(url) if url else "")
    header = who
    if about:
        header += f" on {link(about, url)}" if url else f" on {bold(about)}"
    body_text = _clean_plain(text)
    if not body_text:
        return header
    body = f"<tg-spoiler>{escape(body_text)}</tg-spoiler>" if spoiler else escape(body_text)
    room = TEXT_LIMIT - _visible_length(header) - 1
    return f"{header}\n{truncate_html(body, room)}"


# --- bot replies ------------------------------------------------------------------------------
# Everything the handlers say goes through these, so user text is always escaped.


class TopicChoiceLike(Protocol):
    """What the topic picker needs of a topic (bot.services.readers.TopicChoice)."""

    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def subscribed(self) -> bool: ...


class UserLike(Protocol):
    """What a greeting needs of a user (bot.mapping.UserInfo)."""

    @property
    def display_name(self) -> str: ...


def topic_picker(choices: Sequence[TopicChoiceLike]) -> tuple[tuple[Button, ...], ...]:
    """One toggle button per topic (✅ when subscribed), two per row."""
    buttons = [
        Button(
            text=f"{'✅' if c.subscribed else '☐'} {c.name}",
            callback_data=ToggleTopic(c.slug).pack(),
        )
        for c in choices
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def render_welcome(
    publisher: str, user: UserLike | None, choices: Sequence[TopicChoiceLike]
) -> OutgoingMessage:
    """The /start greeting with the topic picker."""
    name = user.display_name if user is not None else "there"
    lines = [
        f"Hello, {bold(name)}! This is {bold(publisher)}: our explainers, in Telegram.",
        "",
    ]
    if choices:
        lines.append("Pick the topics you want new explainers on; tap again to unsubscribe.")
    else:
        lines.append("No topics are set up yet; /latest shows the newest explainers.")
    lines += ["", "/latest — newest explainers · /topic — key points of a topic · /help"]
    return OutgoingMessage(
        method="sendMessage", text=join_lines(*lines), buttons=topic_picker(choices),
        disable_preview=True,
    )


def render_help(publisher: str) -> OutgoingMessage:
    """The /help text."""
    lines = [
        bold(f"{publisher} bot"),
        "",
        "/start — welcome and topic picker",
        "/topics — change the topics you follow",
        "/latest — the newest explainers, summarised",
        "/topic " + escape("<name>") + " — the key points of a topic across recent explainers",
        "",
        "Reply to an explainer to comment on it; comments are shown behind a spoiler.",
    ]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def render_topic_picker(choices: Sequence[TopicChoiceLike]) -> OutgoingMessage:
    """The /topics prompt with the picker."""
    text = (
        "Tap a topic to follow it; tap again to stop. New explainers on the topics you follow "
        "arrive here."
        if choices
        else "No topics are set up yet."
    )
    return OutgoingMessage(method="sendMessage", text=escape(text),
                           buttons=topic_picker(choices), disable_preview=True)


def toggle_notice(topic: TopicChoiceLike | None) -> str:
    """The short plain-text toast after a picker press (not HTML: answerCallbackQuery)."""
    if topic is None:
        return "That topic is no longer available."
    return f"Following {topic.name}" if topic.subscribed else f"Stopped following {topic.name}"


def render_latest(cards: Sequence[ArticleCard]) -> list[OutgoingMessage]:
    """The /latest answer."""
    if not cards:
        return [OutgoingMessage(method="sendMessage",
                                text=escape("No explainers yet — check back soon."))]
    return render_article_list(cards, "Latest explainers")


def render_topic_choices(query: str, candidates: Sequence[TopicTag]) -> OutgoingMessage:
    """Help for /topic when the name is missing, unknown or ambiguous."""
    names = ", ".join(f"{code(t.slug)} ({escape(t.name)})" for t in candidates)
    if not query.strip():
        head = "Which topic? Send /topic followed by its name, for example /topic " + (
            escape(candidates[0].slug) if candidates else "name") + "."
    elif candidates:
        head = f"I don't know the topic {bold(query.strip()[:100])}. Did you mean one of these?"
    else:
        head = f"I don't know the topic {bold(query.strip()[:100])}."
    lines = [head]
    if names:
        lines += ["", "Topics: " + names]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def render_topic_digest(
    topic: TopicTag, points: Sequence[tuple[str, str, str]]
) -> list[OutgoingMessage]:
    """The /topic answer: key points, or a note that there is nothing yet."""
    if not points:
        return [OutgoingMessage(
            method="sendMessage",
            text=f"No explainers on {bold(topic.name)} yet — follow it with /topics to get the "
                 "first one.",
        )]
    return render_topic_summary(topic, points)


def render_pushed_article(card: ArticleCard, article_id: int) -> list[OutgoingMessage]:
    """A pushed explainer: the article plus a Comments button on its first message."""
    messages = render_article(card)
    comments = Button(text="💬 Comments", callback_data=ShowComments(article_id).pack())

    def with_button(message: OutgoingMessage) -> OutgoingMessage:
        rows = message.buttons
        rows = (*rows[:-1], (*rows[-1], comments)) if rows else ((comments,),)
        fallback = with_button(message.fallback) if message.fallback else None
        return replace(message, buttons=rows, fallback=fallback)

    return [with_button(messages[0]), *messages[1:]]


class PostedLike(Protocol):
    """What the confirmation of a comment needs (bot.services.comments.CommentPosted)."""

    @property
    def stored(self) -> bool: ...
    @property
    def title(self) -> str | None: ...
    @property
    def total(self) -> int: ...
    @property
    def reason(self) -> str | None: ...


def render_comment_posted(posted: PostedLike) -> OutgoingMessage:
    """Confirm a comment, or explain why a reply was not taken as one."""
    if posted.stored:
        text = (f"Thanks — your comment on {bold(posted.title or 'this explainer')} is posted "
                f"({posted.total} comment{'s' if posted.total != 1 else ''} so far). Others see "
                "it behind a spoiler.")
    elif posted.reason == "too long":
        text = escape("That comment is too long (2,000 characters at most). Please shorten it.")
    elif posted.reason == "empty":
        text = escape("That comment is empty.")
    else:
        text = escape("To comment, reply to one of the explainers I sent you.")
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


class CommentLike(Protocol):
    """One comment (bot.services.comments.CommentView)."""

    @property
    def author(self) -> str: ...
    @property
    def text(self) -> str: ...


class ArticleCommentsLike(Protocol):
    """An article's comments (bot.services.comments.ArticleComments)."""

    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def total(self) -> int: ...

    @property
    def comments(self) -> Sequence[CommentLike]: ...


def render_comments(found: ArticleCommentsLike | None) -> OutgoingMessage:
    """Relay an explainer's comments, each hidden behind a spoiler like on the website."""
    if found is None:
        return OutgoingMessage(method="sendMessage",
                               text=escape("That explainer is no longer available."))
    head = f"💬 Comments on {link(found.title, found.url) if found.url else bold(found.title)}"
    if not found.comments:
        return OutgoingMessage(
            method="sendMessage",
            text=join_lines(head, "", escape("No comments yet. Reply to the explainer to add one.")
                            ),
            disable_preview=True,
        )
    budget = 4096 - _visible_length(head) - 80
    parts = [head, ""]
    per_comment = max(200, budget // max(1, len(found.comments)))
    for comment in found.comments:
        block = render_comment(comment.author, comment.text, spoiler=True)
        if _visible_length(block) > per_comment:
            block = truncate_html(block, per_comment)
        parts += [block, ""]
    if found.total > len(found.comments):
        parts.append(italic(f"…and {found.total - len(found.comments)} more."))
    return OutgoingMessage(method="sendMessage", text=join_lines(*parts).rstrip(),
                           disable_preview=True)


def render_admin_notice(text: str) -> OutgoingMessage:
    """A plain-text notice for admins (feed health), escaped."""
    return OutgoingMessage(method="sendMessage", text="⚠️ " + escape(text),
                           disable_preview=True)
