"""The foundation's "done when", as a person in GraphiQL would do it, end to end through the API."""

from __future__ import annotations

import json
import uuid

import httpx
from pydantic import SecretStr

from core.settings import Settings
from services.bootstrap import ensure_first_superuser
from tests.images import image_bytes


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, object], token: str | None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return response.json()


async def test_first_superuser_to_a_private_shot_type(http: httpx.AsyncClient, settings: Settings) -> None:
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    bootstrap_settings = settings.model_copy(
        update={"first_superuser_email": admin_email, "first_superuser_password": SecretStr("first-admin-pass")}
    )
    await ensure_first_superuser(bootstrap_settings)
    await ensure_first_superuser(bootstrap_settings)  # idempotent: a restart does not fail or duplicate

    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
    admin = (await graphql(http, login, {"e": admin_email, "p": "first-admin-pass"}, None))["data"]["login"][
        "accessToken"
    ]

    designer_email = f"designer-{uuid.uuid4().hex[:8]}@example.com"
    outsider_email = f"outsider-{uuid.uuid4().hex[:8]}@example.com"
    create_user = "mutation($i: UserCreate!) { createUser(input: $i) { id } }"
    for email in (designer_email, outsider_email):
        created = await graphql(http, create_user, {"i": {"email": email, "password": "designer-pass"}}, admin)
        assert created["data"]["createUser"]["id"]
    designer = (await graphql(http, login, {"e": designer_email, "p": "designer-pass"}, None))["data"]["login"][
        "accessToken"
    ]
    outsider = (await graphql(http, login, {"e": outsider_email, "p": "designer-pass"}, None))["data"]["login"][
        "accessToken"
    ]

    org = await graphql(http, 'mutation { createOrganization(name: "Atelier") { id } }', {}, designer)
    org_id = org["data"]["createOrganization"]["id"]

    picture = image_bytes(width=64, height=96, color=(90, 60, 30))
    upload = await http.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {"query": "mutation($f: Upload!) { uploadMedia(file: $f) { id url } }", "variables": {"f": None}}
            ),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        files={"0": ("reference.png", picture, "image/png")},
        headers={"Authorization": f"Bearer {designer}", "Apollo-Require-Preflight": "true"},
    )
    media = upload.json()["data"]["uploadMedia"]

    create_shot = """mutation($i: ShotTypeCreate!, $o: UUID) {
      createShotType(input: $i, organizationId: $o) { id referenceImageUrl referenceImage { id width height } } }"""
    shot = (
        await graphql(
            http,
            create_shot,
            {
                "i": {
                    "name": "atelier_front",
                    "viewAngle": "FRONT",
                    "framing": "FULL_BODY",
                    "public": False,
                    "referenceImageUrl": {"mediaResourceId": media["id"]},
                },
                "o": org_id,
            },
            designer,
        )
    )["data"]["createShotType"]
    assert shot["referenceImage"] == {"id": media["id"], "width": 64, "height": 96}

    fetched = await http.get(shot["referenceImageUrl"])
    assert fetched.status_code == 200 and fetched.content == picture

    get_shot = "query($id: UUID!) { shotType(id: $id) { id } }"
    hidden = await graphql(http, get_shot, {"id": shot["id"]}, outsider)
    assert hidden["data"] is None
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await graphql(http, get_shot, {"id": shot["id"]}, admin))["data"]["shotType"]["id"] == shot["id"]
