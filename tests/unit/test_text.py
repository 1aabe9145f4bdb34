"""Shared plain-text helpers (bot.text)."""

from __future__ import annotations

from bot.text import cap, fix_surrogates, one_line, strip_controls


def test_one_line_collapses_whitespace_and_drops_controls() -> None:
    """Line breaks and runs of spaces become one space; control characters vanish."""
    assert one_line("  Grain\r\ndeal \t\n\n back\x00\x1f on\x85 ") == "Grain deal back on"
    assert one_line("") == ""


def test_fix_surrogates_and_strip_controls() -> None:
    """Lone surrogates become U+FFFD; tab and newline survive strip_controls."""
    assert fix_surrogates("a\ud800b") == "a\ufffdb"
    assert strip_controls("a\tb\nc\x07\x7f") == "a\tb\nc"


def test_cap_cuts_to_the_limit_and_keeps_none() -> None:
    """cap cuts text to the limit; short text, empty text and None pass unchanged."""
    assert cap("abcdef", 3) == "abc"
    assert cap("ab", 3) == "ab"
    assert cap("", 3) == ""
    assert cap(None, 3) is None
