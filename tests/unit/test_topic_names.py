"""A topic's name per interface language: the publisher's translation from the config when
there is one, else its name; categories in that language map to the topic."""

from __future__ import annotations

import pytest

from bot.config import TopicSettings
from bot.domain import topic_name
from bot.i18n import use_language
from bot.ingest.topic_matching import TopicMatcher
from bot.services.news import localized_name, topic_tag
from storage.models import Topic

NAMES = {"uk": "Війна в Україні"}


@pytest.mark.parametrize(
    ("names", "language", "shown"),
    [
        (NAMES, "uk", "Війна в Україні"),
        (NAMES, "en", "War in Ukraine"),
        ({}, "uk", "War in Ukraine"),
        (None, "uk", "War in Ukraine"),
        ({"uk": "  "}, "uk", "War in Ukraine"),
    ],
)
def test_topic_name_prefers_the_readers_language(
    names: dict[str, str] | None, language: str, shown: str
) -> None:
    """The name in the reader's language when the publisher gave one, else the name."""
    assert topic_name("War in Ukraine", names, language) == shown


def test_stored_topic_is_named_in_the_current_language() -> None:
    """Services name a stored topic in the language being rendered."""
    topic = Topic(slug="war-in-ukraine", name="War in Ukraine", names=NAMES)
    with use_language("uk"):
        assert localized_name(topic) == "Війна в Україні"
        assert topic_tag(topic).name == "Війна в Україні"
    with use_language("en"):
        assert localized_name(topic) == "War in Ukraine"
    assert topic_tag(topic).slug == "war-in-ukraine"


def test_a_category_in_another_language_maps_to_the_topic() -> None:
    """A feed category that is the topic's Ukrainian name puts the article in the topic."""
    matcher = TopicMatcher([TopicSettings(slug="war-in-ukraine", name="War in Ukraine",
                                          names=NAMES)])
    assert matcher.match(["Війна в Україні"], "").topic_slugs == ("war-in-ukraine",)
