"""The document model: runs of plain text, each with the formatting marks that cover it.

Serialising a document always yields balanced Telegram HTML in which only allowed tags nest
in allowed ways, and cutting a document at any character offset can never land inside a tag
or an entity. The readers (:mod:`bot.render.web_html`, :mod:`bot.render.telegram_html`)
build documents with a :class:`Builder`.

The nesting rules are deliberately stricter than Telegram's: a mark opens only where every
client renders it (nothing inside ``code``/``pre``; ``a``, ``code``, ``pre`` and ``tg-emoji``
exclude one another; bold and friends never wrap ``code``/``pre``; blockquotes do not nest and
are always outermost). Text is never lost, only formatting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render.markup import code_language, escape

# Mark kinds, named after the Telegram HTML tag that renders them.
BOLD, ITALIC, UNDERLINE, STRIKE, SPOILER = "b", "i", "u", "s", "tg-spoiler"
LINK, CODE, PRE, QUOTE, EMOJI = "a", "code", "pre", "blockquote", "tg-emoji"

INLINE_TAGS = {
    "b": BOLD,
    "strong": BOLD,
    "i": ITALIC,
    "em": ITALIC,
    "u": UNDERLINE,
    "ins": UNDERLINE,
    "s": STRIKE,
    "strike": STRIKE,
    "del": STRIKE,
    "tg-spoiler": SPOILER,
}
"""HTML tags that become a simple inline mark, with the mark each becomes."""

MAX_DEPTH = 256  # open elements tracked at once; deeper nesting is treated as plain text

_INLINE = frozenset({BOLD, ITALIC, UNDERLINE, STRIKE, SPOILER})
_VERBATIM = frozenset({CODE, PRE})
_EXCLUSIVE = frozenset({LINK, CODE, PRE, EMOJI})
# Blockquotes wrap everything; code/pre/emoji sit innermost; the rest keep their source order.
_ORDER = {QUOTE: 0, CODE: 2, PRE: 2, EMOJI: 2}


@dataclass(frozen=True, slots=True)
class Mark:
    """One piece of formatting. `value` is the href, pre language, emoji id or, for a
    blockquote, "expandable"; `serial` keeps separate blocks apart."""

    kind: str
    value: str | None = None
    serial: int = 0

    def open_tag(self) -> str:
        if self.kind == LINK:
            return f'<a href="{escape(self.value or "", quote=True)}">'
        if self.kind == PRE:
            if self.value:
                return f'<pre><code class="language-{escape(self.value, quote=True)}">'
            return "<pre>"
        if self.kind == QUOTE:
            return "<blockquote expandable>" if self.value else "<blockquote>"
        if self.kind == EMOJI:
            return f'<tg-emoji emoji-id="{escape(self.value or "", quote=True)}">'
        return f"<{self.kind}>"

    def close_tag(self) -> str:
        if self.kind == PRE and self.value:
            return "</code></pre>"
        return f"</{self.kind}>"


Marks = tuple[Mark, ...]


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of plain text and the marks that apply to all of it."""

    text: str
    marks: Marks


def common_prefix(a: Marks, b: Marks) -> Marks:
    """The marks `a` and `b` share from the outside in."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def serialize(runs: Sequence[Run]) -> str:
    """Telegram HTML for `runs`: tags opened and closed by diffing neighbouring mark stacks."""
    out: list[str] = []
    stack: Marks = ()
    for run in runs:
        if not run.text:
            continue
        keep = len(common_prefix(stack, run.marks))
        out.extend(mark.close_tag() for mark in reversed(stack[keep:]))
        out.extend(mark.open_tag() for mark in run.marks[keep:])
        out.append(escape(run.text))
        stack = run.marks
    out.extend(mark.close_tag() for mark in reversed(stack))
    return "".join(out)


def text_of(runs: Sequence[Run]) -> str:
    """The plain text of a document."""
    return "".join(run.text for run in runs)


def slice_runs(runs: Sequence[Run], start: int, end: int) -> list[Run]:
    """The runs covering text offsets [start, end) (code points)."""
    out: list[Run] = []
    pos = 0
    for run in runs:
        run_end = pos + len(run.text)
        if run_end > start and pos < end:
            piece = run.text[max(start - pos, 0) : min(end, run_end) - pos]
            if piece:
                out.append(Run(piece, run.marks))
        if run_end >= end:
            break
        pos = run_end
    return out


def strip_runs(runs: list[Run]) -> list[Run]:
    """`runs` without whitespace at either end of the text."""
    text = text_of(runs)
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start == 0 and end == len(text):
        return runs
    return slice_runs(runs, start, end)


def class_language(classes: str) -> str | None:
    """The language named by a ``language-…`` class among `classes`, if any."""
    for token in classes.split():
        if token.startswith("language-"):
            return code_language(token[len("language-") :])
    return None


@dataclass(slots=True)
class _Entry:
    name: str
    mark: Mark | None


class Builder:
    """Collects runs while tracking open elements and which marks they contribute."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._open: dict[str, int] = {}
        self.marks: Marks = ()
        self._run_marks: list[Marks] = []
        self._run_texts: list[list[str]] = []
        self._serial = 0
        self._used: set[int] = set()

    # -- elements ---------------------------------------------------------------------------

    def new_serial(self) -> int:
        """A number no other block of this document has."""
        self._serial += 1
        return self._serial

    def _admit(self, mark: Mark) -> Mark | None:
        kinds = {m.kind for m in self.marks}
        if kinds & _VERBATIM:
            return None  # nothing opens inside code/pre
        if mark.kind == QUOTE or mark.kind in _INLINE:
            return None if mark.kind in kinds else mark
        if kinds & _EXCLUSIVE:
            return None  # links, code, pre and custom emoji never contain each other
        if mark.kind in _VERBATIM and kinds & _INLINE:
            return None  # bold & co. are not allowed around code/pre
        return mark

    def open(self, name: str, mark: Mark | None) -> None:
        """Open element `name`, contributing `mark` if the nesting rules admit it."""
        if len(self._entries) >= MAX_DEPTH:
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
            if mark.kind == PRE and mark.value is None and mark.serial not in self._used:
                entry.mark = Mark(PRE, language, mark.serial)
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
    def last_marks(self) -> Marks:
        return self._run_marks[-1] if self._run_marks else ()

    @property
    def last_char(self) -> str:
        return self._run_texts[-1][-1][-1] if self._run_texts else ""

    def emit(self, text: str, marks: Marks | None = None) -> None:
        """Append `text` with `marks` (by default the marks open now)."""
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

    def runs(self) -> list[Run]:
        """The document built so far."""
        return [
            Run("".join(texts), marks)
            for texts, marks in zip(self._run_texts, self._run_marks, strict=True)
        ]
