"""The results table: per query and caller, the API and the baseline side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.load import LoadResult
from bench.statements import StatementCount


@dataclass(frozen=True)
class Row:
    query: str
    caller: str
    api: LoadResult
    baseline: LoadResult | None
    api_statements: StatementCount | None
    baseline_statements: StatementCount | None

    @property
    def ratio(self) -> float:
        if self.baseline is None or not self.baseline.per_second:
            return math.nan
        return self.api.per_second / self.baseline.per_second


HEADERS = (
    "query",
    "caller",
    "API req/s",
    "API p50 ms",
    "API p99 ms",
    "base req/s",
    "base p50 ms",
    "base p99 ms",
    "API/base",
    "CPU ms/req API",
    "CPU ms/req base",
    "SQL/req API",
    "SQL/req base",
)


def _cells(row: Row) -> list[str]:
    base = row.baseline
    return [
        row.query,
        row.caller,
        f"{row.api.per_second:.1f}",
        f"{row.api.p50:.1f}",
        f"{row.api.p99:.1f}",
        f"{base.per_second:.1f}" if base else "-",
        f"{base.p50:.1f}" if base else "-",
        f"{base.p99:.1f}" if base else "-",
        f"{row.ratio:.2f}" if not math.isnan(row.ratio) else "-",
        _figure(row.api.cpu_ms_per_request),
        _figure(base.cpu_ms_per_request) if base else "-",
        row.api_statements.describe() if row.api_statements else "-",
        row.baseline_statements.describe() if row.baseline_statements else "-",
    ]


def _figure(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def render_text(rows: Sequence[Row]) -> str:
    table = [list(HEADERS), *(_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADERS))]
    lines = []
    for index, line in enumerate(table):
        # Text columns left-aligned, figures right-aligned.
        cells = [
            cell.ljust(width) if column < 2 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines + _notes(rows))


def render_markdown(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * 2 + "---:|" * (len(HEADERS) - 2)]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    return "\n".join(lines + _notes(rows))


def _notes(rows: Sequence[Row]) -> list[str]:
    notes = []
    for row in rows:
        for side, result in (("API", row.api), ("baseline", row.baseline)):
            if result is not None and result.errors:
                notes.append(
                    f"! {row.query} ({row.caller}), {side}: {result.errors} errors; first: {result.first_error}"
                )
    return ["", *notes] if notes else []


# Issue 4, item 5: the nested guidelines page at half the baseline's throughput or better, with a tail under 3x p50.
TARGET_RATIO = 0.5
TARGET_TAIL = 3.0


def render_targets(rows: Sequence[Row]) -> str:
    lines = []
    for row in rows:
        if not row.query.startswith("guidelines"):
            continue
        tail = row.api.p99 / row.api.p50 if row.api.p50 else math.nan
        ratio_ok = "met" if row.ratio >= TARGET_RATIO else "NOT met"
        tail_ok = "met" if tail < TARGET_TAIL else "NOT met"
        lines.append(
            f"target, {row.query} ({row.caller}): API/baseline {row.ratio:.2f} (>= {TARGET_RATIO}: {ratio_ok}); "
            f"API p99/p50 {tail:.2f} (< {TARGET_TAIL:g}: {tail_ok})"
        )
    return "\n".join(lines)


def render_statements(query: str, side: str, count: StatementCount) -> str:
    """The statements one query ran, most frequent first (per pass, not per request)."""
    lines = [f"{query} — {side}: statements in the counting pass (calls, text)"]
    lines += [f"  {calls:6d}  {text[:150]}" for calls, text in count.top]
    return "\n".join(lines)
