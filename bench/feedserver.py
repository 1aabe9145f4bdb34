"""A synthetic publisher: N RSS feeds on 127.0.0.1, run as its own process.

``python -m bench.feedserver --feeds 6000 --entries 5 --ports 16`` builds every feed up front,
listens on ``--ports`` ports of 127.0.0.1 (feed ``i`` is announced on port ``i mod ports``:
the fetcher caps concurrent requests per host:port, and 6,000 real feeds span many hosts),
prints one JSON line ``{"ports": [...], ...}`` when ready and serves until SIGTERM/SIGINT.

It is a minimal HTTP/1.1 server on ``asyncio.Protocol`` (keep-alive, GET/HEAD only) rather than
aiohttp, so that serving costs far less CPU than fetching and the benchmark measures the client.
Each feed has a strong ETag and a Last-Modified date; a matching ``If-None-Match`` (or, without
one, an ``If-Modified-Since`` not older than the feed) is answered ``304 Not Modified``. Bodies
are gzip-compressed when the client accepts gzip, as publishers' servers do.

``GET /_stats`` (not counted) returns the counters as JSON: feed requests, 200s, 304s,
conditional requests, 404s, connections accepted and body bytes sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape

MAX_FEEDS = 100_000
MAX_ENTRIES = 100
MAX_PORTS = 256
_MAX_HEADER_BYTES = 16 * 1024
_LAST_MODIFIED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
_EPOCH = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# --- synthetic content --------------------------------------------------------------------------

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


# --- serving ------------------------------------------------------------------------------------


class FeedCatalogue:
    """The feeds and the counters shared by every connection."""

    def __init__(self, documents: list[FeedDocument]) -> None:
        self.documents = documents
        self.counts: Counter[str] = Counter()

    def answer(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        """Return the full HTTP response (status line, headers, body) for one request."""
        path = target.split("?", 1)[0]
        if path == "/_stats":
            body = json.dumps(dict(self.counts)).encode()
            return _response(200, {"Content-Type": "application/json"}, body, method)
        counts = self.counts
        document = self._document(path)
        if document is None:
            counts["not_found"] += 1
            return _response(404, {"Content-Type": "text/plain"}, b"not found", method)
        counts["requests"] += 1
        validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
        if "if-none-match" in headers or "if-modified-since" in headers:
            counts["conditional"] += 1
        if _not_modified(headers, document):
            counts["not_modified"] += 1
            return _response(304, validators, b"", method)
        counts["ok"] += 1
        response_headers = {"Content-Type": "application/rss+xml; charset=utf-8", **validators}
        body = document.body
        if "gzip" in headers.get("accept-encoding", ""):
            response_headers["Content-Encoding"] = "gzip"
            body = document.gzipped
        counts["body_bytes"] += len(body)
        return _response(200, response_headers, body, method)

    def _document(self, path: str) -> FeedDocument | None:
        if not (path.startswith("/feeds/") and path.endswith(".xml")):
            return None
        number = path[len("/feeds/"):-len(".xml")]
        if not number.isdigit() or int(number) >= len(self.documents):
            return None
        return self.documents[int(number)]


_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed"}


def _response(status: int, headers: dict[str, str], body: bytes, method: str) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if status != 304:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if method == "HEAD" or status == 304 else head + body


def _not_modified(headers: dict[str, str], document: FeedDocument) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return document.etag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    if since == document.last_modified:
        return True
    try:
        return parsedate_to_datetime(document.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _HttpConnection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests are answered in order as they arrive."""

    def __init__(self, catalogue: FeedCatalogue) -> None:
        self._catalogue = catalogue
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._catalogue.counts["connections"] += 1

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > _MAX_HEADER_BYTES:
                    transport.write(_response(400, {"Connection": "close"}, b"", "GET"))
                    transport.close()
                return
            head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                transport.write(_response(400, {"Connection": "close"}, b"", "GET"))
                transport.close()
                return
            method, target, version = parts
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            close = (version == "HTTP/1.0"
                     or headers.get("connection", "").lower() == "close")
            if method not in ("GET", "HEAD"):
                response = _response(405, {"Connection": "close"}, b"", "GET")
                close = True
            else:
                response = self._catalogue.answer(method, target, headers)
            transport.write(response)
            if close:
                transport.close()
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(feeds: int, entries: int, port_count: int) -> None:
    """Build the feeds, listen, announce the ports on stdout and serve until signalled."""
    loop = asyncio.get_running_loop()
    servers: list[asyncio.Server] = []
    catalogue = FeedCatalogue([])
    for _ in range(port_count):
        server = await loop.create_server(lambda: _HttpConnection(catalogue), "127.0.0.1", 0,
                                          backlog=1024)
        servers.append(server)
    ports = [int(server.sockets[0].getsockname()[1]) for server in servers]
    started = time.perf_counter()
    catalogue.documents = build_documents(feeds, entries, ports)
    build_seconds = time.perf_counter() - started
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    plain = sum(len(document.body) for document in catalogue.documents)
    packed = sum(len(document.gzipped) for document in catalogue.documents)
    print(json.dumps({
        "ports": ports, "feeds": feeds, "entries": entries, "build_seconds": build_seconds,
        "mean_feed_bytes": plain / max(feeds, 1), "mean_gzip_bytes": packed / max(feeds, 1),
    }), flush=True)
    try:
        await stop.wait()
    finally:
        for server in servers:
            server.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.feedserver``."""
    parser = argparse.ArgumentParser(prog="python -m bench.feedserver",
                                     description="Serve synthetic RSS feeds on 127.0.0.1.")
    parser.add_argument("--feeds", type=int, default=6000)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--ports", type=int, default=16)
    args = parser.parse_args(argv)
    if not (1 <= args.feeds <= MAX_FEEDS and 1 <= args.entries <= MAX_ENTRIES
            and 1 <= args.ports <= MAX_PORTS):
        parser.error(f"need 1 ≤ feeds ≤ {MAX_FEEDS}, 1 ≤ entries ≤ {MAX_ENTRIES}, "
                     f"1 ≤ ports ≤ {MAX_PORTS}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.feeds, args.entries, args.ports))
    sys.exit(0)


if __name__ == "__main__":
    main()
