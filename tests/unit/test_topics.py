"""TopicMatcher: categories and keywords → topics; the rest → tags."""

from __future__ import annotations

import pytest

from bot.config import TopicSettings
from bot.ingest.topic_matching import MatchResult, TopicMatcher, display_tag, normalise_label


def make_topics() -> list[TopicSettings]:
    """The catalogue the sample explainer is tagged against."""
    return [
        TopicSettings(slug="war-in-ukraine", name="War in Ukraine",
                      keywords=("war", "війна", "front line"), aliases=("Ukraine war",)),
        TopicSettings(slug="russia", name="Russia", aliases=("Kremlin",),
                      keywords=("Russian Armed Forces", "Кремль")),
        TopicSettings(slug="economy", name="Economy", keywords=("inflation", "économie")),
    ]


@pytest.fixture
def matcher() -> TopicMatcher:
    """A matcher over the sample catalogue."""
    return TopicMatcher(make_topics())


def test_sample_explainer_categories_map_to_topics(matcher: TopicMatcher) -> None:
    """"Russian Armed Forces", "Kremlin", "War in Ukraine" map to russia and war-in-ukraine."""
    result = matcher.match(["Russian Armed Forces", "Kremlin", "War in Ukraine"], "")
    assert result == MatchResult(topic_slugs=("war-in-ukraine", "russia"), tags=())


@pytest.mark.parametrize(
    "category", ["war in ukraine", "  WAR   IN  UKRAINE ", "War-in-Ukraine", "war_in_ukraine",
                 "War in Ukraine!", "Ｗａｒ ｉｎ Ｕｋｒａｉｎｅ", "Ukraine War"]
)
def test_category_spellings_are_normalised(matcher: TopicMatcher, category: str) -> None:
    """Case, spacing, punctuation, full-width forms and aliases all find the topic."""
    assert matcher.match([category], "").topic_slugs == ("war-in-ukraine",)


def test_unmatched_categories_are_kept_as_tags(matcher: TopicMatcher) -> None:
    """Categories naming no topic become tags, deduplicated case-insensitively."""
    result = matcher.match(["Kremlin", "POWs", "  Prisoner   swaps ", "pows", ""], "")
    assert result.topic_slugs == ("russia",)
    assert result.tags == ("POWs", "Prisoner swaps")


def test_keyword_matches_whole_words_only(matcher: TopicMatcher) -> None:
    """"war" matches "War." and "post-war" but not "warm", "award" or "wartime"."""
    assert matcher.match([], "A warm award for wartime reporting.").topic_slugs == ()
    assert matcher.match([], "The War. It goes on.").topic_slugs == ("war-in-ukraine",)
    assert matcher.match([], "Post-war rebuilding").topic_slugs == ("war-in-ukraine",)


def test_keyword_phrase_spans_any_whitespace(matcher: TopicMatcher) -> None:
    """A phrase keyword matches across line breaks and repeated spaces, any case."""
    text = "Units of the russian  armed\nforces withdrew."
    assert matcher.match([], text).topic_slugs == ("russia",)


def test_keyword_phrase_needs_all_words(matcher: TopicMatcher) -> None:
    """Part of a phrase is not the phrase."""
    assert matcher.match([], "The armed forces of Moldova").topic_slugs == ()


def test_cyrillic_keywords_respect_word_boundaries(matcher: TopicMatcher) -> None:
    """Cyrillic keywords match whole words, any case, not inside longer words."""
    assert matcher.match([], "КРЕМЛЬ заявил").topic_slugs == ("russia",)
    assert matcher.match([], "Кремлёвские новости").topic_slugs == ()
    assert matcher.match([], "Це війна.").topic_slugs == ("war-in-ukraine",)
    assert matcher.match([], "Це війнами.").topic_slugs == ()


def test_accented_keywords_respect_word_boundaries(matcher: TopicMatcher) -> None:
    """Accented keywords match in composed or decomposed form but not as part of a word."""
    assert matcher.match([], "L'économie ralentit").topic_slugs == ("economy",)
    decomposed = "L'e\u0301conomie ralentit"
    assert matcher.match([], decomposed).topic_slugs == ("economy",)
    assert matcher.match([], "économies d'échelle").topic_slugs == ()


def test_several_topics_in_catalogue_order(matcher: TopicMatcher) -> None:
    """An article can belong to several topics; they come in catalogue order."""
    result = matcher.match(["Inflation"], "The Kremlin said the war would go on.")
    assert result.topic_slugs == ("war-in-ukraine", "economy")
    assert result.tags == ()


def test_keywords_are_searched_in_categories_but_not_across_them(
    matcher: TopicMatcher,
) -> None:
    """A keyword inside a category counts; a phrase split over two categories does not."""
    assert matcher.match(["Front line reports"], "").topic_slugs == ("war-in-ukraine",)
    assert matcher.match(["Front", "Line"], "").topic_slugs == ()


def test_empty_catalogue_keeps_everything_as_tags() -> None:
    """Without topics every category is a tag and nothing matches."""
    result = TopicMatcher([]).match(["Kremlin"], "war")
    assert result == MatchResult(topic_slugs=(), tags=("Kremlin",))


def test_normalise_label_and_display_tag() -> None:
    """Labels compare casefolded without punctuation; tags display trimmed and NFKC."""
    assert normalise_label("  Straße–Ｎｅｗｓ!! ") == "strasse news"
    assert display_tag("  Ｗａｒ\n in   Ukraine ") == "War in Ukraine"
    assert len(display_tag("x" * 500)) == 200


def test_aliases_and_keywords_match_in_any_script_case_accent_and_apostrophe() -> None:
    """Cyrillic aliases and keywords match whatever the case, accents or apostrophe used."""
    matcher = TopicMatcher([
        TopicSettings(slug="energy", name="Energy", aliases=("Енергетика",),
                      keywords=("пам’ять мережі", "café")),
    ])
    assert matcher.match(["ЕНЕРГЕТИКА"], "").topic_slugs == ("energy",)
    assert matcher.match([], "Про памʼять мережі взимку").topic_slugs == ("energy",)
    assert matcher.match([], "Про пам'ять мережі взимку").topic_slugs == ("energy",)
    assert matcher.match([], "At the CAFE").topic_slugs == ("energy",)
    assert normalise_label("Пам’ять") == normalise_label("ПАМʼЯТЬ")
