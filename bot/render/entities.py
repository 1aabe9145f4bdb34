"""A reader's own formatting (Telegram message entities) turned into our Telegram HTML.

Only bold, italic, underline, strikethrough, code (``pre`` too, shown inline) and links
(``text_link`` with a safe URL, ``url``) are kept in a comment, plus spoilers, block quotes
and ``pre`` blocks in an admin's announcement (``rich``); every other entity is dropped and
all text is escaped. Entities may overlap in any way and their offsets are UTF-16 code units
(they may even point inside a character or past the end when forged): the text is cut into
runs of characters with the same formatting, and tags are closed and reopened at run edges
so the result always nests. Nothing may open inside ``code`` or ``pre`` (Telegram's rule),
links do not nest, and a quote is always the outermost.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import TextSpan
from bot.render.markup import escape, safe_url, utf16_len

__all__ = ["MAX_SPANS", "ZERO_WIDTH", "entities_to_html", "strip_spans"]

MAX_SPANS = 100  # Telegram sends at most 100 entities per message
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Everything Python counts as blank (str.isspace), plus the zero-width characters.
_STRIPPED = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + ZERO_WIDTH

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
}
_KINDS = {"pre": "code", **{kind: kind for kind in _TAGS}, "text_link": "link", "url": "link"}
# An admin's announcement keeps more of Telegram's formatting than a comment (which is itself
# inside a spoiler): spoilers, quotes and preformatted blocks.
_RICH_TAGS = {
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
    "pre": ("<pre>", "</pre>"),
}
_RICH_KINDS = {**_KINDS, **{kind: kind for kind in _RICH_TAGS}}
_BLOCKS = frozenset({"blockquote", "expandable_blockquote"})


def strip_spans(text: str, spans: Sequence[TextSpan]) -> tuple[str, tuple[TextSpan, ...]]:
    """`text` without leading/trailing blanks and zero-width characters, with `spans` moved to
    match (clipped to the remaining text; spans left empty are dropped)."""
    stripped = text.strip(_STRIPPED)
    if not stripped:
        return "", ()
    shift = utf16_len(text[: text.index(stripped)])
    size = utf16_len(stripped)
    moved: list[TextSpan] = []
    for span in spans[:MAX_SPANS]:
        start = max(0, span.offset - shift)
        end = min(size, span.offset + span.length - shift)
        if end > start:
            moved.append(TextSpan(span.kind, start, end - start, span.url))
    return stripped, tuple(moved)


def _href(span: TextSpan, covered: str) -> str | None:
    url = safe_url(span.url if span.kind == "text_link" else covered)
    if url is None and span.kind == "url" and "://" not in covered:
        url = safe_url(f"https://{covered}")
    return url


def entities_to_html(text: str, spans: Sequence[TextSpan], *, rich: bool = False) -> str:
    """`text` as Telegram HTML with the supported `spans` applied, everything else escaped.
    ``rich`` (an admin's announcement) also keeps spoilers, block quotes and ``pre`` blocks;
    a quote always encloses the rest (one quote at a time), a ``pre`` nests nothing."""
    kinds_of = _RICH_KINDS if rich else _KINDS
    chars = list(text)
    starts: list[int] = []
    position = 0
    for char in chars:
        starts.append(position)
        position += utf16_len(char)
    kept: list[tuple[int, int, int, str, str | None]] = []  # start, end, order, kind, href
    for order, span in enumerate(spans[:MAX_SPANS]):
        kind = kinds_of.get(span.kind)
        if kind is None or span.length <= 0 or span.offset < 0:
            continue
        first = next((i for i, s in enumerate(starts) if s >= span.offset), len(chars))
        end = span.offset + span.length
        last = next((i for i, s in enumerate(starts) if s >= end), len(chars))
        if last <= first:
            continue
        href = None
        if kind == "link":
            href = _href(span, "".join(chars[first:last]))
            if href is None:
                continue
        kept.append((first, last, order, kind, href))
    # Quotes first (outermost), then by position; code innermost.
    kept.sort(key=lambda k: (k[3] not in _BLOCKS, k[0], -k[1], k[3] in ("code", "pre"), k[2]))

    out: list[str] = []
    stack: list[tuple[int, int, int, str, str | None]] = []
    run_start = 0
    for index in range(len(chars) + 1):
        active = _active_at(kept, index) if index < len(chars) else []
        if index < len(chars) and index > 0 and active == _active_at(kept, index - 1):
            continue
        out.append(escape("".join(chars[run_start:index])))
        run_start = index
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] == active[keep]:
            keep += 1
        for entity in reversed(stack[keep:]):
            out.append(_close(entity))
        del stack[keep:]
        for entity in active[keep:]:
            out.append(_open(entity))
            stack.append(entity)
    return "".join(out)


def _active_at(
    kept: list[tuple[int, int, int, str, str | None]], index: int
) -> list[tuple[int, int, int, str, str | None]]:
    """The spans covering character `index`, outermost first, keeping the nesting legal:
    one link, one code, and nothing inside code."""
    active: list[tuple[int, int, int, str, str | None]] = []
    kinds: set[str] = set()
    for entity in kept:
        if not entity[0] <= index < entity[1]:
            continue
        kind = entity[3]
        if kinds & {"code", "pre"} or (kind == "link" and "link" in kinds):
            continue
        if kind in ("code", "pre") and kinds & {"code", "pre"}:
            continue
        if kind in _BLOCKS and kinds & _BLOCKS:
            continue
        if kind != "link" and kind in kinds:
            continue
        active.append(entity)
        kinds.add(kind)
    return active


def _open(entity: tuple[int, int, int, str, str | None]) -> str:
    if entity[3] == "link":
        return f'<a href="{escape(entity[4] or "", quote=True)}">'
    return {**_TAGS, **_RICH_TAGS}[entity[3]][0]


def _close(entity: tuple[int, int, int, str, str | None]) -> str:
    return "</a>" if entity[3] == "link" else {**_TAGS, **_RICH_TAGS}[entity[3]][1]
