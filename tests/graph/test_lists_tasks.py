"""subjectUploadTasks: the upload tasks each caller may see (their own, and those of subjects they can see, as
subjectUploadTask decides; superusers all), newest first, narrowed by subjectId and the filter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Subject, SubjectBaseImagesUploadTask
from db.models.enums import OrganizationRole, SubjectAgeClass, TaskStatus
from tests.conftest import Account, Accounts, GraphQLClient
from tests.seed_rows import make_organization

LIST = """query($subjectId: UUID, $filter: SubjectBaseImagesUploadTaskFilter, $order: SubjectBaseImagesUploadTaskOrder,
  $after: String, $limit: Int! = 100) {
  subjectUploadTasks(subjectId: $subjectId, filter: $filter, orderBy: $order, after: $after, limit: $limit) {
    count pageInfo { hasNextPage endCursor } data { id subjectId ownerId status errorMessage } } }"""
ONE = "query($id: UUID!) { subjectUploadTask(taskId: $id) { id } }"
_EPOCH = datetime(2026, 2, 1, tzinfo=UTC)


async def test_each_caller_lists_the_tasks_it_may_see(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, member, stranger, other = [await accounts.user() for _ in range(4)]
    admin = await accounts.user(superuser=True)
    organization = await make_organization(session_factory)
    await accounts.add_to_organization(owner, organization, OrganizationRole.OWNER)
    await accounts.add_to_organization(member, organization, OrganizationRole.MEMBER)
    token = f"t{uuid.uuid4().hex[:10]}"

    subjects: dict[str, dict[str, Any]] = {
        "personal": {"owner_id": owner.id},
        "in organization": {"owner_id": owner.id, "organization_id": organization},
        "public": {"owner_id": other.id, "public": True},
        "deleted": {"owner_id": owner.id, "organization_id": organization, "deleted_at": datetime.now(UTC)},
    }
    for name, values in subjects.items():
        values.update(id=uuid.uuid4(), name=name, slug=f"{token}-{name.replace(' ', '-')}")
        values.update(age_class=SubjectAgeClass.ADULT)
    tasks = {
        "personal": ("personal", owner),
        "in organization": ("in organization", owner),
        "public": ("public", other),
        "deleted subject": ("deleted", owner),
        "member's": ("in organization", member),
    }
    rows = []
    for index, (name, (subject, by)) in enumerate(tasks.items()):
        rows.append(
            {
                "id": uuid.uuid4(),
                "owner_id": by.id,
                "subject_id": subjects[subject]["id"],
                "status": list(TaskStatus)[index % 4],
                "error_message": f"{token} {name}",
                "created_at": _EPOCH + timedelta(minutes=index),
            }
        )
    async with session_factory() as session, session.begin():
        for values in subjects.values():
            await session.execute(insert(Subject), [values])
        await session.execute(insert(SubjectBaseImagesUploadTask), rows)
    task_ids = {name: str(row["id"]) for name, row in zip(tasks, rows, strict=True)}

    async def listed(caller: Account, **variables: Any) -> list[str]:
        variables.setdefault("filter", {})["search"] = token
        page = (await gql.data(LIST, variables, as_=caller))["subjectUploadTasks"]
        assert page["count"] == len(page["data"]) or "after" in variables  # count: all matching, not the page
        return [item["id"] for item in page["data"]]

    def named(*names: str) -> list[str]:
        """These tasks, newest first (the list's default order)."""
        return [task_ids[name] for name in reversed(list(tasks)) if name in names]

    everything = named(*tasks)
    assert await listed(owner) == everything
    assert await listed(admin) == everything
    assert await listed(member) == named("in organization", "public", "member's")
    assert await listed(stranger) == named("public")
    # The list agrees with subjectUploadTask, task by task.
    for caller in (member, stranger):
        seen = set(await listed(caller))
        for task_id in task_ids.values():
            body = await gql(ONE, {"id": task_id}, as_=caller)
            found = (body.get("data") or {}).get("subjectUploadTask")
            assert (found is not None) == (task_id in seen), (task_id, body)
    in_organization = str(subjects["in organization"]["id"])
    assert await listed(member, subjectId=in_organization) == named("in organization", "member's")
    assert await listed(stranger, subjectId=in_organization) == []
    statuses = ["PENDING", "COMPLETED"]  # rows 0 and 2 (and 4: PENDING)
    assert await listed(owner, filter={"status": statuses}) == named("personal", "public", "member's")
    oldest_first = await listed(owner, order={"field": "CREATED_AT", "direction": "ASC"})
    assert oldest_first == list(reversed(everything))
    # Keyset pages, newest first.
    first = (await gql.data(LIST, {"filter": {"search": token}, "limit": 2}, as_=owner))["subjectUploadTasks"]
    rest = await listed(owner, after=first["pageInfo"]["endCursor"])
    assert [item["id"] for item in first["data"]] + rest == everything
