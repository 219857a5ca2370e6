"""A local HTTPS server standing in for remote image hosts (tests must never reach the internet).

Its certificate is for `localhost` only; tests trust it through `ca_bundle` and allow loopback addresses, which
production never does.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

# The colour and size of the image the HTTPS server serves.
SERVED_COLOR = (12, 34, 56)
SERVED_SIZE = (120, 80)
# What the oversize endpoints send: more than the tests' limit, still tiny.
OVERSIZE_BYTES = 5000


def _png(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


# --- a local HTTPS server -------------------------------------------------------------------------------------


@dataclass
class HttpsServer:
    port: int
    ca_bundle: Path
    image: bytes  # a PNG of image_size filled with image_color
    image_size: tuple[int, int]
    image_color: tuple[int, int, int]
    # What the server saw, to check that pinning kept the real host name for TLS and HTTP.
    sni_names: list[str | None] = field(default_factory=list)
    host_headers: list[str | None] = field(default_factory=list)

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: a body without Content-Length simply ends when the connection closes.
    protocol_version = "HTTP/1.0"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep pytest's output clean

    def do_GET(self) -> None:
        self.server.state.host_headers.append(self.headers.get("Host"))
        route = _ROUTES.get(self.path)
        if route is None:
            self._send(404, b"not found", "text/plain")
        else:
            route(self)

    def _send(self, status: int, body: bytes, content_type: str, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _wait(self, seconds: float) -> bool:
        """Sleeps unless the server is shutting down; answers whether to go on."""
        return not self.server.stopping.wait(seconds)


def _image(handler: _Handler) -> None:
    handler._send(200, handler.server.state.image, "image/png")


def _oversize_declared(handler: _Handler) -> None:
    handler._send(200, b"\x00" * OVERSIZE_BYTES, "image/png")


def _oversize_undeclared(handler: _Handler) -> None:
    handler._send(200, b"\x00" * OVERSIZE_BYTES, "image/png", length=False)


def _slow_headers(handler: _Handler) -> None:
    if handler._wait(3):
        _image(handler)


def _drip(handler: _Handler) -> None:
    """Answers at once and keeps sending a byte every 0.1 s: each read is quick, the whole is slow."""
    handler.send_response(200)
    handler.send_header("Content-Length", "50")
    handler.end_headers()
    for _ in range(50):
        if not handler._wait(0.1):
            return
        handler.wfile.write(b"\x00")
        handler.wfile.flush()


def _gzip(handler: _Handler) -> None:
    body = zlib.compress(handler.server.state.image)
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


_ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/image.png": _image,
    "/oversize-declared": _oversize_declared,
    "/oversize-undeclared": _oversize_undeclared,
    "/slow-headers": _slow_headers,
    "/drip": _drip,
    "/gzip": _gzip,
    "/redirect-relative": lambda h: h._redirect("/image.png"),
    "/redirect-twice": lambda h: h._redirect("/redirect-relative"),
    "/redirect-loop": lambda h: h._redirect("/redirect-loop"),
    # The classic target of request forgery: a cloud metadata service.
    "/redirect-metadata": lambda h: h._redirect("https://169.254.169.254/latest/meta-data/"),
    "/redirect-loopback": lambda h: h._redirect("https://127.0.0.2/"),
    "/redirect-http": lambda h: h._redirect(f"http://localhost:{h.server.state.port}/image.png"),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    state: HttpsServer  # set right after binding, once the port is known

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context
        self.stopping = threading.Event()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the request's own thread, so a client that fails it (the tests check
        # certificate refusal) never stalls the accept loop.
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients that hang up early (size limits, timeouts) are part of the tests


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for the name `localhost` only (no IP address), so a URL by IP fails verification."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the fetch tests need the openssl command to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def serve_https(folder: Path) -> Iterator[HttpsServer]:
    """Serve the routes above over TLS on a free loopback port until the block ends."""
    cert, key = _self_signed_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _Server(context)
    state = HttpsServer(
        port=server.server_address[1],
        ca_bundle=cert,
        image=_png(SERVED_SIZE, SERVED_COLOR),
        image_size=SERVED_SIZE,
        image_color=SERVED_COLOR,
    )
    server.state = state
    context.sni_callback = lambda _sock, name, _ctx: state.sni_names.append(name)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
