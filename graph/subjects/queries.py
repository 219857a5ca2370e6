from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement, exists

from db.models import Subject as SubjectRow
from db.models import SubjectBaseImage
from db.models.enums import BodyType, SubjectAgeClass
from graph.context import Info
from graph.subjects.types import BaseImage, BaseImages, Subject, Subjects
from graph.validation import check_page
from services import crud
from services.subjects import WHAT
from services.subjects_base_images import list_base_images


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Subjects. With organizationId: that organization's; without: your personal ones. includePublic adds "
            "public ones; onlyWithBaseImages keeps those with at least one base image."
        )
    )
    async def subjects(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        age_class: SubjectAgeClass | None = None,
        body_type: BodyType | None = None,
        include_public: bool = False,
        only_with_base_images: bool = False,
        skip: int = 0,
        limit: int = 100,
    ) -> Subjects:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = []
        if age_class is not None:
            filters.append(SubjectRow.age_class == age_class)
        if body_type is not None:
            filters.append(SubjectRow.body_type == body_type)
        if only_with_base_images:
            filters.append(exists().where(SubjectBaseImage.subject_id == SubjectRow.id))
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                SubjectRow,
                organization_id=organization_id,
                include_public=include_public,
                filters=filters,
                skip=skip,
                limit=limit,
            )
        return Subjects(data=[Subject.of(row) for row in rows], count=count)

    @strawberry.field
    async def subject(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Subject:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, SubjectRow, id, WHAT, organization_id=organization_id)
        return Subject.of(row)

    @strawberry.field(description="A subject's base images, optionally only the one for a shot type.")
    async def subject_base_images(
        self,
        info: Info,
        id: uuid.UUID,
        organization_id: uuid.UUID | None = None,
        shot_type_id: uuid.UUID | None = None,
    ) -> BaseImages:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            rows = await list_base_images(
                session, caller, id, organization_id=organization_id, shot_type_id=shot_type_id
            )
        return BaseImages(data=[BaseImage.of(row) for row in rows])
