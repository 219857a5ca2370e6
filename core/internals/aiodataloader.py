"""aiodataloader's internals that graph/loaders.py builds on (written for aiodataloader 0.4.3, pinned in
pyproject.toml).

The request's loaders are dispatched level by level by graph/loaders.py's `BatchScheduler` rather than one loop
tick after each loader's first key, and a loader's `load_many` reads its cache directly. aiodataloader has no API
for either, so these are reached:

- `DataLoader.do_resolve_reject(key, future)`: the method `load` calls for a key it has no cached future for; it
  queues the key and schedules the dispatch. graph/loaders.py overrides it to queue the key without scheduling
  anything (`enqueue`) and tell the scheduler instead. Public by name, undocumented.
- `DataLoader._queue` and `aiodataloader.Loader`: the list of `Loader(key, future)` entries waiting for the next
  batch (`enqueue` appends to it).
- `aiodataloader.dispatch_queue(loader)`: sends the queued keys as one batch (`dispatch`), as aiodataloader does
  one tick after the first key.
- `DataLoader._cache`: key -> the future of its value (`cached_futures`); `load_many` takes the futures of keys
  already asked for straight from it (a page asks for its ~50 shot types ~550 times).

tests/core/test_internals_aiodataloader.py checks each of them on a real loader and names the one an upgrade broke.
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Hashable, MutableMapping
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader, Loader, dispatch_queue

WRITTEN_FOR = "0.4.3"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The name of the method `DataLoader.load` calls to queue a key (overridden in graph/loaders.py).
QUEUE_HOOK = "do_resolve_reject"


def enqueue(loader: DataLoader[K, V], key: K, future: Future[V]) -> int:
    """`key` and its `future` added to `loader`'s queue, with no dispatch scheduled; the queue's length after."""
    queue: list[Any] = loader._queue
    queue.append(Loader(key=key, future=future))
    return len(queue)


def dispatch(loader: DataLoader[Any, Any]) -> None:
    """The keys queued on `loader` sent now, as one batch (the queue is emptied)."""
    dispatch_queue(loader)


def cached_futures(loader: DataLoader[K, V]) -> MutableMapping[K, Future[V]]:
    """`loader`'s cache: each key asked for (the loaders here cache by the key itself) -> the future of its value."""
    # Typed by aiodataloader with an unbound cache-key type beside K; these loaders have no `get_cache_key`.
    return cast("MutableMapping[K, Future[V]]", loader._cache)
