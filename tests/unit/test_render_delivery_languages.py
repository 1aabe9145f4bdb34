"""What the outbox renders, in the destination's language: a pushed explainer's buttons and
meta line, the pause notices (bot.render.article_messages, bot.render.delivery_notices)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import ArticleCard
from bot.emulator.html import parse_html
from bot.i18n import use_language
from bot.render import render_pushed_article
from bot.render.delivery_notices import PausedKind, render_destination_paused


def make_card(**overrides: Any) -> ArticleCard:
    """A corrected explainer with an author, a source and a publication date."""
    fields: dict[str, Any] = {
        "title": "Why the grid holds", "url": "https://news.example/grid",
        "summary": "The grid held through the winter. Here is why.", "source": "Kyiv Post",
        "author": "Olena Shevchenko", "updated": True,
        "published_at": datetime(2025, 12, 1, 9, 30, tzinfo=UTC),
    }
    return ArticleCard(**(fields | overrides))


def _buttons(card: ArticleCard) -> list[str]:
    [message] = render_pushed_article(card, 7)
    return [button.text for row in message.buttons for button in row]


def test_pushed_article_speaks_the_current_language() -> None:
    """In Ukrainian the buttons, "Оновлено", the byline and the date are Ukrainian; the
    explainer's own words and the callback data stay as they are."""
    with use_language("uk"):
        [uk] = render_pushed_article(make_card(), 7)
    [en] = render_pushed_article(make_card(), 7)
    uk_text, en_text = parse_html(uk.text or "").text, parse_html(en.text or "").text
    assert uk_text.split("\n")[1] == ("Оновлено · Kyiv Post · Автор: Olena Shevchenko · "
                                      "1 грудня 2025")
    assert en_text.split("\n")[1] == "Updated · Kyiv Post · By Olena Shevchenko · 1 Dec 2025"
    assert [b.text for row in uk.buttons for b in row] == [
        "Читати", "💬 Коментарі", "✍️ Коментувати"]
    assert [b.callback_data for row in uk.buttons for b in row] == [
        b.callback_data for row in en.buttons for b in row]
    with use_language("en"):
        assert _buttons(make_card()) == ["Read", "💬 Comments", "✍️ Comment"]


def test_pushed_photo_and_its_fallback_are_both_translated() -> None:
    """A photo push and the text message it falls back to carry the Ukrainian buttons."""
    with use_language("uk"):
        [photo] = render_pushed_article(make_card(image_url="https://news.example/a.jpg"), 7)
    assert photo.method == "sendPhoto"
    assert photo.fallback is not None
    for message in (photo, photo.fallback):
        assert [b.text for row in message.buttons for b in row] == [
            "Читати", "💬 Коментарі", "✍️ Коментувати"]


@pytest.mark.parametrize("kind", ["thread_closed", "thread_gone", "channel_rights",
                                  "channel_left"])
def test_pause_notices_are_translated_whole(kind: PausedKind) -> None:
    """Each pause notice is Ukrainian from heading to advice, and valid Telegram HTML."""
    for general in (False, True):
        with use_language("uk"):
            notice = render_destination_paused(kind, general_topic=general)
        lines = parse_html(notice.text or "").text.split("\n")
        assert lines[0] == "⏸ Надсилання пояснень призупинено"
        assert lines[1].startswith("Надсилання пояснень у ")
        assert not any(word in notice.text or "" for word in ("Pushes", "paused", "the bot"))


def test_general_topic_is_named_in_its_notice() -> None:
    """A closed General topic is called so, in both languages."""
    notice = render_destination_paused("thread_closed", general_topic=True)
    assert "this group's General topic" in (notice.text or "")
    with use_language("uk"):
        notice = render_destination_paused("thread_closed", general_topic=True)
    assert "«Загальне»" in (notice.text or "")
