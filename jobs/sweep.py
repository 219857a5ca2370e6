"""Housekeeping: staged uploads abandoned mid-request (a dropped connection, a killed process) are removed."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger("jobs.sweep")

# Older than any request could still be writing: uploads stream within the request's lifetime.
STALE_AFTER_SECONDS = 6 * 60 * 60


def remove_stale_files(folder: Path, *, older_than_seconds: float, now: float | None = None) -> int:
    if not folder.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - older_than_seconds
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed concurrently: nothing left to do
            continue
    return removed


async def sweep_staging(ctx: dict[str, Any]) -> int:
    storage = ctx["resources"].storage
    removed = await asyncio.to_thread(remove_stale_files, storage.tmp_dir, older_than_seconds=STALE_AFTER_SECONDS)
    if removed:
        logger.info("Removed %d abandoned staged file(s)", removed)
    return removed
