"""Subjects: every list filter with its count, visibility between owner, organization member, stranger and
superuser, the organization transfer rules, and nested fields loaded in batches."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette

from db.models.enums import OrganizationRole
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import (
    COVER,
    DELETE,
    FIELDS,
    GET,
    LIST,
    UPDATE,
    add_base_image,
    create,
    make_organization,
    make_shot_type,
    update,
)
from tests.statements import count_statements


def ids(listed: dict[str, Any]) -> list[str]:
    return [item["id"] for item in listed["data"]]


async def test_filters_and_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other = await accounts.user(), await accounts.user()
    shot = await make_shot_type(gql, owner)
    # Created oldest first; lists answer newest first.
    adult_slim = await create(gql, owner, ageClass="ADULT", bodyType="SLIM")
    adult_curvy = await create(gql, owner, ageClass="ADULT", bodyType="CURVY")
    teen_slim = await create(gql, owner, ageClass="TEEN", bodyType="SLIM")
    child = await create(gql, owner, ageClass="CHILD")
    await add_base_image(gql, owner, adult_curvy["id"], shot["id"], COVER)
    await add_base_image(gql, owner, child["id"], shot["id"], COVER)
    others_public = await create(gql, other, ageClass="ADULT", bodyType="SLIM", public=True)
    await create(gql, other, ageClass="ADULT", bodyType="SLIM")  # private: never in the owner's lists

    async def listed(**variables: object) -> dict[str, Any]:
        result: dict[str, Any] = (await gql.data(LIST, variables, as_=owner))["subjects"]
        return result

    everything = await listed()
    assert everything["count"] == 4
    assert ids(everything) == [child["id"], teen_slim["id"], adult_curvy["id"], adult_slim["id"]]
    adults = await listed(age="ADULT")
    assert (adults["count"], ids(adults)) == (2, [adult_curvy["id"], adult_slim["id"]])
    slim = await listed(body="SLIM")
    assert (slim["count"], ids(slim)) == (2, [teen_slim["id"], adult_slim["id"]])
    assert ids(await listed(age="ADULT", body="SLIM")) == [adult_slim["id"]]
    with_base = await listed(withBase=True)
    assert (with_base["count"], ids(with_base)) == (2, [child["id"], adult_curvy["id"]])
    page = await listed(skip=1, limit=2)
    assert (page["count"], ids(page)) == (4, [teen_slim["id"], adult_curvy["id"]])
    public_too = await listed(pub=True, body="SLIM", limit=1000)
    assert others_public["id"] in ids(public_too) and adult_slim["id"] in ids(public_too)
    assert public_too["count"] == len(ids(public_too)) >= 3
    assert others_public["id"] not in ids(await listed(body="SLIM"))
    assert (await listed(withBase=True, pub=True, body="CURVY"))["count"] == 1
    error = await gql.error(LIST, {"limit": 0, "skip": -1}, as_=owner)
    assert error["extensions"]["fields"] == {"limit": "must be between 1 and 1000", "skip": "must be 0 or more"}


async def test_organization_lists(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger = await accounts.user(), await accounts.user(), await accounts.user()
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    in_org = await create(gql, owner, org=org, ageClass="SENIOR")
    by_member = await create(gql, member, org=org)
    personal = await create(gql, owner)
    org_list = (await gql.data(LIST, {"org": org}, as_=member))["subjects"]
    assert (org_list["count"], ids(org_list)) == (2, [by_member["id"], in_org["id"]])
    assert ids((await gql.data(LIST, {"org": org, "age": "SENIOR"}, as_=owner))["subjects"]) == [in_org["id"]]
    # Without organizationId: personal subjects only.
    assert ids((await gql.data(LIST, {}, as_=owner))["subjects"]) == [personal["id"]]
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    body = {"name": "x", "ageClass": "ADULT", "coverImage": {"url": COVER}}
    create_doc = (
        "mutation($input: SubjectCreate!, $org: UUID) { createSubject(input: $input, organizationId: $org) { id } }"
    )
    assert error_code(await gql.error(create_doc, {"input": body, "org": org}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(create_doc, {"input": {**body, "organizationId": org}}, as_=stranger)) == (
        "FORBIDDEN"
    )


async def test_visibility_between_users(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    private = await create(gql, owner)
    in_org = await create(gql, owner, org=org)
    public = await create(gql, owner, public=True)

    for subject in (private, in_org, public):
        assert (await gql.data(GET, {"id": subject["id"]}, as_=admin))["subject"]["id"] == subject["id"]
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (
        (error_code(missing), missing["message"])
        == (error_code(hidden), hidden["message"])
        == (
            "NOT_FOUND",
            "Subject not found",
        )
    )
    assert error_code(await gql.error(GET, {"id": in_org["id"]}, as_=stranger)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    assert (await gql.data(GET, {"id": public["id"]}, as_=stranger))["subject"]["id"] == public["id"]
    # organizationId narrows a get to that organization's subjects.
    assert (await gql.data(GET, {"id": in_org["id"], "org": org}, as_=member))["subject"]["id"] == in_org["id"]
    assert error_code(await gql.error(GET, {"id": public["id"], "org": org}, as_=member)) == "NOT_FOUND"

    # Members edit the organization's subjects; only owners (and superusers) delete them.
    assert (await update(gql, member, in_org["id"], description="by a member"))["description"] == "by a member"
    assert error_code(await gql.error(DELETE, {"id": in_org["id"]}, as_=member)) == "FORBIDDEN"
    # Seeing a public subject is not owning it; a private one stays hidden.
    change = {"input": {"description": "x"}}
    assert error_code(await gql.error(UPDATE, {"id": public["id"], **change}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(DELETE, {"id": public["id"]}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(UPDATE, {"id": private["id"], **change}, as_=stranger)) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    assert (await update(gql, admin, private["id"], description="by an admin"))["description"] == "by an admin"
    assert (await gql.data(DELETE, {"id": in_org["id"]}, as_=owner))["deleteSubject"]["message"]
    assert (await gql.data(DELETE, {"id": public["id"]}, as_=admin))["deleteSubject"]["message"]


async def test_organization_transfer_rules(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member = await accounts.user(), await accounts.user()
    org = await make_organization(gql, owner)
    foreign_org = await make_organization(gql, await accounts.user())
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)

    personal = await create(gql, member)
    # Into an organization the caller belongs to.
    moved = await update(gql, member, personal["id"], organizationId=org)
    assert moved["organizationId"] == org
    assert ids((await gql.data(LIST, {"org": org}, as_=owner))["subjects"]) == [personal["id"]]
    # Into one the caller does not belong to.
    refused = await gql.error(UPDATE, {"id": personal["id"], "input": {"organizationId": foreign_org}}, as_=member)
    assert error_code(refused) == "FORBIDDEN"
    # Out of an organization: not by a plain member ...
    out = {"id": personal["id"], "input": {"organizationId": None}}
    assert error_code(await gql.error(UPDATE, out, as_=member)) == "FORBIDDEN"
    assert (await gql.data(GET, {"id": personal["id"]}, as_=member))["subject"]["organizationId"] == org
    # ... but by its owner.
    assert (await update(gql, owner, personal["id"], organizationId=None))["organizationId"] is None
    # Back to personal, it belongs to its owner (the member) again, who sees it in their personal list.
    assert ids((await gql.data(LIST, {}, as_=member))["subjects"]) == [personal["id"]]


async def test_nested_fields_load_in_batches(gql: GraphQLClient, accounts: Accounts, app: Starlette) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)

    async def make(count: int) -> None:
        for index in range(count):
            made = await create(
                gql,
                owner,
                portraitImage={"url": COVER},
                dataImages=[{"url": COVER}],
                portfolioImages=[{"url": COVER}],
                measurements={"heightCm": 160 + index},
            )
            await add_base_image(gql, owner, made["id"], shot["id"], COVER)

    query = f"query {{ subjects(limit: 100) {{ count data {{ {FIELDS} }} }} }}"

    async def statements_run() -> int:
        with count_statements(app) as log:
            data = await gql.data(query, as_=owner)
        assert all(subject["baseImages"] and subject["measurements"] for subject in data["subjects"]["data"])
        return log.count

    await make(2)
    with_two = await statements_run()
    await make(3)
    # Five subjects cost what two did: one query per relation, not one per subject.
    assert await statements_run() == with_two
    # The caller, the page (with its count, measurements, base images and data images' URLs), media, data and
    # portfolio images; their media, the base images' shot types.
    assert with_two <= 7, with_two
