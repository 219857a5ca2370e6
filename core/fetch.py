"""Download an image from an https URL on the public internet without letting the URL reach inside our network.

Server-side request forgery is the danger: a URL (or a redirect, or a DNS answer that changes between our check
and our connection) pointing at loopback, a private network or a cloud metadata address. So every hop is
resolved once, every resolved address is vetted, and the connection goes to the vetted address itself, while TLS
(SNI and certificate check) and the Host header still use the real host name.

Compose with storage: `staged = await storage.stage(fetch_image_url(url, ...), max_bytes=...)`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import certifi
import httpx

from core.storage import CHUNK_SIZE, TooLargeError

MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "studio-media-fetch/1"
# NAT64 gateways translate these IPv6 addresses to the IPv4 address in their last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """A URL could not be fetched; `message` is meant for the person who gave the URL."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BlockedAddressError(FetchError):
    """The host is, or resolves to, an address that is not on the public internet."""


class FetchTimeoutError(FetchError):
    pass


class FetchStatusError(FetchError):
    def __init__(self, status: int) -> None:
        super().__init__(f"the image URL answered HTTP {status}")
        self.status = status


class FetchTooLargeError(FetchError, TooLargeError):
    """Also a `TooLargeError`, so one handler covers uploads and downloads over the limit."""

    def __init__(self, max_bytes: int) -> None:
        # Not FetchError.__init__: its super() call would reach TooLargeError with a message for a size.
        TooLargeError.__init__(self, max_bytes)


def is_public_address(address: IPAddress) -> bool:
    """Whether `address` is a unicast address on the public internet (not loopback, private, link-local,
    multicast, reserved, unspecified, shared or documentation space), looking through IPv6 forms that embed an
    IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
        if address.is_site_local:
            return False
    # is_global alone is not enough: Python counts multicast as global.
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class _AddressPolicy:
    allow_private: bool
    allowed_networks: tuple[IPNetwork, ...]

    def allows(self, address: IPAddress) -> bool:
        if self.allow_private or is_public_address(address):
            return True
        # Membership across IP versions is simply False.
        return any(address in network for network in self.allowed_networks)


class _Deadline:
    """One time budget for the whole fetch: DNS, connections, redirects and every read of the body."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.at = asyncio.get_running_loop().time() + timeout

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Wraps each await, never a `yield` to the consumer: a timeout scope left open across a yield would
        cancel whatever the consumer happens to be awaiting."""
        try:
            async with asyncio.timeout_at(self.at):
                yield
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchTimeoutError(f"the image URL did not answer completely within {self.timeout:g} seconds") from exc


@lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    # Reading a CA file is blocking I/O, so it happens once per bundle; contexts are safe to share.
    return ssl.create_default_context(cafile=ca_bundle or certifi.where())


def _parse(url: str, *, redirected: bool = False) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError("invalid image URL") from exc
    if parsed.scheme != "https":
        if redirected:
            raise FetchError("the image URL redirected to a URL that is not https")
        raise FetchError("only https URLs are accepted")
    if not parsed.raw_host:
        raise FetchError("invalid image URL: it has no host")
    if parsed.userinfo:
        raise FetchError("image URLs with a user name or password are not accepted")
    return parsed


async def _resolve(url: httpx.URL, policy: _AddressPolicy, deadline: _Deadline) -> list[str]:
    """Every address the host has, all vetted; refuses the host if any of them is not allowed, since the one
    we would connect to is not ours to choose if a later attempt falls back to another."""
    host = url.raw_host.decode("ascii")
    port = url.port or 443
    try:
        found: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            async with deadline.guard():
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                )
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"could not resolve the host name {url.host}") from exc
        found = []
        for info in infos:
            # IPv6 link-local answers carry a scope ("fe80::1%eth0"); the address is what is vetted.
            address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
            if address not in found:
                found.append(address)
    if not found:
        raise FetchError(f"could not resolve the host name {url.host}")
    if not all(policy.allows(address) for address in found):
        # No address in the message: it would let a caller map our internal DNS.
        raise BlockedAddressError(f"{url.host} is not on the public internet; only public addresses can be fetched")
    return [str(address) for address in found]


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


async def _connect(
    client: httpx.AsyncClient, url: httpx.URL, addresses: list[str], deadline: _Deadline
) -> httpx.Response:
    """Send the request to the first vetted address that accepts a connection."""
    host = url.raw_host.decode("ascii")
    last_error: Exception | None = None
    for address in addresses:
        request = client.build_request(
            "GET",
            url.copy_with(host=address),
            headers={
                # netloc is the ASCII host plus any non-default port: what the server expects to see.
                "Host": url.netloc.decode("ascii"),
                "Accept": "image/*",
                # Compressed bodies could inflate far past what we count; images are compressed already.
                "Accept-Encoding": "identity",
                "User-Agent": _USER_AGENT,
            },
            # The certificate is checked against this name, not against the address we connect to.
            extensions={"sni_hostname": host},
        )
        try:
            async with deadline.guard():
                return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            if _is_tls_error(exc):
                raise FetchError(f"the TLS certificate of {url.host} could not be verified") from exc
            last_error = exc
        except httpx.HTTPError as exc:
            raise FetchError(f"the connection to {url.host} failed") from exc
    raise FetchError(f"could not connect to {url.host}") from last_error


async def _body(response: httpx.Response, max_bytes: int, deadline: _Deadline) -> AsyncIterator[bytes]:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLargeError(max_bytes)
    if response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        raise FetchError("the image URL answered with a compressed body, which is not accepted")
    chunks = response.aiter_raw(CHUNK_SIZE)
    received = 0
    try:
        while True:
            try:
                async with deadline.guard():
                    chunk = await anext(chunks, None)
            except httpx.HTTPError as exc:
                raise FetchError("the connection broke while downloading the image") from exc
            if chunk is None:
                return
            received += len(chunk)
            if received > max_bytes:
                raise FetchTooLargeError(max_bytes)
            yield chunk
    finally:
        # Ends httpx's generator now rather than whenever the event loop gets to finalising it.
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def _next_hop(url: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"the image URL answered HTTP {response.status_code} without a Location")
    try:
        # Relative locations resolve against the real URL, not the address we connected to.
        target = url.join(location)
    except httpx.InvalidURL as exc:
        raise FetchError("the image URL redirected to an invalid URL") from exc
    return _parse(str(target), redirected=True)


async def fetch_image_url(
    url: str,
    *,
    max_bytes: int,
    # A parameter rather than a caller's asyncio.timeout: the budget must also stop DNS and the body reads
    # inside this generator, and it turns into a FetchError users can read.
    timeout: float,  # noqa: ASYNC109
    allow_private: bool = False,
    ca_bundle: Path | None = None,
    allowed_networks: Iterable[IPNetwork] = (),
) -> AsyncIterator[bytes]:
    """Stream the body of `url` in chunks, or raise a `FetchError` subclass with a readable message.

    Only https; up to `MAX_REDIRECTS` redirects, each target vetted like the first; `timeout` seconds for
    everything together; more than `max_bytes` (declared or received) raises `FetchTooLargeError`.
    `allow_private` lifts the address rule (tests against local servers); `allowed_networks` lifts it only for
    the networks listed (an internal image host); `ca_bundle` replaces the default trusted CAs.
    Nothing happens until iteration starts.
    """
    deadline = _Deadline(timeout)
    policy = _AddressPolicy(allow_private=allow_private, allowed_networks=tuple(allowed_networks))
    ssl_context = _ssl_context(str(ca_bundle) if ca_bundle is not None else None)
    target = _parse(url)
    for _ in range(MAX_REDIRECTS + 1):
        addresses = await _resolve(target, policy, deadline)
        # A fresh client per hop: a pooled connection verified for one host name must never carry a request
        # for another host that happens to share its address.
        async with httpx.AsyncClient(
            verify=ssl_context,
            trust_env=False,  # a proxy from the environment would connect wherever it likes
            follow_redirects=False,
            timeout=timeout,
        ) as client:
            response = await _connect(client, target, addresses, deadline)
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    target = _next_hop(target, response)
                    continue
                if not 200 <= response.status_code < 300:
                    raise FetchStatusError(response.status_code)
                async for chunk in _body(response, max_bytes, deadline):
                    yield chunk
                return
            finally:
                await response.aclose()
    raise FetchError(f"the image URL redirected more than {MAX_REDIRECTS} times")
