"""The results tables: per query and caller, the API and the baseline side by side (with the API's garbage
collection during each window); the guidelines pages against PostGraphile; issue 15's targets, each met or not."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.gc_window import PAUSE_LIMIT_SECONDS, GcWindow
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
    gc: GcWindow | None = None  # the API's, during its window

    @property
    def ratio(self) -> float:
        if self.baseline is None or not self.baseline.requests or not self.api.requests:
            return math.nan  # a side that completed nothing in its window has no rate to compare
        return self.api.per_second / self.baseline.per_second

    @property
    def cycle_objects_per_request(self) -> float:
        """Objects the collector freed during the window per request; unknown (NaN) when no collection ran in it:
        the requests' garbage then waits for a later one."""
        if self.gc is None or not self.gc.collections or not self.api.requests:
            return math.nan
        return self.gc.collected / self.api.requests


@dataclass(frozen=True)
class PeerRow:
    """A guidelines page read by the API (its superuser row) and by PostGraphile from the same database."""

    page_size: int
    api: LoadResult
    postgraphile: LoadResult

    @property
    def ratio(self) -> float:
        if not self.postgraphile.requests or not self.api.requests:
            return math.nan  # a side that completed nothing in its window has no rate to compare
        return self.api.per_second / self.postgraphile.per_second


def tail(result: LoadResult) -> float:
    """p99 / p50: how much longer the slowest requests wait than the typical one."""
    return result.p99 / result.p50 if result.p50 else math.nan


HEADERS = (
    "query",
    "caller",
    "API req/s",
    "API p50 ms",
    "API p99 ms",
    "API p99/p50",
    "base req/s",
    "base p50 ms",
    "base p99 ms",
    "API/base",
    "CPU ms/req API",
    "CPU ms/req base",
    "SQL/req API",
    "SQL/req base",
    "API max GC pause ms",
    "API cycle objects/req",
)


def _cells(row: Row) -> list[str]:
    base = row.baseline
    return [
        row.query,
        row.caller,
        f"{row.api.per_second:.1f}",
        f"{row.api.p50:.1f}",
        f"{row.api.p99:.1f}",
        _figure(tail(row.api), digits=2),
        f"{base.per_second:.1f}" if base else "-",
        f"{base.p50:.1f}" if base else "-",
        f"{base.p99:.1f}" if base else "-",
        f"{row.ratio:.2f}" if not math.isnan(row.ratio) else "-",
        _figure(row.api.cpu_ms_per_request),
        _figure(base.cpu_ms_per_request) if base else "-",
        row.api_statements.describe() if row.api_statements else "-",
        row.baseline_statements.describe() if row.baseline_statements else "-",
        row.gc.describe_longest() if row.gc else "-",
        _figure(row.cycle_objects_per_request),
    ]


def _figure(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


PEER_HEADERS = (
    "guidelines page",
    "API req/s",
    "API p50 ms",
    "API p99 ms",
    "PostGraphile req/s",
    "PostGraphile p50 ms",
    "PostGraphile p99 ms",
    "PostGraphile p99/p50",
    "API/PostGraphile",
    "CPU ms/req API",
    "CPU ms/req PostGraphile",
)


def _peer_cells(row: PeerRow) -> list[str]:
    api, peer = row.api, row.postgraphile
    return [
        f"{row.page_size} rows",
        f"{api.per_second:.1f}",
        f"{api.p50:.1f}",
        f"{api.p99:.1f}",
        f"{peer.per_second:.1f}",
        f"{peer.p50:.1f}",
        f"{peer.p99:.1f}",
        _figure(tail(peer), digits=2),
        _figure(row.ratio, digits=2),
        _figure(api.cpu_ms_per_request),
        _figure(peer.cpu_ms_per_request),
    ]


def render_floor(result: LoadResult) -> str:
    return (
        f"floor, a bare Starlette route answering a constant under the same uvicorn command: "
        f"{result.per_second:.1f} req/s, p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms, "
        f"CPU {_figure(result.cpu_ms_per_request, digits=2)} ms/request"
    )


def render_text(rows: Sequence[Row]) -> str:
    return "\n".join([_text_table(HEADERS, [_cells(row) for row in rows], text_columns=2), *_notes(rows)])


def render_markdown(rows: Sequence[Row]) -> str:
    return "\n".join([_markdown_table(HEADERS, [_cells(row) for row in rows], text_columns=2), *_notes(rows)])


def render_peer_text(rows: Sequence[PeerRow]) -> str:
    return _text_table(PEER_HEADERS, [_peer_cells(row) for row in rows], text_columns=1)


def render_peer_markdown(rows: Sequence[PeerRow]) -> str:
    return _markdown_table(PEER_HEADERS, [_peer_cells(row) for row in rows], text_columns=1)


def _text_table(headers: Sequence[str], body: Sequence[list[str]], *, text_columns: int) -> str:
    table = [list(headers), *body]
    widths = [max(len(line[column]) for line in table) for column in range(len(headers))]
    lines = []
    for index, line in enumerate(table):
        # Text columns left-aligned, figures right-aligned.
        cells = [
            cell.ljust(width) if column < text_columns else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_table(headers: Sequence[str], body: Sequence[list[str]], *, text_columns: int) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * text_columns + "---:|" * (len(headers) - text_columns)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def _notes(rows: Sequence[Row]) -> list[str]:
    notes = []
    for row in rows:
        for side, result in (("API", row.api), ("baseline", row.baseline)):
            if result is not None and result.errors:
                notes.append(
                    f"! {row.query} ({row.caller}), {side}: {result.errors} errors; first: {result.first_error}"
                )
    return ["", *notes] if notes else []


# Issue 15's targets, in the benchmark (not in tests).
SMALL_READ_RATIO = 0.5  # subject by id: half the baseline's requests/s or better
PAGE_RATIO = 0.8  # the subjects and guidelines pages
ME_CPU_MS = 1.2  # `me { id }`: the authentication step and nothing else
TAIL_LIMIT = 2.0  # p99 <= 2x p50, on every row
PAUSE_LIMIT_MS = 1000 * PAUSE_LIMIT_SECONDS  # no collector pause over 50 ms, in any window


def _verdict(met: bool | None) -> str:
    return "-" if met is None else "met" if met else "NOT met"


def _target(name: str, figure: str, goal: str, met: bool | None) -> str:
    return f"target, {name}: {figure} ({goal}: {_verdict(met)})"


def _at_least(value: float, goal: float) -> bool | None:
    return None if math.isnan(value) else value >= goal


def _at_most(value: float, goal: float) -> bool | None:
    return None if math.isnan(value) else value <= goal


def render_targets(rows: Sequence[Row], peers: Sequence[PeerRow] = ()) -> str:
    """Each target of issue 15 with this run's figure, met or NOT met ('-': not measurable in this run)."""
    lines = []
    for row in rows:
        label = f"{row.query} ({row.caller})"
        if row.query == "subject by id":
            goal = f">= {SMALL_READ_RATIO}"
            lines.append(_target(label, f"API/baseline {row.ratio:.2f}", goal, _at_least(row.ratio, SMALL_READ_RATIO)))
        elif row.query.startswith(("subjects page", "guidelines page")):
            goal = f">= {PAGE_RATIO}"
            lines.append(_target(label, f"API/baseline {row.ratio:.2f}", goal, _at_least(row.ratio, PAGE_RATIO)))
        elif row.query == "me { id }":
            cpu = row.api.cpu_ms_per_request
            figure = f"API CPU {_figure(cpu, digits=2)} ms/request"
            lines.append(_target(label, figure, f"<= {ME_CPU_MS}", _at_most(cpu, ME_CPU_MS)))
    for peer in peers:
        label = f"guidelines page ({peer.page_size}) against PostGraphile"
        met = None if math.isnan(peer.ratio) else peer.ratio > 1
        lines.append(_target(label, f"API/PostGraphile {peer.ratio:.2f}", "> 1, ahead", met))
    for row in rows:
        label = f"{row.query} ({row.caller})"
        ratio = tail(row.api)
        lines.append(_target(label, f"API p99/p50 {ratio:.2f}", f"<= {TAIL_LIMIT:g}", _at_most(ratio, TAIL_LIMIT)))
        over = row.gc.over_limit if row.gc else None
        pause = f"API longest GC pause {row.gc.describe_longest() if row.gc else '-'} ms"
        if over is not None:
            pause += f", {over} over the limit"
        met = None if over is None else over == 0
        lines.append(_target(label, pause, f"none over {PAUSE_LIMIT_MS:g} ms", met))
    return "\n".join(lines)


def render_statements(query: str, side: str, count: StatementCount) -> str:
    """The statements one query ran, most frequent first (per pass, not per request)."""
    lines = [f"{query} — {side}: statements in the counting pass (calls, text)"]
    lines += [f"  {calls:6d}  {text[:150]}" for calls, text in count.top]
    return "\n".join(lines)
