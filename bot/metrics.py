"""The bot's Prometheus metrics, one registry per running bot (served on ``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.services.outbox import DeliveryStats
from bot.services.polling import PollResult


class BotMetrics:
    """Updates by type and outcome, command latency, feed polls, stored articles and outbox
    sends. It is the update processor's :class:`~bot.updates.UpdateObserver`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "newsbot_updates", "Telegram updates handled, by type and outcome (ok or error)",
            ["type", "outcome"], registry=self.registry,
        )
        self.command_seconds = Histogram(
            "newsbot_command_seconds",
            "Time handling a command (start, latest, …) or a button press (button:<kind>)",
            ["command"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.polls = Counter(
            "newsbot_feed_polls", "Feed polls by outcome", ["outcome"], registry=self.registry
        )
        self.articles = Counter(
            "newsbot_articles", "Articles stored, new or updated", ["kind"],
            registry=self.registry,
        )
        self.outbox_runs = Counter(
            "newsbot_outbox_runs", "Outbox drains completed", registry=self.registry
        )
        self.deliveries = Counter(
            "newsbot_deliveries",
            "Outbox deliveries (rows) by outcome: sent, retry, blocked, skipped, failed, deferred",
            ["outcome"], registry=self.registry,
        )
        self.send_seconds = Histogram(
            "newsbot_send_seconds", "Time of one Bot API send from the outbox, by outcome",
            ["outcome"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )
        self.limiter_wait_seconds = Histogram(
            "newsbot_limiter_wait_seconds",
            "Time a send waited for Telegram's rate limits (our limiter)",
            registry=self.registry,
            buckets=(0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 3.0, 10.0, 60.0),
        )
        self.flood_waits = Counter(
            "newsbot_flood_waits", "429 Too Many Requests answers received", registry=self.registry
        )
        self.unknown_outcomes = Counter(
            "newsbot_unknown_send_outcomes",
            "Sends whose answer was lost (timeout, dropped connection): sent again, they may "
            "arrive twice", registry=self.registry,
        )
        self.link_clicks = Counter(
            "newsbot_link_clicks", "Clicks on tracked Read links (server.public_url), by "
            "outcome: redirected or unknown (404)", ["outcome"], registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "newsbot_outbox_depth", "Deliveries pending or being sent", registry=self.registry
        )

    def observe_update(
        self, kind: str, command: str | None, outcome: str, seconds: float
    ) -> None:
        """Count one handled update; time it when it was a command or a button press."""
        self.updates.labels(kind, outcome).inc()
        if command is not None:
            self.command_seconds.labels(command).observe(seconds)

    def count_poll(self, result: PollResult) -> None:
        """Count one feed poll and the articles it stored."""
        outcome = ("skipped" if result.skipped else "error" if result.error
                   else "not_modified" if result.not_modified else "ok")
        self.polls.labels(outcome).inc()
        if result.new_article_ids:
            self.articles.labels("new").inc(len(result.new_article_ids))
        if result.updated_article_ids:
            self.articles.labels("updated").inc(len(result.updated_article_ids))

    def count_drain(self, stats: DeliveryStats) -> None:
        """Count one outbox drain and its sends by outcome."""
        self.outbox_runs.inc()
        for outcome, count in (("sent", stats.sent), ("retry", stats.retried),
                               ("blocked", stats.blocked), ("skipped", stats.skipped),
                               ("failed", stats.failed), ("deferred", stats.deferred)):
            if count:
                self.deliveries.labels(outcome).inc(count)

    def observe_send(self, outcome: str, seconds: float) -> None:
        """Time one send from the outbox."""
        self.send_seconds.labels(outcome).observe(seconds)

    def observe_limiter_wait(self, seconds: float) -> None:
        """Record how long a send waited for the rate limits."""
        self.limiter_wait_seconds.observe(seconds)

    def count_flood_wait(self) -> None:
        """Count one 429 answer."""
        self.flood_waits.inc()

    def count_unknown_outcome(self) -> None:
        """Count one send whose answer was lost."""
        self.unknown_outcomes.inc()

    def count_click(self, known: bool) -> None:
        """Count one request for a tracked link."""
        self.link_clicks.labels("redirected" if known else "unknown").inc()

    def set_outbox_depth(self, depth: int) -> None:
        """Record how many deliveries are waiting."""
        self.outbox_depth.set(depth)
