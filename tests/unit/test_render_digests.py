"""Coalesced pushes and scheduled digests (bot.render.digests), checked with the emulator's
strict Telegram HTML parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import ArticleCard
from bot.emulator.html import EntityParseError, ParsedText, parse_html, parsed_length
from bot.i18n import use_language
from bot.render import OutgoingMessage, render_coalesced, render_digest

KYIV = ZoneInfo("Europe/Kyiv")
SLOT = datetime(2025, 12, 2, 6, 0, tzinfo=UTC)  # 08:00 in Kyiv, a Tuesday


def make_card(index: int = 1, **overrides: Any) -> ArticleCard:
    """An explainer card numbered `index`; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "title": f"Explainer number {index}",
        "url": f"https://news.example/explainers/{index}",
        "summary": f"What happened in story {index}. Why it matters. What comes next.",
        "source": "Kyiv Post",
        "published_at": datetime(2025, 12, 1, 9, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return ArticleCard(**fields)


def long_card(index: int) -> ArticleCard:
    """A card whose title, source and summary are all far longer than anything shown."""
    return make_card(
        index,
        title=f"T{index:03d} " + "a very long headline about the state of things " * 12,
        summary="An unending sentence without a stop " * 40,
        source="A source with a name that goes on " * 10,
    )


def valid(html: str | None) -> ParsedText:
    """Parse `html` as Telegram would, failing the test with the parser's reason if invalid."""
    assert html is not None
    try:
        return parse_html(html)
    except EntityParseError as exc:  # pragma: no cover - only on failure
        pytest.fail(f"invalid Telegram HTML ({exc.description}): {html!r}")


def assert_sendable(messages: list[OutgoingMessage]) -> list[ParsedText]:
    """Every message is valid Telegram HTML within 4096, previews off; the parsed texts."""
    parsed = []
    for message in messages:
        assert message.method == "sendMessage"
        assert message.disable_preview
        assert message.api_params()["link_preview_options"] == {"is_disabled": True}
        parsed.append(valid(message.text))
        assert parsed_length(message.text or "") <= 4096
    return parsed


def links(parsed: list[ParsedText]) -> list[str]:
    """Every link target across the parsed messages, in order."""
    return [e["url"] for text in parsed for e in text.entities if e["type"] == "text_link"]


# --- render_coalesced ------------------------------------------------------------------------


def test_coalesced_lists_each_explainer_under_a_count() -> None:
    """The heading counts the explainers; each shows its linked bold title, source and date,
    and the first sentence of its summary."""
    cards = [make_card(i) for i in (1, 2, 3)]
    [message] = render_coalesced(cards)
    parsed = assert_sendable([message])[0]
    lines = parsed.text.split("\n")
    assert lines[0] == "📰 3 new explainers"
    assert lines[1:5] == ["", "Explainer number 1", "Kyiv Post · 1 Dec 2025",
                          "What happened in story 1."]
    assert links([parsed]) == [card.url for card in cards]
    title = next(e for e in parsed.entities if e["type"] == "text_link")
    assert any(e["type"] == "bold" and e["offset"] == title["offset"] for e in parsed.entities)


def test_coalesced_heading_is_singular_for_one() -> None:
    """One explainer reads "1 new explainer"."""
    [message] = render_coalesced([make_card()])
    assert valid(message.text).text.startswith("📰 1 new explainer\n")


def test_coalesced_caps_the_list_with_a_plural_correct_more_line() -> None:
    """Past max_items the rest is counted in a last line pointing to /latest."""
    parsed = assert_sendable(render_coalesced([make_card(i) for i in range(12)], max_items=10))
    assert parsed[-1].text.endswith("\n\n…and 2 more explainers — /latest")
    assert len(links(parsed)) == 10
    parsed = assert_sendable(render_coalesced([make_card(i) for i in range(11)], max_items=10))
    assert parsed[-1].text.endswith("\n\n…and 1 more explainer — /latest")
    parsed = assert_sendable(render_coalesced([make_card(i) for i in range(10)], max_items=10))
    assert "more" not in parsed[-1].text


def test_coalesced_of_nothing_is_no_message() -> None:
    """No explainers, nothing to send."""
    assert render_coalesced([]) == []


def test_coalesced_escapes_titles_summaries_and_sources() -> None:
    """Markup-like text in a title, summary or source is shown literally."""
    card = make_card(title="<b>Bread & butter</b>", summary="Tags like <i> & &amp; stay text.",
                     source="A&B <News>")
    [message] = render_coalesced([card])
    assert "<b>Bread" not in (message.text or "")
    text = valid(message.text).text
    assert "<b>Bread & butter</b>" in text
    assert "Tags like <i> & &amp; stay text." in text
    assert "A&B <News> · 1 Dec 2025" in text


def test_coalesced_title_without_a_safe_link_is_plain_bold() -> None:
    """A card whose URL is not a web link shows its title in bold without a link."""
    [message] = render_coalesced([make_card(url="javascript:alert(1)")])
    parsed = valid(message.text)
    assert not links([parsed])
    assert {e["type"] for e in parsed.entities} >= {"bold", "italic"}


def test_coalesced_splits_between_items_when_they_do_not_fit() -> None:
    """Long items fill several messages, each within 4096, no item cut in two."""
    cards = [long_card(i) for i in range(40)]
    parsed = assert_sendable(render_coalesced(cards, max_items=40))
    assert len(parsed) > 1
    assert links(parsed) == [card.url for card in cards]
    for text in parsed[1:]:
        assert text.text.startswith("T")  # a part starts with an explainer's title


@pytest.mark.parametrize(
    ("count", "heading"),
    [(1, "📰 1 нове пояснення"), (2, "📰 2 нові пояснення"), (4, "📰 4 нові пояснення"),
     (5, "📰 5 нових пояснень"), (11, "📰 11 нових пояснень"), (21, "📰 21 нове пояснення"),
     (22, "📰 22 нові пояснення"), (25, "📰 25 нових пояснень")],
)
def test_coalesced_heading_in_ukrainian_has_the_right_plural(count: int, heading: str) -> None:
    """In Ukrainian the count takes its form: 1 (and 21) нове пояснення, 2–4 нові пояснення,
    5–20 нових пояснень."""
    with use_language("uk"):
        parsed = assert_sendable(render_coalesced([make_card(i) for i in range(count)],
                                                  max_items=count))
    assert parsed[0].text.split("\n")[0] == heading


@pytest.mark.parametrize(
    ("hidden", "line"),
    [(1, "…і ще 1 пояснення — /latest"), (3, "…і ще 3 пояснення — /latest"),
     (5, "…і ще 5 пояснень — /latest"), (21, "…і ще 21 пояснення — /latest")],
)
def test_coalesced_more_line_in_ukrainian_has_the_right_plural(hidden: int, line: str) -> None:
    """The "…and N more" line past the cap, in Ukrainian, with the form right for N."""
    with use_language("uk"):
        parsed = assert_sendable(render_coalesced([make_card(i) for i in range(10 + hidden)]))
    assert parsed[-1].text.endswith("\n\n" + line)


def test_coalesced_in_ukrainian_shows_dates_in_ukrainian() -> None:
    """Source lines carry the date as Ukrainian writes it; the titles are the publisher's."""
    with use_language("uk"):
        [message] = render_coalesced([make_card(1), make_card(2)])
    lines = valid(message.text).text.split("\n")
    assert lines[2:4] == ["Explainer number 1", "Kyiv Post · 1 грудня 2025"]


# --- render_digest ---------------------------------------------------------------------------


def test_digest_heading_shows_the_local_slot() -> None:
    """The heading is the slot's local weekday, date and time."""
    [message] = render_digest([make_card()], when=SLOT, timezone=KYIV)
    text = valid(message.text).text
    assert text.startswith("🗞 Your digest · Tue 2 Dec, 08:00\n\nExplainer number 1\n")


def test_digest_in_ukrainian_names_the_slot_in_ukrainian() -> None:
    """A Ukrainian digest: "Ваша добірка", the weekday and month in Ukrainian, and the
    titles past thirty under "Також нове"."""
    with use_language("uk"):
        parsed = assert_sendable(render_digest([make_card(i) for i in range(32)], when=SLOT,
                                               timezone=KYIV))
    text = "\n".join(p.text for p in parsed)
    assert text.startswith("🗞 Ваша добірка · вт 2 груд., 08:00\n\n")
    assert "Також нове (2):\n• Explainer number 30\n" in text


def test_digest_of_nothing_is_no_message() -> None:
    """An empty digest is not sent."""
    assert render_digest([], when=SLOT, timezone=KYIV) == []


def test_digest_lists_the_rest_as_titles_after_thirty() -> None:
    """The first 30 explainers are shown in full; the rest as linked titles only."""
    cards = [make_card(i) for i in range(35)]
    parsed = assert_sendable(render_digest(cards, when=SLOT, timezone=KYIV))
    text = "\n".join(p.text for p in parsed)
    assert links(parsed) == [card.url for card in cards]
    assert "What happened in story 29." in text
    assert "What happened in story 30." not in text
    assert "Also new (5):\n• Explainer number 30\n• Explainer number 31\n" in text


def test_digest_of_a_hundred_long_items_splits_between_items() -> None:
    """100 long explainers: every part fits 4096 and every title appears exactly once."""
    cards = [long_card(i) for i in range(100)]
    messages = render_digest(cards, when=SLOT, timezone=KYIV)
    parsed = assert_sendable(messages)
    assert len(parsed) > 2
    text = "\n".join(p.text for p in parsed)
    for i in range(100):
        assert text.count(f"T{i:03d} ") == 1
    assert links(parsed) == [card.url for card in cards]


def test_digest_rejects_a_naive_time() -> None:
    """The slot time must be aware to be shown in the chat's zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        render_digest([make_card()], when=datetime(2025, 12, 2, 8), timezone=KYIV)


# --- properties ------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NASTY = st.lists(
    st.sampled_from([*"ab <>&;\"'\n\t.!?", "&amp;", "<b>", "</i>", "😀", "👩‍👧", "\x00",
                     "\ud800", "🇺🇦", "e\u0301", "\u200d", "—", "word " * 30]),
    max_size=200,
).map("".join)
CARDS = st.lists(
    st.builds(
        lambda title, summary, source, index: make_card(
            index, title=title, summary=summary, source=source
        ),
        NASTY, NASTY, st.one_of(st.none(), NASTY), st.integers(0, 10**6),
    ),
    max_size=60,
)


@PROPERTY
@given(cards=CARDS, max_items=st.integers(1, 60))
def test_coalesced_is_always_valid_and_fits(cards: list[ArticleCard], max_items: int) -> None:
    """Any titles, summaries and sources give valid Telegram HTML within 4096, one link
    per shown explainer, in order."""
    parsed = assert_sendable(render_coalesced(cards, max_items=max_items))
    assert links(parsed) == [card.url for card in cards[:max_items]]


@PROPERTY
@given(cards=CARDS)
def test_digest_is_always_valid_and_fits(cards: list[ArticleCard]) -> None:
    """Any titles, summaries and sources give a valid digest within 4096 per part, linking
    every explainer once, in order."""
    parsed = assert_sendable(render_digest(cards, when=SLOT, timezone=KYIV))
    assert links(parsed) == [card.url for card in cards]
