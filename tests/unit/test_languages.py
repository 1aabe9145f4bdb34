"""Article languages: feed declarations, offline detection, language-prefixed URLs, and
Ukrainian sentence splitting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.feed_parsing import parse_feed
from bot.ingest.languages import detect_language, primary_language, story_key
from bot.ingest.parsed_feed import ParsedEntry, ParsedFeed
from bot.ingest.processing import process_entries
from bot.ingest.topic_matching import TopicMatcher
from bot.sentences import segment, split_sentences

NOW = datetime(2026, 12, 1, tzinfo=UTC)
UKRAINIAN_TEXT = (
    "Енергетична система України пережила ще одну зиму під обстрілами. Ремонтні бригади "
    "працювали цілодобово, щоб повернути світло в оселі людей."
)
ENGLISH_TEXT = (
    "Ukraine's power grid has survived another winter under attack. Repair crews worked "
    "around the clock to bring the lights back on in people's homes."
)


def make_entry(title: str, text: str, *, language: str | None = None,
               url: str = "https://news.example.org/explainers/grid") -> ParsedEntry:
    """A parsed entry with the given title, plain-text body and declared language."""
    return ParsedEntry(
        guid=url, url=url, title=title, summary_html="", content_html=f"<p>{text}</p>",
        image_url=None, categories=(), published_at=None, author=None, comments_url=None,
        language=language,
    )


@pytest.mark.parametrize(
    ("tag", "code"),
    [("uk", "uk"), ("uk-UA", "uk"), ("en_US", "en"), ("EN", "en"), ("", None), (None, None),
     ("english", None), ("x", None)],
)
def test_language_tags_become_iso_codes(tag: str | None, code: str | None) -> None:
    """Language tags are reduced to their lower-case two-letter primary subtag."""
    assert primary_language(tag) == code


def test_detection_recognises_ukrainian_and_english() -> None:
    """The bundled model tells Ukrainian from English in a couple of sentences."""
    assert detect_language(UKRAINIAN_TEXT) == "uk"
    assert detect_language(ENGLISH_TEXT) == "en"


@pytest.mark.parametrize("text", ["", "Kremlin", "Київ"])
def test_detection_does_not_guess_from_too_little(text: str) -> None:
    """A word or two is no evidence: no language rather than a wrong one."""
    assert detect_language(text) is None


def test_rss_language_is_declared_for_its_items() -> None:
    """RSS <language> is every item's language; atom:link hreflang alternates are kept."""
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Пояснення</title>
<language>uk-UA</language>
<item><title>Енергетика</title><link>https://news.example.org/uk/explainers/grid</link>
<atom:link rel="alternate" hreflang="en" href="https://news.example.org/explainers/grid"/>
<description>Текст</description></item></channel></rss>""".encode()
    [entry] = parse_feed(body, "https://news.example.org/uk/feed.xml", now=NOW).entries
    assert entry.language == "uk"
    assert entry.alternates == ("https://news.example.org/explainers/grid",)


def test_atom_xml_lang_of_entry_overrides_the_feed() -> None:
    """Atom xml:lang on an entry wins over the feed's; an entry without one inherits it."""
    body = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Explainers</title>
<entry xml:lang="uk"><id>1</id><title>Енергетика</title>
<link href="https://news.example.org/uk/explainers/grid"/>
<link rel="alternate" hreflang="en" href="/explainers/grid"/><summary>Текст</summary></entry>
<entry><id>2</id><title>Energy</title><link href="https://news.example.org/explainers/grid"/>
<summary>Text</summary></entry></feed>""".encode()
    ukrainian, english = parse_feed(body, "https://news.example.org/feed.xml", now=NOW).entries
    assert (ukrainian.language, english.language) == ("uk", "en")
    assert ukrainian.alternates == ("https://news.example.org/explainers/grid",)
    assert english.alternates == ()


def test_json_feed_language_item_then_feed() -> None:
    """JSON Feed 1.1: an item's language, else the feed's."""
    body = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "T", "language": "en-GB",
      "items": [{"id": "1", "url": "https://e.org/a", "content_text": "x", "language": "uk"},
                {"id": "2", "url": "https://e.org/b", "content_text": "y"}]}"""
    entries = parse_feed(body, "https://e.org/feed.json", now=NOW).entries
    assert [entry.language for entry in entries] == ["uk", "en"]


def test_processing_keeps_the_declaration_else_detects() -> None:
    """A declared language is stored as it is; without one the text decides."""
    feed = ParsedFeed(title=None, site_url=None, entries=[
        make_entry("Енергетика", UKRAINIAN_TEXT, url="https://e.org/uk/a"),
        make_entry("Energy", ENGLISH_TEXT, url="https://e.org/a"),
        make_entry("Declared", ENGLISH_TEXT, language="de", url="https://e.org/de/a"),
    ])
    processed = process_entries(feed, TopicMatcher([]), 2)
    assert [item.language for item in processed] == ["uk", "en", "de"]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://site.org/uk/explainers/x", "https://site.org/explainers/x"),
        ("https://site.org/en/explainers/x", "https://site.org/explainers/x"),
        ("https://site.org/pt-br/explainers/x?id=1", "https://site.org/explainers/x?id=1"),
        ("https://site.org/explainers/x", "https://site.org/explainers/x"),
        ("https://site.org/uk", "https://site.org/uk"),
        ("https://site.org/news/uk/x", "https://site.org/news/uk/x"),
    ],
)
def test_story_key_drops_a_leading_language_segment(url: str, key: str) -> None:
    """Language versions filed under /<lang>/ share one key; other paths are their own."""
    assert story_key(url) == key


@pytest.mark.parametrize(
    "text",
    [
        "Він живе у м. Київ на вул. Хрещатик.",
        "Це сталося 7 серп. 2023 р., тоді все змінилося.",
        "Див. напр. ст. 5 п. 3 Закону, пп. 2 цієї статті.",
        "Проф. Іваненко, акад. Петренко, ген. Залужний і св. Миколай були там.",
        "У с. Петрівка Київської обл. живе 5 тис. людей.",
        "Книжки, журнали і т. д. та ін. лежали на столі.",
    ],
)
def test_ukrainian_abbreviations_stay_inside_the_sentence(text: str) -> None:
    """A full stop after a Ukrainian abbreviation ends no sentence, in both splitters."""
    following = "Потім усе змінилося."
    assert split_sentences(f"{text} {following}") == [text, following]
    assert segment(f"{text} {following}", "uk") == [text, following]


def test_sentence_final_ukrainian_abbreviations_end_before_a_capital() -> None:
    """"у 2023 р." and "500 грн." end a sentence when a capitalised word follows."""
    text = "Це було у 2023 р. Ціна склала 500 грн. Далі буде."
    expected = ["Це було у 2023 р.", "Ціна склала 500 грн.", "Далі буде."]
    assert split_sentences(text) == expected
    assert segment(text, "uk") == expected
