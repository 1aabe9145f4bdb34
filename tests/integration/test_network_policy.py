"""Feeds can't reach inside: non-public addresses are refused for feeds, redirects and pages.

Every refusal here happens before a connection is made. As a guard rail, the module refuses
any outgoing connection to a non-loopback address outright, so a regression fails the test
instead of sending a packet to a private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.config import IngestionSettings
from bot.ingest.fetch import FeedFetcher, FetchError, FetchErrorKind
from bot.ingest.network_policy import PublicOnlyResolver, is_public_address
from tests.support.feedserver import FeedServer

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"

NON_PUBLIC = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254",
    "192.168.0.1", "192.168.255.254", "169.254.169.254", "0.0.0.0",  # noqa: S104 -- data
    "100.64.0.1",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
    "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001:0:a00:1::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1"]
URL_LITERALS = [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "[::1]",
    "[fc00::1]", "[fd00::1]", "[fe80::1]", "[::ffff:192.168.0.1]",
    "0.0.0.0",  # noqa: S104 -- a URL host to refuse, not a bind address
]


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail, rather than connect, if anything here tries a non-loopback address."""
    original = asyncio.BaseEventLoop.create_connection

    async def guarded(self: asyncio.BaseEventLoop, *args: Any, **kwargs: Any) -> Any:
        host = kwargs.get("host", args[1] if len(args) > 1 else None)
        if host is not None and not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"the test tried to connect to {host}")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", guarded)


class StaticDns(AbstractResolver):
    """A DNS stand-in: fixed answers per host name (no network)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Answer from the table, like getaddrinfo would."""
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        return [
            ResolveResult(hostname=host, host=address, port=port,
                          family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST)
            for address in self.table[host]
        ]

    async def close(self) -> None:
        """Nothing to release."""


def settings(*, allow: bool) -> IngestionSettings:
    """Ingestion settings with quick timeouts and the policy on or off."""
    return IngestionSettings(connect_timeout=2.0, read_timeout=1.0, max_redirects=3,
                             allow_private_networks=allow)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    """A running local feed server (on 127.0.0.1)."""
    async with FeedServer() as feed_server:
        yield feed_server


async def refused(fetcher: FeedFetcher, url: str, *, page: bool = False) -> FetchError:
    """Fetch ``url`` and return the FetchError, which must be a blocked-address refusal."""
    with pytest.raises(FetchError) as caught:
        await (fetcher.fetch_page(url) if page else fetcher.fetch_feed(url))
    assert caught.value.kind is FetchErrorKind.BLOCKED_ADDRESS, caught.value
    assert "allow_private_networks" in caught.value.message
    return caught.value


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_recognised(address: str) -> None:
    """Loopback, private, link-local, multicast, reserved and embedded-private are refused."""
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    """Ordinary global unicast addresses pass."""
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", URL_LITERALS)
async def test_ip_literal_urls_are_refused_for_feeds_and_pages(host: str) -> None:
    """An IP literal of each non-public range is refused before any connection."""
    async with FeedFetcher(settings(allow=False)) as fetcher:
        error = await refused(fetcher, f"http://{host}:8080/feed.xml")
        assert "non-public address" in error.message
        await refused(fetcher, f"https://{host}/article", page=True)


async def test_loopback_feed_is_refused_and_allowed_only_with_the_setting(
    server: FeedServer,
) -> None:
    """The same loopback feed: refused by default, fetched with allow_private_networks."""
    server.route("/feed.xml", FEED)
    async with FeedFetcher(settings(allow=False)) as fetcher:
        await refused(fetcher, server.url("/feed.xml"))
    assert server.requests("/feed.xml") == 0
    async with FeedFetcher(settings(allow=True)) as fetcher:
        result = await fetcher.fetch_feed(server.url("/feed.xml"))
    assert result.body == FEED


@pytest.mark.parametrize("target", [t for t in URL_LITERALS if t != "127.0.0.1"])
async def test_a_redirect_to_a_non_public_address_is_refused(
    server: FeedServer, target: str
) -> None:
    """A permitted feed that redirects inside is refused at the redirect, before following it.

    The test server's own address is let through with ``allowed_networks`` (as a newsroom
    would for its LAN feed server); every other non-public address stays refused.
    """
    server.route("/feed.xml", redirect_to=f"http://{target}/admin/memo", status=302)
    server.route("/ok.xml", FEED)
    lan_only = IngestionSettings(connect_timeout=2.0, read_timeout=1.0,
                                 allowed_networks=("127.0.0.1/32",))
    async with FeedFetcher(lan_only) as fetcher:
        assert (await fetcher.fetch_feed(server.url("/ok.xml"))).body == FEED
        error = await refused(fetcher, server.url("/feed.xml"))
    assert "non-public address" in error.message
    assert server.requests("/feed.xml") == 1


def test_allowed_networks_must_be_cidr() -> None:
    """A malformed allowed_networks entry is a config error naming the value."""
    with pytest.raises(ValueError, match="not a network in CIDR form"):
        IngestionSettings(allowed_networks=("intranet",))


async def test_a_host_name_that_resolves_inside_is_refused(server: FeedServer) -> None:
    """A name whose DNS answer is private or loopback is refused, with the name and address."""
    server.route("/feed.xml", FEED)
    port = server.url("/").split(":")[2].split("/")[0]
    dns = StaticDns({"intranet.example": ["10.1.2.3"], "sneaky.example": ["127.0.0.1"],
                     "v6.example": ["fd00::5"]})
    async with FeedFetcher(settings(allow=False), dns=dns) as fetcher:
        for host, address in (("intranet.example", "10.1.2.3"),
                              ("sneaky.example", "127.0.0.1"), ("v6.example", "fd00::5")):
            error = await refused(fetcher, f"http://{host}:{port}/feed.xml")
            assert f"{host} resolves to the non-public address {address}" in error.message
    assert server.requests("/feed.xml") == 0
    async with FeedFetcher(settings(allow=True), dns=dns) as fetcher:
        result = await fetcher.fetch_feed(f"http://sneaky.example:{port}/feed.xml")
    assert result.body == FEED


async def test_mixed_answers_keep_only_public_addresses() -> None:
    """A DNS answer mixing public and private addresses connects only to the public ones."""
    resolver = PublicOnlyResolver(StaticDns({"mixed.example": ["10.0.0.7", "93.184.216.34",
                                                               "::1"]}))
    answer = await resolver.resolve("mixed.example", 443)
    assert [r["host"] for r in answer] == ["93.184.216.34"]
    await resolver.close()


async def test_localhost_by_name_is_refused(server: FeedServer) -> None:
    """'localhost' (the system resolver's own answer) is refused like its address."""
    server.route("/feed.xml", FEED)
    async with FeedFetcher(settings(allow=False)) as fetcher:
        await refused(fetcher, server.url("/feed.xml").replace("127.0.0.1", "localhost"))
    assert server.requests("/feed.xml") == 0
