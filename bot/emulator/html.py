"""Telegram's HTML parse mode, as pure functions.

`parse_html` turns Bot API HTML into the visible text plus Bot API ``MessageEntity`` dicts whose
offsets and lengths are counted in UTF-16 code units, and raises `EntityParseError` with a
Telegram-like description (byte offsets are UTF-8 byte offsets into the input) where Telegram
answers "Bad Request: can't parse entities: …".

The grammar follows Telegram's parser: tag names are case-insensitive; attribute values are
quoted with ``'`` or ``"`` (HTML entities inside are decoded) or are unquoted name tokens
(letters, digits, ``.`` and ``-``, lower-cased); unknown attributes are ignored; ``</>`` closes
the innermost open tag; an end tag must match the innermost open tag.

Where Telegram is lenient the emulator is deliberately stricter, so that a renderer bug shows up
in tests instead of as odd text in production:

* a named entity other than ``&lt; &gt; &amp; &quot;`` written with its ``;`` (``&nbsp;``,
  ``&apos;``) is an error (Telegram shows it literally); a ``&`` that does not start an entity
  reference (``AT&T``, ``a & b``) stays literal text, as in Telegram;
* a numeric reference to U+0000, a surrogate or a value above U+10FFFF is an error;
* no tag may be opened inside ``code`` or ``pre``, except one ``code`` directly inside ``pre``
  (``<pre><code class="language-x">…</code></pre>`` gives a ``pre`` entity with ``language``);
* ``blockquote``, ``a`` and ``tg-emoji`` do not nest in themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALLOWED_TAGS",
    "EntityParseError",
    "ParsedText",
    "parse_html",
    "parsed_length",
    "utf16_len",
    "visible_length",
]

# The tags of Telegram's HTML parse mode; any other tag is refused.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "tg-spoiler",
        "span",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NO_SELF_NESTING = frozenset({"a", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\n\r\f\v\0")
_SPECIAL = re.compile(r"[<&]")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_ENTITY_NAME = re.compile(r"[A-Za-z]+")
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


class EntityParseError(ValueError):
    """HTML that Telegram would refuse; `description` reads like Telegram's explanation."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class ParsedText:
    """The visible text of a message and its Bot API entities (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(s: str) -> int:
    """Length of `s` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML into visible text and entities; raise `EntityParseError` if invalid."""
    return _HtmlParser(text).parse()


def parsed_length(html: str) -> int:
    """UTF-16 length of the text Telegram shows for `html` (what its 4096/1024 limits count)."""
    return utf16_len(parse_html(html).text)


visible_length = parsed_length
"""Alias of `parsed_length`."""


@dataclass
class _OpenTag:
    name: str
    byte_offset: int
    utf16_start: int
    out_index: int  # index into the output pieces, to recover the inner text of <a> without href
    order: int
    href: str | None = None
    language: str = ""
    emoji_id: str = ""
    expandable: bool = False
    # For <pre>: (start, end, language) of a <code> child, to merge into a language-tagged pre.
    inner_code: tuple[int, int, str] | None = None


@dataclass
class _Entity:
    order: int
    data: dict[str, Any]


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[_Entity] = []
        self.opened = 0

    # -- helpers -----------------------------------------------------------------------------

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8", "surrogatepass"))

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, piece: str) -> None:
        if piece:
            self.out.append(piece)
            self.utf16 += utf16_len(piece)

    def skip_spaces(self, i: int) -> int:
        while i < self.n and self.src[i] in _SPACES:
            i += 1
        return i

    # -- main loop ---------------------------------------------------------------------------

    def parse(self) -> ParsedText:
        pos = 0
        while pos < self.n:
            match = _SPECIAL.search(self.src, pos)
            if match is None:
                self.emit(self.src[pos:])
                break
            self.emit(self.src[pos : match.start()])
            pos = match.start()
            if self.src[pos] == "&":
                decoded, pos = self.decode_entity(pos)
                self.emit(decoded)
            elif pos + 1 < self.n and self.src[pos + 1] == "/":
                pos = self.end_tag(pos)
            else:
                pos = self.start_tag(pos)
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e.data["offset"], -e.data["length"], e.order))
        return ParsedText("".join(self.out), [e.data for e in self.entities])

    # -- character references ----------------------------------------------------------------

    def decode_entity(self, pos: int) -> tuple[str, int]:
        """Decode the reference at `pos` (a ``&``); return the text and the next position."""
        src = self.src
        if src.startswith("&#", pos):
            is_hex = pos + 2 < self.n and src[pos + 2] in "xX"
            start = pos + 3 if is_hex else pos + 2
            digits = (_HEX if is_hex else _DECIMAL).match(src, start)
            if digits is None:
                return "&", pos + 1
            end = digits.end()
            if end < self.n and src[end] == ";":
                end += 1
            value = int(digits.group(), 16 if is_hex else 10)
            if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                raise self.fail(
                    f"Unsupported HTML entity {src[pos:end]} at byte offset {self.byte_offset(pos)}"
                )
            return chr(value), end
        name = _ENTITY_NAME.match(src, pos + 1)
        if name is None:
            return "&", pos + 1
        end = name.end()
        has_semicolon = end < self.n and src[end] == ";"
        decoded = _NAMED_ENTITIES.get(name.group())
        if decoded is None:
            if has_semicolon:
                raise self.fail(
                    f"Unsupported HTML entity &{name.group()}; at byte offset "
                    f"{self.byte_offset(pos)}"
                )
            return "&", pos + 1
        return decoded, end + 1 if has_semicolon else end

    # -- tags --------------------------------------------------------------------------------

    def end_tag(self, pos: int) -> int:
        offset = self.byte_offset(pos)
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {offset}")
        i = pos + 2
        while i < self.n and self.src[i] not in _SPACES and self.src[i] != ">":
            i += 1
        name = self.src[pos + 2 : i].lower()
        i = self.skip_spaces(i)
        if i >= self.n or self.src[i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {offset}")
        top = self.stack[-1]
        if name and name != top.name:
            raise self.fail(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        self.close(top)
        return i + 1

    def start_tag(self, pos: int) -> int:
        offset = self.byte_offset(pos)
        i = pos + 1
        while i < self.n and self.src[i] not in _SPACES and self.src[i] != ">":
            i += 1
        if i >= self.n:
            raise self.fail(f"Unclosed start tag at byte offset {offset}")
        name = self.src[pos + 1 : i].lower()
        if name not in ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {offset}')
        tag = _OpenTag(name, offset, self.utf16, len(self.out), self.opened)
        self.opened += 1
        span_class: str | None = None
        while True:
            i = self.skip_spaces(i)
            if i >= self.n:
                raise self.fail(f"Unclosed start tag at byte offset {offset}")
            if self.src[i] == ">":
                break
            attr_start = i
            while i < self.n and self.src[i] not in _SPACES and self.src[i] not in "=>":
                i += 1
            attribute = self.src[attr_start:i].lower()
            if not attribute:
                raise self.fail(f'Empty attribute name in the tag "{name}" at byte offset {offset}')
            i = self.skip_spaces(i)
            if i >= self.n:
                raise self.fail(f"Unclosed start tag at byte offset {offset}")
            if self.src[i] != "=":
                if name == "blockquote" and attribute == "expandable":
                    tag.expandable = True
                    continue
                raise self.fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {offset}'
                )
            i = self.skip_spaces(i + 1)
            if i >= self.n:
                raise self.fail(f'Unclosed start tag "{name}" at byte offset {offset}')
            value, i = self.attribute_value(i, offset)
            if name == "a" and attribute == "href":
                tag.href = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                tag.language = value[len("language-") :]
            elif name == "span" and attribute == "class":
                span_class = value
            elif name == "tg-emoji" and attribute == "emoji-id":
                tag.emoji_id = value
        if name == "span" and span_class != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not tag.emoji_id:
            raise self.fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        self.check_nesting(tag)
        self.stack.append(tag)
        return i + 1

    def attribute_value(self, i: int, tag_offset: int) -> tuple[str, int]:
        src = self.src
        quote = src[i]
        if quote in "\"'":
            i += 1
            pieces: list[str] = []
            while i < self.n and src[i] != quote:
                if src[i] == "&":
                    decoded, i = self.decode_entity(i)
                    pieces.append(decoded)
                else:
                    end = i + 1
                    while end < self.n and src[end] not in ("&", quote):
                        end += 1
                    pieces.append(src[i:end])
                    i = end
            if i >= self.n:
                raise self.fail(f"Unclosed start tag at byte offset {tag_offset}")
            return "".join(pieces), i + 1
        token = _NAME_TOKEN.match(src, i)
        end = token.end() if token else i
        if end >= self.n:
            raise self.fail(f"Unclosed start tag at byte offset {tag_offset}")
        if src[end] not in _SPACES and src[end] != ">":
            raise self.fail(f"Unexpected end of name token at byte offset {self.byte_offset(i)}")
        return src[i:end].lower(), end

    def check_nesting(self, tag: _OpenTag) -> None:
        for outer in self.stack:
            if outer.name == "code" or (
                outer.name == "pre" and not (tag.name == "code" and outer is self.stack[-1])
            ):
                raise self.fail(
                    f'Tag "{tag.name}" is not allowed inside "{outer.name}" at byte offset '
                    f"{tag.byte_offset}"
                )
            if tag.name in _NO_SELF_NESTING and outer.name == tag.name:
                raise self.fail(
                    f'Tag "{tag.name}" is not allowed inside "{outer.name}" at byte offset '
                    f"{tag.byte_offset}"
                )

    def close(self, tag: _OpenTag) -> None:
        start, end = tag.utf16_start, self.utf16
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            # Merged into the enclosing <pre> when that closes.
            self.stack[-1].inner_code = (start, end, tag.language)
            return
        length = end - start
        if length <= 0:
            return  # Telegram drops empty entities.
        data: dict[str, Any]
        if tag.name in _SIMPLE_TYPES:
            data = {"type": _SIMPLE_TYPES[tag.name], "offset": start, "length": length}
        elif tag.name == "a":
            url = tag.href or "".join(self.out[tag.out_index :])
            data = {"type": "text_link", "offset": start, "length": length, "url": url}
        elif tag.name == "code":
            data = {"type": "code", "offset": start, "length": length}
        elif tag.name == "pre":
            data = {"type": "pre", "offset": start, "length": length}
            code = tag.inner_code
            if code is not None and code[0] == start and code[1] == end and code[2]:
                data["language"] = code[2]
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.expandable else "blockquote"
            data = {"type": kind, "offset": start, "length": length}
        else:  # tg-emoji
            data = {
                "type": "custom_emoji",
                "offset": start,
                "length": length,
                "custom_emoji_id": tag.emoji_id,
            }
        self.entities.append(_Entity(tag.order, data))
