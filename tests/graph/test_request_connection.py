"""One connection per request for its driver reads (db/request_connection.py): the caller, the root read by id and
every loader batch share it, it goes back to the pool when the response is made, and a request never holds one
while waiting for another (a pool of one connection still answers reads, lists and writes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from graph.app import create_app
from tests.conftest import Account, Accounts, GraphQLClient, close_app
from tests.seed_rows import Seed, make_organization

SUBJECT = """query($id: UUID!, $org: UUID) { subject(id: $id, organizationId: $org) {
  id name coverImageUrl portraitImageUrl dataImageUrls
  measurements { heightCm }
  baseImages { shotTypeLabel imageUrl shotType { name } }
  dataImagesMedia { id } portfolioImagesMedia { id }
} }"""

SUBJECTS = """query($org: UUID) { subjects(organizationId: $org) { data {
  id coverImageUrl measurements { heightCm } baseImages { shotTypeLabel imageUrl }
} } }"""


@contextmanager
def checkouts(app: Starlette) -> Iterator[list[object]]:
    """Every connection taken from the app's pool inside the block (a pool event: the driver's path stays on)."""
    taken: list[object] = []

    def record(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        taken.append(dbapi_connection)

    engine = app.state.resources.engine.sync_engine
    event.listen(engine, "checkout", record)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", record)


async def seeded_subject(
    session_factory: async_sessionmaker[AsyncSession], accounts: Accounts, viewer: Account
) -> tuple[uuid.UUID, uuid.UUID]:
    organization_id = await make_organization(session_factory)
    await accounts.add_to_organization(viewer, organization_id)
    seed = Seed(owner_id=viewer.id, organization_id=organization_id)
    subject_id = seed.full_subject()
    seed.full_subject()
    await seed.write(session_factory)
    return organization_id, subject_id


async def test_a_request_reads_on_one_connection_and_hands_it_back(
    app: Starlette, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    viewer = await accounts.user()
    organization_id, subject_id = await seeded_subject(session_factory, accounts, viewer)
    pool = app.state.resources.engine.sync_engine.pool
    with checkouts(app) as taken:
        data = await gql.data(SUBJECT, {"id": str(subject_id), "org": str(organization_id)}, as_=viewer)
    subject = data["subject"]
    assert subject["id"] == str(subject_id)
    assert subject["coverImageUrl"] and subject["portraitImageUrl"] and len(subject["dataImageUrls"]) == 2
    assert subject["measurements"] == {"heightCm": 175.0}
    assert len(subject["baseImages"]) == 2 and all(image["shotType"]["name"] for image in subject["baseImages"])
    assert len(subject["dataImagesMedia"]) == 2 and len(subject["portfolioImagesMedia"]) == 1
    # The caller, the subject and three levels of loader batches (several batches in a level): one checkout.
    assert len(taken) == 1
    assert pool.checkedout() == 0


async def test_a_hidden_or_foreign_subject_by_id_is_not_found(
    app: Starlette, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    organization_id, subject_id = await seeded_subject(session_factory, accounts, owner)
    stranger = await accounts.user()
    hidden = await gql.error(SUBJECT, {"id": str(subject_id)}, as_=stranger)
    assert hidden["extensions"]["code"] == "NOT_FOUND"
    other_organization = await make_organization(session_factory)
    await accounts.add_to_organization(owner, other_organization)
    elsewhere = await gql.error(SUBJECT, {"id": str(subject_id), "org": str(other_organization)}, as_=owner)
    assert elsewhere["extensions"]["code"] == "NOT_FOUND"
    not_member = await gql.error(SUBJECT, {"id": str(subject_id), "org": str(organization_id)}, as_=stranger)
    assert not_member["extensions"]["code"] == "FORBIDDEN"
    assert app.state.resources.engine.sync_engine.pool.checkedout() == 0


@pytest.fixture
async def one_connection_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The application with a pool of one connection: a request that held one while waiting for another would
    wait for the pool's timeout."""
    app = create_app(settings.model_copy(update={"database_pool_size": 1}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
    await close_app(app)


async def test_a_pool_of_one_connection_answers_reads_lists_and_writes(
    one_connection_http: httpx.AsyncClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    gql = GraphQLClient(one_connection_http)
    viewer = await accounts.user()
    organization_id, subject_id = await seeded_subject(session_factory, accounts, viewer)
    variables = {"id": str(subject_id), "org": str(organization_id)}
    async with asyncio.timeout(20):
        subject = (await gql.data(SUBJECT, variables, as_=viewer))["subject"]
        # A list's page is read in a session of its own, after the caller's read: the request's connection was
        # handed back meanwhile, and taken again for the page's loader batches.
        page = (await gql.data(SUBJECTS, {"org": str(organization_id)}, as_=viewer))["subjects"]["data"]
        # Both in one document: the subject's loader batches and the list's session, side by side.
        both = await gql.data(
            "query($id: UUID!, $org: UUID) { subject(id: $id, organizationId: $org) { id measurements { heightCm } }"
            " subjects(organizationId: $org) { data { id baseImages { imageUrl } } } }",
            variables,
            as_=viewer,
        )
        created = await gql.data('mutation { createOrganization(name: "Ada\'s") { name } }', as_=viewer)
        # Requests at once, each holding at most the one connection in turn.
        answers = await asyncio.gather(*(gql.data(SUBJECT, variables, as_=viewer) for _ in range(4)))
    assert subject["measurements"] == {"heightCm": 175.0}
    assert len(page) == 2 and all(len(row["baseImages"]) == 2 for row in page)
    assert both["subject"]["measurements"] == {"heightCm": 175.0} and len(both["subjects"]["data"]) == 2
    assert created["createOrganization"]["name"] == "Ada's"
    assert all(answer["subject"] == subject for answer in answers)
