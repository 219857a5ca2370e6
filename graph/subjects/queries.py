from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry
from sqlalchemy import ColumnElement, exists

from db.models import Subject as SubjectRow
from db.models import SubjectBaseImage
from db.models.enums import BodyType, SubjectAgeClass
from graph import access
from graph.arguments import Id, OrganizationId, ShotTypeId
from graph.context import Info
from graph.crud import Crud
from graph.list_options import BY_CREATED_AT, BY_NAME, BY_UPDATED_AT, Filtered, ListOptions, Sort
from graph.lists import Listing
from graph.pages import selects
from graph.subjects.loaders import LoadedSubjectDetail, SubjectByIdLoader, SubjectWithImagesByIdLoader
from graph.subjects.types import BaseImage, BaseImages, Subject
from services.caller import Caller
from services.crud import PageRows
from services.subjects import WHAT
from services.subjects_base_images import list_base_images

SUBJECTS = Crud(SubjectRow, WHAT, Subject)

# Every subject list (subjects, adminSubjects, userSubjects) sorts and filters the same way.
SUBJECT_OPTIONS = ListOptions(
    "Subject",
    SubjectRow,
    sort=(
        BY_NAME,
        Sort("SURNAME", "surname", "By surname; subjects without one come last (first when descending)."),
        BY_CREATED_AT,
        BY_UPDATED_AT,
    ),
    search=("name", "surname", "description", "ethnicity"),
    choices=("age_class", "gender", "subject_type", "body_type", "lora_status"),
    flags=("public", "enabled", "ready"),
)


@dataclass(frozen=True)
class SubjectArguments:
    organization_id: uuid.UUID | None = None
    age_class: SubjectAgeClass | None = None
    body_type: BodyType | None = None
    include_public: bool = False
    only_with_base_images: bool = False


def _where(caller: Caller, arguments: SubjectArguments, filtered: Filtered) -> list[ColumnElement[bool]]:
    if arguments.only_with_base_images:
        return [exists().where(SubjectBaseImage.subject_id == SubjectRow.id)]
    return []


# A page's rows, with (base images, data images' storage keys) when its subjects show them (graph/subjects/loaders
# .with_images): what the page does not show would only cost the server time.
_PAGE_ROWS = {
    (base_images, data_image_keys): PageRows(
        SubjectRow,
        SubjectByIdLoader.detail_select(base_images=base_images, data_image_keys=data_image_keys),
        LoadedSubjectDetail,
    )
    for base_images in (False, True)
    for data_image_keys in (False, True)
}


def _page_rows(info: Info) -> PageRows:
    return _PAGE_ROWS[selects(info, "data", "baseImages"), selects(info, "data", "dataImageUrls")]


@strawberry.type
class Query:
    subjects = SUBJECTS.list(
        "Subjects. With organizationId: that organization's; without: your personal ones. includePublic adds "
        "public ones; onlyWithBaseImages keeps those with at least one base image.",
        Listing(SubjectArguments, SUBJECT_OPTIONS, equal=("age_class", "body_type"), where=_where),
        "Subjects",
        rows=_PAGE_ROWS[False, False],
        rows_for=_page_rows,
    )
    subject = SUBJECTS.get(loader=SubjectWithImagesByIdLoader)

    @access.query("A subject's base images, optionally only the one for a shot type.")
    async def subject_base_images(
        self,
        info: Info,
        caller: Caller,
        id: Id,
        organization_id: OrganizationId = None,
        shot_type_id: ShotTypeId = None,
    ) -> BaseImages:
        async with info.context.read_session() as session:
            rows = await list_base_images(
                session, caller, id, organization_id=organization_id, shot_type_id=shot_type_id
            )
        return BaseImages(data=[BaseImage.of(row) for row in rows])
