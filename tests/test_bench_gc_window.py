"""What the read bench makes of the API's garbage-collection metrics around a window (bench/gc_window.py): scrapes of
a real registry (prometheus-client's GC counts and a GcPauses of the test's own, so the longest pause starts at 0),
around real collections of real reference cycles."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, GCCollector, generate_latest

from bench.gc_window import GcSnapshot, GcWindow
from core.metrics import GC_PAUSE_BUCKETS, GcPauses

CYCLES = 20_000


@pytest.fixture
def registry() -> Iterator[CollectorRegistry]:
    """A registry as process_registry builds it, with its own pause recorder; no automatic collections meanwhile,
    so only the test's own ones count."""
    gc.disable()
    registry = CollectorRegistry()
    GCCollector(registry=registry)
    pauses = GcPauses()
    pauses.install()
    registry.register(pauses)
    try:
        yield registry
    finally:
        gc.enable()
        pauses.uninstall()


def snapshot(registry: CollectorRegistry, *, with_pauses: bool = True) -> GcSnapshot:
    text = generate_latest(registry).decode()
    if not with_pauses:  # as an API built before the pause metrics serves it
        text = "".join(line + "\n" for line in text.splitlines() if "python_gc_pause" not in line)
    return GcSnapshot.parse(text)


def make_cycles(count: int) -> None:
    for _ in range(count):
        node: list[object] = []
        node.append(node)  # unreachable once the loop moves on: only the cyclic collector frees it


def test_a_window_with_the_longest_pause_so_far_reports_it_exactly(registry: CollectorRegistry) -> None:
    before = snapshot(registry)
    make_cycles(CYCLES)
    gc.collect()
    after = snapshot(registry)

    window = GcWindow.between(before, after)
    assert window.longest_is_exact and window.longest_seconds == after.longest > before.longest == 0
    assert window.pauses == window.collections == 1
    assert window.collected >= CYCLES
    assert window.over_limit == (1 if window.longest_seconds > 0.05 else 0)
    assert window.describe_longest() == f"{1000 * window.longest_seconds:.1f}"


def test_a_window_of_shorter_pauses_reports_the_bound_of_their_bucket(registry: CollectorRegistry) -> None:
    gc.collect()  # a full collection: the longest so far, before the window
    before = snapshot(registry)
    make_cycles(CYCLES)
    gc.collect(0)  # the youngest generation only: 20,000 cycles, not the whole heap
    after = snapshot(registry)

    window = GcWindow.between(before, after)
    assert not window.longest_is_exact
    assert window.pauses == 1 and window.over_limit == 0 and window.collected >= CYCLES
    assert window.longest_seconds in GC_PAUSE_BUCKETS and window.longest_seconds <= before.longest
    assert window.describe_longest() == f"<={1000 * window.longest_seconds:.1f}"


def test_a_window_without_collections_has_no_pause_and_no_count(registry: CollectorRegistry) -> None:
    window = GcWindow.between(snapshot(registry), snapshot(registry))
    assert (window.pauses, window.over_limit, window.collections, window.collected) == (0, 0, 0, 0)
    assert window.describe_longest() == "0.0"


def test_a_build_without_the_pause_metrics_still_counts_cycles(registry: CollectorRegistry) -> None:
    before = snapshot(registry, with_pauses=False)
    make_cycles(CYCLES)
    gc.collect()
    window = GcWindow.between(before, snapshot(registry, with_pauses=False))

    assert window.pauses is None and window.over_limit is None and math.isnan(window.longest_seconds)
    assert window.describe_longest() == "-"
    assert window.collections == 1 and window.collected >= CYCLES
