"""A local HTTP server that plays publisher: feeds and pages, well- or badly-behaved.

Usage::

    async with FeedServer() as server:
        server.route("/feed.xml", body, etag='"v1"')
        server.route("/old", redirect_to="/feed.xml", status=301)
        server.route("/slow", body, delay=5)
        url = server.url("/feed.xml")
        ...
        assert server.requests("/feed.xml") == 2

Each path has one :class:`Route` (``route()`` replaces it; counts persist). Behaviours:
status and headers; ETag / Last-Modified with 304 answers to matching conditional requests;
gzip; redirects (absolute or relative ``redirect_to``); a delay before answering; an endless
body or a body of any size; a connection reset before answering or after N body bytes.
Unknown paths answer 404. Depends on aiohttp only.

The benchmarks' publisher, N synthetic feeds served from a process of its own on a leaner
HTTP stack, is ``python -m tests.support.feedserver`` (`__main__`); it answers conditional
requests by the same `not_modified` rule.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from aiohttp import web

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Route:
    """How one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = RSS_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    redirect_to: str | None = None  # answered with ``status`` (set it to 301/302/307/308)
    delay: float = 0.0  # seconds before the status line
    endless: bool = False  # stream ``body`` (or 64 KiB of filler) forever
    reset: bool = False  # drop the connection (RST) instead of answering
    reset_after_bytes: int | None = None  # send headers and this many body bytes, then RST


@dataclass(frozen=True)
class SeenRequest:
    """A request the server received."""

    path: str
    headers: dict[str, str]


class FeedServer:
    """An aiohttp server on 127.0.0.1 (a free port) serving configurable routes."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._counts: Counter[str] = Counter()
        self.seen: list[SeenRequest] = []
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests being answered at once, all paths together
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FeedServer:
        """Start listening; returns self."""
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        app.router.add_route("HEAD", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2,
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Stop the server (connections still open are dropped)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- configuration -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError("FeedServer is not started")
        return f"http://127.0.0.1:{self._port}"

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path``."""
        return self.base_url + path

    def route(self, path: str, body: bytes | str = b"", **behaviour: object) -> Route:
        """Serve ``body`` at ``path`` with the given :class:`Route` behaviour; returns it."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(body=data, **behaviour)  # type: ignore[arg-type]
        self._routes[path] = route
        return route

    def remove(self, path: str) -> None:
        """Stop serving ``path`` (it answers 404 again)."""
        self._routes.pop(path, None)

    def requests(self, path: str) -> int:
        """How many requests ``path`` received so far."""
        return self._counts[path]

    def last_request(self, path: str) -> SeenRequest:
        """The most recent request for ``path``."""
        for seen in reversed(self.seen):
            if seen.path == path:
                return seen
        raise LookupError(f"no request for {path}")

    # --- serving -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self._counts[path] += 1
        self.seen.append(SeenRequest(path, dict(request.headers)))
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._answer(request, self._routes.get(path))
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, route: Route | None) -> web.StreamResponse:
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.reset:
            _reset(request)
            raise asyncio.CancelledError  # nothing more to say on a dead connection
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            return web.Response(status=route.status, headers=headers)
        if not_modified(route.etag, route.last_modified, request.headers.get("If-None-Match"),
                        request.headers.get("If-Modified-Since")):
            return web.Response(status=304, headers=headers)
        if route.content_type:
            headers["Content-Type"] = route.content_type
        if route.endless:
            return await self._endless(request, route, headers)
        if route.reset_after_bytes is not None:
            return await self._reset_midway(request, route, headers)
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return web.Response(status=route.status, body=body, headers=headers)

    @staticmethod
    async def _endless(
        request: web.Request, route: Route, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        await response.prepare(request)
        chunk = route.body or b"<!-- filler -->" * 4096
        try:
            while True:
                await response.write(chunk)
        except (ConnectionError, RuntimeError):  # the client hung up
            pass
        return response

    @staticmethod
    async def _reset_midway(
        request: web.Request, route: Route, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        response.content_length = max(len(route.body), (route.reset_after_bytes or 0) + 1)
        await response.prepare(request)
        await response.write(route.body[: route.reset_after_bytes])
        await asyncio.sleep(0.05)  # let the bytes leave before the reset
        _reset(request)
        raise asyncio.CancelledError


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def not_modified(
    etag: str | None,
    last_modified: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
) -> bool:
    """Whether a conditional GET gets ``304 Not Modified``: a sent ``If-None-Match`` decides
    (the ETag or ``*`` among its tags); otherwise ``If-Modified-Since`` not older than the
    Last-Modified date does."""
    if etag is not None and if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return etag in tags or "*" in tags
    if last_modified is None or not if_modified_since:
        return False
    if if_modified_since == last_modified:
        return True
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
