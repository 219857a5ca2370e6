"""The worker's metrics endpoint: `http://HOST:WORKER_METRICS_PORT/metrics` (README, "Operating it").

Served from a thread, outside the worker's event loop: a scrape never waits for a job's turn of the loop, and the
queue depth is read at scrape time with a blocking Redis call there. One port per worker process: several
workers on one machine each need their own WORKER_METRICS_PORT (or 0, no endpoint); a worker that finds its port
taken says so and runs on without one, rather than failing to start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector
from redis import Redis

from core.metrics import PoolCollector, process_registry, token_accepted
from core.settings import Settings
from jobs.observed import PROCESS_METRICS
from services.queue import queue_name
from services.resources import Resources

logger = logging.getLogger("jobs.metrics_server")

# A scrape reading the queue while Redis is away gives up after this long, without the gauge.
REDIS_TIMEOUT_SECONDS = 1.0

WSGIEnvironment = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]


class QueueDepth(Collector):
    """Jobs waiting in arq's queue (a sorted set in Redis; deferred retries included), read at scrape time."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url
        self.redis = Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self.queue = queue_name(settings)

    def collect(self) -> Iterable[Metric]:
        try:
            depth = int(self.redis.zcard(self.queue))  # type: ignore[arg-type]  # redis-py types sync and async as one
        except Exception as error:  # Redis away: this scrape goes without the gauge, and says why once
            logger.warning("Queue depth unavailable: %s", type(error).__name__)
            return
        yield GaugeMetricFamily("jobs_queue_depth", "Jobs waiting in the queue, deferred retries included", depth)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a line each."""


def _guarded(app: WSGIApp, settings: Settings) -> WSGIApp:
    """`app`, answering 401 unless the request carries METRICS_TOKEN (when one is set)."""

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if token_accepted(environ.get("HTTP_AUTHORIZATION"), settings.metrics_token):
            return app(environ, start_response)
        body = b'{"detail":"Metrics need Authorization: Bearer <METRICS_TOKEN>"}'
        headers = [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")]
        start_response("401 Unauthorized", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return guarded


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(settings: Settings, resources: Resources) -> MetricsServer | None:
    """Start the endpoint (None when WORKER_METRICS_PORT is 0 or taken)."""
    port = settings.worker_metrics_port
    if port == 0:
        return None
    registry = process_registry(*PROCESS_METRICS, PoolCollector(lambda: resources.engine.pool), QueueDepth(settings))
    app = _guarded(make_wsgi_app(registry), settings)
    try:
        server = make_server(settings.host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
    except OSError as error:
        logger.warning(
            "Worker metrics not served: %s:%d is unavailable (%s). Give each worker process on a machine its own "
            "WORKER_METRICS_PORT, or 0 for none",
            settings.host,
            port,
            error.strerror or error,
        )
        return None
    thread = threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True)
    thread.start()
    logger.info("Worker metrics at http://%s:%d/metrics", settings.host, server.server_port)
    return MetricsServer(server, thread)
