"""FeedFetcher against a real local HTTP server: conditional GET, limits, redirects, failures."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator

import pytest

from bot.config import IngestionSettings
from bot.ingest.fetch import FeedFetcher, FetchError, FetchErrorKind
from tests.support.feedserver import FeedServer

LIMIT = 64 * 1024
FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
LAST_MODIFIED = "Wed, 29 Nov 2023 10:00:00 GMT"


def make_settings(**overrides: object) -> IngestionSettings:
    """Ingestion settings with small limits so tests hit them quickly."""
    values: dict[str, object] = {
        "user_agent": "newsbot-test/1.0 (+https://example.org/bot)",
        "max_response_bytes": LIMIT,
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "max_redirects": 3,
        "per_host_concurrency": 2,
        "total_concurrency": 8,
        "allow_private_networks": True,  # the test server is on loopback
    }
    values.update(overrides)
    return IngestionSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    """A running local feed server."""
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[FeedFetcher]:
    """A started fetcher with test limits."""
    async with FeedFetcher(make_settings()) as feed_fetcher:
        yield feed_fetcher


async def fetch_error(awaitable: object) -> FetchError:
    """Await ``awaitable`` and return the FetchError it raises."""
    with pytest.raises(FetchError) as caught:
        await awaitable  # type: ignore[misc]
    return caught.value


async def test_plain_fetch_returns_body_headers_and_sends_user_agent(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """A 200 gives the body, content type and validators; our User-Agent is sent."""
    server.route("/feed.xml", FEED, etag='"v1"', last_modified=LAST_MODIFIED)
    result = await fetcher.fetch_feed(server.url("/feed.xml"))
    assert result.status == 200
    assert result.body == FEED
    assert not result.not_modified
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.content_type is not None
    assert result.content_type.startswith("application/rss")
    assert result.final_url == server.url("/feed.xml")
    assert result.permanent_redirect_to is None
    seen = server.last_request("/feed.xml")
    assert seen.headers["User-Agent"] == "newsbot-test/1.0 (+https://example.org/bot)"
    assert "If-None-Match" not in seen.headers


async def test_etag_conditional_get_gives_not_modified(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """Sending the stored ETag back yields a 304 reported as not_modified with no body."""
    server.route("/feed.xml", FEED, etag='"v1"')
    result = await fetcher.fetch_feed(server.url("/feed.xml"), etag='"v1"')
    assert result.not_modified
    assert result.status == 304
    assert result.body == b""
    assert server.last_request("/feed.xml").headers["If-None-Match"] == '"v1"'


async def test_stale_etag_gets_the_full_feed(server: FeedServer, fetcher: FeedFetcher) -> None:
    """An ETag that no longer matches gets a 200 with the new validator."""
    server.route("/feed.xml", FEED, etag='"v2"')
    result = await fetcher.fetch_feed(server.url("/feed.xml"), etag='"v1"')
    assert not result.not_modified
    assert result.body == FEED
    assert result.etag == '"v2"'


async def test_last_modified_conditional_get_gives_not_modified(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """Sending the stored Last-Modified as If-Modified-Since yields a 304."""
    server.route("/feed.xml", FEED, last_modified=LAST_MODIFIED)
    result = await fetcher.fetch_feed(server.url("/feed.xml"), last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert server.last_request("/feed.xml").headers["If-Modified-Since"] == LAST_MODIFIED


async def test_gzip_body_is_decompressed(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A gzip-encoded answer arrives decompressed, and gzip was offered."""
    server.route("/feed.xml", FEED * 50, gzip=True)
    result = await fetcher.fetch_feed(server.url("/feed.xml"))
    assert result.body == FEED * 50
    assert "gzip" in server.last_request("/feed.xml").headers["Accept-Encoding"]


async def test_oversized_body_is_refused(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A body past max_response_bytes raises too_large."""
    server.route("/big.xml", b"x" * (LIMIT + 1))
    error = await fetch_error(fetcher.fetch_feed(server.url("/big.xml")))
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_gzip_bomb_is_refused_after_decompression(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """The cap counts decompressed bytes: a small gzip of a huge body raises too_large."""
    server.route("/bomb.xml", b"\0" * (LIMIT * 20), gzip=True)
    assert len(gzip.compress(b"\0" * (LIMIT * 20))) < LIMIT
    error = await fetch_error(fetcher.fetch_feed(server.url("/bomb.xml")))
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_endless_body_is_cut_off(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A server that never stops sending is cut off at the cap with too_large."""
    server.route("/endless.xml", endless=True)
    error = await asyncio.wait_for(fetch_error(fetcher.fetch_feed(server.url("/endless.xml"))),
                                   timeout=10)
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_redirect_is_followed_without_permanent_move(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """A 302 is followed to the final URL and is not reported as a permanent move."""
    server.route("/feed.xml", FEED)
    server.route("/temp", redirect_to="/feed.xml", status=302)
    result = await fetcher.fetch_feed(server.url("/temp"))
    assert result.body == FEED
    assert result.final_url == server.url("/feed.xml")
    assert result.permanent_redirect_to is None


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_is_reported(
    server: FeedServer, fetcher: FeedFetcher, status: int
) -> None:
    """A 301/308 is followed and its target reported as permanent_redirect_to."""
    server.route("/new.xml", FEED)
    server.route("/old.xml", redirect_to=server.url("/new.xml"), status=status)
    result = await fetcher.fetch_feed(server.url("/old.xml"))
    assert result.body == FEED
    assert result.permanent_redirect_to == server.url("/new.xml")


async def test_permanent_move_stops_at_first_temporary_hop(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """In 301 → 302 → 200 only the 301's target counts as the permanent new address."""
    server.route("/final.xml", FEED)
    server.route("/moved", redirect_to="/hop", status=301)
    server.route("/hop", redirect_to="/final.xml", status=302)
    result = await fetcher.fetch_feed(server.url("/moved"))
    assert result.final_url == server.url("/final.xml")
    assert result.permanent_redirect_to == server.url("/hop")


async def test_redirect_loop_is_detected(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A → B → A raises redirect_loop after visiting each once."""
    server.route("/a", redirect_to="/b", status=302)
    server.route("/b", redirect_to="/a", status=302)
    error = await fetch_error(fetcher.fetch_feed(server.url("/a")))
    assert error.kind is FetchErrorKind.REDIRECT_LOOP
    assert server.requests("/a") == 1
    assert server.requests("/b") == 1


async def test_too_many_redirects(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A chain longer than max_redirects (3) raises too_many_redirects."""
    for hop in range(6):
        server.route(f"/r{hop}", redirect_to=f"/r{hop + 1}", status=302)
    error = await fetch_error(fetcher.fetch_feed(server.url("/r0")))
    assert error.kind is FetchErrorKind.TOO_MANY_REDIRECTS
    assert server.requests("/r4") == 0


async def test_redirect_to_non_http_scheme_is_refused(
    server: FeedServer, fetcher: FeedFetcher
) -> None:
    """A redirect to a file: URL raises invalid_url instead of being followed."""
    server.route("/evil", redirect_to="file:///etc/passwd", status=302)
    error = await fetch_error(fetcher.fetch_feed(server.url("/evil")))
    assert error.kind is FetchErrorKind.INVALID_URL


@pytest.mark.parametrize("status", [403, 404, 410, 500, 503])
async def test_error_status_raises_with_the_status(
    server: FeedServer, fetcher: FeedFetcher, status: int
) -> None:
    """4xx and 5xx answers raise http_status carrying the status code."""
    server.route("/feed.xml", b"nope", status=status)
    error = await fetch_error(fetcher.fetch_feed(server.url("/feed.xml")))
    assert error.kind is FetchErrorKind.HTTP_STATUS
    assert error.status == status
    assert str(status) in error.message


async def test_slow_server_times_out(server: FeedServer, fetcher: FeedFetcher) -> None:
    """No answer within read_timeout raises timeout."""
    server.route("/slow.xml", FEED, delay=3)
    error = await fetch_error(fetcher.fetch_feed(server.url("/slow.xml")))
    assert error.kind is FetchErrorKind.TIMEOUT


async def test_connection_reset_before_answer(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A connection reset before any answer raises connection."""
    server.route("/reset.xml", reset=True)
    error = await fetch_error(fetcher.fetch_feed(server.url("/reset.xml")))
    assert error.kind is FetchErrorKind.CONNECTION


async def test_connection_reset_mid_body(server: FeedServer, fetcher: FeedFetcher) -> None:
    """A reset after part of the body raises payload (a broken body), not a short success."""
    server.route("/half.xml", FEED * 100, reset_after_bytes=500)
    error = await fetch_error(fetcher.fetch_feed(server.url("/half.xml")))
    assert error.kind is FetchErrorKind.PAYLOAD


async def test_refused_connection(fetcher: FeedFetcher) -> None:
    """Nothing listening on the port raises connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await fetch_error(fetcher.fetch_feed(f"http://127.0.0.1:{port}/feed.xml"))
    assert error.kind is FetchErrorKind.CONNECTION


async def test_non_http_url_is_refused(fetcher: FeedFetcher) -> None:
    """Only http(s) URLs are fetched."""
    error = await fetch_error(fetcher.fetch_feed("ftp://example.org/feed.xml"))
    assert error.kind is FetchErrorKind.INVALID_URL


async def test_per_host_concurrency_is_capped(server: FeedServer) -> None:
    """With per_host_concurrency=2, six simultaneous fetches reach the host two at a time."""
    server.route("/slow.xml", FEED, delay=0.2)
    async with FeedFetcher(make_settings(per_host_concurrency=2, read_timeout=5)) as capped:
        results = await asyncio.gather(
            *(capped.fetch_feed(server.url("/slow.xml")) for _ in range(6))
        )
    assert all(result.body == FEED for result in results)
    assert server.peak_in_flight == 2


async def test_total_concurrency_is_capped(server: FeedServer) -> None:
    """total_concurrency bounds simultaneous fetches across hosts too."""
    server.route("/slow.xml", FEED, delay=0.2)
    settings = make_settings(per_host_concurrency=10, total_concurrency=3, read_timeout=5)
    async with FeedFetcher(settings) as capped:
        await asyncio.gather(*(capped.fetch_feed(server.url("/slow.xml")) for _ in range(7)))
    assert server.peak_in_flight == 3


async def test_fetch_page_has_the_same_size_cap(server: FeedServer, fetcher: FeedFetcher) -> None:
    """Article pages are capped like feeds."""
    server.route("/page.html", b"<p>" + b"x" * LIMIT, content_type="text/html")
    error = await fetch_error(fetcher.fetch_page(server.url("/page.html")))
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_fetch_page_asks_for_html(server: FeedServer, fetcher: FeedFetcher) -> None:
    """fetch_page sends an HTML Accept header and no conditional headers."""
    server.route("/page.html", b"<html><body>hi</body></html>", content_type="text/html")
    result = await fetcher.fetch_page(server.url("/page.html"))
    assert result.body.startswith(b"<html>")
    headers = server.last_request("/page.html").headers
    assert headers["Accept"].startswith("text/html")
    assert "If-None-Match" not in headers


async def test_fetch_before_start_is_an_error() -> None:
    """Using a fetcher that was never started raises a clear RuntimeError."""
    with pytest.raises(RuntimeError, match="not started"):
        await FeedFetcher(make_settings()).fetch_feed("http://127.0.0.1/feed.xml")
