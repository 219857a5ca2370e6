"""Process settings, read from the environment (or a `.env` file), never from code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.client_address import IPNetwork, parse_trusted_proxies
from core.storage_location import FolderLocation, StorageLocation, parse_storage_url

# Development-only signing key: refused outside development so a deployment can never run with it.
_DEVELOPMENT_SECRET = "development-only-secret-key-change-me"  # noqa: S105
_MIN_PRODUCTION_SECRET_LENGTH = 32
_DEVELOPMENT_SUPERUSER_EMAIL = "admin@example.com"
_DEVELOPMENT_SUPERUSER_PASSWORD = "changethis"  # noqa: S105 - development only, documented in the README
_DEFAULT_DATA_DIR = Path(".data")
# DATABASE_POOLER's values: PostgreSQL itself, or PgBouncer in transaction mode in front of it.
DatabasePooler = Literal["none", "pgbouncer-transaction"]


class Settings(BaseSettings):
    # An empty variable counts as unset: `SECRET_KEY=` must not pass for a key, nor an empty superuser password.
    # A refused value is not repeated in the error: it may hold a secret (a key, credentials in a URL).
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"

    database_url: str | None = None
    # Connections each process may keep open. An HTTP request holds at most one at a time (db/request_connection.py),
    # so this bounds the requests doing database work at once; a smaller pool kept opening and closing connections
    # under load (TLS attempt, start-up, prepared statements lost each time).
    database_pool_size: int = Field(default=30, ge=1)
    # PostgreSQL cancels any one statement running longer (its `statement_timeout`): no request or job can hold a
    # connection and a backend's CPU for minutes. Answered as QUERY_TOO_COMPLEX. 0 turns it off.
    database_statement_timeout_seconds: float = Field(default=30, ge=0)
    # What stands between the processes and PostgreSQL. `pgbouncer-transaction`: PgBouncer in transaction mode,
    # where consecutive transactions of one connection may run on different server connections, so no named
    # prepared statement survives and PgBouncer refuses the startup parameters other than application_name
    # (db/engine.py; README, "Deploying and scaling").
    database_pooler: DatabasePooler = "none"
    redis_url: str | None = None
    # Prefix for every Redis key and channel this process uses, so test runs and deployments sharing one Redis
    # never see each other's queues or progress messages.
    redis_prefix: str = "studio"

    host: str = "127.0.0.1"
    port: int = 8000
    # Local state of `make run`: the embedded servers' data, and the stored files unless STORAGE_DIR says otherwise.
    data_dir: Path = _DEFAULT_DATA_DIR
    # Media and model files. Unset: `<data_dir>/storage`, so that moving DATA_DIR moves everything `make run` keeps.
    storage_dir: Path = _DEFAULT_DATA_DIR / "storage"
    # Where files are kept (README, "Storage"): file:///path, or s3://bucket/prefix on an S3-compatible store.
    # Unset: the folder STORAGE_DIR. Checked at start-up (core/storage_location.py).
    storage_url: str | None = None
    # The S3 API's address (MinIO, Ceph, another cloud's); unset: AWS's own for S3_REGION.
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # The standard AWS variables. Unset, the client looks for other credentials the standard way (an instance
    # role, a web identity token).
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    # Absolute origin used in answered media URLs; empty answers site-relative `/media/...` URLs.
    public_base_url: str = ""

    secret_key: SecretStr | None = None
    access_token_expire_minutes: int = 60 * 24 * 8
    first_superuser_email: str = _DEVELOPMENT_SUPERUSER_EMAIL
    first_superuser_password: SecretStr | None = None

    login_attempts_per_minute: int = Field(default=5, ge=1)
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs and CIDR networks). Empty trusts none: any
    # local process could otherwise claim to be a proxy and pick a fresh client address for every failed login.
    # uvicorn's own proxy-header handling is off (--no-proxy-headers) so this is the only place that decides.
    forwarded_allow_ips: str = ""

    # How operations execute (graph/execution/): "fast" answers clean reads breadth first, a level of objects at a
    # time; "standard" is graphql-core's own executor, which the fast path must always answer exactly like. The
    # suite runs under both; "standard" is the switch if the fast path ever misbehaves in production.
    graphql_execution: Literal["fast", "standard"] = "fast"

    # GraphQL edge limits.
    query_max_depth: int = 10
    query_max_aliases: int = 30
    query_max_tokens: int = 5000
    # The longest one query or mutation over HTTP may run before it is stopped and answered QUERY_TOO_COMPLEX
    # (subscriptions are long-lived by design and not limited). 0 turns it off.
    execution_timeout_seconds: float = Field(default=30, ge=0)
    # Cost analysis (graph/cost.py): the most objects one operation may answer, counted before it runs. The
    # frontend's heaviest page (50 guidelines with every nested list at its cap) prices at 1.34 million and
    # GraphiQL's introspection at 0.69 million; 30 aliases of a deep introspection price at 5.6 million.
    query_max_cost: int = Field(default=3_000_000, ge=1)
    # Each caller's cost budget a minute (user, or client address when anonymous): an operation reserves its
    # price and gets back what its answer did not use, so this bounds mostly the expensive operations one caller
    # keeps in flight. 0 switches the budget off. At least QUERY_MAX_COST, or the costliest allowed query could
    # never run.
    cost_budget_per_minute: int = Field(default=10_000_000, ge=0)

    # Media limits.
    media_max_bytes: int = 25 * 1024 * 1024
    image_max_pixels: int = 60_000_000
    fetch_timeout_seconds: float = 10.0
    # Tests serve "remote" images from a local HTTPS server; production never sets these.
    fetch_allow_private_networks: bool = False
    fetch_ca_bundle: Path | None = None

    lora_max_bytes: int = 100 * 1024 * 1024
    # Soft-deleted subjects and styles stay restorable this long; then the purge job removes them with their files.
    purge_retention_days: int = 30
    zip_max_bytes: int = 1024 * 1024 * 1024
    # Budget for reading an uploaded ZIP (core/archive.py): entry count, total uncompressed bytes, and the
    # compression ratio past which a large entry is taken for a bomb. Each entry is also capped at media_max_bytes.
    zip_max_entries: int = 2000
    zip_max_uncompressed_bytes: int = 2 * 1024 * 1024 * 1024
    zip_max_compression_ratio: float = 100
    # How long one job may run before it fails itself; the reaper fails tasks still PROCESSING this long plus
    # the margin after they started (the margin covers arq's own redelivery delay of a dead worker's job, +10 s).
    job_timeout_seconds: int = 600
    job_reap_margin_seconds: int = 60
    # A job interrupted by PostgreSQL or Redis being unreachable runs again after this delay, doubled at each try up
    # to 60 s (jobs/retrying.py); on its JOB_OUTAGE_MAX_TRIES-th try it fails for good with a message saying why.
    # The defaults ride out about four minutes of outage, longer than a server restart or a failover.
    job_outage_retry_seconds: float = 5.0
    job_outage_max_tries: int = 8
    # Cap on a JSON request to /graphql (a document and its variables), checked while it streams in: 413 beyond.
    # It also caps a persisted query (graph/persisted_queries.py), which is registered by sending it.
    request_max_bytes: int = 1024 * 1024
    # Automatic persisted queries: how long a registered query stays in Redis after its last lookup there (each
    # lookup that reaches Redis starts the time again). A query that expired costs its client one more round trip,
    # which registers it again; what Redis holds is bounded by the queries registered within this time.
    persisted_query_ttl_seconds: int = Field(default=24 * 60 * 60, ge=1)
    # Cap on a whole multipart request, checked while it streams in: the largest upload we accept plus room for
    # the operations and map fields. Each mutation then applies its own, smaller limit.
    upload_max_request_bytes: int = 1024 * 1024 * 1024 + 1024 * 1024
    # Slow clients (graph/slow_clients.py): the longest a request's headers may take to arrive, and the longest
    # pause while its body streams in. Past either: 408 and the connection closed. 0 turns the limit off.
    header_read_timeout_seconds: float = Field(default=10, ge=0)
    body_read_timeout_seconds: float = Field(default=10, ge=0)
    # ... and, past body_read_timeout_seconds, the slowest average a body may arrive at (a byte a second never
    # pauses long enough for the idle limit). 1 KiB/s lets a 1 MiB request through a very poor link.
    body_min_bytes_per_second: int = Field(default=1024, ge=0)

    # Subscriptions (services/watch.py): each re-reads its row this often even when no Redis message came (the
    # safety net against a lost one), and ends with SERVICE_UNAVAILABLE when Redis or PostgreSQL stays unreachable
    # this long (graph/subscriptions/watch_row.py).
    subscription_recheck_seconds: float = 5.0
    subscription_reconnect_seconds: float = 10.0

    log_level: str = Field(default="INFO")
    # Operating it (README): `json` writes one JSON object per line (core/logs.py); unset, json in production and
    # text elsewhere.
    log_format: Literal["json", "text"] | None = None
    # With a token, /metrics (the API's and the worker's) answers only `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    # Operation names are the client's choice: each process keeps this many as metric labels, the first it sees,
    # and counts every other one under "(other)" (graph/metrics.py), so no client can grow the label set.
    metrics_operation_names: int = Field(default=100, ge=0)
    # Where each worker process serves its metrics (on HOST); 0 serves none. One port per worker process: a
    # second worker finding the port taken runs on without metrics (jobs/metrics_server.py).
    worker_metrics_port: int = Field(default=9101, ge=0, le=65535)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_forwarded_allow_ips(cls, value: str) -> str:
        parse_trusted_proxies(value)  # a typo must stop the start, not silently trust nobody (or everybody)
        return value

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_storage_url(value)
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_s3_endpoint_url(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError("S3_ENDPOINT_URL must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _s3_credentials_come_in_pairs(self) -> Settings:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ValueError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")
        return self

    @model_validator(mode="before")
    @classmethod
    def _storage_follows_data_dir(cls, values: Any) -> Any:
        # Runs on the merged sources (arguments, environment, .env) keyed by field name, before the defaults.
        if isinstance(values, dict) and values.get("storage_dir") is None and values.get("data_dir") is not None:
            return {**values, "storage_dir": Path(values["data_dir"]) / "storage"}
        return values

    @model_validator(mode="after")
    def _budget_fits_the_costliest_query(self) -> Settings:
        if 0 < self.cost_budget_per_minute < self.query_max_cost:
            raise ValueError("COST_BUDGET_PER_MINUTE must be 0 (off) or at least QUERY_MAX_COST")
        return self

    @model_validator(mode="after")
    def _require_secret_outside_development(self) -> Settings:
        if self.secret_key is None:
            if self.environment == "production":
                raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
            self.secret_key = SecretStr(_DEVELOPMENT_SECRET)
        elif self.environment == "production" and (
            self.secret_key.get_secret_value() == _DEVELOPMENT_SECRET
            or len(self.secret_key.get_secret_value()) < _MIN_PRODUCTION_SECRET_LENGTH
        ):
            raise ValueError(
                f"SECRET_KEY must be a real key of at least {_MIN_PRODUCTION_SECRET_LENGTH} characters in production"
            )
        if self.first_superuser_password is None and self.environment == "development":
            # `make run` on a fresh clone should be usable at once; elsewhere no password means no first superuser.
            self.first_superuser_password = SecretStr(_DEVELOPMENT_SUPERUSER_PASSWORD)
        return self

    @property
    def development_superuser_login(self) -> tuple[str, str] | None:
        """The first superuser's email and password in development when both are the published development
        defaults (README), so pages may show them; None in any other environment or when either is set to anything else.

        Compared by value rather than by where the value came from: a password that equals the published default
        reveals nothing, and any other password, however it was set, is never answered here.
        """
        password = self.first_superuser_password
        if (
            self.environment == "development"
            and self.first_superuser_email == _DEVELOPMENT_SUPERUSER_EMAIL
            and password is not None
            and password.get_secret_value() == _DEVELOPMENT_SUPERUSER_PASSWORD
        ):
            return _DEVELOPMENT_SUPERUSER_EMAIL, _DEVELOPMENT_SUPERUSER_PASSWORD
        return None

    @property
    def storage_location(self) -> StorageLocation:
        """STORAGE_URL's location, or the folder STORAGE_DIR when it is unset."""
        return parse_storage_url(self.storage_url) if self.storage_url else FolderLocation(self.storage_dir)

    @property
    def log_as_json(self) -> bool:
        if self.log_format is None:
            return self.environment == "production"
        return self.log_format == "json"

    @property
    def trusted_proxies(self) -> tuple[IPNetwork, ...]:
        return parse_trusted_proxies(self.forwarded_allow_ips)

    @property
    def signing_key(self) -> str:
        assert self.secret_key is not None  # set by the validator
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
