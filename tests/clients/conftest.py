"""The clients' tests drive the product end to end, so they use the job tests' real arq workers too."""

from tests.jobs.conftest import run_jobs, worker_process

__all__ = ["run_jobs", "worker_process"]
