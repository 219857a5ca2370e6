"""The garbage collector's pauses in a process's metrics (core/metrics.GcPauses, README "Operating it"): real
collections of real reference cycles, read through the registry every /metrics serves, parsed as Prometheus does."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import generate_latest

from core.metrics import process_registry
from tests.scrapes import Scrape, parse

CYCLES = 5_000


@pytest.fixture
def no_automatic_collections() -> Iterator[None]:
    """Only the test's own collections run between its scrapes, so their counts are exact."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def scrape() -> Scrape:
    return parse(generate_latest(process_registry()).decode())


def make_cycles(count: int) -> None:
    for _ in range(count):
        node: list[object] = []
        node.append(node)  # unreachable once the loop moves on: only the cyclic collector frees it


def grew(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


@pytest.mark.usefixtures("no_automatic_collections")
def test_a_full_collection_is_one_pause_of_generation_2_and_its_cycles_are_counted() -> None:
    before = scrape()
    make_cycles(CYCLES)
    gc.collect()
    after = scrape()

    assert grew(before, after, "python_gc_pause_seconds_count", generation="2") == 1
    for generation in ("0", "1"):
        assert grew(before, after, "python_gc_pause_seconds_count", generation=generation) == 0
    pause = grew(before, after, "python_gc_pause_seconds_sum", generation="2")
    assert 0 < pause < 10
    # The pause falls in exactly one bucket: every bound from its own up counts it, none below.
    bucket_growth = [
        grew(before, after, "python_gc_pause_seconds_bucket", generation="2", le=bound)
        for bound in ("0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1.0", "2.5")
    ]
    assert bucket_growth == sorted(bucket_growth) and bucket_growth[-1] == 1
    assert grew(before, after, "python_gc_pause_seconds_bucket", generation="2", le="+Inf") == 1
    # prometheus-client's own count of what the collector freed (the bench's "cycle objects per request").
    assert grew(before, after, "python_gc_objects_collected_total", generation="2") >= CYCLES
    assert after.value("python_gc_pause_max_seconds") >= pause


@pytest.mark.usefixtures("no_automatic_collections")
def test_the_longest_pause_is_kept_through_shorter_ones() -> None:
    make_cycles(CYCLES)
    gc.collect()
    longest = scrape().value("python_gc_pause_max_seconds")
    before = scrape()
    gc.collect(0)  # the youngest generation only, empty just after a full collection: shorter
    after = scrape()

    assert grew(before, after, "python_gc_pause_seconds_count", generation="0") == 1
    assert after.value("python_gc_pause_max_seconds") >= longest > 0


@pytest.mark.usefixtures("no_automatic_collections")
def test_a_collection_counts_once_however_many_registries_serve_the_process() -> None:
    registries = [process_registry() for _ in range(3)]  # as the tests' several apps in one process make them
    before = [parse(generate_latest(registry).decode()) for registry in registries]
    gc.collect()
    for registry, earlier in zip(registries, before, strict=True):
        later = parse(generate_latest(registry).decode())
        assert grew(earlier, later, "python_gc_pause_seconds_count", generation="2") == 1
