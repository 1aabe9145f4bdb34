"""A synthetic publisher for benchmarks: N RSS feeds on 127.0.0.1, run as its own process.

``python -m tests.support.feedserver --feeds 6000 --entries 5 --ports 16`` builds every feed up
front (`synthetic`), listens on ``--ports`` ports of 127.0.0.1 (feed ``i`` is announced on port
``i mod ports``: the fetcher caps concurrent requests per host:port, and 6,000 real feeds span
many hosts), prints one JSON line ``{"ports": [...], ...}`` when ready and serves until
SIGTERM/SIGINT.

It answers as `FeedServer` does — strong ETag and Last-Modified, ``304 Not Modified`` by the
same `not_modified` rule, 404 for unknown paths — but on a minimal HTTP/1.1 ``asyncio.Protocol``
(keep-alive, GET/HEAD only) rather than aiohttp, so that serving costs far less CPU than
fetching and the benchmark measures the client. Bodies are gzip-compressed when the client
accepts gzip, as publishers' servers do.

``GET /_stats`` (not counted) returns the counters as JSON: feed requests, 200s, 304s,
conditional requests, 404s, connections accepted and body bytes sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections import Counter

from tests.support.feedserver import not_modified
from tests.support.feedserver.synthetic import FeedDocument, build_documents

MAX_FEEDS = 100_000
MAX_ENTRIES = 100
MAX_PORTS = 256
_MAX_HEADER_BYTES = 16 * 1024


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
        if not_modified(document.etag, document.last_modified, headers.get("if-none-match"),
                        headers.get("if-modified-since")):
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
    """Entry point of ``python -m tests.support.feedserver``."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.feedserver",
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
