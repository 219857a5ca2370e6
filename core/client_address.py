"""The address of the client a request comes from, as far as it can be trusted.

The direct peer of the socket is the only address nobody can forge. `X-Forwarded-For` is written by whoever
sends the request, so it is read only when the peer is one of our own proxies (`FORWARDED_ALLOW_IPS`), and then
from the right: each trusted proxy appends the address it received the request from, so the right-most address
that is not one of our proxies is the client the outermost proxy saw. Everything left of it is the client's own
say and is never used. Login limits and anonymous budgets are keyed on this address, so an attacker must not be
able to pick it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeAlias

from starlette.requests import HTTPConnection

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedProxies: TypeAlias = Sequence[IPNetwork]

UNKNOWN = "unknown"
_FORWARDED_FOR = b"x-forwarded-for"
# `[2001:db8::1]:5678` (the port optional) and `192.0.2.1:5678`; anything else must be a bare address.
_BRACKETED = re.compile(r"\[([^\]]*)\](?::[0-9]{1,5})?")
_WITH_PORT = re.compile(r"([^:\[]*):[0-9]{1,5}")


class TrustedProxiesError(ValueError):
    """`FORWARDED_ALLOW_IPS` holds something that is neither an IP address nor a network."""


@lru_cache(maxsize=16)
def parse_trusted_proxies(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated IP addresses and CIDR networks (`10.0.0.0/8, 192.0.2.7, ::1`); empty trusts no proxy."""
    networks: list[IPNetwork] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise TrustedProxiesError(f"not an IP address or network: {item!r}") from exc
    return tuple(networks)


def client_address(connection: HTTPConnection | Mapping[str, Any], trusted: TrustedProxies) -> str:
    """The client's address for a request or websocket (or its ASGI scope).

    The peer itself unless it is a trusted proxy; then the right-most address of `X-Forwarded-For` that is not a
    trusted proxy. A malformed entry ends the walk at the last address known good, so garbage never wins and
    never raises. `unknown` when the server knows no peer (a unix socket)."""
    scope = connection.scope if isinstance(connection, HTTPConnection) else connection
    peer = _peer(scope)
    if peer is None:
        return UNKNOWN
    if not trusted or not _is_trusted(peer, trusted):
        return str(peer)
    current = peer
    for entry in reversed(_forwarded_for(scope.get("headers") or ())):
        hop = _parse_address(entry)
        if hop is None:
            break
        current = hop
        if not _is_trusted(hop, trusted):
            break
    return str(current)


def _peer(scope: Mapping[str, Any]) -> IPAddress | None:
    client = scope.get("client")
    if not client:
        return None
    try:
        return ipaddress.ip_address(client[0])
    except ValueError:
        return None


def _forwarded_for(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """Every entry of every `X-Forwarded-For` header, in order (repeated headers read as one joined by commas)."""
    entries: list[str] = []
    for name, value in headers:
        if name.lower() == _FORWARDED_FOR:
            entries.extend(value.decode("latin-1").split(","))
    return entries


def _parse_address(entry: str) -> IPAddress | None:
    """An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `192.0.2.1:5678` or `[2001:db8::1]:5678`."""
    text = entry.strip()
    if match := _BRACKETED.fullmatch(text) or _WITH_PORT.fullmatch(text):
        text = match[1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: IPAddress, trusted: TrustedProxies) -> bool:
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; they match the IPv4 networks they belong to.
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return any(address in network or (mapped is not None and mapped in network) for network in trusted)
