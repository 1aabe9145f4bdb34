"""OPML import and export of the feed list (titles kept)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

MAX_OPML_BYTES = 10 * 1024 * 1024


class OpmlError(ValueError):
    """The file is not usable OPML."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline."""

    url: str
    title: str
    site_url: str | None = None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Return the feeds (outlines with xmlUrl, at any depth) in document order, deduplicated.

    Python's expat refuses entity-expansion bombs; DTDs and external entities are not loaded.
    """
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"file is larger than {MAX_OPML_BYTES // (1024 * 1024)} MiB")
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat without external entities; size capped
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("no <body> element")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in body.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. "http://[::1/feed": not a URL, so not a feed to import
            continue
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        if url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or parts.netloc
        site = (outline.get("htmlUrl") or "").strip() or None
        feeds.append(OpmlFeed(url=url, title=title[:200], site_url=site))
    return feeds


def render_opml(feeds: Sequence[OpmlFeed], title: str) -> bytes:
    """An OPML 2.0 document listing ``feeds``."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.site_url:
            attributes["htmlUrl"] = feed.site_url
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + document + b"\n"
