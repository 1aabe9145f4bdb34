"""Cutting Telegram HTML to Telegram's limits: `split_html` and `truncate_html`.

Both read the HTML into a document, choose where to cut in its plain text (a blank line,
a line break, a sentence end, a space, and only then anywhere that does not break a
user-perceived character) and serialise the pieces, so formatting open across a cut is
closed and reopened and a cut never lands inside a tag or an entity. Lengths are counted
as Telegram counts them, in UTF-16 code units.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from bot.render.document import EMOJI, Run, serialize, slice_runs, text_of
from bot.render.markup import TEXT_LIMIT, utf16_len
from bot.render.telegram_html import read_telegram
from bot.sentences import sentence_ends

__all__ = ["split_html", "truncate_html"]

_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")
_BREAK_SPACE = frozenset(" \t\n")
_DANGLING = frozenset(",;:([{«“‘\"'-–—/")


class _Text:
    """The text of a document with UTF-16 offsets and the offsets a cut must avoid."""

    def __init__(self, runs: Sequence[Run]) -> None:
        self.runs = runs
        self.text = text_of(runs)
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
            if any(mark.kind == EMOJI for mark in run.marks):
                self.sealed.update(range(pos + 1, pos + len(run.text)))
            pos += len(run.text)

    def units(self, start: int, end: int) -> int:
        return self.cum[end] - self.cum[start]

    def fit_end(self, start: int, budget: int) -> int:
        """The furthest offset `end` with units(start, end) ≤ budget."""
        return bisect_right(self.cum, self.cum[start] + budget) - 1

    def floor(self, start: int, units: int) -> int:
        """The first offset at least `units` UTF-16 units after `start`."""
        return bisect_left(self.cum, self.cum[start] + units)

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

    def slice(self, start: int, end: int) -> list[Run]:
        if start >= end:
            return []
        first = bisect_right(self.starts, start) - 1
        last = bisect_left(self.starts, end)
        offset = self.starts[first]
        return slice_runs(self.runs[first:last], start - offset, end - offset)

    def cuttable(self, pos: int) -> bool:
        text = self.text
        if pos in self.sealed:
            return False
        if pos <= 0 or pos >= len(text):
            return True
        return not _joins(text, pos)


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


def _blank_line(text: str, start: int, end: int, lowest: int) -> int | None:
    """The end of the text before the last blank line in (start, end], if not below
    `lowest`."""
    line = text.rfind("\n", start + 1, end + 1)
    while line >= lowest and line > start:
        before = line - 1
        while before > start and text[before] in " \t":
            before -= 1
        if text[before] == "\n":
            return before if before >= lowest and before > start else None
        line = text.rfind("\n", start + 1, line)
    return None


def _split_point(doc: _Text, start: int, end: int, limit: int) -> int:
    """Where to end a part that starts at `start` and may run to `end`: a blank line, else
    a line break, a sentence end, a space between words, else anywhere that does not break
    a character."""
    text = doc.text
    half = doc.floor(start, int(limit * 0.5))
    blank = _blank_line(text, start, end, doc.floor(start, int(limit * 0.3)))
    if blank is not None:
        return blank
    line = text.rfind("\n", start + 1, end + 1)
    if line >= half and line > start:
        return line
    sentences = [pos for pos in sentence_ends(text, start, end) if pos >= half]
    if sentences:
        return sentences[-1]
    space = _last_break(text, start, end, doc.floor(start, int(limit * 0.2)))
    if space is not None:
        return space
    return _hard_cut(doc, start, end)


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into parts that each show at most `limit` UTF-16 code units,
    breaking at blank lines, then lines, sentences, words, and only then anywhere; formatting
    open across a break is closed and reopened. Whitespace-only input gives no parts."""
    if limit < 2:
        raise ValueError("limit must be at least 2 (one astral character)")
    doc = _Text(read_telegram(html))
    text = doc.text
    parts: list[str] = []
    start = doc.skip_space(0)
    while start < len(text):
        end_all = doc.trim_end(start, len(text))
        if doc.units(start, end_all) <= limit:
            parts.append(serialize(doc.slice(start, end_all)))
            break
        cut = _split_point(doc, start, doc.fit_end(start, limit), limit)
        end = doc.trim_end(start, cut)
        parts.append(serialize(doc.slice(start, end)))
        start = doc.skip_space(cut)
    return parts


def _word_cut(doc: _Text, start: int, room: int, budget: int) -> int:
    """Where to cut between words (tidying away dangling punctuation), else anywhere."""
    text = doc.text
    space = _last_break(text, start, room, doc.floor(start, budget // 2))
    if space is None:
        return _hard_cut(doc, start, room)
    cut = doc.trim_end(start, space)
    tidy = cut
    while tidy > start and (text[tidy - 1] in _DANGLING or text[tidy - 1].isspace()):
        tidy -= 1
    return tidy if tidy > start else cut


def truncate_html(html: str, limit: int, *, suffix_html: str = "…") -> str:
    """Shorten Telegram HTML to at most `limit` visible UTF-16 code units, ending with
    `suffix_html` when anything was cut: at a sentence end within the last ~40% of the room,
    else between words, else anywhere that does not split a character. Tags stay balanced."""
    doc = _Text(read_telegram(html))
    text = doc.text
    start = doc.skip_space(0)
    end = doc.trim_end(start, len(text))
    if doc.units(start, end) <= limit:
        return serialize(doc.slice(start, end))
    suffix = read_telegram(suffix_html)
    suffix_text = text_of(suffix)
    # A sentence end gets a space before the suffix ("end. …"); a word only when the suffix
    # starts with a letter or digit ("word…" but "word Read more").
    sentence_gap = 1 if suffix_text and not suffix_text[0].isspace() else 0
    word_gap = 1 if suffix_text[:1].isalnum() else 0
    budget = limit - utf16_len(suffix_text)
    if budget - max(sentence_gap, word_gap) < 1:
        raise ValueError(f"limit {limit} leaves no room for text before the suffix")
    room = doc.fit_end(start, budget - sentence_gap)
    sentence_floor = doc.floor(start, int(budget * 0.6))
    ends = [pos for pos in sentence_ends(text, start, room) if pos >= sentence_floor]
    line = text.rfind("\n", start + 1, room + 1)
    if line >= sentence_floor:
        ends.append(line)
    if ends:
        cut = doc.trim_end(start, max(ends))
        gap = sentence_gap
    else:
        gap = word_gap
        cut = _word_cut(doc, start, doc.fit_end(start, budget - word_gap), budget)
    joiner = [Run(" ", ())] if gap else []
    return serialize([*doc.slice(start, cut), *joiner, *suffix])
