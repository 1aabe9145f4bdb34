"""Synthetic RSS feeds for benchmarks: N deterministic feeds of news-like entries, with their
gzip bodies and validators built up front (see ``python -m tests.support.feedserver``)."""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

__all__ = ["TOPICS", "FeedDocument", "build_documents", "feed_url", "render_feed"]

_LAST_MODIFIED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
_EPOCH = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


#: Topics the benchmark configures, with the keywords that tag an entry by its text.
TOPICS: tuple[dict[str, object], ...] = (
    {"slug": "war-in-ukraine", "name": "War in Ukraine",
     "keywords": ["frontline", "drone strike", "shelling"]},
    {"slug": "economy", "name": "Economy", "keywords": ["inflation", "central bank", "budget"]},
    {"slug": "energy", "name": "Energy", "keywords": ["gas pipeline", "power grid", "oil price"]},
    {"slug": "politics", "name": "Politics", "keywords": ["parliament", "election", "coalition"]},
    {"slug": "technology", "name": "Technology",
     "keywords": ["satellite", "semiconductor", "cyberattack"]},
)
_TOPIC_CATEGORIES = ("War in Ukraine", "Economy", "Energy", "Politics", "Technology")
_OTHER_CATEGORIES = ("Explainer", "Analysis", "Kyiv", "Europe", "Opinion", "Interview",
                     "Black Sea", "Kharkiv", "Odesa", "Brussels")
_SUBJECTS = ("The government", "Officials in Kyiv", "The central bank", "Regional authorities",
             "Analysts", "The defence ministry", "Energy traders", "Opposition lawmakers",
             "Local volunteers", "European diplomats", "The parliament", "Farmers in the south")
_VERBS = ("announced", "warned about", "questioned", "reported on", "prepared for",
          "pushed back against", "welcomed", "played down", "negotiated over", "examined")
_OBJECTS = ("a new budget for the coming year", "the shelling of power stations overnight",
            "rising inflation in food prices", "the repair of the power grid before winter",
            "an election timetable that remains uncertain", "drone strike damage near the port",
            "the price of imported gas", "a coalition deal on military spending",
            "satellite images of the frontline", "export routes across the Black Sea",
            "a cyberattack on the tax service", "semiconductor supplies for air defence",
            "grain shipments through the corridor", "the oil price cap and its loopholes")
_TAILS = ("according to people familiar with the talks", "despite strong objections",
          "for the third time this month", "after weeks of delay", "as winter approaches",
          "in a statement on Thursday", "amid growing public pressure", "with little warning")
_HEADLINE_WORDS = ("Explained", "Why", "What we know about", "How", "Inside", "The cost of")


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """One feed as served: its plain and gzip bodies and validators."""

    body: bytes
    gzipped: bytes
    etag: str
    last_modified: str


def _sentence(rng: random.Random) -> str:
    text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    if rng.random() < 0.6:
        text += f" {rng.choice(_TAILS)}"
    return text + rng.choice((".", ".", ".", "!", "?"))


def feed_url(port: int, index: int) -> str:
    """Return the URL of feed ``index`` served on ``port``."""
    return f"http://127.0.0.1:{port}/feeds/{index}.xml"


def render_feed(index: int, entries: int, base_url: str) -> bytes:
    """Return the RSS 2.0 document of feed ``index`` (deterministic for the same arguments)."""
    rng = random.Random(index * 7919 + entries)
    items: list[str] = []
    for number in range(entries):
        sentences = [_sentence(rng) for _ in range(rng.randint(4, 7))]
        split = len(sentences) // 2
        description = (
            f"<p>{escape(' '.join(sentences[:split]))}</p>"
            f"<p><strong>{escape(sentences[split])}</strong> "
            f"{escape(' '.join(sentences[split + 1:]))} "
            f"<a href=\"{base_url}/news/{index}/{number}\">Read more</a>.</p>"
        )
        subject = rng.choice(_OBJECTS)
        title = f"{rng.choice(_HEADLINE_WORDS)}: {subject[0].upper()}{subject[1:]}"
        slug = "-".join(subject.split()[:6])
        categories = [rng.choice(_TOPIC_CATEGORIES), *rng.sample(_OTHER_CATEGORIES, 2)]
        published = _EPOCH - timedelta(minutes=index * entries + number)
        category_xml = "".join(f"<category>{escape(name)}</category>" for name in categories)
        items.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{base_url}/news/{index}/{number}-{slug}?utm_source=rss</link>"
            f"<guid isPermaLink=\"false\">bench-feed-{index}-entry-{number}</guid>"
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<dc:creator>Desk {index % 37}</dc:creator>"
            f"{category_xml}"
            f"<description><![CDATA[{description}]]></description>"
            "</item>\n"
        )
    document = (
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n"
        f"<title>Bench Publisher — section {index}</title>\n"
        f"<link>{base_url}/sections/{index}</link>\n"
        f"<description>Synthetic section {index} for benchmarks</description>\n"
        f"<lastBuildDate>{format_datetime(_LAST_MODIFIED, usegmt=True)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )
    return document.encode("utf-8")


def build_documents(feeds: int, entries: int, ports: list[int]) -> list[FeedDocument]:
    """Build every feed's bodies and validators."""
    last_modified = format_datetime(_LAST_MODIFIED, usegmt=True)
    documents: list[FeedDocument] = []
    for index in range(feeds):
        port = ports[index % len(ports)]
        body = render_feed(index, entries, f"http://127.0.0.1:{port}")
        documents.append(FeedDocument(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            etag=f"\"bench-{index}-v1\"",
            last_modified=last_modified,
        ))
    return documents
