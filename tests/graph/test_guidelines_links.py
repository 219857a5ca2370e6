"""What guidelines link to: references the caller may not see are refused (naming the field, revealing nothing),
and linked objects appear only while the caller may read them (soft delete hides, restore brings back)."""

from __future__ import annotations

import uuid

from db.models.enums import OrganizationRole
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.guidelines_common import (
    CREATE,
    LIST,
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
    restore,
    soft_delete,
)


async def test_references_the_caller_cannot_see_are_refused_and_nothing_is_written(
    gql: GraphQLClient, accounts: Accounts
) -> None:
    owner, stranger, outsider = await accounts.user(), await accounts.user(), await accounts.user()
    other_org = await make_organization(gql, outsider)
    mine = await make_shot_type(gql, owner)
    my_subject = await make_subject(gql, owner)
    strangers_subject = await make_subject(gql, stranger)  # private: subjects are not public by default
    their_org_shot = await make_shot_type(gql, outsider, other_org)
    strangers_design = await make_set_design(gql, stranger, strangers_subject, await make_shot_type(gql, stranger))
    deleted_pose = await make_pose_preset(gql, owner, mine)
    await soft_delete(gql, owner, "PosePreset", deleted_pose)
    missing = str(uuid.uuid4())
    body = {
        "name": "Refused",
        "shotTypeIds": [their_org_shot, mine],
        "subjectIds": [my_subject, strangers_subject],
        "posePresetIds": [deleted_pose],
        "setDesignId": strangers_design,
        "backgroundPresetId": missing,
        "resolutionPresetId": str(uuid.uuid4()),
        "shotTypeRules": [
            {"ruleKind": "GENDER", "ruleValue": "f", "shotTypeIds": [mine]},
            {"ruleKind": "GENDER", "ruleValue": "m", "shotTypeIds": [mine, their_org_shot]},
        ],
    }
    error = await gql.error(CREATE, {"input": body}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "input.shotTypeIds.0": "no shot type you can see has this id",
        "input.subjectIds.1": "no subject you can see has this id",
        "input.posePresetIds.0": "no pose preset you can see has this id",
        "input.setDesignId": "no set design you can see has this id",
        "input.backgroundPresetId": "no background preset you can see has this id",
        "input.resolutionPresetId": "no resolution preset you can see has this id",
        "input.shotTypeRules.1.shotTypeIds.1": "no shot type you can see has this id",
    }
    assert (await gql.data(LIST, as_=owner))["guidelines"]["count"] == 0

    # Update: the same check, and a refused update changes nothing (its valid parts included).
    made = await create(gql, owner, shotTypeIds=[mine])
    changes = {"name": "Changed", "shotTypeIds": [mine, their_org_shot], "subjectIds": [strangers_subject]}
    error = await gql.error(UPDATE, {"id": made["id"], "input": changes}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {"input.shotTypeIds.1", "input.subjectIds.0"}
    assert await get(gql, owner, made["id"]) == made


async def test_visible_references_of_others_may_be_linked(gql: GraphQLClient, accounts: Accounts) -> None:
    """Visible is enough: an organization's shot type for its member, a public subject for anyone."""
    owner, member = await accounts.user(), await accounts.user()
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    org_shot = await make_shot_type(gql, owner, org)
    public_subject = await make_subject(gql, owner)
    await gql.data(
        "mutation($id: UUID!) { updateSubject(id: $id, input: {public: true}) { id } }",
        {"id": public_subject},
        as_=owner,
    )
    made = await create(gql, member, shotTypeIds=[org_shot], subjectIds=[public_subject])
    assert ids(made["shotTypes"]) == [org_shot] and ids(made["subjects"]) == [public_subject]


async def test_soft_deleted_links_disappear_and_come_back_when_restored(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, superuser = await accounts.user(), await accounts.user(superuser=True)
    gone_shot, kept_shot = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    gone_subject, kept_subject = await make_subject(gql, owner), await make_subject(gql, owner)
    kept_pose, gone_pose = await make_pose_preset(gql, owner, kept_shot), await make_pose_preset(gql, owner, kept_shot)
    design = await make_set_design(gql, owner, kept_subject, kept_shot)
    background, resolution = await make_background_preset(gql, owner), await make_resolution_preset(gql, owner)
    made = await create(
        gql,
        owner,
        shotTypeIds=[gone_shot, kept_shot],
        subjectIds=[gone_subject, kept_subject],
        posePresetIds=[kept_pose, gone_pose],
        setDesignId=design,
        backgroundPresetId=background,
        resolutionPresetId=resolution,
        shotTypeRules=[{"ruleKind": "CATEGORY", "ruleValue": "tops", "shotTypeIds": [kept_shot, gone_shot]}],
    )
    deleted = [
        ("ShotType", gone_shot),
        ("Subject", gone_subject),
        ("PosePreset", gone_pose),
        ("SetDesign", design),
        ("BackgroundPreset", background),
        ("ResolutionPreset", resolution),
    ]
    for kind, object_id in deleted:
        await soft_delete(gql, owner, kind, object_id)

    for viewer in (owner, superuser):
        hidden = await get(gql, viewer, made["id"])
        assert ids(hidden["shotTypes"]) == [kept_shot]
        assert ids(hidden["subjects"]) == [kept_subject]
        assert ids(hidden["posePresets"]) == [kept_pose]
        assert ids(hidden["shotTypeRules"][0]["shotTypes"]) == [kept_shot]
        assert hidden["setDesign"] is None and hidden["backgroundPreset"] is None and hidden["resolutionPreset"] is None
        # The links themselves are kept: the ids still name the deleted objects.
        assert (hidden["setDesignId"], hidden["backgroundPresetId"]) == (design, background)

    for kind, object_id in deleted:
        await restore(gql, superuser, kind, object_id)
    back = await get(gql, owner, made["id"])
    assert back == made


async def test_a_members_personal_subject_shows_only_to_those_who_may_see_it(
    gql: GraphQLClient, accounts: Accounts
) -> None:
    """Linking needs the linker to see the object; reading shows each caller only what they may see."""
    owner, member, superuser = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    org_subject = await make_subject(gql, owner, org)
    members_own = await make_subject(gql, member)
    made = await create(gql, member, org, subjectIds=[members_own, org_subject])
    assert ids(made["subjects"]) == [members_own, org_subject]
    assert ids((await get(gql, owner, made["id"]))["subjects"]) == [org_subject]
    assert ids((await get(gql, superuser, made["id"]))["subjects"]) == [members_own, org_subject]
    # The owner's update of another list keeps the hidden link.
    await gql.data(UPDATE, {"id": made["id"], "input": {"name": "Renamed"}}, as_=owner)
    assert ids((await get(gql, member, made["id"]))["subjects"]) == [members_own, org_subject]
