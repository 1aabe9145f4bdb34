"""/latest's pure parts: argument parsing, the More button's data, the page renderer, and
/topic's per-explainer cap and split choices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.callback_data import CALLBACK_DATA_LIMIT, INT_MAX, LatestMore
from bot.domain import ArticleCard, LatestPage, TopicTag
from bot.i18n import use_language
from bot.render import (
    TEXT_LIMIT,
    latest_more_notice,
    render_latest_page,
    render_latest_usage,
    render_topic_choices,
    render_topic_digest,
)
from bot.render.telegram_html import visible_length
from bot.services.news import LatestQuery, cap_per_explainer, parse_latest_args


def make_card(number: int, *, title: str | None = None, summary: str | None = None
              ) -> ArticleCard:
    """A card with a date, a link and a two-sentence summary."""
    return ArticleCard(
        title=title or f"Explainer {number}", url=f"https://news.example/{number}",
        summary=summary or f"First sentence of {number}. Second sentence.",
        published_at=datetime(2026, 12, 2, tzinfo=UTC))


@pytest.mark.parametrize(("args", "expected"), [
    ((), LatestQuery(5, "", False)),
    (("7",), LatestQuery(7, "", False)),
    (("20", "war", "in", "ukraine"), LatestQuery(20, "war in ukraine", False)),
    (("9999",), LatestQuery(20, "", True)),
    (("9" * 5000,), LatestQuery(20, "", True)),
    (("abc",), LatestQuery(5, "abc", False)),
    (("+3",), LatestQuery(3, "", False)),
])
def test_latest_arguments(args: tuple[str, ...], expected: LatestQuery) -> None:
    """A count (clamped to 20, a huge one too), then a topic; words alone are a topic."""
    assert parse_latest_args(args) == expected


@pytest.mark.parametrize("args", [("-1",), ("0",), ("-99999999999",), ("000",)])
def test_latest_bad_counts_ask_for_usage(args: tuple[str, ...]) -> None:
    """Zero and negative counts are not guessed at: the reader gets the usage."""
    assert parse_latest_args(args) is None


def test_more_button_data_round_trips_within_64_bytes() -> None:
    """The largest cursor, count and topic id fit Telegram's limit and parse back."""
    value = LatestMore(INT_MAX, 20, str(INT_MAX))
    assert len(value.pack().encode()) <= CALLBACK_DATA_LIMIT
    assert LatestMore.parse(value.pack()) == value
    assert value.well_formed
    assert value.topic_id == INT_MAX
    assert LatestMore(5, 5, "-").topic_id is None


@pytest.mark.parametrize("data", ["latest:1:5:x", "latest:1:21:-", "latest:1:5:99999999999",
                                  "latest:1:5:0"])
def test_forged_more_data_is_not_well_formed(data: str) -> None:
    """A count above 20 or a topic that is neither "-" nor an id is refused."""
    parsed = LatestMore.parse(data)
    assert parsed is None or not parsed.well_formed


def test_latest_page_is_one_message_with_more_button() -> None:
    """Titles link, dates show, one line of summary; More carries cursor, count, topic."""
    page = LatestPage(tuple(make_card(n) for n in (3, 2)), 2, 42, TopicTag("russia", "Russia"),
                      7)
    message = render_latest_page(page)
    assert message.text is not None
    assert message.text.startswith("<b>Latest explainers on Russia</b>")
    assert '<a href="https://news.example/3">Explainer 3</a>' in message.text
    assert "2 Dec 2026" in message.text
    assert "First sentence of 3." in message.text
    assert "Second sentence" not in message.text
    [[more]] = message.buttons
    assert LatestMore.parse(more.callback_data) == LatestMore(42, 2, "7")


def test_latest_page_in_ukrainian() -> None:
    """A Ukrainian page: heading, dates with the month's Ukrainian name, the "Ще" button,
    the toasts."""
    page = LatestPage(tuple(make_card(n) for n in (3, 2)), 2, 42, TopicTag("russia", "Russia"),
                      7)
    with use_language("uk"):
        message = render_latest_page(page)
        earlier = render_latest_page(LatestPage((), 2, None, None, None), earlier=True)
        notices = (latest_more_notice(found=True, has_more=False),
                   latest_more_notice(found=False, has_more=False))
    assert message.text is not None
    assert earlier.text is not None
    assert message.text.startswith("<b>Найновіші пояснення на тему Russia</b>")
    assert "2 грудня 2026" in message.text
    assert "Dec" not in message.text
    assert [[b.text for b in row] for row in message.buttons] == [["Ще ▸"]]
    assert earlier.text == ("<b>Попередні пояснення</b>\n\n"
                            "<i>Пояснень ще немає — зазирніть згодом.</i>")
    assert notices == ("Поки що це все.",
                       "Цей список уже недоступний — надішліть /latest ще раз.")


def test_twenty_long_cards_fit_one_message() -> None:
    """Twenty cards with very long titles and summaries still fit Telegram's limit."""
    long = "Word " * 400
    page = LatestPage(tuple(make_card(n, title=long, summary=long) for n in range(20)), 20,
                      None, None, None)
    message = render_latest_page(page, clamped_to=20)
    assert message.text is not None
    assert visible_length(message.text) <= TEXT_LIMIT
    assert message.buttons == ()
    assert message.text.count("news.example") == 20


def test_latest_usage_names_topics_safely() -> None:
    """An unknown topic is echoed escaped, with the usage and the topics to choose from."""
    message = render_latest_usage("<b>x</b>", [TopicTag("russia", "Russia")])
    assert message.text is not None
    assert "&lt;b&gt;x&lt;/b&gt;" in message.text
    assert "/latest 10 russia" in message.text


def test_cap_keeps_two_points_per_explainer() -> None:
    """A third point citing the same explainer is dropped; order is kept."""
    points = [("a", "A", "u1"), ("b", "A", "u1"), ("c", "B", "u2"), ("d", "A", "u1")]
    assert cap_per_explainer(points) == (points[0], points[1], points[2])


def test_topic_digest_lists_its_explainers_once() -> None:
    """After the points, each cited explainer is listed once, in order of first citation."""
    [message] = render_topic_digest(TopicTag("russia", "Russia"),
                                    [("One.", "A", "https://e/a"), ("Two.", "B", "https://e/b"),
                                     ("Three.", "A", "https://e/a")])
    assert message.text is not None
    listed = message.text.split("From these explainers:")[1]
    assert listed.count("https://e/a") == 1
    assert listed.index("https://e/a") < listed.index("https://e/b")


def test_150_topic_choices_are_split_to_fit() -> None:
    """The choices for /topic alone come in several messages, each within the limit."""
    topics = [TopicTag(f"topic-{n:03d}-long-slug", f"Topic {n} with a long name")
              for n in range(150)]
    messages = render_topic_choices("", topics)
    assert len(messages) > 1
    assert all(m.text and visible_length(m.text) <= TEXT_LIMIT for m in messages)
    assert all(any(t.slug in (m.text or "") for m in messages) for t in topics)
