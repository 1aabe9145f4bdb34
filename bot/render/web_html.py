"""Web HTML → text: `sanitize_html` and `html_to_text` for feed entries and pages.

The standard library's :class:`html.parser.HTMLParser` tokenises the HTML; the reader here
lays it out the way a browser lays out inline text: block elements become line breaks,
list items bullet or numbered lines, whitespace collapses, scripts, styles and other
non-content elements vanish with their text, and only the formatting Telegram knows is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.render.document import (
    BOLD,
    CODE,
    INLINE_TAGS,
    LINK,
    PRE,
    QUOTE,
    SPOILER,
    Builder,
    Mark,
    Marks,
    Run,
    class_language,
    common_prefix,
    serialize,
    strip_runs,
    text_of,
)
from bot.render.markup import safe_url, web_url
from bot.text import fix_surrogates, strip_controls

__all__ = ["BULLET", "html_to_text", "sanitize_html"]

BULLET = "• "
"""The marker of an unordered list item (also used for bullet lines in replies)."""
_INDENT = "  "

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose content is raw text up to the matching end tag; all of them are dropped.
_RAWTEXT = ("iframe", "noembed", "noframes", "noscript", "script", "style", "title")
# Elements whose whole content is dropped.
_DROPPED = frozenset(_RAWTEXT) | frozenset(
    {"template", "object", "svg", "math", "head", "video", "audio", "canvas", "embed"}
)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)
_PARAGRAPHS = frozenset({"p", "hr", "table", "figure", "dl", "address", "details", "fieldset"})
_LINES = frozenset(
    {"div", "section", "article", "header", "footer", "main", "aside", "nav", "tr", "dt", "dd",
     "figcaption", "caption", "summary", "center", "form", "legend", "hgroup", "menu",
     "option"}
)
_CELLS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\f\r]+")
_ORDINAL = re.compile(r"-?\d{1,9}")
_ABRUPT_COMMENTS = ("<!-->", "<!--->")

Attributes = list[tuple[str, str | None]]


class _WebReader(HTMLParser):
    """Turns web HTML into a document the way a browser lays out inline text."""

    def __init__(self, base_url: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = web_url(base_url)  # relative links resolve only against http(s)
        self.out = Builder()
        self.pending_breaks = 0
        self.pending_space = False
        self.pending_prefix: tuple[str, Marks, int] | None = None  # text, marks, list depth
        self.lists: list[list[int]] = []  # [ordered (0/1), counter]
        self.dropping: list[str] = []
        self.pre_depth = 0
        self.pre_fresh = False

    def read(self, src: str) -> list[Run]:
        """The document for the whole of `src`."""
        src = src.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        src = fix_surrogates(src)  # a NUL never shows and would end a tag name early
        self.feed(src)
        rest = src[_offset(src, *self.getpos()) :]
        # Input that ends inside a tag, comment or declaration is dropped, as browsers do;
        # close() would show it as text. A lone "<" or "</" at the very end stays text.
        if not rest.startswith("<") or rest in ("<", "</"):
            self.close()
        return strip_runs(self.out.runs())

    # -- HTML5 rules the parser of older Pythons predates -----------------------------------

    def parse_comment(self, i: int, report: bool = True) -> int:
        """``<!-->`` and ``<!--->`` are whole (empty) comments."""
        for abrupt in _ABRUPT_COMMENTS:
            if self.rawdata.startswith(abrupt, i):
                return i + len(abrupt)
        return super().parse_comment(i, report)

    def parse_html_declaration(self, i: int) -> int:
        """``<![…`` outside SVG/MathML is a bogus comment up to the next ``>`` (the
        parser would read a marked section, and raise on an unknown keyword)."""
        if self.rawdata.startswith("<![", i):
            return self.parse_bogus_comment(i)
        return super().parse_html_declaration(i)

    # -- elements ---------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        if tag in _RAWTEXT:
            self.set_cdata_mode(tag)  # raw text up to the end tag (the parser knows only two)
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: Attributes) -> None:
        self._start(tag, attrs, self_closing=True)

    def _start(self, name: str, attrs: Attributes, *, self_closing: bool) -> None:
        if name == "body" and "head" in self.dropping:
            del self.dropping[self.dropping.index("head") :]
            return
        if self.dropping or name in _DROPPED:
            if name in _DROPPED and name not in _VOID and not self_closing:
                self.dropping.append(name)
            return
        self._open(name, _first_values(attrs))
        if self_closing and name not in _VOID:
            self.handle_endtag(name)

    def _open(self, name: str, attrs: dict[str, str]) -> None:
        out = self.out
        if name in INLINE_TAGS:
            out.open(name, Mark(INLINE_TAGS[name]))
        elif name == "a":
            url = safe_url(attrs.get("href", ""), base_url=self.base_url)
            out.open(name, Mark(LINK, url) if url else None)
        elif name == "span":
            spoiler = "tg-spoiler" in attrs.get("class", "").split()
            out.open(name, Mark(SPOILER) if spoiler else None)
        elif name == "code":
            lang = class_language(attrs.get("class", ""))
            if self.pre_depth and lang and out.set_pre_language(lang):
                out.open(name, None)
            else:
                out.open(name, Mark(CODE))
        elif name == "pre":
            self.block(1)
            out.open(name, Mark(PRE, None, out.new_serial()))
            self.pre_depth += 1
            self.pre_fresh = True
        elif name == "blockquote":
            self.block(2)
            out.open(name, Mark(QUOTE, None, out.new_serial()))
        elif name in _HEADINGS:
            self.block(2)
            out.open("h", Mark(BOLD))
        elif name in ("ul", "ol"):
            self.block(1 if self.lists else 2)
            start = attrs.get("start", "").strip()
            first = int(start) if name == "ol" and _ORDINAL.fullmatch(start) else 1
            self.lists.append([int(name == "ol"), first - 1])
        elif name == "li":
            self.list_item()
        else:
            self._layout(name)

    def handle_endtag(self, tag: str) -> None:
        name = tag
        if self.dropping:
            if name in self.dropping:
                index = len(self.dropping) - 1 - self.dropping[::-1].index(name)
                del self.dropping[index:]
            return
        out = self.out
        if name in INLINE_TAGS or name in ("a", "span", "code"):
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
        elif name in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.block(1 if self.lists else 2)
        elif name == "li":
            self.block(1)
        else:
            self._layout(name)  # browsers read a stray </br> as <br>

    def _layout(self, name: str) -> None:
        """What a start or end tag of an element without marks does to the layout."""
        if name == "br":
            self.pending_breaks += 1
            self.pending_space = False
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
        marker = f"{current[1]}. " if current[0] else BULLET
        indent = _INDENT * (len(self.lists) - 1)
        self.pending_prefix = (indent + marker, self.out.marks, len(self.lists))

    def block(self, newlines: int) -> None:
        self.pending_breaks = max(self.pending_breaks, newlines)
        self.pending_space = False

    # -- text -------------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if self.dropping or not data:
            return
        if self.pre_depth:
            data = strip_controls(data.replace("\r", "\n"))
            if self.pre_fresh:
                self.pre_fresh = False
                if data.startswith("\n"):
                    data = data[1:]
            if data:
                self.flush()
                self.out.emit(data)
            return
        collapsed = strip_controls(_HTML_SPACE.sub(" ", data))
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
            out.emit(separator, common_prefix(out.last_marks, marks))
        self.pending_breaks = 0
        self.pending_space = False
        if self.pending_prefix is not None:
            prefix, prefix_marks, _ = self.pending_prefix
            self.pending_prefix = None
            out.emit(prefix, common_prefix(prefix_marks, marks))


def _first_values(attrs: Attributes) -> dict[str, str]:
    """Attribute values by name, the first occurrence winning (a bare attribute is "")."""
    values: dict[str, str] = {}
    for name, value in attrs:
        values.setdefault(name, value or "")
    return values


def _offset(src: str, line: int, column: int) -> int:
    """The index in `src` of a (1-based line, 0-based column) position."""
    index = 0
    for _ in range(line - 1):
        index = src.index("\n", index) + 1
    return index + column


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Turn feed or page HTML into Telegram HTML: allowed formatting kept, blocks turned into
    line breaks and bullet lines, everything else reduced to its text. Never raises."""
    return serialize(_WebReader(base_url).read(html))


def html_to_text(html: str) -> str:
    """The plain text `sanitize_html` would show for `html` (for summaries and hashing)."""
    return text_of(_WebReader(None).read(html))
