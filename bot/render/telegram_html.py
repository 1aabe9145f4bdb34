"""The Telegram reader: Telegram HTML (our own output, or hand-written replies) → document.

It reads Telegram HTML literally and tolerates mistakes by unwrapping what it does not
understand: unknown tags vanish (``<br>`` reads as a line break), stray ``<`` and unknown
entities stay text, as Telegram shows them. Linear time on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.render import document as doc
from bot.render.markup import utf16_len
from bot.text import fix_surrogates

__all__ = ["read_telegram", "visible_length"]

_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")
_TAG_SPACE = re.compile(r"[\t\n\f\r ]+")


@dataclass(frozen=True, slots=True)
class _Tag:
    end: int  # index just after the closing ">"
    name: str
    attrs: dict[str, str]  # raw (still escaped) values; first occurrence wins
    self_closing: bool


def _skip_blank(src: str, i: int) -> int:
    match = _TAG_SPACE.match(src, i)
    return match.end() if match else i


def _attribute_value(src: str, i: int) -> tuple[str, int] | None:
    """The value starting at `i` (after ``=``) and where it ends; None at end of input."""
    if src[i] in "\"'":
        close = src.find(src[i], i + 1)
        return None if close < 0 else (src[i + 1 : close], close + 1)
    unquoted = _UNQUOTED.match(src, i)
    return (unquoted.group(), unquoted.end()) if unquoted else ("", i)


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
        if src[i] == ">":
            return _Tag(i + 1, name, attrs, False)
        if src[i] == "/":
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
            found = _attribute_value(src, i) if i < n else None
            if found is None:
                return None
            value, i = found
        attrs.setdefault(attr.group().lower(), value)


_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,7})|(lt|gt|amp|quot)(?![A-Za-z]));?")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _char(match: re.Match[str]) -> str:
    decimal, hexadecimal, named = match.groups()
    if named:
        return _NAMED[named]
    value = int(decimal, 10) if decimal else int(hexadecimal, 16)
    if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return match.group()  # not a character: keep the text as written
    return chr(value)


def _unescape(text: str) -> str:
    return _ENTITY.sub(_char, text) if "&" in text else text


def read_telegram(src: str) -> list[doc.Run]:
    """Document for Telegram HTML; unknown tags are unwrapped (``<br>`` read as a line
    break), stray ``<`` and unknown entities kept as text, as Telegram shows them."""
    out = doc.Builder()
    src = fix_surrogates(src)
    n = len(src)
    i = 0
    while i < n:
        lt = src.find("<", i)
        if lt < 0:
            out.emit(_unescape(src[i:]))
            break
        if lt > i:
            out.emit(_unescape(src[i:lt]))
        closing = src.startswith("</", lt)
        name_at = lt + 2 if closing else lt + 1
        if src[name_at : name_at + 1] and src[name_at] in _ASCII_LETTERS:
            tag = _scan_tag(src, name_at)
            if tag is None:
                out.emit(_unescape(src[lt:]))
                break
            if tag.name == "br" and not closing:
                out.emit("\n")  # not Telegram HTML, but its meaning is plain
            elif closing:
                out.close(tag.name)
            elif not tag.self_closing:
                _open(out, tag)
            i = tag.end
        else:
            out.emit("<")
            i = lt + 1
    return out.runs()


def _open(out: doc.Builder, tag: _Tag) -> None:
    name = tag.name
    attrs = {key: _unescape(value) for key, value in tag.attrs.items()}
    if name in doc.INLINE_TAGS:
        out.open(name, doc.Mark(doc.INLINE_TAGS[name]))
    elif name == "span":
        spoiler = "tg-spoiler" in attrs.get("class", "").split()
        out.open(name, doc.Mark(doc.SPOILER) if spoiler else None)
    elif name == "a":
        # ASCII blanks only, as safe_url trims them: a link ending in U+00A0 keeps it, so
        # text that already fits comes back unchanged.
        href = attrs.get("href", "").strip(" \t\n\r\f\v")
        out.open(name, doc.Mark(doc.LINK, href) if href else None)
    elif name == "code":
        lang = doc.class_language(attrs.get("class", ""))
        if lang and out.set_pre_language(lang):
            out.open(name, None)
        else:
            out.open(name, doc.Mark(doc.CODE))
    elif name == "pre":
        out.open(name, doc.Mark(doc.PRE, None, out.new_serial()))
    elif name == "blockquote":
        expandable = "expandable" if "expandable" in attrs else None
        out.open(name, doc.Mark(doc.QUOTE, expandable, out.new_serial()))
    elif name == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        mark = doc.Mark(doc.EMOJI, emoji_id, out.new_serial()) if emoji_id.isdigit() else None
        out.open(name, mark)


def visible_length(html: str) -> int:
    """How long Telegram HTML is as Telegram counts it: UTF-16 units of its visible text."""
    return utf16_len(doc.text_of(read_telegram(html)))
