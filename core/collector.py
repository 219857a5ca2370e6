"""The cyclic garbage collector in a long-running process (the API and the worker).

Requests free everything they allocate by reference counting: none leaves a reference cycle
(graph/execution/acyclic.py, tests/graph/test_reference_cycles.py). The collector still runs, whenever allocations
outnumber deallocations by its threshold, and each of its full collections walks every object the process tracks:
the schema, its types and resolvers, the models, every imported module, most of which exist from start-up to the
end. `gc.freeze()` once start-up is done moves them all into a permanent generation that no collection walks
again; a collection then walks only what came after (caches, the requests in flight).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger("core.collector")


def freeze_start_up(process: str) -> int:
    """Everything alive now (after a collection, so no garbage is kept) out of every later collection's walk.
    Call it once the process has built what it keeps (`process` names it in the log line). The count frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("%s started: %d objects frozen out of the garbage collector's walks (gc.freeze)", process, frozen)
    return frozen
