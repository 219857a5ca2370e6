"""Logging for the API, the worker and the start-up chores: the one place that configures it (README, "Operating
it").

`LOG_FORMAT=json` (the default when ENVIRONMENT=production) writes one JSON object per line to stderr, through
python-json-logger's formatter; `text` (the default elsewhere) one readable line. Both carry the fields bound to
the work under way (`log_fields`: the request id of the request being handled, the job and task ids of the job
being run) on every line logged meanwhile, whichever library logs it: the fields live in a context variable, so
each request's task, and every task it starts, sees its own.

With tracing on (core/tracing.py), each record logged while a span is current also carries the span's `trace_id`
and `span_id`: keys of their own in JSON, bound fields after the line in text.

Every library logs through the standard `logging` module (ours, uvicorn, arq, SQLAlchemy), which is why a
standard-library Formatter is the whole of the JSON support: no call site changes, and one way to log.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar, Token
from types import MappingProxyType

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from core.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TEXT_TIME_FORMAT = logging.Formatter.default_time_format
# The JSON keys of what every line has; anything else on the line is a field of its own.
JSON_FIELDS = ("levelname", "name", "message")
JSON_RENAMED = {"levelname": "level", "name": "logger"}
# Put on a record by core/tracing.py's record factory while a span is current, and shown like the bound fields.
TRACE_FIELDS = ("trace_id", "span_id")
# uvicorn's loggers keep handlers of their own (its default configuration): they are made to go through ours.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# Immutable in use: log_fields sets a new mapping, never changes the one it found.
_NO_FIELDS: Mapping[str, object] = MappingProxyType({})
_fields: ContextVar[Mapping[str, object]] = ContextVar("log_fields", default=_NO_FIELDS)


class log_fields:  # lower case: it replaced a function, and reads as one at `with log_fields(request_id=...)`
    """Every line logged inside the block (in this task and in the tasks it starts) carries these fields. A class
    rather than a generator's context manager: it is entered for every request, and costs a third as much."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: object) -> None:
        self._fields = fields
        self._token: Token[Mapping[str, object]] | None = None

    def __enter__(self) -> None:
        self._token = _fields.set({**_fields.get(), **self._fields})

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _fields.reset(self._token)


def current_log_fields() -> Mapping[str, object]:
    return _fields.get()


class _ContextFields(logging.Filter):
    """Puts the bound fields on each record (a field the call itself passed in `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _fields.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        record.context_fields = tuple(_fields.get())
        return True


class _AccessLineWithoutQuery(logging.Filter):
    """uvicorn's access line shows the path with its query string, and a GET /graphql carries its document and
    variables there (a login mutation's password included, even though GET refuses mutations): the query string
    is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


class _TextFormatter(logging.Formatter):
    """The text line, followed by the bound fields (`[request_id=...]`) and the trace ids when there are any."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second = -1  # the whole second `_second_text` shows
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # logging's own (`2026-12-03 17:41:27,123`), with the date and time of a second made once for every line
        # logged within it.
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(TEXT_TIME_FORMAT, self.converter(record.created))
            self._second = second
        return f"{self._second_text},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        names: tuple[str, ...] = getattr(record, "context_fields", ())
        if hasattr(record, TRACE_FIELDS[0]):
            names = (*names, *TRACE_FIELDS)
        if not names:
            return line
        bound = " ".join(f"{name}={getattr(record, name, None)}" for name in names)
        first, newline, rest = line.partition("\n")  # a traceback stays below the line it belongs to
        return f"{first} [{bound}]{newline}{rest}"


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]  # typeshed makes it generic over the stream
    """Ours, so that configuring again replaces it rather than adding a second one."""


def json_formatter() -> logging.Formatter:
    # `timestamp=True` is the record's time in UTC, ISO 8601. The bound fields and any `extra` become keys.
    return OrjsonFormatter(
        list(JSON_FIELDS), rename_fields=dict(JSON_RENAMED), timestamp=True, reserved_attrs=_reserved_attributes()
    )


def _reserved_attributes() -> list[str]:
    # The LogRecord attributes that are not fields of the line (python-json-logger's list; taskName is Python
    # 3.12's), our own bookkeeping, and uvicorn's copy of its message with terminal colour codes.
    return [*RESERVED_ATTRS, "taskName", "context_fields", "color_message"]


def configure_logging(settings: Settings) -> None:
    """Log to stderr at LOG_LEVEL in LOG_FORMAT. As `logging.basicConfig` does, a process whose logging someone
    else has already configured (a test runner capturing the lines, a program embedding the app) is left alone."""
    root = logging.getLogger()
    if any(not isinstance(handler, _Handler) for handler in root.handlers):
        return
    handler = _Handler(sys.stderr)
    handler.setFormatter(json_formatter() if settings.log_as_json else _TextFormatter(TEXT_FORMAT))
    handler.addFilter(_ContextFields())
    handler.addFilter(_AccessLineWithoutQuery())
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
