"""Housekeeping: temp files abandoned by a killed process (staged uploads, local copies) are removed."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("jobs.sweep")


async def sweep_staging(ctx: dict[str, Any]) -> int:
    removed: int = await ctx["resources"].storage.remove_stale_temp_files()
    if removed:
        logger.info("Removed %d abandoned staged file(s)", removed)
    return removed
