"""What the list tests share: every list query as a case (its field, its type's declared options, how to seed its
rows), rows seeded straight into the database with ties and NULLs in every sort column, and the documents that
read a list through GraphQL."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.security import hash_password
from db.models import (
    PosePreset,
    ResolutionPreset,
    ShotType,
    Style,
    Subject,
    SubjectBaseImagesUploadTask,
    User,
)
from db.models.enums import SubjectAgeClass, ViewAngle
from graph.background_presets.queries import BACKGROUND_PRESET_OPTIONS
from graph.guidelines.queries import GUIDELINES_OPTIONS
from graph.list_options import ListOptions
from graph.pose_presets.queries import POSE_PRESET_OPTIONS
from graph.resolution_presets.queries import RESOLUTION_PRESET_OPTIONS
from graph.set_designs.queries import SET_DESIGN_OPTIONS
from graph.shot_types.queries import SHOT_TYPE_OPTIONS
from graph.styles.queries import STYLE_OPTIONS
from graph.subjects.queries import SUBJECT_OPTIONS
from graph.tasks.queries import UPLOAD_TASK_OPTIONS
from tests.conftest import Account, GraphQLClient

ROWS = 10  # per list: ties in every sort column, NULLs in the nullable ones
DELETED = {3, 8}  # the rows soft-deleted (where the model has soft deletes)
_EPOCH = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
_LETTERS = "bacab"  # names tie: a, b and c each more than once


@dataclass(frozen=True)
class Prerequisites:
    """Rows that a case's rows point at: a shot type (pose presets) and a subject (upload tasks)."""

    shot_type_id: uuid.UUID
    subject_id: uuid.UUID


@dataclass(frozen=True)
class ListCase:
    field: str
    type_name: str  # of <Type>Order, <Type>OrderField, <Type>Filter
    model: Any
    sorts: dict[str, str]  # <Type>OrderField value -> the column it sorts by
    choices: tuple[str, ...] = ()  # enum filter columns
    flags: tuple[str, ...] = ()  # boolean filter columns
    superuser: bool = False
    # Extra arguments: (variable definitions, arguments) using $owner for the caller's id.
    arguments: tuple[str, str] = ("", "")
    # Rows a list leaves out unless its filter names the column: {column: the only value shown}.
    hidden_unless_filtered: dict[str, Any] = field(default_factory=dict)
    # The order without orderBy: "newest" (newest first, then id), "name" (by name, then newest first, then
    # id) or "oldest" (oldest first, then id).
    default_order: str = "newest"

    @property
    def soft_deletes(self) -> bool:
        return "deleted_at" in self.model.__table__.columns

    def __str__(self) -> str:
        return self.field


def declared(list_field: str, options: ListOptions, **details: Any) -> ListCase:
    """A case for a list whose type's options a domain module declares."""
    return ListCase(
        list_field,
        options.type_name,
        options.model,
        {sort.field: sort.column for sort in options.sort},
        options.choices,
        options.flags,
        **details,
    )


CASES = [
    declared("subjects", SUBJECT_OPTIONS),
    declared("adminSubjects", SUBJECT_OPTIONS, superuser=True),
    declared("userSubjects", SUBJECT_OPTIONS, superuser=True, arguments=(", $owner: UUID!", "userId: $owner, ")),
    declared("styles", STYLE_OPTIONS, hidden_unless_filtered={"archived": False}),
    declared("adminStyles", STYLE_OPTIONS, superuser=True),
    declared("shotTypes", SHOT_TYPE_OPTIONS, default_order="name"),
    declared("backgroundPresets", BACKGROUND_PRESET_OPTIONS, default_order="name"),
    declared("resolutionPresets", RESOLUTION_PRESET_OPTIONS, default_order="name"),
    declared("guidelines", GUIDELINES_OPTIONS, default_order="name"),
    declared("posePresets", POSE_PRESET_OPTIONS, default_order="name"),
    declared("setDesigns", SET_DESIGN_OPTIONS, default_order="name"),
    declared("subjectUploadTasks", UPLOAD_TASK_OPTIONS),
    # Declared inline in graph/users/queries.py: written out here.
    ListCase(
        "users",
        "User",
        User,
        {"NAME": "full_name", "EMAIL": "email", "CREATED_AT": "created_at", "UPDATED_AT": "updated_at"},
        flags=("is_active", "is_superuser"),
        superuser=True,
        default_order="oldest",
    ),
]


def letter(index: int) -> str:
    return _LETTERS[index % len(_LETTERS)]


def row_values(
    case: ListCase, index: int, token: str, owner: uuid.UUID, prerequisites: Prerequisites
) -> dict[str, Any]:
    """The i-th row of a case: the search token in its searched column, ties and NULLs in its sort columns, and
    every enum and boolean filter column cycling through its values."""
    model = case.model
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "created_at": _EPOCH + timedelta(seconds=index // 3),  # ties of three
        "updated_at": _EPOCH + timedelta(seconds=(index * 7) % 4),
    }
    columns = model.__table__.columns
    for name in case.choices:
        members = list(columns[name].type.enum_class)
        values[name] = members[index % len(members)]
    for position, name in enumerate(case.flags):  # each flag in its own rhythm, so that they do not coincide
        values[name] = (index // (position + 1)) % 2 == 0
    if "name" in columns:
        # Shot type names are unique per owner: no ties there.
        values["name"] = f"{token} {letter(index)}" if model is not ShotType else f"{token} {letter(index)}{index}"
    if "owner_id" in columns:
        values["owner_id"] = owner
    if "deleted_at" in columns and index in DELETED:
        # Deleted just now: well within the purge window, so the purge job's tests never find these.
        values["deleted_at"] = datetime.now(UTC)
    if model is Subject:
        values.update(slug=f"{token}-{index}", surname=None if index % 3 == 0 else letter(index + 1))
    elif model is Style:
        values.update(slug=f"{token}-{index}")
    elif model is ResolutionPreset:
        values.update(width=100 * (index % 3 + 1), height=50 * (index % 4 + 1))
    elif model is PosePreset:
        values.update(shot_type_id=prerequisites.shot_type_id)
    elif model is SubjectBaseImagesUploadTask:
        values.update(subject_id=prerequisites.subject_id, error_message=f"{token} {letter(index)}")
    elif model is User:
        values.update(
            email=f"{token}-{index}@example.com",
            full_name=None if index % 3 == 0 else letter(index),
            hashed_password=_PASSWORD,
        )
    return values


_PASSWORD = hash_password("not used by these tests")


async def seed_case(
    session_factory: async_sessionmaker[AsyncSession], case: ListCase, owner: Account
) -> tuple[str, list[dict[str, Any]]]:
    """Seed a case's rows for `owner`: the token that finds them (filter.search) and the rows written."""
    token = f"t{uuid.uuid4().hex[:10]}"
    other = f"p{uuid.uuid4().hex[:10]}"  # the prerequisites' names: not found by the token
    prerequisites = Prerequisites(uuid.uuid4(), uuid.uuid4())
    async with session_factory() as session, session.begin():
        await session.execute(
            insert(ShotType),
            [
                {
                    "id": prerequisites.shot_type_id,
                    "name": f"{other}-shot",
                    "owner_id": owner.id,
                    "view_angle": ViewAngle.FRONT,
                    "framing": "full_body",
                    "public": False,
                }
            ],
        )
        await session.execute(
            insert(Subject),
            [
                {
                    "id": prerequisites.subject_id,
                    "name": f"{other}-subject",
                    "slug": f"{other}-subject",
                    "owner_id": owner.id,
                    "age_class": SubjectAgeClass.ADULT,
                }
            ],
        )
        rows = [row_values(case, index, token, owner.id, prerequisites) for index in range(ROWS)]
        await session.execute(insert(case.model), rows)
    return token, rows


def live(case: ListCase, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The seeded rows a list shows without a filter (soft-deleted and hidden ones left out)."""
    return [
        row
        for row in rows
        if row.get("deleted_at") is None
        and all(row[column] == value for column, value in case.hidden_unless_filtered.items())
    ]


def sorted_rows(rows: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    """Rows in a keyset order: by the column (NULLs last ascending, first descending), then by id, both in the
    direction asked."""

    def key(row: dict[str, Any]) -> tuple[bool, Any, uuid.UUID]:
        value = row[column]
        return (value is None, _plain(value) if value is not None else 0, row["id"])

    return sorted(rows, key=key, reverse=descending)


def default_sorted(case: ListCase, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in a list's order without orderBy (as services/crud.list_page has always sorted them)."""
    if case.default_order == "oldest":
        return sorted(rows, key=lambda row: (row["created_at"], row["id"]))
    newest = sorted(rows, key=lambda row: (-row["created_at"].timestamp(), row["id"]))
    if case.default_order == "name":
        return sorted(newest, key=lambda row: row["name"])  # stable: newest first within a name
    return newest


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(row["id"]) for row in rows]


def list_document(case: ListCase, selection: str = "count pageInfo { hasNextPage endCursor } data { id }") -> str:
    name = case.type_name
    variables, arguments = case.arguments
    return (
        f"query($filter: {name}Filter, $order: {name}Order, $skip: Int! = 0, $limit: Int! = 100, "
        f"$after: String{variables}) {{ {case.field}({arguments}filter: $filter, orderBy: $order, skip: $skip, "
        f"limit: $limit, after: $after) {{ {selection} }} }}"
    )


@dataclass
class Reader:
    """Reads one case's list through GraphQL as one caller."""

    gql: GraphQLClient
    case: ListCase
    caller: Account
    token: str

    def variables(self, filter: dict[str, Any] | None = None, **page: Any) -> dict[str, Any]:
        return {"filter": {"search": self.token, **(filter or {})}, "owner": str(self.caller.id), **page}

    async def page(self, filter: dict[str, Any] | None = None, **page: Any) -> dict[str, Any]:
        answer: dict[str, Any] = (
            await self.gql.data(list_document(self.case), self.variables(filter, **page), as_=self.caller)
        )[self.case.field]
        return answer

    async def error(self, filter: dict[str, Any] | None = None, **page: Any) -> dict[str, Any]:
        error: dict[str, Any] = await self.gql.error(
            list_document(self.case), self.variables(filter, **page), as_=self.caller
        )
        return error

    async def all_ids(self, filter: dict[str, Any] | None = None, **page: Any) -> list[str]:
        return [item["id"] for item in (await self.page(filter, limit=1000, **page))["data"]]

    async def keyset_walk(self, limit: int, filter: dict[str, Any] | None = None, **page: Any) -> list[str]:
        """Every row, page after page by `after`; each page but the last says more follow."""
        walked: list[str] = []
        after = None
        while True:
            answer = await self.page(filter, limit=limit, after=after, **page)
            walked += [item["id"] for item in answer["data"]]
            if not answer["pageInfo"]["hasNextPage"]:
                return walked
            assert len(answer["data"]) == limit
            after = answer["pageInfo"]["endCursor"]
            assert after is not None

    async def skip_walk(self, limit: int, filter: dict[str, Any] | None = None, **page: Any) -> list[str]:
        walked: list[str] = []
        while True:
            answer = await self.page(filter, limit=limit, skip=len(walked), **page)
            walked += [item["id"] for item in answer["data"]]
            if not answer["pageInfo"]["hasNextPage"]:
                return walked


def order(field_name: str, direction: str) -> dict[str, str]:
    return {"field": field_name, "direction": direction}
