"""Which addresses the bot may fetch from: public ones only, unless the operator allows more.

A feed, a redirect or an article link is text from the outside world; without this policy a
feed could make the bot fetch ``http://127.0.0.1:…/admin`` or a cloud metadata address and
push what it read to readers. Two checks close that:

* an IP literal in the URL is checked before any request (aiohttp does not resolve those);
* a host name is resolved by :class:`PublicOnlyResolver`, which drops every non-public address
  from the answer, so the connection can only go to an address that was checked — there is no
  second lookup an attacker's DNS could answer differently (DNS rebinding).

``ingestion.allowed_networks`` lets chosen ranges through (a newsroom's own feed server on
its LAN); ``ingestion.allow_private_networks = true`` turns the policy off (the emulator, the
demo and the tests fetch from loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

if TYPE_CHECKING:
    IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
    IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges Python's ipaddress flags do not all cover: shared address space (carrier-grade NAT),
# benchmarking and IETF protocol ranges, and the IPv6 prefixes that carry an IPv4 address
# inside (NAT64, 6to4, Teredo), which could lead back to a private one.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b::/96",
                "64:ff9b:1::/48", "2002::/16", "2001::/32")
)


class BlockedAddressError(OSError):
    """A fetch went to an address the network policy refuses."""

    def __init__(self, host: str, address: str) -> None:
        where = (f"{address} is a non-public address" if host.strip("[]") == address
                 else f"{host} resolves to the non-public address {address}")
        super().__init__(f"{where}; refused (ingestion.allow_private_networks = true allows it)")
        self.host = host
        self.address = address


def is_public_address(address: IPAddress) -> bool:
    """True when ``address`` is a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address.scope_id:
            return False
    if (address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or not address.is_global):
        return False
    return not any(address in network for network in _EXTRA_BLOCKED
                   if network.version == address.version)


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, or None for a host name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the operator's ``allowed_networks``."""

    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, networks: Iterable[str]) -> AddressPolicy:
        """Build from ``ingestion.allowed_networks`` (validated CIDR strings)."""
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, address: IPAddress) -> bool:
        """True when the bot may connect to ``address``."""
        if any(address in network for network in self.allowed_networks
               if network.version == address.version):
            return True
        return is_public_address(address)

    def check_host(self, host: str) -> None:
        """Refuse an IP-literal host the policy does not permit (names: on resolution)."""
        address = literal_address(host)
        if address is not None and not self.permits(address):
            raise BlockedAddressError(host, str(address))


class PublicOnlyResolver(AbstractResolver):
    """Resolves with aiohttp's default resolver and keeps only permitted addresses."""

    def __init__(
        self, inner: AbstractResolver | None = None, policy: AddressPolicy | None = None
    ) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._policy = policy if policy is not None else AddressPolicy()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host``; raise BlockedAddressError when no public address is left."""
        results = await self._inner.resolve(host, port, family)
        allowed = []
        for result in results:
            address = literal_address(result["host"])
            if address is not None and self._policy.permits(address):
                allowed.append(result)
        if not allowed:
            raise BlockedAddressError(host, results[0]["host"] if results else "?")
        return allowed

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self._inner.close()
