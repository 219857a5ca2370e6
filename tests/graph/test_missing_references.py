"""Ids of organizations and users that do not exist, as a superuser may send them (members are stopped earlier by
the membership check): each create, update and transfer answers NOT_FOUND and writes nothing, instead of the
INTERNAL_SERVER_ERROR that PostgreSQL's foreign keys used to surface as (services/integrity.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import COVER

SHOT = {"name": "ghost-shot", "viewAngle": "FRONT", "framing": "FULL_BODY"}
RESOLUTION = {"name": "ghost-resolution", "width": 10, "height": 10}
GUIDELINES = {"name": "ghost-guidelines"}
SUBJECT = {"name": "Ghost", "ageClass": "ADULT", "coverImage": {"url": COVER}}
STYLE = {"name": "Ghost style", "coverImage": {"url": COVER}}

CREATES = {
    "createShotType": ("ShotTypeCreate", SHOT),
    "createResolutionPreset": ("ResolutionPresetCreate", RESOLUTION),
    "createGuidelines": ("ShootingGuidelinesCreate", GUIDELINES),
    "createSubject": ("SubjectCreate", SUBJECT),
    "createStyle": ("StyleCreate", STYLE),
}
WITH_OWNER_ID = ("createShotType", "createResolutionPreset", "createGuidelines")


def _create(mutation: str) -> str:
    input_type = CREATES[mutation][0]
    return f"mutation($input: {input_type}!, $org: UUID) {{ {mutation}(input: $input, organizationId: $org) {{ id }} }}"


@pytest.mark.parametrize("mutation", list(CREATES))
async def test_a_create_in_a_missing_organization_is_not_found(
    gql: GraphQLClient, accounts: Accounts, mutation: str
) -> None:
    admin = await accounts.user(superuser=True)
    body: dict[str, Any] = dict(CREATES[mutation][1])
    missing = str(uuid.uuid4())
    error = await gql.error(_create(mutation), {"input": body, "org": missing}, as_=admin)
    assert (error_code(error), error["message"]) == ("NOT_FOUND", "Organization not found")
    with_input_field = await gql.error(_create(mutation), {"input": {**body, "organizationId": missing}}, as_=admin)
    assert error_code(with_input_field) == "NOT_FOUND"


@pytest.mark.parametrize("mutation", WITH_OWNER_ID)
async def test_a_create_for_a_missing_owner_is_not_found(gql: GraphQLClient, accounts: Accounts, mutation: str) -> None:
    admin = await accounts.user(superuser=True)
    body = {**CREATES[mutation][1], "ownerId": str(uuid.uuid4())}
    error = await gql.error(_create(mutation), {"input": body}, as_=admin)
    assert (error_code(error), error["message"]) == ("NOT_FOUND", "User not found")


async def test_transfers_to_a_missing_organization_or_owner_are_not_found(
    gql: GraphQLClient, accounts: Accounts
) -> None:
    admin = await accounts.user(superuser=True)
    shot = (await gql.data(_create("createShotType"), {"input": {**SHOT, "name": "moving"}}, as_=admin))[
        "createShotType"
    ]
    update = """mutation($id: UUID!, $input: ShotTypeUpdate!) {
      updateShotType(id: $id, input: $input) { id organizationId ownerId } }"""
    for change in ({"organizationId": str(uuid.uuid4())}, {"ownerId": str(uuid.uuid4())}):
        error = await gql.error(update, {"id": shot["id"], "input": change}, as_=admin)
        assert (error_code(error), error["message"]) == (
            "NOT_FOUND",
            "Organization not found" if "organizationId" in change else "User not found",
        )
    # Nothing moved.
    unchanged = (await gql.data(update, {"id": shot["id"], "input": {}}, as_=admin))["updateShotType"]
    assert (unchanged["organizationId"], unchanged["ownerId"]) == (None, str(admin.id))

    subject = (await gql.data(_create("createSubject"), {"input": SUBJECT}, as_=admin))["createSubject"]
    assign = """mutation($id: UUID!, $owner: UUID!, $org: UUID) {
      assignSubjectOwner(subjectId: $id, newOwnerId: $owner, organizationId: $org) { id } }"""
    # The new owner is checked by name (it must exist and be active), as before.
    no_owner = await gql.error(assign, {"id": subject["id"], "owner": str(uuid.uuid4())}, as_=admin)
    assert (error_code(no_owner), list(no_owner["extensions"]["fields"])) == ("BAD_USER_INPUT", ["newOwnerId"])
    to_missing_org = {"id": subject["id"], "owner": str(admin.id), "org": str(uuid.uuid4())}
    no_org = await gql.error(assign, to_missing_org, as_=admin)
    assert (error_code(no_org), list(no_org["extensions"]["fields"])) == ("BAD_USER_INPUT", ["organizationId"])
