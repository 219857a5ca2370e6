"""Automatic persisted queries, Apollo's protocol: a client sends a query's SHA-256 instead of its text.

A request whose `extensions.persistedQuery` is `{"version": 1, "sha256Hash": <hex>}`:
- without `query`: the stored query of that hash runs; an unknown hash answers PERSISTED_QUERY_NOT_FOUND (HTTP 200),
  upon which Apollo's persisted-query link sends the query with its hash;
- with `query`: its SHA-256 must be the hash (else BAD_REQUEST, HTTP 400); it is stored, then runs.

`resolve` turns such a request into an ordinary one before anything else reads it (graph/app.py calls it first in
`execute_single`), so a stored query meets every check a sent one meets: the method (a mutation over GET is 405),
the document cache, validation, the depth, alias, token and cost limits, the cost budget.

Queries are stored in Redis, shared by every API process, each entry for `PERSISTED_QUERY_TTL_SECONDS` after its
last lookup there; a stored query is at most a request body (`REQUEST_MAX_BYTES`), the only way one arrives. In
front of Redis, each process keeps the hashes it met last in memory (at most MEMORY_ENTRIES), so that a frontend's
everyday queries cost no Redis round trip. A hash always names the same text, so the memory never holds a stale
entry; it may outlive the Redis one, which only spares this process's clients a registration.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, OrderedDict
from dataclasses import replace
from typing import Final

from graphql import GraphQLError
from redis.asyncio import Redis
from strawberry.http import GraphQLRequestData

from core.outages import describe_outage, is_outage
from graph.documents import DOCUMENT_CACHE_SIZE
from graph.refusals import BAD_REQUEST

logger = logging.getLogger("graph.persisted_queries")

PERSISTED_QUERY_NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
# Apollo's link retries with the query when an error has this code or this message; Apollo Server sends both.
NOT_FOUND_MESSAGE: Final = "PersistedQueryNotFound"
SUPPORTED_VERSION: Final = 1
# The same as the parsed documents kept (graph/documents.py): a query that dropped out of this memory would find
# its document dropped too, so a larger memory would spare little.
MEMORY_ENTRIES: Final = DOCUMENT_CACHE_SIZE

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# What became of each persisted-query request, since the process started (for the metrics endpoint): found in this
# process's memory, found in Redis, not found, or registered (sent with its hash, which matched).
HIT_MEMORY: Final = "hit_memory"
HIT_REDIS: Final = "hit_redis"
MISS: Final = "miss"
REGISTERED: Final = "registered"
counts: Counter[str] = Counter()


class PersistedQueryRefused(Exception):
    """The request cannot run: its error (PERSISTED_QUERY_NOT_FOUND, or BAD_REQUEST for a malformed one)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = GraphQLError(message, extensions={"code": code})


class PersistedQueries:
    """The queries registered by hash: Redis for every process, a bounded memory in front of it for this one."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, ttl_seconds: int, memory_entries: int = MEMORY_ENTRIES
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.ttl_seconds = ttl_seconds
        self.memory_entries = memory_entries
        self._memory: OrderedDict[str, str] = OrderedDict()

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query: the stored one for a hash alone, the request itself otherwise (a query
        sent with its hash is verified and stored first). Raises PersistedQueryRefused."""
        sha256 = requested_hash(request.extensions)
        if sha256 is None:
            return request
        if request.query is None:
            return replace(request, query=await self._lookup(sha256))
        if hashlib.sha256(request.query.encode()).hexdigest() != sha256:
            raise PersistedQueryRefused(BAD_REQUEST, "persistedQuery.sha256Hash is not the SHA-256 of the query")
        await self._register(sha256, request.query)
        return request

    def key(self, sha256: str) -> str:
        return f"{self.key_prefix}:{sha256}"

    async def _lookup(self, sha256: str) -> str:
        query = self._memory.get(sha256)
        if query is not None:
            self._memory.move_to_end(sha256)
            counts[HIT_MEMORY] += 1
            return query
        try:
            # GETEX: the lookup itself starts the entry's time again, so queries in use stay stored.
            stored: bytes | None = await self.redis.getex(self.key(sha256), ex=self.ttl_seconds)
        except Exception as error:
            if not is_outage(error):
                raise
            # Not found, rather than SERVICE_UNAVAILABLE: the client then sends the query with its hash, which runs
            # without Redis (see _register), so an outage of the shared store costs a round trip, not the answer.
            logger.warning("Persisted query not looked up, Redis is unreachable: %s", describe_outage(error))
            stored = None
        if stored is None:
            counts[MISS] += 1
            raise PersistedQueryRefused(PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
        counts[HIT_REDIS] += 1
        query = stored.decode()
        self._remember(sha256, query)
        return query

    async def _register(self, sha256: str, query: str) -> None:
        counts[REGISTERED] += 1
        self._remember(sha256, query)
        try:
            await self.redis.set(self.key(sha256), query.encode(), ex=self.ttl_seconds)
        except Exception as error:
            if not is_outage(error):
                raise
            # The query is here and runs: Redis is needed only to share it, so its outage costs other processes'
            # clients one more registration, not this answer.
            logger.warning("Persisted query not shared, Redis is unreachable: %s", describe_outage(error))

    def _remember(self, sha256: str, query: str) -> None:
        self._memory[sha256] = query
        self._memory.move_to_end(sha256)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)


def requested_hash(extensions: dict[str, object] | None) -> str | None:
    """The hash `extensions.persistedQuery` names (lowercase hex), None without one; PersistedQueryRefused
    (BAD_REQUEST) when it is malformed or of another version."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise PersistedQueryRefused(BAD_REQUEST, "extensions.persistedQuery must be an object")
    version = persisted.get("version")
    # `type(...) is int`: JSON's true would otherwise pass for version 1.
    if type(version) is not int or version != SUPPORTED_VERSION:
        message = f"Unsupported persisted query version: only version {SUPPORTED_VERSION} is served"
        raise PersistedQueryRefused(BAD_REQUEST, message)
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256.lower()):
        raise PersistedQueryRefused(BAD_REQUEST, "persistedQuery.sha256Hash must be a SHA-256 in 64 hex digits")
    return sha256.lower()
