"""What the guidelines test modules share: documents, and makers of the objects guidelines link to, all made
through the API as a user would."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Account, GraphQLClient
from tests.images import image_uri

NESTED = """shotTypes { id name }
  subjects { id name baseImages { shotTypeId shotType { id } } }
  posePresets { id name shotType { id } }
  setDesign { id name baseImages { id } referenceImages { id } subjectPortraits { id } }
  shotTypeRules { ruleKind ruleValue shotTypes { id } }
  backgroundPreset { id name }
  resolutionPreset { id width height }"""
FIELDS = f"""id name autoStartLookGenerations allowBackShotsWithoutBackImage ownerId organizationId
  resolutionPresetId backgroundPresetId setDesignId stylistId exportConfigurationId generativeWorkflowTemplateId
  createdAt updatedAt deletedAt {NESTED}"""

CREATE = f"""mutation($input: ShootingGuidelinesCreate!, $org: UUID) {{
  createGuidelines(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: ShootingGuidelinesUpdate!, $org: UUID) {{
  updateGuidelines(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ guideline(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteGuidelines(id: $id, organizationId: $org) { message } }"
RESTORE = f"mutation($id: UUID!) {{ restoreGuidelines(id: $id) {{ {FIELDS} }} }}"
LIST = """query($org: UUID, $owner: UUID, $skip: Int! = 0, $limit: Int! = 100) {
  guidelines(organizationId: $org, ownerId: $owner, skip: $skip, limit: $limit) { count data { id name } } }"""

COVER = image_uri(width=8, height=6, color=(10, 20, 30))


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("guidelines"), **fields}
    made: dict[str, Any] = (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createGuidelines"]
    return made


async def get(gql: GraphQLClient, account: Account, guideline_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.data(GET, {"id": guideline_id}, as_=account))["guideline"]
    return found


async def update(gql: GraphQLClient, account: Account, guideline_id: str, **fields: Any) -> dict[str, Any]:
    changed: dict[str, Any] = (await gql.data(UPDATE, {"id": guideline_id, "input": fields}, as_=account))[
        "updateGuidelines"
    ]
    return changed


async def make_organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Guides") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def make_shot_type(gql: GraphQLClient, account: Account, org: str | None = None) -> str:
    body = {"name": unique("shot"), "viewAngle": "FRONT", "framing": "FULL_BODY", "public": False}
    document = (
        "mutation($input: ShotTypeCreate!, $org: UUID) { createShotType(input: $input, organizationId: $org) { id } }"
    )
    made = await gql.data(document, {"input": body, "org": org}, as_=account)
    return str(made["createShotType"]["id"])


async def make_subject(
    gql: GraphQLClient, account: Account, org: str | None = None, *, base_shot_type: str | None = None
) -> str:
    body: dict[str, Any] = {"name": unique("subject"), "ageClass": "ADULT", "coverImage": {"url": COVER}}
    if base_shot_type is not None:
        body["baseImages"] = [{"shotTypeId": base_shot_type, "imageUrl": COVER}]
    document = (
        "mutation($input: SubjectCreate!, $org: UUID) { createSubject(input: $input, organizationId: $org) { id } }"
    )
    made = await gql.data(document, {"input": body, "org": org}, as_=account)
    return str(made["createSubject"]["id"])


async def make_pose_preset(gql: GraphQLClient, account: Account, shot_type_id: str, org: str | None = None) -> str:
    body = {"name": unique("pose"), "shotTypeId": shot_type_id}
    document = """mutation($input: PosePresetCreate!, $org: UUID) {
      createPosePreset(input: $input, organizationId: $org) { id } }"""
    made = await gql.data(document, {"input": body, "org": org}, as_=account)
    return str(made["createPosePreset"]["id"])


async def make_set_design(gql: GraphQLClient, account: Account, subject_id: str, shot_type_id: str) -> str:
    image = {"url": COVER}
    body = {
        "name": unique("set"),
        "baseImages": [{"subjectId": subject_id, "shotTypeId": shot_type_id, "image": image}],
        "referenceImages": [{"shotTypeId": shot_type_id, "image": image}],
        "subjectPortraits": [{"subjectId": subject_id, "image": image}],
    }
    made = await gql.data(
        "mutation($input: SetDesignCreate!) { createSetDesign(input: $input) { id } }", {"input": body}, as_=account
    )
    return str(made["createSetDesign"]["id"])


async def make_background_preset(gql: GraphQLClient, account: Account) -> str:
    body = {"name": unique("background"), "framings": [{"image": {"url": COVER}}]}
    document = "mutation($input: BackgroundPresetCreate!) { createBackgroundPreset(input: $input) { id } }"
    return str((await gql.data(document, {"input": body}, as_=account))["createBackgroundPreset"]["id"])


async def make_resolution_preset(gql: GraphQLClient, account: Account) -> str:
    body = {"name": unique("resolution"), "width": 1920, "height": 1080}
    document = "mutation($input: ResolutionPresetCreate!) { createResolutionPreset(input: $input) { id } }"
    return str((await gql.data(document, {"input": body}, as_=account))["createResolutionPreset"]["id"])


async def soft_delete(gql: GraphQLClient, account: Account, kind: str, object_id: str) -> None:
    """`kind` names the operations: deleteShotType/restoreShotType for "ShotType", and so on."""
    await gql.data(f"mutation($id: UUID!) {{ delete{kind}(id: $id) {{ message }} }}", {"id": object_id}, as_=account)


async def restore(gql: GraphQLClient, superuser: Account, kind: str, object_id: str) -> None:
    await gql.data(f"mutation($id: UUID!) {{ restore{kind}(id: $id) {{ id }} }}", {"id": object_id}, as_=superuser)
