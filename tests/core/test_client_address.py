"""Which address a request is counted under: the peer, or a forwarded address only through our own proxies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from core.client_address import TrustedProxiesError, client_address, parse_trusted_proxies
from core.settings import Settings


def scope(peer: str | None, *forwarded_for: str) -> dict[str, Any]:
    """An ASGI HTTP scope from `peer`, with one X-Forwarded-For header per value given."""
    headers = [(b"host", b"api.example")] + [(b"x-forwarded-for", value.encode("latin-1")) for value in forwarded_for]
    return {"type": "http", "client": (peer, 50123) if peer else None, "headers": headers}


def test_no_trusted_proxy_means_the_peer_whatever_the_header_says() -> None:
    assert client_address(scope("127.0.0.1", "203.0.113.9"), parse_trusted_proxies("")) == "127.0.0.1"
    assert client_address(scope("198.51.100.4", "203.0.113.9"), ()) == "198.51.100.4"


def test_an_untrusted_peer_is_itself_even_when_other_proxies_are_trusted() -> None:
    trusted = parse_trusted_proxies("10.0.0.1")
    assert client_address(scope("198.51.100.4", "203.0.113.9"), trusted) == "198.51.100.4"


def test_a_trusted_peer_gives_the_right_most_untrusted_forwarded_address() -> None:
    trusted = parse_trusted_proxies("10.0.0.1")
    # The left part is whatever the client claimed; the proxy appended the address it really saw.
    assert client_address(scope("10.0.0.1", "1.1.1.1, 203.0.113.9"), trusted) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    trusted = parse_trusted_proxies("10.0.0.1, 10.0.0.2, 10.0.0.3")
    forwarded = "6.6.6.6, 203.0.113.9, 10.0.0.3, 10.0.0.2"
    assert client_address(scope("10.0.0.1", forwarded), trusted) == "203.0.113.9"
    # Repeated headers count as one list, in order.
    assert client_address(scope("10.0.0.1", "6.6.6.6, 203.0.113.9", "10.0.0.3", "10.0.0.2"), trusted) == "203.0.113.9"
    # Nothing but our proxies: the farthest of them is the best we know.
    assert client_address(scope("10.0.0.1", "10.0.0.3, 10.0.0.2"), trusted) == "10.0.0.3"


def test_networks_in_cidr_notation_and_ipv6() -> None:
    trusted = parse_trusted_proxies("10.0.0.0/8, fd00::/8")
    assert client_address(scope("10.20.30.40", "203.0.113.9, 10.1.1.1"), trusted) == "203.0.113.9"
    assert client_address(scope("fd00::5", "2001:db8::7"), trusted) == "2001:db8::7"
    assert client_address(scope("11.0.0.1", "203.0.113.9"), trusted) == "11.0.0.1"
    # Ports and brackets, as some proxies write them, and an IPv4 peer seen through a dual-stack socket.
    assert client_address(scope("10.0.0.9", "[2001:db8::7]:4430"), trusted) == "2001:db8::7"
    assert client_address(scope("10.0.0.9", "203.0.113.9:5555"), trusted) == "203.0.113.9"
    assert client_address(scope("::ffff:10.0.0.9", "203.0.113.9"), trusted) == "203.0.113.9"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "garbage",
        "unknown",
        "999.1.1.1",
        "203.0.113.9, not-an-ip",
        ",,,",
        "\x00\xff",
        "[::1",
        "[::1]x",
        "1.2.3.4:",
        "1.2.3.4:123456",
        "1.2.3.4:x:y",
    ],
)
def test_a_malformed_header_from_a_trusted_peer_falls_back_to_the_peer(header: str) -> None:
    trusted = parse_trusted_proxies("127.0.0.1")
    assert client_address(scope("127.0.0.1", header), trusted) == "127.0.0.1"


def test_garbage_is_never_walked_past_to_an_address_the_client_wrote() -> None:
    trusted = parse_trusted_proxies("10.0.0.1, 10.0.0.2")
    # 10.0.0.2 forwarded something unreadable: the client's own 6.6.6.6 further left must not be believed.
    assert client_address(scope("10.0.0.1", "6.6.6.6, bogus, 10.0.0.2"), trusted) == "10.0.0.2"


def test_a_request_and_a_peerless_scope() -> None:
    request = Request(scope("10.0.0.1", "203.0.113.9"))
    assert client_address(request, parse_trusted_proxies("10.0.0.1")) == "203.0.113.9"
    assert client_address(scope(None, "203.0.113.9"), parse_trusted_proxies("10.0.0.1")) == "unknown"


def test_forwarded_allow_ips_is_checked_when_settings_load() -> None:
    assert Settings(forwarded_allow_ips="10.0.0.0/8, 192.0.2.7 ,::1").trusted_proxies == parse_trusted_proxies(
        "10.0.0.0/8,192.0.2.7,::1"
    )
    assert Settings.model_fields["forwarded_allow_ips"].default == ""  # trust no proxy unless told
    assert Settings(forwarded_allow_ips="").trusted_proxies == ()
    with pytest.raises(ValidationError, match=re.escape("not an IP address or network: 'proxy.example'")):
        Settings(forwarded_allow_ips="10.0.0.1, proxy.example")
    with pytest.raises(TrustedProxiesError):
        parse_trusted_proxies("10.0.0.1/33")
