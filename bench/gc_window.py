"""The API's garbage collection during a measuring window, from its /metrics scraped as the window opens and closes:
the longest collector pause (core/metrics.GcPauses) and the objects the collector freed, all of them garbage in
reference cycles (prometheus-client's `python_gc_objects_collected_total`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.load import Endpoint

PAUSES = "python_gc_pause_seconds"
LONGEST = "python_gc_pause_max_seconds"
COLLECTED = "python_gc_objects_collected_total"
COLLECTIONS = "python_gc_collections_total"
PAUSE_LIMIT_SECONDS = 0.05  # issue 15: no pause over 50 ms (a bucket bound of GcPauses, so the count is exact)


@dataclass(frozen=True)
class GcSnapshot:
    """One scrape's figures, summed over the collector's generations."""

    pause_buckets: dict[float, float]  # cumulative count by upper bound (inf included); empty without GcPauses
    longest: float  # seconds, since the process started
    collected: float
    collections: float

    @classmethod
    def parse(cls, text: str) -> GcSnapshot:
        buckets: dict[float, float] = {}
        longest = collected = collections = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == f"{PAUSES}_bucket":
                    bound = float(sample.labels["le"])
                    buckets[bound] = buckets.get(bound, 0.0) + sample.value
                elif sample.name == LONGEST:
                    longest = sample.value
                elif sample.name == COLLECTED:
                    collected += sample.value
                elif sample.name == COLLECTIONS:
                    collections += sample.value
        return cls(buckets, longest, collected, collections)


@dataclass(frozen=True)
class GcWindow:
    """Garbage collection in the API during one window."""

    pauses: int | None  # None: the API serves no pause metrics (a build before them)
    over_limit: int | None  # pauses longer than PAUSE_LIMIT_SECONDS
    longest_seconds: float  # NaN without pause metrics
    longest_is_exact: bool  # else `longest_seconds` is the upper bound of the longest pause's bucket
    collected: float  # objects freed by the collector: garbage in reference cycles
    collections: int  # prometheus-client's count: known on builds without the pause metrics too

    @classmethod
    def between(cls, before: GcSnapshot, after: GcSnapshot) -> GcWindow:
        collected = after.collected - before.collected
        collections = int(after.collections - before.collections)
        if not after.pause_buckets:
            return cls(None, None, math.nan, False, collected, collections)
        grown = {
            bound: after.pause_buckets[bound] - before.pause_buckets.get(bound, 0.0) for bound in after.pause_buckets
        }
        pauses = int(grown[math.inf])
        over_limit = pauses - int(grown[PAUSE_LIMIT_SECONDS])
        if after.longest > before.longest:
            # The longest pause since start-up happened in this window: the gauge holds it exactly.
            return cls(pauses, over_limit, after.longest, True, collected, collections)
        if not pauses:
            return cls(0, 0, 0.0, True, collected, collections)
        # An earlier pause was longer; this window's longest lies in the smallest bucket holding every pause.
        bound = min(bound for bound, count in grown.items() if count == pauses)
        return cls(pauses, over_limit, min(bound, before.longest), False, collected, collections)

    def describe_longest(self) -> str:
        if math.isnan(self.longest_seconds):
            return "-"
        milliseconds = f"{1000 * self.longest_seconds:.1f}"
        return milliseconds if self.longest_is_exact else f"<={milliseconds}"


class GcProbe:
    """Scrapes the API's /metrics as a window opens and closes (bench.load.WindowProbe)."""

    def __init__(self, endpoint: Endpoint, metrics_token: str | None) -> None:
        self.url = f"http://{endpoint.host}:{endpoint.port}/metrics"
        self.headers = {"Authorization": f"Bearer {metrics_token}"} if metrics_token else {}
        self.snapshots: list[GcSnapshot] = []

    async def _scrape(self) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(self.url, headers=self.headers)
        response.raise_for_status()
        self.snapshots.append(GcSnapshot.parse(response.text))

    async def opened(self) -> None:
        await self._scrape()

    async def closed(self) -> None:
        await self._scrape()

    def window(self) -> GcWindow | None:
        if len(self.snapshots) != 2:
            return None
        return GcWindow.between(*self.snapshots)
