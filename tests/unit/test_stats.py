"""The pure parts of /stats and click tracking: the daily series counted back from today,
click-through, the Telegram text within one message, the chart as a PNG, tracked link
tokens and server.public_url."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError
from bot.domain import DailySeries, ReadingRow, StatsReport
from bot.i18n import use_language
from bot.render.markup import TEXT_LIMIT, utf16_len
from bot.render.stats_chart import render_chart_png
from bot.render.stats_replies import chart_labels, render_stats
from bot.services.clicks import new_token, tracked_url
from bot.services.stats import chart_days, daily_series, subscribers_per_day
from tests.support.factories import make_settings

TODAY = date(2026, 12, 2)


def make_report(**changes: Any) -> StatsReport:
    """A report with small numbers; ``changes`` replace fields."""
    values: dict[str, Any] = {
        "generated_at": datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        "chats_by_status": {"active": 5, "blocked": 2, "stopped": 1},
        "active_by_type": {"private": 4, "channel": 1},
        "per_topic": (("Russia", 3), ("War in Ukraine", 2)),
        "growth": {7: (3, 1), 30: (8, 3)},
        "deliveries_24h": {"sent": 10, "failed": 1},
        "outbox_depth": 4,
        "feeds_ok": 2, "feeds_failing": 1, "feeds_disabled": 0,
        "comments_visible": 6, "comments_held": 1, "comments_total": 9,
        "clicks_30d": 7,
        "explainers": (ReadingRow(1, "POWs", 7, 10),),
        "broadcasts": (),
        "series": daily_series(TODAY, 5, {}, {}, {}, {}),
        "tracking": True,
    }
    values.update(changes)
    return StatsReport(**values)


def test_chart_days_end_today_oldest_first() -> None:
    """Thirty UTC days, the last one today."""
    days = chart_days(TODAY)
    assert len(days) == 30
    assert (days[0], days[-1]) == (TODAY - timedelta(days=29), TODAY)
    assert list(days) == sorted(days)


def test_subscribers_are_counted_back_from_today() -> None:
    """A chat created yesterday did not count the day before; one gone today still counted
    yesterday; today's point is the active count."""
    days = chart_days(TODAY, 4)
    yesterday = TODAY - timedelta(days=1)
    series = subscribers_per_day(days, 10, created={yesterday: 3, TODAY: 1},
                                 gone={TODAY: 2, yesterday: 1})
    # today 10; end of yesterday: 10 − 1 created today + 2 gone today = 11;
    # the day before: 11 − 3 + 1 = 9, and the same before it.
    assert series == (9, 9, 11, 10)


def test_daily_series_fills_quiet_days_with_zero() -> None:
    """Days with no deliveries or clicks are 0; counts land on their own day."""
    series = daily_series(TODAY, 2, {}, {}, {TODAY: 5}, {TODAY - timedelta(days=2): 3}, count=3)
    assert series == DailySeries(days=chart_days(TODAY, 3), subscribers=(2, 2, 2),
                                 deliveries=(0, 0, 5), clicks=(3, 0, 0))


def test_click_through_is_clicks_per_delivered_message() -> None:
    """Click-through divides clicks by sent messages; nothing sent is no ratio."""
    assert ReadingRow(1, "a", 3, 12).click_through == 0.25
    assert ReadingRow(1, "a", 30, 12).click_through == 2.5  # a channel post, many readers
    assert ReadingRow(1, "a", 3, 0).click_through is None


def test_stats_text_shows_every_section() -> None:
    """Subscribers, growth, topics, deliveries, outbox, feeds, comments and reading."""
    text = render_stats(make_report())
    for part in ("active 5 · blocked 2 · removed 0 · stopped 1", "private 4",
                 "Last 7 days: +3 new, −1 gone (net +2)", "Last 30 days: +8 new, −3 gone",
                 "• Russia: 3", "sent 10 · failed 1", "Outbox: 4 waiting",
                 "ok 2 · failing 1 · disabled 0", "visible 6 · held 1 · total 9",
                 "Clicks in the last 30 days: 7", "• POWs: 7 clicks / 10 sent (70.0%)"):
        assert part in text, part
    assert "server.public_url" not in text
    assert "server.public_url" in render_stats(make_report(tracking=False))


def test_stats_text_fits_one_message_with_many_topics_and_long_titles() -> None:
    """Hundreds of topics and long titles are cut to Telegram's 4096."""
    report = make_report(
        per_topic=tuple((f"Topic {index} " + "x" * 80, index) for index in range(300)),
        explainers=tuple(ReadingRow(index, "Long title " * 40, index, 100)
                         for index in range(10)))
    text = render_stats(report)
    assert utf16_len(text) <= TEXT_LIMIT
    assert "… and 285 more topics" in text


def test_chart_is_a_png() -> None:
    """The chart is drawn headless as PNG bytes."""
    series = daily_series(TODAY, 5, {TODAY: 2}, {}, {TODAY: 9}, {TODAY: 3})
    png = render_chart_png(series, chart_labels())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5000


def test_link_tokens_are_long_random_and_url_safe() -> None:
    """Tokens are 12 URL-safe characters, never repeated; the link sits under /r/."""
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(token) == 12 and token.replace("-", "").replace("_", "").isalnum()
               for token in tokens)
    assert tracked_url("https://news.example.com/bot/", "abc") == \
        "https://news.example.com/bot/r/abc"


@pytest.mark.parametrize("value", ["ftp://news.example.com", "news.example.com",
                                   "https://news.example.com/?a=1", "https:// x"])
def test_public_url_must_be_http(tmp_path: Path, value: str) -> None:
    """server.public_url takes an http(s) URL without a query, and nothing else."""
    with pytest.raises(ConfigError):
        make_settings(tmp_path, extra={"server": {"public_url": value}})


def test_public_url_is_optional_and_kept_without_trailing_slash(tmp_path: Path) -> None:
    """Unset, tracking is off; set, the trailing slash goes."""
    assert make_settings(tmp_path).server.public_url is None
    settings = make_settings(tmp_path, extra={"server": {"public_url": "https://n.example/b/"}})
    assert settings.server.public_url == "https://n.example/b"


def test_stats_text_in_ukrainian() -> None:
    """An admin whose language is Ukrainian reads /stats in Ukrainian, plural forms too."""
    with use_language("uk"):
        text = render_stats(make_report(explainers=(ReadingRow(1, "POWs", 2, 10),),
                                        topic_names={"Russia": {"uk": "Росія"}}))
        labels = chart_labels()
    assert "Статистика" in text
    assert "• Росія: 3" in text
    assert "активні 5 · заблокували 2" in text
    assert "• POWs: 2 переходи / 10 надіслано (20.0%)" in text
    assert labels[0] == "Останні 30 днів"
