"""HTTP fetching of feeds and article pages, with every limit a hostile server needs.

:class:`FeedFetcher` owns one :class:`aiohttp.ClientSession`, opened in :meth:`start` and
closed in :meth:`close` (or ``async with``). Each fetch:

* sends the configured User-Agent, ``Accept-Encoding: gzip, deflate`` and, for feeds, the
  conditional headers from the stored ETag / Last-Modified (a 304 comes back as
  ``not_modified``);
* waits for a slot under a total cap and a per-host cap (one semaphore per host);
* bounds connecting (``connect_timeout``), each wait for data (``read_timeout``) and the whole
  exchange (``connect_timeout + 2 × read_timeout``);
* streams the body and stops past ``max_response_bytes`` (counted after decompression, so a
  gzip bomb or an endless body stops too);
* follows redirects itself, up to ``max_redirects``, detecting loops, and reports the final URL
  and where a leading run of permanent redirects (301/308) points.

Failures raise :class:`FetchError` with a :class:`FetchErrorKind` and a one-line message that
never contains credentials or query strings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.config import IngestionSettings
from bot.ingest.network_policy import AddressPolicy, BlockedAddressError, PublicOnlyResolver
from bot.text import one_line

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHUNK_SIZE = 64 * 1024
_MESSAGE_LIMIT = 300  # characters of a server's or library's words kept in an error message


class FetchErrorKind(StrEnum):
    """Why a fetch failed."""

    HTTP_STATUS = "http_status"  # 4xx/5xx, or another status we cannot use
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, DNS failure, TLS failure
    PAYLOAD = "payload"  # the body broke off or could not be decoded
    TOO_LARGE = "too_large"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_URL = "invalid_url"
    BLOCKED_ADDRESS = "blocked_address"  # loopback, private, link-local… (network policy)


class FetchError(Exception):
    """A fetch that did not produce a usable response."""

    def __init__(self, kind: FetchErrorKind, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful response (2xx or 304), after redirects."""

    url: str  # what was asked for
    status: int
    body: bytes
    final_url: str
    permanent_redirect_to: str | None  # where a leading run of 301/308 redirects points
    etag: str | None
    last_modified: str | None
    content_type: str | None
    not_modified: bool


def describe_url(url: str) -> str:
    """Return ``url`` without credentials, query or fragment, for logs and health records."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url.split("?", 1)[0]


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")


def _check_url(url: str, policy: AddressPolicy | None) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        raise FetchError(FetchErrorKind.INVALID_URL, "malformed URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(FetchErrorKind.INVALID_URL,
                         f"not an http(s) URL: {describe_url(url)[:200]}")
    if policy is not None:
        try:
            policy.check_host(parts.hostname)
        except BlockedAddressError as exc:
            raise FetchError(FetchErrorKind.BLOCKED_ADDRESS, str(exc)) from None


class FeedFetcher:
    """Fetches feeds and pages over one connection pool, within the configured limits."""

    def __init__(self, settings: IngestionSettings, *, dns: AbstractResolver | None = None) -> None:
        """``dns`` replaces aiohttp's resolver (the network policy still filters its answers)."""
        self._settings = settings
        self._dns = dns
        self._policy = (None if settings.allow_private_networks
                        else AddressPolicy.from_settings(settings.allowed_networks))
        self._session: aiohttp.ClientSession | None = None
        self._total_slots: asyncio.Semaphore | None = None
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the connection pool (idempotent). Call inside the running event loop."""
        if self._session is not None and not self._session.closed:
            return
        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=settings.total_concurrency,
            limit_per_host=settings.per_host_concurrency,
            ttl_dns_cache=300,
            resolver=self._dns if self._policy is None
            else PublicOnlyResolver(self._dns, self._policy),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            trust_env=False,
        )
        self._total_slots = asyncio.Semaphore(settings.total_concurrency)
        self._host_slots = {}

    async def close(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> FeedFetcher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- public API --------------------------------------------------------------------------

    async def fetch_feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch a feed, conditionally when ``etag`` or ``last_modified`` is known."""
        headers = {"Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._fetch(url, headers)

    async def fetch_page(self, url: str) -> FetchResult:
        """Fetch an article page (HTML) within the same limits as feeds."""
        return await self._fetch(url, {"Accept": PAGE_ACCEPT})

    # --- internals ---------------------------------------------------------------------------

    def _host_semaphore(self, url: str) -> asyncio.Semaphore:
        key = _host_key(url)
        semaphore = self._host_slots.get(key)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self._settings.per_host_concurrency)
            self._host_slots[key] = semaphore
        return semaphore

    async def _fetch(self, url: str, headers: dict[str, str]) -> FetchResult:
        if self._session is None or self._total_slots is None or self._session.closed:
            raise RuntimeError("FeedFetcher is not started; call start() first")
        _check_url(url, self._policy)
        async with self._total_slots:
            return await self._follow(url, headers)

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        visited = {url}
        current = url
        permanent_to: str | None = None
        permanent_run = True
        redirects = 0
        while True:
            async with self._host_semaphore(current), self._request(current, headers) as response:
                status = response.status
                if status in REDIRECT_STATUSES and "Location" in response.headers:
                    target = self._redirect_target(current, response.headers["Location"])
                    if permanent_run and status in PERMANENT_REDIRECT_STATUSES:
                        permanent_to = target
                    else:
                        permanent_run = False
                else:
                    return await self._result(url, current, permanent_to, response)
            redirects += 1
            if target in visited:
                raise FetchError(FetchErrorKind.REDIRECT_LOOP,
                                 f"redirect loop back to {describe_url(target)[:200]}")
            if redirects > self._settings.max_redirects:
                raise FetchError(
                    FetchErrorKind.TOO_MANY_REDIRECTS,
                    f"more than {self._settings.max_redirects} redirects",
                )
            visited.add(target)
            current = target

    def _redirect_target(self, current: str, location: str) -> str:
        try:
            target = urljoin(current, location.strip())
        except ValueError:
            raise FetchError(FetchErrorKind.INVALID_URL, "redirect to a malformed URL") from None
        target = target.split("#", 1)[0]
        _check_url(target, self._policy)
        return target

    @contextlib.asynccontextmanager
    async def _request(
        self, url: str, headers: dict[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        assert self._session is not None
        settings = self._settings
        timeout = aiohttp.ClientTimeout(
            total=settings.connect_timeout + 2 * settings.read_timeout,
            sock_connect=settings.connect_timeout,
            sock_read=settings.read_timeout,
        )
        try:
            async with self._session.get(
                url, headers=headers, allow_redirects=False, timeout=timeout
            ) as response:
                yield response
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(FetchErrorKind.TIMEOUT, self._timeout_message()) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddressError):
                raise FetchError(FetchErrorKind.BLOCKED_ADDRESS, str(exc.os_error)) from None
            raise FetchError(FetchErrorKind.CONNECTION, self._reason(exc)) from None
        except aiohttp.InvalidURL:
            raise FetchError(FetchErrorKind.INVALID_URL, "malformed URL") from None
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(FetchErrorKind.PAYLOAD,
                             f"broken response body ({self._reason(exc)})") from None
        except aiohttp.ClientResponseError as exc:
            raise FetchError(FetchErrorKind.PAYLOAD,
                             f"malformed response ({self._reason(exc)})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchError(FetchErrorKind.CONNECTION, self._reason(exc)) from None

    def _timeout_message(self) -> str:
        settings = self._settings
        return (f"no complete answer in time (connect {settings.connect_timeout:g}s, "
                f"read {settings.read_timeout:g}s)")

    @staticmethod
    def _reason(exc: BaseException) -> str:
        if isinstance(exc, aiohttp.ClientConnectorError):
            reason = f"cannot connect to {exc.host}:{exc.port}: {exc.os_error.strerror}"
            return one_line(reason)[:_MESSAGE_LIMIT]
        if isinstance(exc, aiohttp.ClientResponseError):
            return one_line(f"{exc.__class__.__name__}: {exc.message}")[:_MESSAGE_LIMIT]
        text = one_line(str(exc))[:_MESSAGE_LIMIT]
        return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__

    async def _result(
        self,
        requested: str,
        final_url: str,
        permanent_to: str | None,
        response: aiohttp.ClientResponse,
    ) -> FetchResult:
        status = response.status
        if status == 304:
            body = b""
        elif 200 <= status < 300:
            body = await self._read_capped(response)
        else:
            reason = one_line(response.reason or "")[:_MESSAGE_LIMIT]
            raise FetchError(FetchErrorKind.HTTP_STATUS, f"HTTP {status} {reason}".rstrip(),
                             status=status)
        headers = response.headers
        return FetchResult(
            url=requested,
            status=status,
            body=body,
            final_url=final_url,
            permanent_redirect_to=permanent_to,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            content_type=headers.get("Content-Type"),
            not_modified=status == 304,
        )

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        limit = self._settings.max_response_bytes
        declared = response.content_length
        if declared is not None and declared > limit and not response.headers.get(
            "Content-Encoding"
        ):
            raise FetchError(FetchErrorKind.TOO_LARGE,
                             f"response of {declared} bytes exceeds the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                response.close()
                raise FetchError(FetchErrorKind.TOO_LARGE,
                                 f"response exceeds the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)
