"""aiodataloader's internals that core/internals/aiodataloader.py reaches are still there and still behave as
graph/loaders.py relies on. A failure names the name and what to do; an upgrade that breaks one fails here, not in
a loader batch."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import MutableMapping
from importlib.metadata import version
from typing import Any

import aiodataloader
import pytest

from core.internals import aiodataloader as internals
from tests.core.internals_checks import UpgradeCheck

INSTALLED = version("aiodataloader")


CHECK = UpgradeCheck(
    library="aiodataloader",
    installed=INSTALLED,
    written_for=internals.WRITTEN_FOR,
    module="core/internals/aiodataloader.py",
    users="graph/loaders.py",
)
fail, require, function = CHECK.fail, CHECK.require, CHECK.function


class Recording(aiodataloader.DataLoader[str, str]):
    """A loader whose batches are recorded and answer each key upper-cased."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    async def batch_load_fn(self, keys: list[str]) -> list[str]:
        self.batches.append(list(keys))
        return [key.upper() for key in keys]


def check_loader_entry() -> None:
    entry = getattr(aiodataloader, "Loader", None)
    require(entry is not None, "Loader", "is gone")
    require(getattr(entry, "_fields", None) == ("key", "future"), "Loader", "is not a (key, future) named tuple")


def check_dispatch_queue() -> None:
    parameters = list(inspect.signature(function(aiodataloader, "dispatch_queue", "dispatch_queue")).parameters)
    require(parameters == ["loader"], "dispatch_queue", f"takes {parameters}, not (loader)")


def check_queue_and_cache(loader: aiodataloader.DataLoader[Any, Any]) -> None:
    require(isinstance(getattr(loader, "_queue", None), list), "DataLoader._queue", "is gone or not a list")
    require(isinstance(getattr(loader, "_cache", None), MutableMapping), "DataLoader._cache", "is gone or no mapping")


def check_queue_hook() -> None:
    hook = function(aiodataloader.DataLoader, internals.QUEUE_HOOK, f"DataLoader.{internals.QUEUE_HOOK}")
    parameters = list(inspect.signature(hook).parameters)
    require(
        parameters == ["self", "key", "future"],
        f"DataLoader.{internals.QUEUE_HOOK}",
        f"takes {parameters}, not (self, key, future)",
    )


def test_the_queue_entry_is_a_key_and_future_named_tuple() -> None:
    check_loader_entry()


def test_dispatch_queue_takes_the_loader() -> None:
    check_dispatch_queue()


async def test_a_loader_has_a_queue_list_and_a_cache_mapping() -> None:
    check_queue_and_cache(Recording())


async def test_load_queues_an_uncached_key_through_the_hook_and_a_cached_one_not() -> None:
    check_queue_hook()
    hooked: list[str] = []

    class Hooked(Recording):
        def do_resolve_reject(self, key: str, future: asyncio.Future[str]) -> None:
            hooked.append(key)
            super().do_resolve_reject(key, future)

    loader = Hooked()
    first = loader.load("a")
    again = loader.load("a")
    name = f"DataLoader.load -> {internals.QUEUE_HOOK}"
    require(hooked == ["a"], name, f"was called for {hooked}, not once for the uncached key")
    require(again is first, "DataLoader.load", "does not answer a key asked for again with its cached future")
    require(await first == "A", name, "queued a key that its batch did not answer")


async def test_an_enqueued_key_waits_until_dispatched_then_one_batch_answers() -> None:
    loader = Recording()
    futures = [asyncio.get_running_loop().create_future() for _ in range(2)]
    lengths = [internals.enqueue(loader, key, future) for key, future in zip(["a", "b"], futures, strict=True)]
    require(lengths == [1, 2], "DataLoader._queue", f"grew {lengths} with two keys appended")
    require(
        [(entry.key, entry.future) for entry in loader._queue] == list(zip(["a", "b"], futures, strict=True)),
        "DataLoader._queue",
        "does not hold the Loader(key, future) entries appended",
    )
    for _ in range(5):
        await asyncio.sleep(0)
    require(loader.batches == [], "DataLoader._queue", "was dispatched without dispatch_queue")

    internals.dispatch(loader)
    require(loader._queue == [], "dispatch_queue", "left the queue as it was")
    results = await asyncio.wait_for(asyncio.gather(*futures), timeout=5)
    require(loader.batches == [["a", "b"]], "dispatch_queue", f"sent the batches {loader.batches}, not one of a, b")
    require(results == ["A", "B"], "dispatch_queue", f"resolved the queued futures to {results}")


async def test_the_cache_maps_each_key_asked_for_to_its_future() -> None:
    loader = Recording()
    future = loader.load("a")
    cache = internals.cached_futures(loader)
    require(cache.get("a") is future, "DataLoader._cache", "does not map a key asked for to its future")
    require(cache.get("b") is None, "DataLoader._cache", "holds a key never asked for")
    assert await future == "A"


def test_a_missing_name_fails_naming_the_library_the_name_and_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aiodataloader, "dispatch_queue")
    with pytest.raises(pytest.fail.Exception) as failure:
        check_dispatch_queue()
    message = str(failure.value)
    assert f"aiodataloader {INSTALLED}'s dispatch_queue is gone" in message
    assert "update core/internals/aiodataloader.py" in message
