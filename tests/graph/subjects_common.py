"""What the subject test modules share: documents, and makers of subjects, organizations and shot types."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Account, GraphQLClient
from tests.images import image_uri

MEDIA = "id width height url"
BASE_IMAGE = "shotTypeId shotTypeLabel imageUrl shotType { id name }"
MEASUREMENTS = "id bustCm waistCm hipsCm heightCm shoeEu eyeColor hairColor"
FIELDS = f"""id createdAt updatedAt name surname slug description ageClass gender subjectType bodyType
  positivePrompt negativePrompt ethnicity public enabled ready loraStatus loraTrigger deletedAt ownerId organizationId
  coverImageUrl portraitImageUrl dataImageUrls coverImageMedia {{ {MEDIA} }} portraitImageMedia {{ {MEDIA} }}
  dataImagesMedia {{ {MEDIA} }} portfolioImagesMedia {{ {MEDIA} }} baseImages {{ {BASE_IMAGE} }}
  measurements {{ {MEASUREMENTS} }}"""
ADMIN_FIELDS = f"{FIELDS} localModelPath loraFilename"

CREATE = f"""mutation($input: SubjectCreate!, $org: UUID) {{
  createSubject(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: SubjectUpdate!, $org: UUID) {{
  updateSubject(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ subject(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteSubject(id: $id, organizationId: $org) { message } }"
RESTORE = "mutation($id: UUID!) { restoreSubject(id: $id) { id slug deletedAt } }"
COPY = f"mutation($id: UUID!) {{ copySubject(id: $id) {{ {FIELDS} }} }}"
LIST = """query($org: UUID, $age: SubjectAgeClass, $body: BodyType, $pub: Boolean! = false,
  $withBase: Boolean! = false, $skip: Int! = 0, $limit: Int! = 100) {
  subjects(organizationId: $org, ageClass: $age, bodyType: $body, includePublic: $pub,
    onlyWithBaseImages: $withBase, skip: $skip, limit: $limit) { count data { id name } } }"""
ADD_BASE_IMAGE = f"""mutation($id: UUID!, $input: BaseImageCreate!, $org: UUID) {{
  addSubjectBaseImage(id: $id, input: $input, organizationId: $org) {{ {BASE_IMAGE} }} }}"""
SUBJECT_BASE_IMAGES = (
    f"""query($id: UUID!) {{ subject(id: $id) {{ id ready updatedAt baseImages {{ {BASE_IMAGE} }} }} }}"""
)
BASE_IMAGES = f"""query($id: UUID!, $org: UUID, $shot: UUID) {{
  subjectBaseImages(id: $id, organizationId: $org, shotTypeId: $shot) {{ data {{ {BASE_IMAGE} }} }} }}"""
DELETE_BASE_IMAGE = """mutation($id: UUID!, $url: String!, $org: UUID) {
  deleteSubjectBaseImage(id: $id, url: $url, organizationId: $org) { message } }"""
CREATE_SHOT_TYPE = "mutation($input: ShotTypeCreate!) { createShotType(input: $input) { id name } }"

# One small image reused wherever the picture itself does not matter (ingesting it again is cheap: same content).
COVER = image_uri(width=8, height=6, color=(10, 20, 30))


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def image(width: int = 12, height: int = 10, color: tuple[int, int, int] = (90, 90, 90)) -> dict[str, str]:
    return {"url": image_uri(width=width, height=height, color=color)}


def fresh_image_uri(width: int = 12) -> str:
    """An image no other test sends (a random colour), for tests that watch its stored file come and go."""
    red, green, blue = uuid.uuid4().bytes[:3]
    return image_uri(width=width, height=10, color=(red, green, blue))


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("subject"), "ageClass": "ADULT", "coverImage": {"url": COVER}, **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createSubject"]


async def update(gql: GraphQLClient, account: Account, subject_id: str, **fields: Any) -> dict[str, Any]:
    return (await gql.data(UPDATE, {"id": subject_id, "input": fields}, as_=account))["updateSubject"]


async def make_organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Models") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def make_shot_type(gql: GraphQLClient, account: Account, *, public: bool = False) -> dict[str, str]:
    body = {"name": unique("shot"), "viewAngle": "FRONT", "framing": "FULL_BODY", "public": public}
    made: dict[str, str] = (await gql.data(CREATE_SHOT_TYPE, {"input": body}, as_=account))["createShotType"]
    return made


async def add_base_image(
    gql: GraphQLClient, account: Account, subject_id: str, shot_type_id: str, url: str
) -> dict[str, Any]:
    """Add a base image, check that the mutation answered that base image, and answer the subject as it now is
    (`id ready updatedAt baseImages`)."""
    variables = {"id": subject_id, "input": {"imageUrl": url, "shotTypeId": shot_type_id}}
    added = (await gql.data(ADD_BASE_IMAGE, variables, as_=account))["addSubjectBaseImage"]
    subject: dict[str, Any] = (await gql.data(SUBJECT_BASE_IMAGES, {"id": subject_id}, as_=account))["subject"]
    assert added in subject["baseImages"], (added, subject["baseImages"])
    assert added["shotTypeId"] == shot_type_id
    return subject
