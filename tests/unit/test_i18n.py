"""The catalogues: every text in the code has a Ukrainian translation that keeps its
placeholders and tags, plural forms follow each language's rules, and the language of a
render is scoped."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import _, interface_language, ngettext, use_language

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
_TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|tg-spoiler|span|code|pre|"
                  r"blockquote|tg-emoji)\b")


@cache
def source_messages() -> dict[str | tuple[str, str], list[str]]:
    """Every text marked in bot/ and handlers/ → where it is (file:line)."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for package in ("bot", "handlers"):
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS,
        ):
            key = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, []).append(f"{package}/{filename}:{line}")
    return found


@cache
def ukrainian() -> Catalog:
    with (i18n.LOCALE_DIR / "uk" / "LC_MESSAGES" / "newsbot.po").open("rb") as source:
        return read_po(source, locale="uk", domain="newsbot")


def _shape(text: str) -> tuple[Counter[str], Counter[str]]:
    return Counter(_PLACEHOLDER.findall(text)), Counter(_TAG.findall(text))


def test_every_text_has_a_ukrainian_translation() -> None:
    """No text in the code is missing from the Ukrainian catalogue, untranslated or fuzzy."""
    catalog = ukrainian()
    missing = []
    for key, where in source_messages().items():
        msgid = key if isinstance(key, str) else key[0]
        entry = catalog.get(msgid)
        strings = ([] if entry is None else
                   [entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(f"{where[0]}: {msgid!r}")
    assert not missing, "untranslated (run `make messages`, then translate):\n" + "\n".join(
        missing)


def test_translations_keep_placeholders_and_tags() -> None:
    """A translation has the same {placeholders} and HTML tags as its English text, so
    formatting it cannot raise and the HTML stays balanced."""
    wrong = []
    for message in ukrainian():
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = ([message.string] if isinstance(message.string, str)
                   else list(message.string))
        expected = _shape(ids[-1])
        for string in strings:
            if string and _shape(string) != expected:
                wrong.append(f"{ids[0]!r} → {string!r}")
    assert not wrong, "\n".join(wrong)


def test_plural_entries_have_three_ukrainian_forms() -> None:
    """Ukrainian counts have three forms (1 стаття, 2 статті, 5 статей)."""
    assert ukrainian().num_plurals == 3
    for message in ukrainian():
        if message.id and not isinstance(message.id, str) and message.string:
            assert len(message.string) == 3, message.id


def test_no_translation_of_a_text_that_is_gone() -> None:
    """The catalogue holds no stale entries (obsolete texts are dropped by `make messages`
    and then deleted)."""
    assert not ukrainian().obsolete


@pytest.mark.parametrize(
    ("code", "language"),
    [("uk", "uk"), ("uk-UA", "uk"), ("UK_ua", "uk"), ("en-GB", "en"), ("de", "en"),
     (None, "en"), ("", "en")],
)
def test_interface_language_from_telegram_code(code: str | None, language: str) -> None:
    """Telegram's language code picks Ukrainian for uk-*, English for the rest."""
    assert interface_language(code) == language


def test_language_is_scoped() -> None:
    """use_language renders inside its block only and restores the language before it."""
    assert i18n.current_language() == "en"
    with use_language("uk"):
        assert i18n.current_language() == "uk"
        with use_language("en"):
            assert i18n.current_language() == "en"
        assert i18n.current_language() == "uk"
    with use_language("xx"):
        assert i18n.current_language() == "en"
    assert i18n.current_language() == "en"


def test_english_is_the_source() -> None:
    """English needs no catalogue: texts come back as written, plurals by n == 1."""
    assert _("anything at all") == "anything at all"
    assert ngettext("{n} explainer", "{n} explainers", 1) == "{n} explainer"
    assert ngettext("{n} explainer", "{n} explainers", 2) == "{n} explainers"


def test_ukrainian_plural_rule_picks_the_right_form() -> None:
    """The compiled Ukrainian catalogue's plural rule: 1, 21 → one; 2–4, 22 → few; 5–20,
    11–14, 25 → many."""
    plural = i18n.translations("uk").plural  # type: ignore[attr-defined]
    assert [plural(n) for n in (1, 21, 101)] == [0, 0, 0]
    assert [plural(n) for n in (2, 3, 4, 22, 34)] == [1, 1, 1, 1, 1]
    assert [plural(n) for n in (0, 5, 11, 12, 14, 20, 25, 111)] == [2] * 8
