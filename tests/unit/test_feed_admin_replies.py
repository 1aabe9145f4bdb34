"""The admins' feed replies without I/O: /feeds cut into messages that fit, the feed alerts
(⚠️ with buttons, ✅ without), the alert buttons' data, the toasts' length, and the topics
typed after a URL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.callback_data import FeedAlertAction
from bot.domain import FeedAdminOutcome, FeedStatus
from bot.i18n import use_language
from bot.render.admin_notices import render_feed_alert
from bot.render.feed_admin_replies import (
    TOAST_LIMIT,
    feed_button_toast,
    render_feed_list,
)
from bot.render.markup import TEXT_LIMIT, utf16_len
from bot.services.feed_health import FeedAlert
from handlers.feeds_admin import topic_words

WHEN = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def make_status(feed_id: int, *, failures: int = 0, paused: bool = False) -> FeedStatus:
    """A feed as /feeds lists it, with a long URL and error to fill messages quickly."""
    return FeedStatus(
        id=feed_id, name=f"Feed {feed_id}", url=f"https://news.example.com/{'x' * 300}/{feed_id}",
        source="admin", topics=("russia",), enabled=True, paused=paused, last_success_at=WHEN,
        consecutive_failures=failures, last_error="http_status: HTTP 500 " + "e" * 400,
        next_poll_at=WHEN)


def test_a_long_feed_list_is_cut_into_messages_that_fit_and_keep_every_feed() -> None:
    """Sixty feeds with long URLs and errors: every message fits Telegram's limit, every feed
    is listed once, whole, in order; the count heads the first message."""
    statuses = [make_status(i, failures=i % 3, paused=i == 7) for i in range(1, 61)]
    messages = render_feed_list(statuses)
    assert len(messages) > 1
    assert all(utf16_len(text) <= TEXT_LIMIT for text in messages)
    assert messages[0].startswith("<b>60 feeds</b>")
    joined = "\n".join(messages)
    positions = [joined.index(f"<code>#{i}</code> <b>Feed {i}</b>") for i in range(1, 61)]
    assert positions == sorted(positions)
    assert "<code>#7</code> <b>Feed 7</b> — paused" in joined
    assert joined.count("Last error") == 40  # only feeds failing now show their error
    assert render_feed_list([]) == ["No feeds yet. Add one with /feeds add &lt;url&gt;."]


def test_a_failing_alert_has_the_url_and_buttons_and_a_recovery_is_good_news() -> None:
    """⚠️ with the URL and Pause / Retry now for the feed; ✅ and no buttons on recovery; the
    Ukrainian alert translates the buttons, not the data."""
    failing = FeedAlert(12, "Kador Wire", "https://news.example.com/feed.xml", 3, "timeout: x")
    message = render_feed_alert(failing(), failing.url, failing.feed_id,
                                recovered=failing.recovered)
    assert message.text.startswith("⚠️ Feed Kador Wire has failed 3 polls in a row")
    assert "<code>https://news.example.com/feed.xml</code>" in message.text
    assert [(b.text, b.callback_data) for row in message.buttons for b in row] == [
        ("Pause", "feedop:12:pause"), ("Retry now", "feedop:12:retry")]
    with use_language("uk"):
        message = render_feed_alert(failing(), failing.url, failing.feed_id, recovered=False)
    assert [(b.text, b.callback_data) for row in message.buttons for b in row] == [
        ("Призупинити", "feedop:12:pause"), ("Спробувати зараз", "feedop:12:retry")]
    back = FeedAlert(12, "Kador Wire", "https://news.example.com/feed.xml", 3)
    message = render_feed_alert(back(), back.url, back.feed_id, recovered=back.recovered)
    assert message.text.startswith("✅ Feed Kador Wire recovered after 3 failures")
    assert "⚠️" not in message.text
    assert message.buttons == ()


def test_forged_feed_button_data_parses_to_nothing_or_is_refused_by_action() -> None:
    """Only the packed form parses; a foreign action parses but is not one of the actions."""
    assert FeedAlertAction.parse("feedop:12:retry") == FeedAlertAction(12, "retry")
    for data in ("feedop:x:retry", "feedop:0:pause", "feedop:12", "feedop:99999999999:pause",
                 "admrm:12", None, "feedop:" + "1" * 80):
        assert FeedAlertAction.parse(data) is None, data
    forged = FeedAlertAction.parse("feedop:12:delete")
    assert forged is not None
    assert forged.action not in FeedAlertAction.ACTIONS


def test_toasts_fit_a_callback_answer() -> None:
    """A very long error is cut to fit answerCallbackQuery's 200 characters."""
    toast = feed_button_toast(FeedAdminOutcome("failed", 1, "Kador", detail="e" * 500))
    assert len(toast) == TOAST_LIMIT
    assert toast.startswith("Kador still fails: eee")
    assert feed_button_toast(FeedAdminOutcome("polled", 1, "Kador", new=2)) == \
        "Kador polled: 2 new explainers."


def test_topic_words_are_words_or_comma_separated_names() -> None:
    """Topics after a URL: one per word, or split at commas when a name has spaces."""
    assert topic_words(["russia", "economy"]) == ["russia", "economy"]
    assert topic_words(["russia,", "War", "in", "Ukraine"]) == ["russia", "War in Ukraine"]
    assert topic_words([]) == []
