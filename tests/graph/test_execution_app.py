"""The application's own schema answers the same under graphql-core's execution as under the breadth-first one
(graph/execution/): each relation resolver's per-object form, which graphql-core calls, answers what its
whole-level form (levels.py) answers, hidden and soft-deleted links included."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.base import utcnow
from db.models import GuidelineSubject, Subject
from graph.context import Context
from graph.loaders import Loaders
from graph.schema import build_schema
from services.caller import load_caller
from tests.conftest import Accounts
from tests.seed_rows import Seed, make_organization

NESTED = """query($organizationId: UUID!) { guidelines(organizationId: $organizationId, limit: 50) { count data {
  id name
  shotTypes { id name viewAngle }
  subjects { id name coverImageUrl portraitImageUrl baseImages { shotTypeId shotTypeLabel imageUrl }
             measurements { heightCm } }
  posePresets { id name poseImageUrl shotType { name } }
  setDesign { id name baseImages { id imageUrl } referenceImages { id imageUrl } subjectPortraits { id imageUrl } }
  shotTypeRules { ruleKind ruleValue shotTypes { id name } }
  backgroundPreset { id framings { id } }
  resolutionPreset { width }
} } }"""


Execution = Literal["fast", "standard"]


async def answer(
    app: Starlette, settings: Settings, user_id: uuid.UUID, organization_id: uuid.UUID, execution: Execution
) -> Any:
    """NESTED as `user_id` sees it, executed as the GRAPHQL_EXECUTION setting `execution` says."""
    resources = app.state.resources
    context = Context(request=None, response=None, resources=resources, loaders=Loaders(resources.session_factory))  # type: ignore[arg-type]
    async with context.read_session() as session:
        context.caller = await load_caller(session, user_id)
    result = await build_schema(settings.model_copy(update={"graphql_execution": execution})).execute(
        NESTED, variable_values={"organizationId": str(organization_id)}, context_value=context
    )
    assert result.errors is None, result.errors
    return result.data


async def test_the_nested_guidelines_page_answers_the_same_under_graphql_core(
    app: Starlette,
    settings: Settings,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # NESTED, with every nested list at its cap, prices at 3.9 million (docs/api.md, "Limits and cost"): past the
    # default QUERY_MAX_COST, so this deployment allows it.
    monkeypatch.setattr(settings, "query_max_cost", 5_000_000)
    member = await accounts.user()
    organization_id = await make_organization(session_factory)
    await accounts.add_to_organization(member, organization_id)
    seed = Seed(owner_id=member.id, organization_id=organization_id)
    guideline_ids = [seed.guideline() for _ in range(4)]
    # Links the member may not see: another user's private subject, and a soft-deleted subject of their own.
    stranger = Seed(owner_id=(await accounts.user()).id)
    private_subject = stranger.subject([])
    await stranger.write(session_factory)
    deleted_subject = seed.subject([])
    seed.rows[Subject][-1]["deleted_at"] = utcnow()
    for position, subject_id in enumerate((private_subject, deleted_subject), start=10):
        seed.add(GuidelineSubject, guideline_id=guideline_ids[0], subject_id=subject_id, position=position)
    await seed.write(session_factory)

    breadth_first = await answer(app, settings, member.id, organization_id, "fast")
    graphql_core = await answer(app, settings, member.id, organization_id, "standard")

    assert breadth_first == graphql_core
    page = breadth_first["guidelines"]
    assert page["count"] == 4
    by_id = {guideline["id"]: guideline for guideline in page["data"]}
    linked = by_id[str(guideline_ids[0])]["subjects"]
    assert len(linked) == 3 and {str(private_subject), str(deleted_subject)}.isdisjoint(s["id"] for s in linked)
    assert all(subject["coverImageUrl"].startswith("/media/") for subject in linked)
    assert all(len(guideline["shotTypes"]) == 3 and guideline["setDesign"] for guideline in page["data"])
