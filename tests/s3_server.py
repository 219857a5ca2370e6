"""A real S3 protocol server on 127.0.0.1 for the storage tests: moto in server mode, as its own process.

Only what leaves the machine may be stood in for (the developers' guide): in production the bucket is another
service, so the tests talk to one over HTTP with the same client the code uses, not to an in-process mock. moto
accepts any credentials; each test session (or test) takes a bucket of its own.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import obstore
from obstore.store import S3Store

from core.embedded import free_port
from tests.server_process import stopped_at_exit, wait_until_ready

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCESS_KEY_ID = "test-access-key"
SECRET_ACCESS_KEY = "test-secret-key"
_START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class S3Server:
    """Where the server answers, and how to reach one bucket on it."""

    endpoint_url: str

    def create_bucket(self, name: str | None = None) -> str:
        """A new empty bucket (a unique name unless one is given); answers its name."""
        bucket = name or f"studio-test-{uuid.uuid4().hex[:12]}"
        # moto takes an unsigned CreateBucket; a real store would need the signed request a client library makes.
        response = httpx.put(f"{self.endpoint_url}/{bucket}", timeout=10)
        response.raise_for_status()
        return bucket

    def keys(self, bucket: str) -> list[str]:
        """Every key in `bucket`, sorted: what an operator listing the bucket sees (its own client, no prefix)."""
        store = S3Store(
            bucket,
            config={
                "endpoint": self.endpoint_url,
                "region": REGION,
                "access_key_id": ACCESS_KEY_ID,
                "secret_access_key": SECRET_ACCESS_KEY,
            },
            client_options={"allow_http": True},
        )
        return sorted(meta["path"] for batch in obstore.list(store) for meta in batch)

    def environment(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The settings a process needs to keep its files in `bucket` (under `prefix`) on this server."""
        return {
            "STORAGE_URL": f"s3://{bucket}/{prefix}".rstrip("/"),
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }


@contextmanager
def serve_s3() -> Iterator[S3Server]:
    """Start moto's server on a free loopback port, wait until it answers, stop it on exit."""
    port = free_port(HOST)
    # moto_server is the console script of the moto[server] dev dependency, beside this Python.
    command = [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", HOST, "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - fixed arguments
    server = S3Server(endpoint_url=f"http://{HOST}:{port}")
    with stopped_at_exit(process):
        wait_until_ready(process, functools.partial(_answers, server), "moto_server", _START_TIMEOUT_SECONDS)
        yield server


def _answers(server: S3Server) -> bool:
    try:
        # ListBuckets: any HTTP answer means the server is up.
        httpx.get(server.endpoint_url, timeout=1)
    except httpx.TransportError:
        return False
    return True
