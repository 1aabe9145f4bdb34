"""The sentence splitter of newsbot: where sentences end in plain English news text.

A sentence ends after ``.``, ``!``, ``?`` or ``…`` (repeated or not), plus any closing quotes
or brackets, when whitespace or the end of the text follows — unless the full stop belongs
to an abbreviation ("Dr. Smith", "e.g. this", "J. Smith") or the next word starts in lower
case ("approx. two", "etc. and").

* :func:`sentence_ends` — offsets just after each sentence's final punctuation;
* :func:`split_sentences` — the sentences themselves.

Pure standard library; linear in the length of the text.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "sentence_ends", "split_sentences"]

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|\Z)")
_CLOSERS = "\"'”’»)]"
_NEXT_WORD = re.compile(r"\s*(\S)")
_LOOK_BACK = 12  # characters before a full stop searched for the abbreviation

ABBREVIATIONS = frozenset(
    [
        *("mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "no"),
        *("gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "approx"),
        *("e.g", "i.e", "u.s", "u.k", "u.n", "a.m", "p.m"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    ]
)
"""Lower-cased words (without their final full stop) after which a full stop ends no
sentence. Single letters ("J. Smith") are recognised separately."""


def _is_abbreviation(text: str, start: int, match: re.Match[str]) -> bool:
    if match.group().rstrip(_CLOSERS) != ".":
        return False  # "?!", "...", "…" always end a sentence
    words = text[max(start, match.start() - _LOOK_BACK) : match.start()].split()
    last = words[-1].lower() if words else ""
    return last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def sentence_ends(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets in ``(start, end]`` just after a sentence's final punctuation (and closing
    quotes or brackets), in increasing order; `end` defaults to the end of `text`.

    Only ``text[start:end + 1]`` is read, so the character right after `end` may confirm
    a sentence end at `end`.
    """
    if end is None:
        end = len(text)
    found: list[int] = []
    for match in _SENTENCE_END.finditer(text, start, min(end + 1, len(text))):
        stop = match.end()
        if stop <= start or stop > end:
            continue
        if _is_abbreviation(text, start, match):
            continue
        following = _NEXT_WORD.match(text, stop)
        if following is not None and following.group(1).islower():
            continue
        found.append(stop)
    return found


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each stripped of surrounding whitespace; text after the last
    sentence end counts as a sentence too. Whitespace-only text gives an empty list."""
    pieces: list[str] = []
    begin = 0
    for stop in [*sentence_ends(text), len(text)]:
        piece = text[begin:stop].strip()
        if piece:
            pieces.append(piece)
        begin = stop
    return pieces
