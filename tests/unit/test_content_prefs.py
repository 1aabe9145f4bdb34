"""A chat's mute and include-only words, link previews and images (pure)."""

from __future__ import annotations

from bot.domain import ArticleCard, TopicTag
from bot.render import render_pushed_article
from bot.services.content_prefs import ContentPrefs

CARD = ArticleCard(title="Why sanctions on Russia bite", url="https://e.org/a",
                   summary="The Kremlin's budget is under strain.",
                   topics=(TopicTag("economy", "Economy"),), image_url="https://e.org/i.jpg")
UKRAINIAN = ArticleCard(title="Енергосистема Києва", url="https://e.org/b",
                        summary="Як працює мережа.", topics=())


def test_default_settings_want_everything_as_it_is() -> None:
    """No settings: nothing refused, messages unchanged."""
    prefs = ContentPrefs.from_settings({})
    messages = render_pushed_article(CARD, 1)
    assert prefs.is_default
    assert prefs.refusal(CARD) is None
    assert prefs.present(messages) == messages


def test_mute_words_match_whole_words_in_any_case_and_accent() -> None:
    """A muted word refuses the explainer wherever it is (title, summary, topic), whole
    words only, case and accents aside; phrases match as phrases."""
    assert ContentPrefs.from_settings({"mute_words": ["SANCTIONS"]}).refusal(CARD)
    assert ContentPrefs.from_settings({"mute_words": ["kremlin's"]}).refusal(CARD)
    assert ContentPrefs.from_settings({"mute_words": ["economy"]}).refusal(CARD)  # a topic
    assert ContentPrefs.from_settings({"mute_words": ["sanction"]}).refusal(CARD) is None
    assert ContentPrefs.from_settings({"mute_words": ["budget is"]}).refusal(CARD)
    assert ContentPrefs.from_settings({"mute_words": ["київ"]}).refusal(UKRAINIAN) is None
    assert ContentPrefs.from_settings({"mute_words": ["КИЄВА"]}).refusal(UKRAINIAN)


def test_include_only_words_refuse_what_has_none_of_them() -> None:
    """With include-only words, an explainer needs one of them."""
    only = ContentPrefs.from_settings({"only_words": ["budget", "grid"]})
    assert only.refusal(CARD) is None
    assert only.refusal(UKRAINIAN) == "none of the chat's include-only words"


def test_images_and_previews_off_change_how_it_is_shown() -> None:
    """Images off sends the text version; previews off disables link previews."""
    prefs = ContentPrefs.from_settings({"images": False, "previews": False})
    [shown, *_] = prefs.present(render_pushed_article(CARD, 1))
    assert shown.method == "sendMessage"
    assert shown.disable_preview


def test_malformed_settings_count_as_unset() -> None:
    """Wrong types are ignored rather than failing a push."""
    prefs = ContentPrefs.from_settings({"mute_words": "sanctions", "images": "no",
                                        "only_words": [None, ""]})
    assert prefs.mute_words == ()
    assert prefs.images
    assert prefs.only_words == ()
