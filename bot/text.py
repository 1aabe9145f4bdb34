"""Small plain-text helpers shared across newsbot (no HTML here: that is :mod:`bot.render`).

* :func:`one_line` — any text as a single display line (titles, sources, error messages);
* :func:`strip_controls` — drop control characters that show as boxes or break layouts;
* :func:`fix_surrogates` — replace lone surrogates, which UTF-8 (and so Telegram) refuses;
* :func:`cap` — text cut to a length limit (a database column's, say), ``None`` kept.
"""

from __future__ import annotations

import re
from typing import overload

__all__ = ["cap", "fix_surrogates", "one_line", "strip_controls"]

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f-\x9f]")  # C0/C1 but tab, line feed

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_surrogates(text: str) -> str:
    """`text` with every lone surrogate (not valid UTF-8) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def strip_controls(text: str) -> str:
    """`text` without C0/C1 control characters; tab and line feed are kept."""
    return _CONTROLS.sub("", text)


def one_line(text: str) -> str:
    """`text` as one line: control characters dropped (a carriage return counts as a space),
    lone surrogates replaced, every run of whitespace made one space, the ends trimmed."""
    return " ".join(strip_controls(fix_surrogates(text.replace("\r", " "))).split())


@overload
def cap(text: str, limit: int) -> str: ...
@overload
def cap(text: str | None, limit: int) -> str | None: ...
def cap(text: str | None, limit: int) -> str | None:
    """`text` cut to at most `limit` characters; ``None`` stays ``None``."""
    return None if text is None else text[:limit]
