"""The bundled demo feed (``bot/demo_data``) as a publisher serves it, before and after the
POW explainer is published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.feedserver import FeedServer

DEMO_DATA = Path(__file__).resolve().parents[2] / "bot" / "demo_data"


def serve_demo_feed(server: FeedServer) -> None:
    """Serve the demo feed before the POW explainer at /feed.xml."""
    server.route("/feed.xml", (DEMO_DATA / "explainers-before.xml").read_bytes())


def publish_pow_explainer(server: FeedServer) -> None:
    """The publisher adds the sample POW explainer to the feed."""
    server.route("/feed.xml", (DEMO_DATA / "explainers-after.xml").read_bytes())


def feed_config(server: FeedServer) -> dict[str, Any]:
    """Config sections for one feed on the local server."""
    return {"feeds": [{"url": server.url("/feed.xml"), "name": "Explainers", "interval": 60}]}


async def deliver_pow_explainer(bot: Any, server: FeedServer) -> None:
    """The publisher adds the POW explainer; the bot polls its feeds and drains the outbox."""
    publish_pow_explainer(server)
    await bot.poll_all_feeds()
    await bot.drain_outbox()
