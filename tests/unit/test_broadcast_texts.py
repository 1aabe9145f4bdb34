"""Broadcast texts without I/O: the admin's message (entities, the command cut off, limits)
turned into the announcement, the announcement as sent, the progress message and the local
schedule time."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import BroadcastContent, BroadcastProgress, TextSpan
from bot.render.broadcasts import render_broadcast, render_progress
from bot.services.broadcasts import announcement, parse_local_time


def test_the_command_is_cut_off_and_the_entities_move_with_the_text() -> None:
    """/broadcast <text>: the text after the command keeps its bold and link, shifted."""
    text = "/broadcast Big news: 🇺🇦 bold and a link"
    bold_at = len("/broadcast Big news: ".encode("utf-16-le")) // 2 + 5  # 🇺🇦 is 4 units
    spans = (TextSpan("bot_command", 0, 10), TextSpan("bold", bold_at, 4),
             TextSpan("text_link", bold_at + 11, 4, "https://example.org/a"))
    content = announcement(text, spans, skip=10)
    assert isinstance(content, BroadcastContent)
    assert content.html == ('Big news: 🇺🇦 <b>bold</b> and a '
                            '<a href="https://example.org/a">link</a>')


def test_html_in_the_admins_text_is_escaped_and_limits_hold() -> None:
    """Typed tags stay text; empty and too-long messages are refused (1,024 for captions)."""
    content = announcement("1 < 2 & <b>", ())
    assert isinstance(content, BroadcastContent)
    assert content.html == "1 &lt; 2 &amp; &lt;b&gt;"
    assert announcement("   ", ()) == "empty"
    assert announcement("x" * 4097, ()) == "too long"
    assert announcement("x" * 1025, (), photo="AgAC") == "too long"
    assert isinstance(announcement("", (), photo="AgAC"), BroadcastContent)


def test_the_announcement_is_sent_as_drafted_with_its_button() -> None:
    """Text with a link button; a photo with its caption."""
    text = render_broadcast(BroadcastContent("<b>Hi</b>", None, "More", "https://e.org"))
    assert text.method == "sendMessage"
    assert text.text == "<b>Hi</b>"
    assert text.buttons[0][0].url == "https://e.org"
    photo = render_broadcast(BroadcastContent("<i>cap</i>", "AgAC"))
    assert (photo.method, photo.photo, photo.caption, photo.buttons) == (
        "sendPhoto", "AgAC", "<i>cap</i>", ())


def test_progress_shows_counts_eta_and_the_buttons_of_its_state() -> None:
    """Sending: counts, ETA, Pause and Cancel; paused: Resume; done: no buttons."""
    sending = BroadcastProgress(7, "sending", "all", None, 100, 40, 1, 2, 0, 57, 95.4)
    shown = render_progress(sending)
    assert "Sent: 40 · failed: 1 · blocked: 2 · remaining: 57" in (shown.text or "")
    assert "ETA: 0:01:35" in (shown.text or "")
    assert [b.callback_data for b in shown.buttons[0]] == ["bc:7:pause", "bc:7:cancel"]
    paused = render_progress(BroadcastProgress(7, "paused", "all", None, 100, 40, 1, 2, 0, 57))
    assert [b.callback_data for b in paused.buttons[0]] == ["bc:7:resume", "bc:7:cancel"]
    done = render_progress(BroadcastProgress(7, "done", "topic", "Russia", 3, 3, 0, 0, 0, 0))
    assert done.buttons == ()
    assert "Subscribers of Russia" in (done.text or "")


def test_a_schedule_is_read_in_the_admins_timezone() -> None:
    """09:00 in Kyiv in winter is 07:00 UTC; nonsense and unknown zones are None."""
    when = parse_local_time("2026-12-03 09:00", "Europe/Kyiv")
    assert when is not None
    assert when.astimezone(UTC) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert parse_local_time("tomorrow 9", "UTC") is None
    assert parse_local_time("2026-12-03 09:00", "Mars/Olympus") is None
