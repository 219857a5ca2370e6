"""Subjects: the superuser-only operations (admin lists and get, LoRA trigger, owner assignment, bulk assignment,
user subjects, copy) and their refusals for everyone else."""

from __future__ import annotations

import uuid
from typing import Any

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import (
    ADMIN_FIELDS,
    COPY,
    COVER,
    DELETE,
    GET,
    add_base_image,
    create,
    image,
    make_organization,
    make_shot_type,
    update,
)

ADMIN_LIST = f"""query($body: BodyType, $org: UUID, $skip: Int! = 0, $limit: Int! = 100) {{
  adminSubjects(bodyType: $body, organizationId: $org, skip: $skip, limit: $limit) {{
    count data {{ {ADMIN_FIELDS} }} }} }}"""
ADMIN_GET = f"query($id: UUID!) {{ adminSubject(id: $id) {{ {ADMIN_FIELDS} }} }}"
USER_SUBJECTS = """query($user: UUID!, $org: UUID, $skip: Int! = 0, $limit: Int! = 100) {
  userSubjects(userId: $user, organizationId: $org, skip: $skip, limit: $limit) {
    count data { id ownerId organizationId localModelPath } } }"""
LORA_TRIGGER = """mutation($id: UUID!, $trigger: String) {
  updateSubjectLoraTrigger(subjectId: $id, loraTrigger: $trigger) { id loraTrigger localModelPath } }"""
ASSIGN_OWNER = """mutation($id: UUID!, $owner: UUID!, $org: UUID) {
  assignSubjectOwner(subjectId: $id, newOwnerId: $owner, organizationId: $org) {
    id ownerId organizationId loraFilename } }"""
BULK_ASSIGN = """mutation($user: UUID!, $ids: [UUID!]!, $org: UUID) {
  bulkAssignSubjects(userId: $user, subjectIds: $ids, organizationId: $org) { message } }"""
RESTORE = "mutation($id: UUID!) { restoreSubject(id: $id) { id } }"


async def admin_ids(gql: GraphQLClient, admin: Account, **variables: Any) -> tuple[int, list[str]]:
    listed = (await gql.data(ADMIN_LIST, variables, as_=admin))["adminSubjects"]
    return listed["count"], [item["id"] for item in listed["data"]]


async def test_admin_operations_refuse_everyone_else(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    await gql.data(DELETE, {"id": subject["id"]}, as_=owner)
    live = await create(gql, owner)
    attempts: list[tuple[str, dict[str, Any]]] = [
        (ADMIN_LIST, {}),
        (ADMIN_GET, {"id": live["id"]}),
        (USER_SUBJECTS, {"user": str(owner.id)}),
        (LORA_TRIGGER, {"id": live["id"], "trigger": "x"}),
        (ASSIGN_OWNER, {"id": live["id"], "owner": str(owner.id)}),
        (BULK_ASSIGN, {"user": str(owner.id), "ids": [live["id"]]}),
        (RESTORE, {"id": subject["id"]}),
        (COPY, {"id": live["id"]}),
    ]
    for document, variables in attempts:
        error = await gql.error(document, variables, as_=owner)
        assert error_code(error) == "FORBIDDEN", (document, error)
        assert (await gql(document, variables))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Nothing changed.
    unchanged = (await gql.data(GET, {"id": live["id"]}, as_=owner))["subject"]
    assert (unchanged["ownerId"], unchanged["loraTrigger"]) == (str(owner.id), None)


async def test_admin_list_and_get(gql: GraphQLClient, accounts: Accounts) -> None:
    admin, first, second = await accounts.user(superuser=True), await accounts.user(), await accounts.user()
    org = await make_organization(gql, second)
    marker = await make_organization(gql, first)
    mine = await create(gql, first, org=marker, bodyType="PETITE")
    theirs = await create(gql, second, org=org, bodyType="PETITE")
    other_body = await create(gql, second, org=org, bodyType="TALL")
    count, every = await admin_ids(gql, admin, limit=1000)
    assert {mine["id"], theirs["id"], other_body["id"]} <= set(every) and count >= 3
    assert await admin_ids(gql, admin, org=org) == (2, [other_body["id"], theirs["id"]])
    assert await admin_ids(gql, admin, org=org, body="PETITE") == (1, [theirs["id"]])
    assert await admin_ids(gql, admin, org=org, skip=1, limit=1) == (2, [theirs["id"]])
    petite_count, petite = await admin_ids(gql, admin, body="PETITE", limit=1000)
    assert {mine["id"], theirs["id"]} <= set(petite) and other_body["id"] not in petite
    assert petite_count == len(petite)

    fetched = (await gql.data(ADMIN_GET, {"id": mine["id"]}, as_=admin))["adminSubject"]
    assert fetched["id"] == mine["id"] and fetched["slug"] == mine["slug"]
    assert (fetched["localModelPath"], fetched["loraFilename"]) == (None, None)
    assert error_code(await gql.error(ADMIN_GET, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_lora_trigger_is_set_and_cleared(gql: GraphQLClient, accounts: Accounts) -> None:
    admin, owner = await accounts.user(superuser=True), await accounts.user()
    subject = await create(gql, owner)
    set_ = await gql.data(LORA_TRIGGER, {"id": subject["id"], "trigger": "ohwx woman"}, as_=admin)
    assert set_["updateSubjectLoraTrigger"] == {
        "id": subject["id"],
        "loraTrigger": "ohwx woman",
        "localModelPath": None,
    }
    assert (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]["loraTrigger"] == "ohwx woman"
    cleared = await gql.data(LORA_TRIGGER, {"id": subject["id"], "trigger": None}, as_=admin)
    assert cleared["updateSubjectLoraTrigger"]["loraTrigger"] is None
    omitted = await gql.data("mutation($id: UUID!) { updateSubjectLoraTrigger(subjectId: $id) { loraTrigger } }",
                             {"id": subject["id"]}, as_=admin)  # fmt: skip
    assert omitted["updateSubjectLoraTrigger"]["loraTrigger"] is None
    too_long = await gql.error(LORA_TRIGGER, {"id": subject["id"], "trigger": "t" * 256}, as_=admin)
    assert too_long["extensions"]["fields"] == {"loraTrigger": "must be at most 255 characters"}
    missing = await gql.error(LORA_TRIGGER, {"id": str(uuid.uuid4()), "trigger": "x"}, as_=admin)
    assert error_code(missing) == "NOT_FOUND"


async def test_assign_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    admin, owner, new_owner = await accounts.user(superuser=True), await accounts.user(), await accounts.user()
    org = await make_organization(gql, owner)
    subject = await create(gql, owner)
    given = await gql.data(ASSIGN_OWNER, {"id": subject["id"], "owner": str(new_owner.id)}, as_=admin)
    assert given["assignSubjectOwner"] == {
        "id": subject["id"], "ownerId": str(new_owner.id), "organizationId": None, "loraFilename": None
    }  # fmt: skip
    # The new owner now has it; the old one no longer sees it.
    assert (await gql.data(GET, {"id": subject["id"]}, as_=new_owner))["subject"]["ownerId"] == str(new_owner.id)
    assert error_code(await gql.error(GET, {"id": subject["id"]}, as_=owner)) == "NOT_FOUND"

    unknown = await gql.error(ASSIGN_OWNER, {"id": subject["id"], "owner": str(uuid.uuid4())}, as_=admin)
    assert (error_code(unknown), unknown["extensions"]["fields"]) == (
        "BAD_USER_INPUT",
        {"newOwnerId": "no active user has this id"},
    )
    not_member = await gql.error(ASSIGN_OWNER, {"id": subject["id"], "owner": str(new_owner.id), "org": org}, as_=admin)
    assert not_member["extensions"]["fields"] == {
        "organizationId": "the new owner is not a member of this organization"
    }
    await accounts.add_to_organization(new_owner, uuid.UUID(org), OrganizationRole.MEMBER)
    moved = await gql.data(ASSIGN_OWNER, {"id": subject["id"], "owner": str(new_owner.id), "org": org}, as_=admin)
    assert moved["assignSubjectOwner"]["organizationId"] == org
    assert (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]["organizationId"] == org
    missing = await gql.error(ASSIGN_OWNER, {"id": str(uuid.uuid4()), "owner": str(new_owner.id)}, as_=admin)
    assert error_code(missing) == "NOT_FOUND"


async def test_bulk_assign_and_user_subjects(gql: GraphQLClient, accounts: Accounts) -> None:
    admin, owner, receiver = await accounts.user(superuser=True), await accounts.user(), await accounts.user()
    org = await make_organization(gql, receiver)
    first, second, third = await create(gql, owner), await create(gql, owner), await create(gql, owner)
    deleted = await create(gql, owner)
    await gql.data(DELETE, {"id": deleted["id"]}, as_=owner)

    async def owned(user: Account, org_id: str | None = None, **page: int) -> tuple[int, list[str]]:
        listed = await gql.data(USER_SUBJECTS, {"user": str(user.id), "org": org_id, **page}, as_=admin)
        return listed["userSubjects"]["count"], [item["id"] for item in listed["userSubjects"]["data"]]

    assert await owned(owner) == (3, [third["id"], second["id"], first["id"]])
    assert await owned(owner, skip=2, limit=5) == (3, [first["id"]])
    # All or nothing: one unknown or deleted id and nothing changes.
    for bad in (str(uuid.uuid4()), deleted["id"]):
        error = await gql.error(BULK_ASSIGN, {"user": str(receiver.id), "ids": [first["id"], bad]}, as_=admin)
        assert error_code(error) == "NOT_FOUND" and bad in error["message"]
    assert await owned(receiver) == (0, [])
    unknown_user = await gql.error(BULK_ASSIGN, {"user": str(uuid.uuid4()), "ids": [first["id"]]}, as_=admin)
    assert unknown_user["extensions"]["fields"] == {"userId": "no active user has this id"}
    outsider = await gql.error(BULK_ASSIGN, {"user": str(owner.id), "ids": [first["id"]], "org": org}, as_=admin)
    assert outsider["extensions"]["fields"] == {"organizationId": "the new owner is not a member of this organization"}

    done = await gql.data(
        BULK_ASSIGN, {"user": str(receiver.id), "ids": [first["id"], second["id"], first["id"]], "org": org}, as_=admin
    )
    assert done["bulkAssignSubjects"]["message"] == "Assigned 2 subjects to the user"
    assert await owned(receiver) == (2, [second["id"], first["id"]])
    assert await owned(receiver, org) == (2, [second["id"], first["id"]])
    assert await owned(owner) == (1, [third["id"]])
    assert await owned(owner, org) == (0, [])
    single = await gql.data(BULK_ASSIGN, {"user": str(receiver.id), "ids": [third["id"]]}, as_=admin)
    assert single["bulkAssignSubjects"]["message"] == "Assigned 1 subject to the user"
    assert await owned(receiver, org) == (2, [second["id"], first["id"]])  # the third stayed personal
    unknown = await gql.error(USER_SUBJECTS, {"user": str(uuid.uuid4())}, as_=admin)
    assert (error_code(unknown), unknown["message"]) == ("NOT_FOUND", "User not found")


async def test_copy_shares_files_but_not_rows(gql: GraphQLClient, accounts: Accounts) -> None:
    admin, owner = await accounts.user(superuser=True), await accounts.user()
    org = await make_organization(gql, owner)
    shot = await make_shot_type(gql, owner)
    source = await create(
        gql,
        owner,
        org=org,
        name="Cleo",
        surname="Marsh",
        loraTrigger="cleo_token",
        portraitImage=image(21),
        dataImages=[image(31), image(32)],
        portfolioImages=[image(41)],
        measurements={"heightCm": 168, "hairColor": "RED"},
    )
    await add_base_image(gql, owner, source["id"], shot["id"], COVER)
    source = await update(gql, owner, source["id"], ready=True)
    await gql.data(
        'mutation($id: UUID!) { updateSubjectLoraTrigger(subjectId: $id, loraTrigger: "cleo_token") { id } }',
        {"id": source["id"]},
        as_=admin,
    )
    copy = (await gql.data(COPY, {"id": source["id"]}, as_=admin))["copySubject"]
    assert copy["id"] != source["id"] and copy["slug"] != source["slug"]
    assert copy["slug"].startswith("cleo-marsh")
    assert (copy["name"], copy["surname"], copy["ownerId"], copy["organizationId"]) == (
        "Cleo",
        "Marsh",
        str(owner.id),
        org,
    )
    assert (copy["loraStatus"], copy["loraTrigger"], copy["ready"]) == ("none", None, True)
    admin_view = (await gql.data(ADMIN_GET, {"id": copy["id"]}, as_=admin))["adminSubject"]
    assert admin_view["localModelPath"] is None
    # The same stored files (same media), but rows of its own.
    for field in ("coverImageMedia", "portraitImageMedia"):
        assert copy[field] == source[field]
    assert copy["dataImagesMedia"] == source["dataImagesMedia"]
    assert copy["portfolioImagesMedia"] == source["portfolioImagesMedia"]
    assert copy["baseImages"] == source["baseImages"]
    assert copy["measurements"]["id"] != source["measurements"]["id"]
    assert {**copy["measurements"], "id": None} == {**source["measurements"], "id": None}
    # Changing the copy leaves the source as it was.
    await update(gql, owner, copy["id"], measurements={"heightCm": 150}, dataImages=[image(39)])
    again = (await gql.data(GET, {"id": source["id"]}, as_=owner))["subject"]
    assert again["measurements"] == source["measurements"]
    assert again["dataImagesMedia"] == source["dataImagesMedia"]
    assert error_code(await gql.error(COPY, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"
