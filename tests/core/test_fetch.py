"""Fetching images over https from a real local HTTPS server (self-signed certificate for `localhost`)."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import pytest

from core.fetch import (
    BlockedAddressError,
    FetchError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    fetch_image_url,
    is_public_address,
)
from core.images import inspect_image
from core.storage import TooLargeError
from core.storage_local import LocalStorage
from tests.remote_images import OVERSIZE_BYTES, HttpsServer

LIMIT = 1000  # bytes; the served image is smaller, the oversize answers are larger
TIMEOUT = 0.5  # seconds
LOOPBACK_ONLY = [ipaddress.ip_network("127.0.0.1/32")]


async def fetch(url: str, server: HttpsServer, **options: object) -> bytes:
    """Everything the URL yields, with the test server's CA trusted and local addresses allowed by default."""
    arguments: dict[str, object] = {
        "max_bytes": LIMIT,
        "timeout": TIMEOUT,
        "allow_private": True,
        "ca_bundle": server.ca_bundle,
    }
    arguments.update(options)
    chunks = [chunk async for chunk in fetch_image_url(url, **arguments)]  # type: ignore[arg-type]
    return b"".join(chunks)


async def test_fetches_an_image_with_the_real_host_name_for_tls_and_http(https_server: HttpsServer) -> None:
    https_server.sni_names.clear()
    https_server.host_headers.clear()

    body = await fetch(https_server.url("/image.png"), https_server)

    assert body == https_server.image
    # The connection went to a pinned address, yet the server saw the name in TLS and in the Host header.
    assert https_server.sni_names == ["localhost"]
    assert https_server.host_headers == [f"localhost:{https_server.port}"]


async def test_a_fetched_image_stages_inspects_and_commits(https_server: HttpsServer, storage: LocalStorage) -> None:
    staged = await storage.stage(
        fetch_image_url(
            https_server.url("/image.png"),
            max_bytes=LIMIT,
            timeout=TIMEOUT,
            allow_private=True,
            ca_bundle=https_server.ca_bundle,
        ),
        max_bytes=LIMIT,
    )
    info = await asyncio.to_thread(inspect_image, staged.path, max_pixels=1_000_000)
    key = await storage.commit(staged, extension=info.extension)

    assert (info.format, info.width, info.height) == ("PNG", *https_server.image_size)
    assert info.dominant_color == "#{:02x}{:02x}{:02x}".format(*https_server.image_color)
    assert storage.path_for(key).read_bytes() == https_server.image
    assert list(storage.tmp_dir.iterdir()) == []


async def test_loopback_is_refused_unless_private_addresses_are_allowed(https_server: HttpsServer) -> None:
    with pytest.raises(BlockedAddressError) as refused:
        await fetch(https_server.url("/image.png"), https_server, allow_private=False)

    assert refused.value.message == "localhost is not on the public internet; only public addresses can be fetched"
    assert "127.0.0.1" not in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/a.png",
        "https://[::1]/a.png",
        "https://[::ffff:127.0.0.1]/a.png",
        "https://10.0.0.8/a.png",
        "https://192.168.1.1/a.png",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/a.png",
        "https://[fe80::1]/a.png",
    ],
)
async def test_private_address_literals_are_refused_before_connecting(url: str, https_server: HttpsServer) -> None:
    started = time.monotonic()
    with pytest.raises(BlockedAddressError):
        await fetch(url, https_server, allow_private=False)
    assert time.monotonic() - started < 0.2


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, nothing binds to it
        ("224.0.0.1", False),  # multicast, which Python calls global
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),  # documentation
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("::127.0.0.1", False),  # IPv4-compatible, deprecated
    ],
)
def test_public_address_rules(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_only_https_urls_are_accepted(https_server: HttpsServer) -> None:
    for url in (f"http://localhost:{https_server.port}/image.png", "ftp://example.com/a.png", "/image.png"):
        with pytest.raises(FetchError) as refused:
            await fetch(url, https_server)
        assert refused.value.message == "only https URLs are accepted"


async def test_urls_with_credentials_are_refused(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError, match="user name or password"):
        await fetch(https_server.url("/image.png", host="user:secret@localhost"), https_server)


async def test_the_certificate_is_verified(https_server: HttpsServer) -> None:
    # Without the test CA the self-signed certificate is not trusted.
    with pytest.raises(FetchError) as untrusted:
        await fetch(https_server.url("/image.png"), https_server, ca_bundle=None)
    assert untrusted.value.message == "the TLS certificate of localhost could not be verified"

    # The certificate names localhost only, so the same server reached by address fails the name check.
    with pytest.raises(FetchError) as wrong_name:
        await fetch(https_server.url("/image.png", host="127.0.0.1"), https_server)
    assert wrong_name.value.message == "the TLS certificate of 127.0.0.1 could not be verified"


async def test_relative_redirects_are_followed(https_server: HttpsServer) -> None:
    assert await fetch(https_server.url("/redirect-twice"), https_server) == https_server.image


async def test_too_many_redirects(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch(https_server.url("/redirect-loop"), https_server)
    assert refused.value.message == "the image URL redirected more than 3 times"


async def test_a_redirect_to_a_private_address_is_refused(https_server: HttpsServer) -> None:
    # Only the test server's own address is allowed: the redirect target is vetted on its own.
    for path in ("/redirect-metadata", "/redirect-loopback"):
        with pytest.raises(BlockedAddressError):
            await fetch(
                https_server.url(path, host="localhost"),
                https_server,
                allow_private=False,
                allowed_networks=LOOPBACK_ONLY,
            )
    # The same allowance does fetch the image itself, so the refusal above came from the redirect.
    body = await fetch(
        https_server.url("/image.png"), https_server, allow_private=False, allowed_networks=LOOPBACK_ONLY
    )
    assert body == https_server.image


async def test_a_redirect_to_http_is_refused(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch(https_server.url("/redirect-http"), https_server)
    assert refused.value.message == "the image URL redirected to a URL that is not https"


async def test_an_error_status_is_reported(https_server: HttpsServer) -> None:
    with pytest.raises(FetchStatusError) as missing:
        await fetch(https_server.url("/missing.png"), https_server)
    assert missing.value.status == 404
    assert missing.value.message == "the image URL answered HTTP 404"


@pytest.mark.parametrize("path", ["/oversize-declared", "/oversize-undeclared"])
async def test_bodies_over_the_limit_are_refused(path: str, https_server: HttpsServer) -> None:
    received: list[bytes] = []
    with pytest.raises(FetchTooLargeError) as refused:
        async for chunk in fetch_image_url(
            https_server.url(path),
            max_bytes=LIMIT,
            timeout=TIMEOUT,
            allow_private=True,
            ca_bundle=https_server.ca_bundle,
        ):
            received.append(chunk)

    assert isinstance(refused.value, TooLargeError)
    assert refused.value.message == "file is too large (the limit is 1000 bytes)"
    assert sum(map(len, received)) <= LIMIT < OVERSIZE_BYTES


async def test_an_oversize_download_leaves_nothing_in_storage(https_server: HttpsServer, storage: LocalStorage) -> None:
    with pytest.raises(TooLargeError):
        await storage.stage(
            fetch_image_url(
                https_server.url("/oversize-undeclared"),
                max_bytes=10 * LIMIT,
                timeout=TIMEOUT,
                allow_private=True,
                ca_bundle=https_server.ca_bundle,
            ),
            max_bytes=LIMIT,
        )
    assert list(storage.tmp_dir.iterdir()) == []


@pytest.mark.parametrize("path", ["/slow-headers", "/drip"])
async def test_the_whole_fetch_has_one_time_limit(path: str, https_server: HttpsServer) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError) as slow:
        await fetch(https_server.url(path), https_server)
    elapsed = time.monotonic() - started

    assert slow.value.message == "the image URL did not answer completely within 0.5 seconds"
    # The drip answers every 0.1 s, so only a budget for the whole body stops it near 0.5 s.
    assert TIMEOUT <= elapsed < TIMEOUT + 0.4


async def test_compressed_bodies_are_refused(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch(https_server.url("/gzip"), https_server)
    assert refused.value.message == "the image URL answered with a compressed body, which is not accepted"


async def test_an_unresolvable_host_is_reported(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError) as unknown:
        # .invalid never resolves (RFC 6761); a longer budget so a slow resolver still answers in time.
        await fetch("https://no-such-host.invalid/a.png", https_server, timeout=3)
    assert unknown.value.message == "could not resolve the host name no-such-host.invalid"


async def test_a_closed_port_is_reported(https_server: HttpsServer) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch("https://localhost:1/a.png", https_server)
    assert refused.value.message == "could not connect to localhost"
