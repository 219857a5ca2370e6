"""The client conformance tests drive the real clients against the live server, with the job tests' real workers."""

from __future__ import annotations

# The job fixtures live in tests/jobs/conftest.py, which applies to that folder only; importing them here makes
# the same fixtures (not copies) available to these tests.
from tests.jobs.conftest import run_jobs, worker_process  # noqa: F401
