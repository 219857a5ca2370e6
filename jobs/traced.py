"""A span for every job run while tracing is on (core/tracing.py), continuing the trace of the request that queued
it: the job carries that request's trace context (services/queue.py), so the job's span is a child of the request's
span, in the same trace, on whatever machine the worker runs.

Its attributes: the function, arq's job id and try, what the job works on (the task id, or a LoRA's entity), and
how it ended (jobs/observed.py's outcomes; `failed` is an error status). Every SQL statement and Redis call of
the job is its child, and every line the job logs carries its trace id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from core.tracing import context_from, current_tracing

# Called with the job's outcome, and whether that outcome is an error.
OutcomeRecorder = Callable[[str, bool], None]


def _untraced(outcome: str, error: bool) -> None:
    return


@contextmanager
def traced_job(
    function: str, ctx: Mapping[str, Any], subjects: Mapping[str, str], carrier: Mapping[str, str] | None
) -> Iterator[OutcomeRecorder]:
    """The job's span around the block, which calls what it yields with the job's outcome before it ends."""
    tracing = current_tracing()
    if tracing is None:
        yield _untraced
        return
    attributes: dict[str, str | int] = {"job.function": function, **{f"job.{k}": v for k, v in subjects.items()}}
    if ctx.get("job_id") is not None:
        attributes["job.id"] = str(ctx["job_id"])
    if isinstance(ctx.get("job_try"), int):
        attributes["job.try"] = ctx["job_try"]
    with tracing.tracer.start_as_current_span(
        f"job {function}", context=context_from(carrier), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield lambda outcome, error: _ended(span, outcome, error)


def _ended(span: Span, outcome: str, error: bool) -> None:
    span.set_attribute("job.outcome", outcome)
    if error:
        span.set_status(Status(StatusCode.ERROR))
