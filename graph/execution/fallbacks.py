"""Where the breadth-first execution leaves an answer to graphql-core's own, counted and logged.

Two things send work to graphql-core's execution: a schema extension that hooks `resolve` (every resolver call
must go through it, so the whole schema runs on graphql-core), and a level that is not clean (context.py: an
error, a null in a non-null field, a value a scalar refuses). The first is a deployment's choice; the second is
rare on reads. Both are logged at debug level with the reason, and counted by reason for the metrics endpoint.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Final

logger = logging.getLogger("graph.execution")

MIDDLEWARE: Final = "a schema extension hooks resolve"
UNCLEAN_LEVEL: Final = "a level was not clean"

# reason -> how many times, since the process started.
counts: Counter[str] = Counter()


def fell_back(reason: str, detail: str) -> None:
    counts[reason] += 1
    logger.debug("graphql-core answers instead of the breadth-first path: %s (%s)", reason, detail)
