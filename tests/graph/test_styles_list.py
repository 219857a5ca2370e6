"""The `styles` list: every filter with its total count, the search over each searched field, paging and scope."""

from __future__ import annotations

import uuid

from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.test_styles import LIST, create_style, listed, organization, update_style


async def test_archived_demo_enabled_public_and_category_filters(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    plain = await create_style(gql, owner, name="Plain", styleCategory="CASUAL")
    archived = await create_style(gql, owner, name="Archived", styleCategory="VINTAGE")
    await update_style(gql, owner, archived["id"], archived=True)
    disabled = await create_style(gql, owner, name="Disabled", styleCategory="VINTAGE")
    await update_style(gql, owner, disabled["id"], enabled=False)
    public = await create_style(gql, owner, name="Public", public=True, styleCategory="LUXURY")
    demo = await create_style(gql, owner, name="Demo", styleCategory="LUXURY")
    await update_style(gql, admin, demo["id"], demo=True)

    def names(*styles: dict[str, str]) -> list[str]:
        """Newest first, as the list orders them."""
        return [style["name"] for style in reversed(styles)]

    assert await listed(gql, owner) == (4, names(plain, disabled, public, demo))
    assert await listed(gql, owner, archived=True) == (1, names(archived))
    assert await listed(gql, owner, archived=False) == (4, names(plain, disabled, public, demo))
    assert await listed(gql, owner, demo=True) == (1, names(demo))
    assert await listed(gql, owner, demo=False) == (3, names(plain, disabled, public))
    assert await listed(gql, owner, enabled=False) == (1, names(disabled))
    assert await listed(gql, owner, enabled=True) == (3, names(plain, public, demo))
    assert await listed(gql, owner, public=True) == (1, names(public))
    assert await listed(gql, owner, public=False) == (3, names(plain, disabled, demo))
    assert await listed(gql, owner, category="VINTAGE") == (1, names(disabled))
    assert await listed(gql, owner, category="VINTAGE", archived=True) == (1, names(archived))
    assert await listed(gql, owner, category="LUXURY", demo=False) == (1, names(public))
    assert await listed(gql, owner, category="FORMAL") == (0, [])
    # A public style of someone else's does not join the caller's list: `public` only narrows.
    stranger = await accounts.user()
    assert await listed(gql, stranger, public=True) == (0, [])


async def test_search_looks_in_each_documented_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    await create_style(gql, owner, name="Denim Days")
    await create_style(gql, owner, name="Second", description="Washed DENIM with rips")
    await create_style(gql, owner, name="Third", brand="DenimCo")
    await create_style(gql, owner, name="Fourth", promptKeywords="retro, denim jacket")
    await create_style(gql, owner, name="Fifth", tags=["blue-denim", "casual"])
    await create_style(gql, owner, name="Sixth", tags=["de", "nim"], description="100% cotton_blend")
    assert (await listed(gql, owner, search="denim"))[0] == 5
    assert await listed(gql, owner, search="  Denim Days ") == (1, ["Denim Days"])
    assert await listed(gql, owner, search="washed") == (1, ["Second"])
    assert await listed(gql, owner, search="denimco") == (1, ["Third"])
    assert await listed(gql, owner, search="JACKET") == (1, ["Fourth"])
    # A tag matches whole or in part, but a search never spans two tags.
    assert await listed(gql, owner, search="casual") == (1, ["Fifth"])
    assert await listed(gql, owner, search="blue-den") == (1, ["Fifth"])
    assert await listed(gql, owner, search="de nim") == (0, [])
    # % and _ are taken literally.
    assert await listed(gql, owner, search="100%") == (1, ["Sixth"])
    assert await listed(gql, owner, search="n_b") == (1, ["Sixth"])
    assert (await listed(gql, owner, search="%"))[0] == 1
    assert (await listed(gql, owner, search=""))[0] == 6


async def test_owner_filter_and_organization_scope(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, outsider, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org))
    by_owner = await create_style(gql, owner, org=org)
    by_member = await create_style(gql, member, org=org)
    personal = await create_style(gql, owner)

    assert await listed(gql, member, org=org) == (2, [by_member["name"], by_owner["name"]])
    assert await listed(gql, member, org=org, owner=str(owner.id)) == (1, [by_owner["name"]])
    assert await listed(gql, owner, org=org, owner=str(member.id)) == (1, [by_member["name"]])
    # Without an organization: personal styles only, so another user's id narrows to nothing.
    assert await listed(gql, owner) == (1, [personal["name"]])
    assert await listed(gql, member, owner=str(owner.id)) == (0, [])
    # Superusers see every style; ownerId narrows to one user's, organization ones included.
    assert await listed(gql, admin, owner=str(owner.id)) == (2, [personal["name"], by_owner["name"]])
    assert await listed(gql, admin, org=org) == (2, [by_member["name"], by_owner["name"]])
    refused = await gql.error(LIST, {"org": org}, as_=outsider)
    assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "You are not a member of this organization")


async def test_paging_keeps_the_total_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    made = [await create_style(gql, owner, name=f"Page {index}") for index in range(5)]
    newest_first = [style["name"] for style in reversed(made)]
    assert await listed(gql, owner, limit=2) == (5, newest_first[:2])
    assert await listed(gql, owner, skip=2, limit=2) == (5, newest_first[2:4])
    assert await listed(gql, owner, skip=4, limit=2) == (5, newest_first[4:])
    assert await listed(gql, owner, skip=10) == (5, [])
    error = await gql.error(LIST, {"skip": -1, "limit": 0}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {"skip", "limit"}
    unauthenticated = await gql.error(LIST, {})
    assert error_code(unauthenticated) == "UNAUTHENTICATED"
