"""The sentence splitter of newsbot: where sentences end in plain English news text.

A sentence ends after ``.``, ``!``, ``?`` or ``…`` (repeated or not), plus any closing quotes
or brackets, when whitespace or the end of the text follows — unless the full stop belongs
to an abbreviation ("Dr. Smith", "e.g. this", "J. Smith", "м. Київ", "7 серп. 2023") or the
next word starts in lower case ("approx. two", "etc. and"). Ukrainian abbreviations that
often close a sentence ("у 2023 р.", "500 грн.", "і т. д.") end one only when a capitalised
word follows.

* :func:`sentence_ends` — offsets just after each sentence's final punctuation;
* :func:`split_sentences` — the sentences themselves.

Both are pure standard library and linear in the length of the text; the renderer cuts
messages with them and ingestion takes titles and teasers from them.

Summaries need more accuracy in more languages, so :func:`segment` splits with pysbd's
rule-based segmenter (one per language for the process, thread-safe), rejoins pieces that
start in lower case and falls back to :func:`split_sentences` wherever pysbd fails.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from functools import cache
from typing import Any

with warnings.catch_warnings():
    # pysbd 0.3.4 has regex literals that are not raw strings ('\s' in segmenter.py,
    # '\.' in lang/arabic.py and lang/persian.py). Python warns about them when it compiles those
    # files from source, that is, when no cached .pyc exists (a fresh venv, or
    # PYTHONDONTWRITEBYTECODE / PYTHONPYCACHEPREFIX). The warning is DeprecationWarning on
    # Python 3.11 and SyntaxWarning from 3.12. Under pytest's filterwarnings=error the warning
    # becomes a SyntaxError and the import fails. The warning is harmless: Python keeps unknown
    # escapes verbatim, so the regexes are the ones pysbd meant. The filter matches only that
    # message and only covers this import.
    for _category in (DeprecationWarning, SyntaxWarning):
        warnings.filterwarnings("ignore", message="invalid escape sequence", category=_category)
    del _category
    import pysbd
    import pysbd.languages

__all__ = [
    "ABBREVIATIONS",
    "UKRAINIAN_ABBREVIATIONS",
    "UKRAINIAN_FINAL_ABBREVIATIONS",
    "segment",
    "sentence_ends",
    "split_sentences",
]

_FINAL_PUNCTUATION = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|\Z)")
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

UKRAINIAN_ABBREVIATIONS = frozenset(
    [
        # places and addresses: "м. Київ", "вул. Хрещатик", "с. Петрівка"
        *("м", "с", "смт", "вул", "просп", "пров", "пл", "бульв"),
        # people: "проф. Іваненко", "ген. Залужний", "св. Миколай"
        *("проф", "акад", "доц", "ген", "св", "гр", "ім"),
        # references: "див. розділ", "напр. так", "порівн. з"
        *("див", "напр", "зокр", "порівн", "тел"),
        # months: "7 серп. 2023"
        *("січ", "лют", "бер", "квіт", "трав", "черв", "лип", "серп", "вер", "жовт"),
        *("лист", "листоп", "груд"),
    ]
)
"""Ukrainian abbreviations (lower case, without the final full stop) that never end a
sentence: they stand before the word they qualify."""

UKRAINIAN_FINAL_ABBREVIATIONS = frozenset(
    [
        *("р", "рр", "ст", "п", "пп"),  # "у 2023 р.", "XX ст.", "ст. 5", "п. 3"
        *("грн", "коп", "тис", "млн", "млрд"),  # "5 млн. грн."
        *("ін", "д", "т.д", "т.п"),  # "та ін.", "і т. д.", "і т.д."
        *("обл", "р-н"),  # "Київська обл.", "Бучанський р-н"
    ]
)
"""Ukrainian abbreviations (as written, lower case) that end a sentence only before a word
that starts with a capital letter: "у 2023 р., тоді" and "ст. 5" go on, "у 2023 р. Потім"
ends."""


def _is_abbreviation(text: str, start: int, match: re.Match[str]) -> bool:
    if match.group().rstrip(_CLOSERS) != ".":
        return False  # "?!", "...", "…" always end a sentence
    words = text[max(start, match.start() - _LOOK_BACK) : match.start()].split()
    written = words[-1] if words else ""
    if written in UKRAINIAN_FINAL_ABBREVIATIONS:
        following = _NEXT_WORD.match(text, match.end())
        return following is not None and not following.group(1).isupper()
    last = written.lower()
    return (last in ABBREVIATIONS or last in UKRAINIAN_ABBREVIATIONS
            or (len(last) == 1 and last.isalpha()))


def sentence_ends(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets in ``(start, end]`` just after a sentence's final punctuation (and closing
    quotes or brackets), in increasing order; `end` defaults to the end of `text`.

    Only ``text[start:end + 1]`` is read, so the character right after `end` may confirm
    a sentence end at `end`.
    """
    if end is None:
        end = len(text)
    found: list[int] = []
    for match in _FINAL_PUNCTUATION.finditer(text, start, min(end + 1, len(text))):
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


# --- pysbd-backed segmentation (summaries) ----------------------------------------------------

#: pysbd's rules for languages it does not know.
_DEFAULT_SEGMENTER_LANGUAGE = "en"
#: Languages pysbd lacks that :func:`split_sentences` knows the abbreviations of: their
#: lines are split by it (pysbd's Russian rules would split "м. Київ" and "7 серп. 2023").
_OWN_RULE_LANGUAGES = frozenset({"uk"})
# Control characters become spaces. Zero-width and invisible formatting characters are removed.
# pysbd can raise an error on control characters (pySBD issue #121), and invisible characters
# break words apart.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")
_OPENERS = "\"'“‘«([¿¡"


def segment(text: str, language: str = _DEFAULT_SEGMENTER_LANGUAGE) -> list[str]:
    """The sentences of `text` by pysbd's rules for `language`, stripped and whitespace-normalized.

    `language` is an ISO 639-1 code pysbd supports ("en", "ru", "de"...) or "uk", which
    pysbd lacks and :func:`split_sentences` splits (it knows Ukrainian abbreviations:
    "м. Київ", "7 серп. 2023 р., тоді"); any other gets the English rules. The text is
    NFC-normalized, and every line break is a sentence boundary, because extracted article
    text has one paragraph per line. A piece that starts with a
    lower-case letter is joined to the sentence before it, which fixes splits after
    abbreviations pysbd does not know. If pysbd fails on a line (it can raise an error, or
    drop text that contains characters it uses internally, such as "☝"), that line is split
    with :func:`split_sentences` instead.
    """
    own_rule = language in _OWN_RULE_LANGUAGES
    if not own_rule and language not in pysbd.languages.LANGUAGE_CODES:
        language = _DEFAULT_SEGMENTER_LANGUAGE
    sentences: list[str] = []
    for line in _normalized_lines(text):
        if own_rule:
            sentences.extend(_merge_continuations(line, split_sentences(line)))
        else:
            sentences.extend(_segment_line(line, language))
    return sentences


def _normalized_lines(text: str) -> list[str]:
    """Split text into non-empty lines with normalized whitespace.

    The text is NFC-normalized first. Inside each line, runs of Unicode whitespace
    (including NBSP) collapse to one space.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    lines = (" ".join(_CONTROL.sub(" ", line).split()) for line in text.splitlines())
    return [line for line in lines if line]


@cache
def _segmenter(code: str) -> tuple[Any, threading.Lock]:
    """One pysbd segmenter per language code, with a lock.

    ``Segmenter.segment`` stores the text it is working on in an attribute, so two
    threads must not call the same segmenter at the same time.
    """
    return pysbd.Segmenter(language=code, clean=False), threading.Lock()


def _segment_line(line: str, code: str) -> list[str]:
    segmenter, lock = _segmenter(code)
    try:
        with lock:
            pieces = segmenter.segment(line)
    # pysbd raises assorted errors on odd input (ValueError, IndexError, ...). One bad
    # paragraph must not stop a summary, and the rule-based splitter handles any text.
    except Exception:
        return split_sentences(line)
    sentences = [s for s in (str(p).strip() for p in pieces) if s]
    # With clean=False pysbd returns pieces of the input. If they do not add up to the whole
    # line, pysbd lost something, so the line is split by the rule-based splitter instead.
    if _without_spaces("".join(sentences)) != _without_spaces(line):
        return split_sentences(line)
    return _merge_continuations(line, sentences)


def _merge_continuations(line: str, pieces: list[str]) -> list[str]:
    """Join each piece that starts with a lower-case letter to the piece before it.

    pysbd's abbreviation lists are short for some languages. For example, Russian
    "5 проц. в янв." gets split after "проц.". A real sentence almost never starts in
    lower case. ``pieces`` are consecutive substrings of ``line``, so the joined
    sentence is sliced from ``line`` exactly as written.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for piece in pieces:
        start = line.find(piece, position)
        if start < 0:  # not a substring of the line: leave pysbd's split alone
            return pieces
        end = start + len(piece)
        if spans and piece.lstrip(_OPENERS)[:1].islower():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        position = end
    return [line[start:end] for start, end in spans]


def _without_spaces(text: str) -> str:
    return "".join(text.split())
