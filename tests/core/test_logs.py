"""The log configuration (core/logs.py) in processes of their own: pytest has configured this one's logging, which
configure_logging then leaves alone, as it would any embedding program's."""

from __future__ import annotations

import json
import subprocess
import sys

from core.settings import Settings
from tests.conftest import REPO_ROOT

SECRET_KEY = "x" * 40

LOG_TWO_LINES = """
import logging
from core.logs import configure_logging, log_fields
from core.settings import Settings
configure_logging(Settings(environment="development", log_format={log_format!r}))
with log_fields(request_id="abc"):
    logging.getLogger("graph.requests").info("query %s", "Q", extra={{"status": 200}})
logging.getLogger("graph.requests").info("outside")
"""


def stderr_lines(log_format: str, script: str = LOG_TWO_LINES) -> list[str]:
    """The lines `script` (formatted with `log_format`) writes to stderr, in a process of its own."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script.format(log_format=log_format)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == ""
    return done.stderr.splitlines()


def test_text_lines_end_with_the_bound_fields() -> None:
    first, second = stderr_lines("text")
    assert first.endswith(" INFO graph.requests: query Q [request_id=abc]"), first
    assert second.endswith(" INFO graph.requests: outside"), second


def test_json_lines_are_one_object_each_with_the_bound_and_extra_fields() -> None:
    first, second = (json.loads(line) for line in stderr_lines("json"))
    assert {key: value for key, value in first.items() if key != "timestamp"} == {
        "level": "INFO",
        "logger": "graph.requests",
        "message": "query Q",
        "request_id": "abc",
        "status": 200,
    }
    assert first["timestamp"].endswith("+00:00")
    assert set(second) == {"timestamp", "level", "logger", "message"}


def test_json_is_the_default_in_production_only() -> None:
    assert Settings(environment="production", secret_key=SECRET_KEY).log_as_json  # type: ignore[arg-type]
    assert not Settings(environment="development").log_as_json
    assert Settings(environment="development", log_format="json").log_as_json
    assert not Settings(environment="production", secret_key=SECRET_KEY, log_format="text").log_as_json  # type: ignore[arg-type]
