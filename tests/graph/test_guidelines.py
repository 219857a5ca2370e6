"""Shooting guidelines: create (the spec's example body too), read, list, update semantics, limits, delete and
restore, and who sees and changes what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.graph.guidelines_common import (
    CREATE,
    DELETE,
    GET,
    LIST,
    RESTORE,
    UPDATE,
    create,
    get,
    ids,
    make_background_preset,
    make_organization,
    make_pose_preset,
    make_resolution_preset,
    make_set_design,
    make_shot_type,
    make_subject,
    unique,
    update,
)


async def test_the_spec_example_body_creates_guidelines(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)
    subject = await make_subject(gql, owner)
    pose = await make_pose_preset(gql, owner, shot)
    # POST /api/v1/guidelines/'s documented request body, in camelCase, with ids of objects that exist.
    body = {
        "name": "string",
        "autoStartLookGenerations": True,
        "allowBackShotsWithoutBackImage": True,
        "resolutionPresetId": None,
        "backgroundPresetId": None,
        "setDesignId": None,
        "stylistId": None,
        "exportConfigurationId": None,
        "generativeWorkflowTemplateId": None,
        "shotTypeIds": [shot],
        "subjectIds": [subject],
        "posePresetIds": [pose],
        "shotTypeRules": None,
        "ownerId": None,
        "organizationId": None,
    }
    made = (await gql.data(CREATE, {"input": body}, as_=owner))["createGuidelines"]
    assert made["name"] == "string"
    assert made["autoStartLookGenerations"] is True and made["allowBackShotsWithoutBackImage"] is True
    assert made["ownerId"] == str(owner.id) and made["organizationId"] is None
    assert ids(made["shotTypes"]) == [shot] and ids(made["subjects"]) == [subject]
    assert ids(made["posePresets"]) == [pose] and made["posePresets"][0]["shotType"]["id"] == shot
    assert made["shotTypeRules"] == [] and made["setDesign"] is None and made["deletedAt"] is None
    assert await get(gql, owner, made["id"]) == made


async def test_only_a_name_takes_the_documented_defaults(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    made = await create(gql, owner)
    assert made["autoStartLookGenerations"] is True
    assert made["allowBackShotsWithoutBackImage"] is False
    for field in ("shotTypes", "subjects", "posePresets", "shotTypeRules"):
        assert made[field] == [], field
    for field in ("setDesign", "backgroundPreset", "resolutionPreset", "setDesignId", "stylistId"):
        assert made[field] is None, field


async def test_create_links_everything_in_the_order_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shots = [await make_shot_type(gql, owner) for _ in range(3)]
    subjects = [await make_subject(gql, owner, base_shot_type=shots[0]) for _ in range(2)]
    poses = [await make_pose_preset(gql, owner, shot) for shot in shots[:2]]
    design = await make_set_design(gql, owner, subjects[0], shots[1])
    background, resolution = await make_background_preset(gql, owner), await make_resolution_preset(gql, owner)
    others = {
        name: str(uuid.uuid4()) for name in ("stylistId", "exportConfigurationId", "generativeWorkflowTemplateId")
    }
    made = await create(
        gql,
        owner,
        allowBackShotsWithoutBackImage=True,
        autoStartLookGenerations=False,
        shotTypeIds=[shots[2], shots[0], shots[1]],
        subjectIds=[subjects[1], subjects[0]],
        posePresetIds=[poses[1], poses[0]],
        setDesignId=design,
        backgroundPresetId=background,
        resolutionPresetId=resolution,
        shotTypeRules=[
            {"ruleKind": "PRODUCT_TYPE", "ruleValue": "shoes", "shotTypeIds": [shots[1], shots[0]]},
            {"ruleKind": "GENDER", "ruleValue": "female", "shotTypeIds": [shots[2]]},
            {"ruleKind": "PRODUCT_TYPE", "ruleValue": "bags", "shotTypeIds": []},
        ],
        **others,
    )
    assert ids(made["shotTypes"]) == [shots[2], shots[0], shots[1]]
    assert ids(made["subjects"]) == [subjects[1], subjects[0]]
    assert made["subjects"][0]["baseImages"] == [{"shotTypeId": shots[0], "shotType": {"id": shots[0]}}]
    assert ids(made["posePresets"]) == [poses[1], poses[0]]
    assert [pose["shotType"]["id"] for pose in made["posePresets"]] == [shots[1], shots[0]]
    assert made["setDesignId"] == design and made["setDesign"]["id"] == design
    assert [len(made["setDesign"][part]) for part in ("baseImages", "referenceImages", "subjectPortraits")] == [1, 1, 1]
    assert made["backgroundPresetId"] == background and made["backgroundPreset"]["id"] == background
    assert made["resolutionPresetId"] == resolution and made["resolutionPreset"]["width"] == 1920
    assert [(rule["ruleKind"], rule["ruleValue"], ids(rule["shotTypes"])) for rule in made["shotTypeRules"]] == [
        ("PRODUCT_TYPE", "shoes", [shots[1], shots[0]]),
        ("GENDER", "female", [shots[2]]),
        ("PRODUCT_TYPE", "bags", []),
    ]
    assert {name: made[name] for name in others} == others
    assert made["allowBackShotsWithoutBackImage"] is True and made["autoStartLookGenerations"] is False
    assert await get(gql, owner, made["id"]) == made


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": ""}, "input.name"),
        ({"name": "   "}, "input.name"),
        ({"name": "x" * 256}, "input.name"),
        ({"shotTypeRules": [{"ruleKind": "GENDER", "ruleValue": " "}]}, "input.shotTypeRules.0.ruleValue"),
        ({"shotTypeRules": [{"ruleKind": "GENDER", "ruleValue": "v" * 256}]}, "input.shotTypeRules.0.ruleValue"),
        (
            {
                "shotTypeRules": [
                    {"ruleKind": "GENDER", "ruleValue": "male"},
                    {"ruleKind": "CATEGORY", "ruleValue": "male"},
                    {"ruleKind": "GENDER", "ruleValue": "male"},
                ]
            },
            "input.shotTypeRules.2",
        ),
        ({"shotTypeRules": [{"ruleKind": "GENDER", "ruleValue": "any"}] * 51}, "input.shotTypeRules"),
        ({"subjectIds": [str(uuid.uuid4()) for _ in range(501)]}, "input.subjectIds"),
    ],
)
async def test_create_limits(gql: GraphQLClient, accounts: Accounts, fields: dict[str, Any], bad: str) -> None:
    owner = await accounts.user()
    body = {"name": "Guide", **fields}
    error = await gql.error(CREATE, {"input": body}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert bad in error["extensions"]["fields"], error["extensions"]["fields"]
    assert (await gql.data(LIST, as_=owner))["guidelines"]["count"] == 0


async def test_a_repeated_id_is_refused_naming_the_repeat(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot, other = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    body = {
        "name": "Guide",
        "shotTypeIds": [shot, other, shot],
        "shotTypeRules": [{"ruleKind": "CATEGORY", "ruleValue": "tops", "shotTypeIds": [other, other]}],
    }
    error = await gql.error(CREATE, {"input": body}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "input.shotTypeIds.2": "repeats item 0",
        "input.shotTypeRules.0.shotTypeIds.1": "repeats item 0",
    }


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shots = [await make_shot_type(gql, owner) for _ in range(3)]
    subject = await make_subject(gql, owner)
    pose = await make_pose_preset(gql, owner, shots[0])
    design = await make_set_design(gql, owner, subject, shots[0])
    stylist = str(uuid.uuid4())
    made = await create(
        gql,
        owner,
        shotTypeIds=shots[:2],
        subjectIds=[subject],
        posePresetIds=[pose],
        setDesignId=design,
        stylistId=stylist,
        shotTypeRules=[{"ruleKind": "AGE_CLASS", "ruleValue": "adult", "shotTypeIds": [shots[0]]}],
    )

    renamed = await update(gql, owner, made["id"], name="Renamed")
    assert renamed["name"] == "Renamed"
    untouched = {key: value for key, value in made.items() if key not in ("name", "updatedAt")}
    assert {key: renamed[key] for key in untouched} == untouched

    # A given list replaces the stored one, in its new order; the others stay.
    relinked = await update(gql, owner, made["id"], shotTypeIds=[shots[2], shots[0]], subjectIds=[])
    assert ids(relinked["shotTypes"]) == [shots[2], shots[0]]
    assert relinked["subjects"] == [] and ids(relinked["posePresets"]) == [pose]
    assert relinked["shotTypeRules"] == made["shotTypeRules"]
    assert relinked["updatedAt"] > renamed["updatedAt"]

    rules = [
        {"ruleKind": "PLACEMENT", "ruleValue": "top", "shotTypeIds": [shots[1], shots[2]]},
        {"ruleKind": "AGE_CLASS", "ruleValue": "adult", "shotTypeIds": [shots[2]]},
    ]
    replaced = await update(gql, owner, made["id"], shotTypeRules=rules)
    assert [(r["ruleKind"], r["ruleValue"], ids(r["shotTypes"])) for r in replaced["shotTypeRules"]] == [
        ("PLACEMENT", "top", [shots[1], shots[2]]),
        ("AGE_CLASS", "adult", [shots[2]]),
    ]
    cleared = await update(gql, owner, made["id"], shotTypeRules=[], posePresetIds=[])
    assert cleared["shotTypeRules"] == [] and cleared["posePresets"] == []
    assert ids(cleared["shotTypes"]) == [shots[2], shots[0]]

    # Null clears a nullable id; the set design itself stays as it is.
    unset = await update(gql, owner, made["id"], setDesignId=None, stylistId=None, allowBackShotsWithoutBackImage=True)
    assert unset["setDesignId"] is None and unset["setDesign"] is None and unset["stylistId"] is None
    assert unset["allowBackShotsWithoutBackImage"] is True
    assert await get(gql, owner, made["id"]) == unset
    found = await gql.data("query($id: UUID!) { setDesign(id: $id) { id } }", {"id": design}, as_=owner)
    assert found["setDesign"]["id"] == design


async def test_update_refuses_null_for_lists_name_flags_and_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    made = await create(gql, owner)
    fields = {
        "name": None,
        "autoStartLookGenerations": None,
        "shotTypeIds": None,
        "subjectIds": None,
        "posePresetIds": None,
        "shotTypeRules": None,
        "ownerId": None,
    }
    error = await gql.error(UPDATE, {"id": made["id"], "input": fields}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {f"input.{name}" for name in fields}
    assert await get(gql, owner, made["id"]) == made


async def test_update_limits_are_those_of_create(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    made = await create(gql, owner)
    rules = [{"ruleKind": "GENDER", "ruleValue": "f"}, {"ruleKind": "GENDER", "ruleValue": "f"}]
    error = await gql.error(UPDATE, {"id": made["id"], "input": {"name": "y" * 256, "shotTypeRules": rules}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {"input.name", "input.shotTypeRules.1"}


async def test_delete_hides_and_a_superuser_restores(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, superuser = await accounts.user(), await accounts.user(superuser=True)
    shot = await make_shot_type(gql, owner)
    made = await create(
        gql, owner, shotTypeIds=[shot], shotTypeRules=[{"ruleKind": "GENDER", "ruleValue": "m", "shotTypeIds": [shot]}]
    )
    deleted = await gql.data(DELETE, {"id": made["id"]}, as_=owner)
    assert deleted["deleteGuidelines"]["message"] == "Guidelines deleted successfully"

    for document, variables in (
        (GET, {"id": made["id"]}),
        (UPDATE, {"id": made["id"], "input": {"name": "Again"}}),
        (DELETE, {"id": made["id"]}),
    ):
        assert error_code(await gql.error(document, variables, as_=owner)) == "NOT_FOUND"
    assert (await gql.data(LIST, as_=owner))["guidelines"]["count"] == 0

    assert error_code(await gql.error(RESTORE, {"id": made["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": made["id"]}, as_=superuser))["restoreGuidelines"]
    assert restored["deletedAt"] is None
    assert ids(restored["shotTypes"]) == [shot] and ids(restored["shotTypeRules"][0]["shotTypes"]) == [shot]
    assert await get(gql, owner, made["id"]) == restored
    assert error_code(await gql.error(RESTORE, {"id": made["id"]}, as_=superuser)) == "CONFLICT"
    missing = await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=superuser)
    assert error_code(missing) == "NOT_FOUND"


async def organization_with(gql: GraphQLClient, accounts: Accounts) -> tuple[str, Account, Account, Account, Account]:
    """An organization with its owner and a member; a stranger; a superuser."""
    owner, member, stranger = await accounts.user(), await accounts.user(), await accounts.user()
    superuser = await accounts.user(superuser=True)
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    return org, owner, member, stranger, superuser


async def test_who_sees_and_changes_organization_guidelines(gql: GraphQLClient, accounts: Accounts) -> None:
    org, owner, member, stranger, superuser = await organization_with(gql, accounts)
    shared = await create(gql, owner, org, name=unique("shared"))
    personal = await create(gql, owner, name=unique("personal"))
    assert shared["organizationId"] == org and personal["organizationId"] is None

    # Members see the organization's guidelines, in its list and one by one.
    in_org = (await gql.data(LIST, {"org": org}, as_=member))["guidelines"]
    assert ids(in_org["data"]) == [shared["id"]] and in_org["count"] == 1
    assert (await get(gql, member, shared["id"]))["id"] == shared["id"]
    assert (await gql.data(GET, {"id": shared["id"], "org": org}, as_=member))["guideline"]["id"] == shared["id"]
    # The owner's personal list holds only the personal ones; another member's is empty.
    assert ids((await gql.data(LIST, as_=owner))["guidelines"]["data"]) == [personal["id"]]
    assert (await gql.data(LIST, as_=member))["guidelines"]["count"] == 0
    # A personal guideline is not found through the organization, nor by anyone else.
    assert error_code(await gql.error(GET, {"id": personal["id"], "org": org}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": personal["id"]}, as_=member)) == "NOT_FOUND"

    # Members change it; only the organization's owners (and the guideline's owner) delete it.
    assert (await update(gql, member, shared["id"], name="By a member"))["name"] == "By a member"
    assert error_code(await gql.error(DELETE, {"id": shared["id"]}, as_=member)) == "FORBIDDEN"

    # A stranger learns nothing.
    for document, variables in (
        (GET, {"id": shared["id"]}),
        (UPDATE, {"id": shared["id"], "input": {"name": "Mine"}}),
        (DELETE, {"id": shared["id"]}),
        (GET, {"id": personal["id"]}),
    ):
        assert error_code(await gql.error(document, variables, as_=stranger)) == "NOT_FOUND"
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    assert (await gql.data(LIST, as_=stranger))["guidelines"]["count"] == 0

    # Superusers see all, or one owner's with ownerId (which nobody else may use).
    everything = (await gql.data(LIST, {"limit": 1000}, as_=superuser))["guidelines"]
    assert {shared["id"], personal["id"]} <= set(ids(everything["data"]))
    by_owner = (await gql.data(LIST, {"owner": str(owner.id)}, as_=superuser))["guidelines"]
    assert by_owner["count"] == 2 and set(ids(by_owner["data"])) == {shared["id"], personal["id"]}
    by_owner_in_org = (await gql.data(LIST, {"owner": str(owner.id), "org": org}, as_=superuser))["guidelines"]
    assert ids(by_owner_in_org["data"]) == [shared["id"]]
    assert error_code(await gql.error(LIST, {"owner": str(owner.id)}, as_=owner)) == "FORBIDDEN"
    assert (await get(gql, superuser, personal["id"]))["id"] == personal["id"]

    assert (await gql.data(DELETE, {"id": shared["id"]}, as_=owner))["deleteGuidelines"]["message"]
    assert error_code(await gql.error(GET, {"id": shared["id"]}, as_=member)) == "NOT_FOUND"


async def test_create_in_an_organization_needs_membership(gql: GraphQLClient, accounts: Accounts) -> None:
    org, _owner, member, stranger, _superuser = await organization_with(gql, accounts)
    assert error_code(await gql.error(CREATE, {"input": {"name": "X"}, "org": org}, as_=stranger)) == "FORBIDDEN"
    made = await create(gql, member, organizationId=org)
    assert made["organizationId"] == org and made["ownerId"] == str(member.id)
    mismatch = await gql.error(
        CREATE, {"input": {"name": "X", "organizationId": org}, "org": str(uuid.uuid4())}, as_=member
    )
    assert error_code(mismatch) == "BAD_USER_INPUT"


async def test_transfer_into_and_out_of_an_organization(gql: GraphQLClient, accounts: Accounts) -> None:
    org, owner, member, stranger, _superuser = await organization_with(gql, accounts)
    mine = await create(gql, member)
    moved = await update(gql, member, mine["id"], organizationId=org)
    assert moved["organizationId"] == org
    assert (await get(gql, owner, mine["id"]))["organizationId"] == org
    # Out of the organization: only its owner.
    out = await gql.error(UPDATE, {"id": mine["id"], "input": {"organizationId": None}}, as_=member)
    assert error_code(out) == "FORBIDDEN"
    assert (await update(gql, owner, mine["id"], organizationId=None))["organizationId"] is None
    # Into an organization one is not in: refused.
    theirs = await create(gql, stranger)
    into = await gql.error(UPDATE, {"id": theirs["id"], "input": {"organizationId": org}}, as_=stranger)
    assert error_code(into) == "FORBIDDEN"


async def test_owner_id_is_for_superusers(gql: GraphQLClient, accounts: Accounts) -> None:
    user, other, superuser = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    refused = await gql.error(CREATE, {"input": {"name": "X", "ownerId": str(other.id)}}, as_=user)
    assert error_code(refused) == "FORBIDDEN"
    made = await create(gql, superuser, ownerId=str(other.id))
    assert made["ownerId"] == str(other.id)
    assert ids((await gql.data(LIST, as_=other))["guidelines"]["data"]) == [made["id"]]
    handed = await update(gql, superuser, made["id"], ownerId=str(user.id))
    assert handed["ownerId"] == str(user.id)
    taken = await gql.error(UPDATE, {"id": made["id"], "input": {"ownerId": str(other.id)}}, as_=user)
    assert error_code(taken) == "FORBIDDEN"


async def test_list_pages_and_counts(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    names = ["Charlie", "Alpha", "Bravo"]
    for name in names:
        await create(gql, owner, name=name)
    listed = (await gql.data(LIST, as_=owner))["guidelines"]
    assert listed["count"] == 3 and [row["name"] for row in listed["data"]] == sorted(names)
    page = (await gql.data(LIST, {"skip": 1, "limit": 1}, as_=owner))["guidelines"]
    assert page["count"] == 3 and [row["name"] for row in page["data"]] == ["Bravo"]
    # A page past the end is empty and still tells the total.
    past = (await gql.data(LIST, {"skip": 5, "limit": 2}, as_=owner))["guidelines"]
    assert past == {"count": 3, "data": []}
    error = await gql.error(LIST, {"limit": 0}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT" and "limit" in error["extensions"]["fields"]


async def test_anonymous_callers_are_refused(gql: GraphQLClient) -> None:
    for document, variables in (
        (LIST, {}),
        (GET, {"id": str(uuid.uuid4())}),
        (CREATE, {"input": {"name": "X"}}),
    ):
        assert error_code(await gql.error(document, variables)) == "UNAUTHENTICATED"
