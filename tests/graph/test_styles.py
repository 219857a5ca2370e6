"""Styles: the spec's example bodies, limits, update semantics, slugs (stable, regenerated, unique under a race),
lookup by slug, archiving, delete and restore, and images loaded in batches.

Lists and filters: test_styles_list.py; visibility, transfers and the superuser operations: test_styles_access.py.
Both reuse the helpers defined here."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_uri
from tests.remote_images import HttpsServer
from tests.statements import count_statements

FIELDS = """id name slug description brand styleCategory localModelPath loraTrigger defaultLoraWeight
  promptKeywords public enabled archived demo tags loraStatus currentTrainingId trainingProgress trainingError
  ownerId organizationId createdAt updatedAt deletedAt coverImageUrl coverImageMedia { width height }
  dataImageUrls dataImagesMedia { width height }"""
CREATE = f"""mutation($input: StyleCreate!, $org: UUID) {{
  createStyle(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: StyleUpdate!, $org: UUID) {{
  updateStyle(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ style(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
BY_SLUG = "query($slug: String!, $org: UUID) { styleBySlug(slug: $slug, organizationId: $org) { id name slug } }"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteStyle(id: $id, organizationId: $org) { message } }"
RESTORE = "mutation($id: UUID!) { restoreStyle(id: $id) { id deletedAt } }"
ARCHIVE = "mutation($id: UUID!, $org: UUID) { archiveStyle(id: $id, organizationId: $org) { id archived } }"
UNARCHIVE = "mutation($id: UUID!, $org: UUID) { unarchiveStyle(id: $id, organizationId: $org) { id archived } }"
LIST = """query($org: UUID, $archived: Boolean, $demo: Boolean, $enabled: Boolean, $owner: UUID, $public: Boolean,
  $search: String, $category: StyleCategory, $skip: Int! = 0, $limit: Int! = 100) {
  styles(organizationId: $org, archived: $archived, demo: $demo, enabled: $enabled, ownerId: $owner,
    public: $public, search: $search, styleCategory: $category, skip: $skip, limit: $limit) {
    count data { id name } } }"""

# One small cover for every style the tests make (the same content is stored once).
COVER = {"url": image_uri(width=24, height=16)}


def at(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


async def create_style(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Style"), "coverImage": COVER, **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createStyle"]


async def update_style(
    gql: GraphQLClient, account: Account, style_id: str, org: str | None = None, **fields: Any
) -> dict[str, Any]:
    return (await gql.data(UPDATE, {"id": style_id, "input": fields, "org": org}, as_=account))["updateStyle"]


async def listed(gql: GraphQLClient, account: Account, **variables: Any) -> tuple[int, list[str]]:
    """(count, names in order) of a `styles` query."""
    result = (await gql.data(LIST, variables, as_=account))["styles"]
    return result["count"], [style["name"] for style in result["data"]]


async def organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Studio") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def test_spec_example_bodies_work_unchanged(
    gql: GraphQLClient, accounts: Accounts, remote_images: HttpsServer
) -> None:
    owner = await accounts.user()
    # The documented StyleCreate example, in camelCase; its cover URL points at the local https stand-in.
    example = {
        "brand": "RetroFashion",
        "coverImage": {"url": remote_images.url("/image.png")},
        "defaultLoraWeight": 0.8,
        "description": "Classic vintage denim style with worn-out look",
        "name": "Vintage Denim",
        "promptKeywords": "vintage, denim, retro, classic",
        "public": False,
        "styleCategory": "VINTAGE",
        "tags": ["vintage", "denim", "retro"],
    }
    created = (await gql.data(CREATE, {"input": example}, as_=owner))["createStyle"]
    assert {key: created[key] for key in example if key != "coverImage"} == {
        key: value for key, value in example.items() if key != "coverImage"
    }
    assert created["slug"].startswith("vintage-denim")
    assert created["coverImageMedia"] == {"width": remote_images.image_size[0], "height": remote_images.image_size[1]}
    assert (created["enabled"], created["archived"], created["demo"]) == (True, False, False)
    assert (created["loraStatus"], created["trainingProgress"], created["currentTrainingId"]) == ("none", 0.0, None)
    assert (created["dataImageUrls"], created["dataImagesMedia"], created["deletedAt"]) == ([], [], None)
    assert (created["ownerId"], created["organizationId"]) == (str(owner.id), None)
    image = await gql.http.get(created["coverImageUrl"])
    assert image.status_code == 200 and image.content == remote_images.image

    # The documented StyleUpdate example.
    update_example: dict[str, Any] = {
        "brand": "New RetroFashion",
        "defaultLoraWeight": 0.9,
        "name": "Updated Vintage Denim",
        "public": True,
        "styleCategory": "VINTAGE",
        "tags": ["vintage", "denim", "updated"],
    }
    updated = await update_style(gql, owner, created["id"], **update_example)
    assert {key: updated[key] for key in update_example} == update_example
    assert updated["slug"] == created["slug"]
    assert (updated["description"], updated["coverImageUrl"]) == (example["description"], created["coverImageUrl"])
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["style"] == updated


async def test_defaults_and_data_images_in_order(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    data_images = [{"url": image_uri(width=10 + index, height=10)} for index in range(3)]
    created = await create_style(gql, owner, dataImages=data_images, tags=[" denim ", "retro", "denim"])
    assert created["styleCategory"] == "OTHER" and created["defaultLoraWeight"] == 0.7
    assert created["public"] is False
    assert [media["width"] for media in created["dataImagesMedia"]] == [10, 11, 12]
    assert len(created["dataImageUrls"]) == 3
    assert [(await gql.http.get(url)).status_code for url in created["dataImageUrls"]] == [200, 200, 200]
    # Tags are trimmed and kept once each, in the order given.
    assert created["tags"] == ["denim", "retro"]


async def test_documented_limits_name_each_bad_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    too_much = {
        "name": "x" * 256,
        "description": "d" * 1001,
        "brand": "b" * 1001,
        "promptKeywords": "k" * 1001,
        "loraTrigger": "t" * 129,
        "defaultLoraWeight": 2.5,
        "tags": ["ok", "t" * 129, "  "],
        "coverImage": {"url": "https://example.com/a.png", "mediaResourceId": str(uuid.uuid4())},
        "dataImages": [COVER] * 51,
    }
    error = await gql.error(CREATE, {"input": too_much}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "input.name": "must be at most 255 characters",
        "input.description": "must be at most 1000 characters",
        "input.brand": "must be at most 1000 characters",
        "input.promptKeywords": "must be at most 1000 characters",
        "input.loraTrigger": "must be at most 128 characters",
        "input.defaultLoraWeight": "must be greater than 0 and at most 2",
        "input.tags.1": "must be at most 128 characters",
        "input.tags.2": "must not be blank",
        "input.coverImage": "give exactly one of url or mediaResourceId",
        "input.dataImages": "must contain at most 50 images",
    }
    for weight in (0, -0.5):
        error = await gql.error(
            CREATE, {"input": {"name": "w", "coverImage": COVER, "defaultLoraWeight": weight}}, as_=owner
        )
        assert list(error["extensions"]["fields"]) == ["input.defaultLoraWeight"]
    error = await gql.error(CREATE, {"input": {"name": "t", "coverImage": COVER, "tags": ["t"] * 51}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.tags": "must contain at most 50 tags"}
    # The limits themselves are allowed.
    at_limits = await create_style(
        gql,
        owner,
        name="n" * 255,
        description="d" * 1000,
        loraTrigger="t" * 128,
        defaultLoraWeight=2,
        tags=["t" * 128],
        dataImages=[COVER] * 50,
    )
    assert (len(at_limits["name"]), at_limits["defaultLoraWeight"], len(at_limits["dataImageUrls"])) == (255, 2, 50)
    # The cover image is required, as documented; a bad image names its field.
    missing_cover = await gql.error(CREATE, {"input": {"name": "no cover"}}, as_=owner)
    assert error_code(missing_cover) == "BAD_USER_INPUT"
    not_an_image = {"name": "x", "coverImage": COVER, "dataImages": [COVER, {"url": "data:text/plain;base64,aGk="}]}
    error = await gql.error(CREATE, {"input": not_an_image}, as_=owner)
    assert error["extensions"]["fields"] == {"input.dataImages.1": "not an image"}
    bad_category = await gql.error(
        CREATE, {"input": {"name": "x", "coverImage": COVER, "styleCategory": "GOTH"}}, as_=owner
    )
    assert error_code(bad_category) == "BAD_USER_INPUT"


async def test_local_model_path_is_for_superusers(gql: GraphQLClient, accounts: Accounts) -> None:
    user, admin = await accounts.user(), await accounts.user(superuser=True)
    error = await gql.error(CREATE, {"input": {"name": "m", "coverImage": COVER, "localModelPath": "/m/a"}}, as_=user)
    assert (error_code(error), error["message"]) == ("FORBIDDEN", "Only superusers may set localModelPath")
    made = await create_style(gql, admin, localModelPath="/models/style.safetensors", loraTrigger="sks style")
    assert (made["localModelPath"], made["loraTrigger"]) == ("/models/style.safetensors", "sks style")


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await create_style(
        gql,
        owner,
        description="soft",
        brand="Acme",
        tags=["a", "b"],
        loraTrigger="trig",
        dataImages=[{"url": image_uri(width=11)}, {"url": image_uri(width=12)}],
    )
    enabled = await update_style(gql, owner, created["id"], enabled=False)
    assert enabled["enabled"] is False
    unchanged = ("name", "slug", "description", "brand", "tags", "loraTrigger", "coverImageUrl", "dataImageUrls")
    assert {key: enabled[key] for key in unchanged} == {key: created[key] for key in unchanged}
    assert at(enabled["updatedAt"]) > at(created["updatedAt"])

    cleared = await update_style(gql, owner, created["id"], description=None, loraTrigger=None, tags=None)
    assert (cleared["description"], cleared["loraTrigger"], cleared["tags"]) == (None, None, [])
    assert cleared["brand"] == "Acme"

    replaced = await update_style(
        gql, owner, created["id"], dataImages=[{"url": image_uri(width=13)}], coverImage={"url": image_uri(width=30)}
    )
    assert [media["width"] for media in replaced["dataImagesMedia"]] == [13]
    assert replaced["coverImageMedia"]["width"] == 30
    emptied = await update_style(gql, owner, created["id"], dataImages=None, coverImage=None)
    assert (emptied["dataImageUrls"], emptied["coverImageUrl"], emptied["coverImageMedia"]) == ([], None, None)

    nulls = {
        "name": None,
        "styleCategory": None,
        "defaultLoraWeight": None,
        "public": None,
        "enabled": None,
        "archived": None,
    }
    error = await gql.error(UPDATE, {"id": created["id"], "input": nulls}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {f"input.{name}": "must not be null" for name in nulls}
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": "y" * 256, "tags": ["z" * 129]}}, as_=owner)
    assert error["extensions"]["fields"] == {
        "input.name": "must be at most 255 characters",
        "input.tags.0": "must be at most 128 characters",
    }
    # Owners archive and re-enable through the update too.
    archived = await update_style(gql, owner, created["id"], archived=True, enabled=True)
    assert (archived["archived"], archived["enabled"]) == (True, True)


async def test_slug_is_kept_across_renames_and_regenerated_on_request(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger = await accounts.user(), await accounts.user()
    tag = uuid.uuid4().hex[:6]
    created = await create_style(gql, owner, name=f"Summer Linen {tag}")
    assert created["slug"] == f"summer-linen-{tag}"
    renamed = await update_style(gql, owner, created["id"], name=f"Autumn Wool {tag}")
    assert (renamed["name"], renamed["slug"]) == (f"Autumn Wool {tag}", created["slug"])
    by_old = (await gql.data(BY_SLUG, {"slug": created["slug"]}, as_=owner))["styleBySlug"]
    assert by_old == {"id": created["id"], "name": f"Autumn Wool {tag}", "slug": created["slug"]}

    regenerated = await update_style(gql, owner, created["id"], regenerateSlug=True)
    assert regenerated["slug"] == f"autumn-wool-{tag}"
    assert error_code(await gql.error(BY_SLUG, {"slug": created["slug"]}, as_=owner)) == "NOT_FOUND"
    # A rename and a new slug at once; the new name's slug is taken by another style, so it gets a suffix.
    other = await create_style(gql, stranger, name=f"Winter Silk {tag}")
    both = await update_style(gql, owner, created["id"], name=f"Winter Silk {tag}", regenerateSlug=True)
    assert both["slug"].startswith(f"winter-silk-{tag}-") and both["slug"] != other["slug"]
    assert both["name"] == f"Winter Silk {tag}" and at(both["updatedAt"]) >= at(regenerated["updatedAt"])
    fetched = (await gql.data(BY_SLUG, {"slug": both["slug"].upper()}, as_=owner))["styleBySlug"]
    assert fetched["id"] == created["id"]


async def test_style_by_slug_sees_what_style_sees(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org))
    private = await create_style(gql, owner)
    in_org = await create_style(gql, owner, org=org)
    public = await create_style(gql, owner, public=True)
    assert (await gql.data(BY_SLUG, {"slug": private["slug"]}, as_=admin))["styleBySlug"]["id"] == private["id"]
    assert (await gql.data(BY_SLUG, {"slug": in_org["slug"], "org": org}, as_=member))["styleBySlug"]["id"] == in_org[
        "id"
    ]
    assert (await gql.data(BY_SLUG, {"slug": public["slug"]}, as_=stranger))["styleBySlug"]["id"] == public["id"]
    hidden = await gql.error(BY_SLUG, {"slug": private["slug"]}, as_=stranger)
    missing = await gql.error(BY_SLUG, {"slug": "no-such-style"}, as_=stranger)
    assert (
        (error_code(hidden), hidden["message"])
        == (error_code(missing), missing["message"])
        == (
            "NOT_FOUND",
            "Style not found",
        )
    )
    # With an organization the style must belong to it, and the caller to the organization.
    assert error_code(await gql.error(BY_SLUG, {"slug": private["slug"], "org": org}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(BY_SLUG, {"slug": in_org["slug"], "org": org}, as_=stranger)) == "FORBIDDEN"


async def test_archived_styles_stay_readable_but_leave_default_lists(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    kept, archived = await create_style(gql, owner), await create_style(gql, owner)
    assert (await gql.data(ARCHIVE, {"id": archived["id"]}, as_=owner))["archiveStyle"] == {
        "id": archived["id"],
        "archived": True,
    }
    # Archiving twice is harmless.
    assert (await gql.data(ARCHIVE, {"id": archived["id"]}, as_=owner))["archiveStyle"]["archived"] is True
    assert (await gql.data(GET, {"id": archived["id"]}, as_=owner))["style"]["archived"] is True
    assert (await gql.data(BY_SLUG, {"slug": archived["slug"]}, as_=owner))["styleBySlug"]["id"] == archived["id"]
    assert await listed(gql, owner) == (1, [kept["name"]])
    assert await listed(gql, owner, archived=True) == (1, [archived["name"]])

    assert (await gql.data(UNARCHIVE, {"id": archived["id"]}, as_=owner))["unarchiveStyle"]["archived"] is False
    assert (await listed(gql, owner))[0] == 2
    missing = await gql.error(ARCHIVE, {"id": str(uuid.uuid4())}, as_=owner)
    assert error_code(missing) == "NOT_FOUND"


async def test_delete_then_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    style = await create_style(gql, owner, dataImages=[COVER])
    assert (await gql.data(DELETE, {"id": style["id"]}, as_=owner))["deleteStyle"] == {
        "message": "Style deleted successfully"
    }
    for query, variables in ((GET, {"id": style["id"]}), (BY_SLUG, {"slug": style["slug"]})):
        assert error_code(await gql.error(query, variables, as_=owner)) == "NOT_FOUND"
        assert error_code(await gql.error(query, variables, as_=admin)) == "NOT_FOUND"
    assert await listed(gql, owner) == (0, [])
    assert error_code(await gql.error(DELETE, {"id": style["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(ARCHIVE, {"id": style["id"]}, as_=owner)) == "NOT_FOUND"

    refused = await gql.error(RESTORE, {"id": style["id"]}, as_=owner)
    assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "Superuser privileges required")
    assert (await gql.data(RESTORE, {"id": style["id"]}, as_=admin))["restoreStyle"] == {
        "id": style["id"],
        "deletedAt": None,
    }
    back = (await gql.data(GET, {"id": style["id"]}, as_=owner))["style"]
    assert (back["slug"], back["dataImageUrls"]) == (style["slug"], style["dataImageUrls"])
    assert error_code(await gql.error(RESTORE, {"id": style["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_fifty_concurrent_creates_with_one_name_get_distinct_slugs(
    gql: GraphQLClient, accounts: Accounts
) -> None:
    owner = await accounts.user()
    name = f"Rush Hour {uuid.uuid4().hex[:6]}"
    created = await asyncio.gather(*(create_style(gql, owner, name=name) for _ in range(50)))
    slugs = {style["slug"] for style in created}
    assert len(slugs) == 50
    base = name.lower().replace(" ", "-")
    assert base in slugs and all(slug.startswith(base) for slug in slugs)
    assert (await listed(gql, owner, search=name, limit=100))[0] == 50


async def test_cover_and_data_images_load_in_batches(gql: GraphQLClient, accounts: Accounts, app: Starlette) -> None:
    owner = await accounts.user()
    for index in range(3):
        await create_style(
            gql,
            owner,
            coverImage={"url": image_uri(width=40 + index)},
            dataImages=[{"url": image_uri(width=20 + index)}, {"url": image_uri(width=30 + index)}],
        )
    query = """query { styles { count data { coverImageUrl coverImageMedia { width }
      dataImageUrls dataImagesMedia { width } } } }"""
    with count_statements(app) as seen_log:
        seen = seen_log.statements
        styles = (await gql.data(query, as_=owner))["styles"]
    assert styles["count"] == 3
    assert sorted(style["coverImageMedia"]["width"] for style in styles["data"]) == [40, 41, 42]
    assert sorted([media["width"] for media in style["dataImagesMedia"]] for style in styles["data"]) == [
        [20, 30],
        [21, 31],
        [22, 32],
    ]
    assert len([s for s in seen if "FROM style_data_images" in s]) == 1
    # One batch for the covers, one for the data images (known only once their links are loaded), however many
    # styles the page holds.
    assert len([s for s in seen if "FROM media_resources" in s]) == 2
