"""Corrections end to end: a corrected explainer edits the message already sent."""

from __future__ import annotations

from typing import Any

from bot.emulator import BotAPIEmulator
from bot.services.corrections import CorrectionService
from bot.services.news import load_card
from bot.telegram_edits import PtbEditor
from tests.support.demo_feed import DEMO_DATA, deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import follow_after_first_poll

OLD_TITLE = "EXPLAINED: Why Russia Doesn't Want Its POWs Back"
NEW_TITLE = "EXPLAINED: Why Russia Won't Take Its POWs Back"


class NoLimits:
    """A limiter that never waits (the emulator enforces no limits here)."""

    async def acquire(self, chat_id: int, *, paid: bool = False) -> float:
        return 0.0

    def pause(self, seconds: float) -> None:
        raise AssertionError(f"unexpected flood wait of {seconds}s")


def publish_corrected_title(server: FeedServer) -> None:
    """The publisher corrects the POW explainer's title in its feed (same guid and link)."""
    feed = (DEMO_DATA / "explainers-after.xml").read_text(encoding="utf-8")
    assert OLD_TITLE in feed
    server.route("/feed.xml", feed.replace(OLD_TITLE, NEW_TITLE).encode())


async def test_corrected_title_edits_the_sent_message_once(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """After the feed corrects a pushed explainer's title, a correction run edits the
    reader's message in place to the new title (no new message); a second run edits
    nothing."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 71)
        await deliver_pow_explainer(bot, feed_server)
        [pushed] = [m for m in emulator.sent(71) if "POWs" in (m.get("text") or "")]
        assert pushed["text"].startswith(OLD_TITLE)
        before = len(emulator.sent(71))

        publish_corrected_title(feed_server)
        [result] = await bot.poll_all_feeds()
        assert len(result.updated_article_ids) == 1

        corrections = CorrectionService(bot.sessions, PtbEditor(bot.application.bot),
                                        load_card, NoLimits())
        stats = await corrections.run_once()
        assert (stats.edited, stats.failed, stats.errors) == (1, 0, [])
        assert len(emulator.calls("editMessageText")) == 1
        messages = emulator.sent(71)
        assert len(messages) == before  # edited in place, nothing new sent
        [edited] = [m for m in messages if m["message_id"] == pushed["message_id"]]
        assert NEW_TITLE in edited["text"]
        assert OLD_TITLE not in edited["text"]
        assert "Updated" in edited["text"]
        assert "edit_date" in edited
        assert [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row] \
            == [b["text"] for row in pushed["reply_markup"]["inline_keyboard"] for b in row]

        again = await corrections.run_once()
        assert again.done == 0
        assert len(emulator.calls("editMessageText")) == 1
