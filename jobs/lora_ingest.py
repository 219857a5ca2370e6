"""The LoRA job: check an uploaded weights file and store it as the entity's model (services/lora.py).

Expected outcomes (a bad file, a superseded upload) are answers, not errors. PostgreSQL or Redis being unreachable
is retried as for every job (jobs/retrying.py). Any other unexpected error is retried too, with a growing delay,
MAX_TRIES times; once the tries are spent the entity is marked `failed`, so no upload stays `processing`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, cast

from arq import Retry

from jobs.retrying import job_try, outage_retry
from services import lora
from services.resources import Resources

logger = logging.getLogger("jobs.lora_ingest")

# Tries for an unexpected error other than an outage (which has JOB_OUTAGE_MAX_TRIES).
MAX_TRIES = 4
_RETRY_DELAY_SECONDS = 5


async def lora_ingest(ctx: dict[str, Any], kind: str, entity_id: str, staged_key: str) -> dict[str, Any]:
    resources: Resources = ctx["resources"]
    entity_kind = cast(lora.EntityKind, kind)
    if entity_kind not in lora.KINDS:
        raise ValueError(f"unknown LoRA entity kind: {kind!r}")
    entity = uuid.UUID(entity_id)
    try:
        return await lora.ingest(resources, entity_kind, entity, staged_key)
    except Exception as error:
        retry = outage_retry(ctx, error, what=f"LoRA job for {kind} {entity_id}")
        if retry is not None:
            raise retry from error
        attempt = job_try(ctx)
        if attempt < MAX_TRIES:
            logger.warning("LoRA job for %s %s failed (try %d), retrying: %r", kind, entity_id, attempt, error)
            raise Retry(defer=attempt * _RETRY_DELAY_SECONDS) from error
        logger.exception("LoRA job for %s %s failed on its last try", kind, entity_id)
        return await lora.give_up(resources, entity_kind, entity, staged_key)
