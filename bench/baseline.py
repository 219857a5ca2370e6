"""The baseline: a bare Starlette app answering the benchmark's queries with hand-written asyncpg SQL and orjson.

It is what the same answers cost without GraphQL, an ORM or dataloaders: each endpoint authenticates the caller as
the API does (JWT, then the user and memberships from the database), applies the same visibility rules in SQL,
fetches with a few joins on one pooled connection and builds, field for field, the JSON the GraphQL query answers
(`{"data": {...}}`, camelCase, enum names, ISO times, media URLs). bench/__main__.py checks that both answers are
equal before it measures anything. `/floor` answers a constant with nothing else: the floor under every request.

Run as the API runs: `python -m uvicorn bench.baseline:app` with the same environment (DATABASE_URL, SECRET_KEY,
PUBLIC_BASE_URL).
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.servers import plain_dsn
from core.security import decode_access_token
from core.settings import get_settings
from db.models.enums import (
    BodyType,
    EyeColor,
    Gender,
    GuidelinesShotTypeRuleKind,
    HairColor,
    ShotTypeFraming,
    SubjectAgeClass,
    SubjectType,
    ViewAngle,
)

POOL_SIZE = 20  # the API's engine: pool_size 10 plus max_overflow 10


def _names(*enums: type[enum.Enum]) -> dict[str, str]:
    """Stored value -> GraphQL enum name, for every enum the answers carry."""
    return {member.value: member.name for enum_class in enums for member in enum_class}


_ENUM_NAME = _names(
    BodyType, EyeColor, Gender, HairColor, ShotTypeFraming, SubjectAgeClass, SubjectType, ViewAngle,
    GuidelinesShotTypeRuleKind,
)  # fmt: skip


def _enum(value: str | None) -> str | None:
    return None if value is None else _ENUM_NAME[value]


class _HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class _Caller:
    id: uuid.UUID
    is_superuser: bool
    organization_ids: list[uuid.UUID]


class _Baseline:
    def __init__(self) -> None:
        settings = get_settings()
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL must be set")
        self.dsn = plain_dsn(settings.database_url)
        self.secret = settings.signing_key
        self.media_prefix = settings.public_base_url.rstrip("/") + "/media/"
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "the pool opens in the lifespan"
        return self._pool

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=POOL_SIZE,
            server_settings={"jit": "off", "application_name": "studio-bench-baseline"},
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    def url(self, storage_key: str | None) -> str | None:
        # Keys are `media/<aa>/<sha>.<ext>`, served at `/media/<aa>/<sha>.<ext>` (core/storage.py).
        return None if storage_key is None else self.media_prefix + storage_key[6:]

    # --- the caller --------------------------------------------------------------------------------------------

    async def caller(self, connection: asyncpg.Connection, request: Request) -> _Caller:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        claims = decode_access_token(token.strip(), secret=self.secret) if scheme.lower() == "bearer" else None
        if claims is None:
            raise _HttpError(401, "UNAUTHENTICATED", "Authentication required")
        # Like the API's caller statement: the token's revocation and version are checked in the same query.
        row = await connection.fetchrow(_CALLER_SQL, claims.user_id, claims.token_id)
        if row is None or not row["is_active"] or row["revoked"] or row["token_version"] != claims.token_version:
            raise _HttpError(401, "UNAUTHENTICATED", "Invalid or expired token")
        return _Caller(claims.user_id, row["is_superuser"], row["organization_ids"])

    @staticmethod
    def organization(request: Request, caller: _Caller) -> uuid.UUID | None:
        raw = request.query_params.get("organizationId")
        if raw is None:
            return None
        organization_id = uuid.UUID(raw)
        if not caller.is_superuser and organization_id not in caller.organization_ids:
            raise _HttpError(403, "FORBIDDEN", "You are not a member of this organization")
        return organization_id

    @staticmethod
    def list_scope(alias: str, caller: _Caller, organization_id: uuid.UUID | None) -> tuple[str, list[Any]]:
        """services/visibility.list_filter as a WHERE clause on `alias` and its parameters ($1...): the
        organization's rows (membership was checked), else every row for a superuser, else the caller's personal
        rows; live rows only."""
        live = f"{alias}.deleted_at IS NULL"
        if organization_id is not None:
            return f"{live} AND {alias}.organization_id = $1", [organization_id]
        if caller.is_superuser:
            return live, []
        return f"{live} AND {alias}.owner_id = $1 AND {alias}.organization_id IS NULL", [caller.id]

    # --- answers -----------------------------------------------------------------------------------------------

    async def typename(self, request: Request) -> dict[str, Any]:
        # `{ __typename }` reads nothing and needs no caller: the API answers it without a token too.
        return {"__typename": "Query"}

    async def me(self, request: Request) -> dict[str, Any]:
        async with self.pool.acquire() as connection:
            caller = await self.caller(connection, request)
        return {"me": {"id": caller.id}}

    def subject_fields(self, row: asyncpg.Record) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "surname": row["surname"],
            "slug": row["slug"],
            "ageClass": _ENUM_NAME[row["age_class"]],
            "gender": _ENUM_NAME[row["gender"]],
        }

    def measurements(self, row: asyncpg.Record) -> dict[str, Any] | None:
        if row["measurements_id"] is None:
            return None
        return {
            "heightCm": row["height_cm"],
            "bustCm": row["bust_cm"],
            "waistCm": row["waist_cm"],
            "hipsCm": row["hips_cm"],
            "shoeEu": row["shoe_eu"],
            "eyeColor": _enum(row["eye_color"]),
            "hairColor": _enum(row["hair_color"]),
        }

    def base_images(self, rows: Iterable[asyncpg.Record]) -> list[dict[str, Any]]:
        return [
            {
                "shotTypeId": row["shot_type_id"],
                "shotTypeLabel": row["shot_type_name"],
                "imageUrl": self.url(row["key"]),
            }
            for row in rows
        ]

    async def subjects_page(self, request: Request) -> dict[str, Any]:
        skip, limit = _page(request)
        async with self.pool.acquire() as connection:
            caller = await self.caller(connection, request)
            where, params = self.list_scope("s", caller, self.organization(request, caller))
            total = await connection.fetchval(f"SELECT count(*) FROM subjects s WHERE {where}", *params)  # noqa: S608 - our own clause
            rows = await connection.fetch(_page_sql(_SUBJECT_COLUMNS, where, "s", len(params)), *params, skip, limit)
            base_rows = await connection.fetch(_BASE_IMAGES_SQL, [row["id"] for row in rows])
        base_images = _grouped(base_rows, "subject_id")
        data = []
        for row in rows:
            item = self.subject_fields(row)
            item.update(
                subjectType=_ENUM_NAME[row["subject_type"]],
                bodyType=_enum(row["body_type"]),
                public=row["public"],
                enabled=row["enabled"],
                ready=row["ready"],
                loraStatus=row["lora_status"],
                createdAt=row["created_at"],
                updatedAt=row["updated_at"],
                coverImageUrl=self.url(row["cover_key"]),
                portraitImageUrl=self.url(row["portrait_key"]),
                measurements=self.measurements(row),
                baseImages=self.base_images(base_images.get(row["id"], ())),
            )
            data.append(item)
        return {"subjects": {"count": total, "data": data}}

    async def subject(self, request: Request) -> dict[str, Any]:
        try:
            subject_id = uuid.UUID(request.path_params["id"])
        except ValueError:
            raise _HttpError(400, "BAD_USER_INPUT", "id is not a UUID") from None
        async with self.pool.acquire() as connection:
            caller = await self.caller(connection, request)
            organization_id = self.organization(request, caller)
            row = await connection.fetchrow(
                _SUBJECT_SQL, subject_id, organization_id, caller.is_superuser, caller.id, caller.organization_ids
            )
            if row is None:
                raise _HttpError(404, "NOT_FOUND", "Subject not found")
            data_keys = await connection.fetch(_DATA_IMAGES_SQL, subject_id)
            base_rows = await connection.fetch(_BASE_IMAGES_SQL, [subject_id])
        item = self.subject_fields(row)
        del item["ageClass"], item["gender"]  # re-added below, in the order the query selects them
        item.update(
            description=row["description"],
            ageClass=_ENUM_NAME[row["age_class"]],
            gender=_ENUM_NAME[row["gender"]],
            subjectType=_ENUM_NAME[row["subject_type"]],
            bodyType=_enum(row["body_type"]),
            positivePrompt=row["positive_prompt"],
            negativePrompt=row["negative_prompt"],
            ethnicity=row["ethnicity"],
            public=row["public"],
            enabled=row["enabled"],
            ready=row["ready"],
            loraStatus=row["lora_status"],
            loraTrigger=row["lora_trigger"],
            ownerId=row["owner_id"],
            organizationId=row["organization_id"],
            createdAt=row["created_at"],
            updatedAt=row["updated_at"],
            coverImageUrl=self.url(row["cover_key"]),
            portraitImageUrl=self.url(row["portrait_key"]),
            dataImageUrls=[self.url(key["key"]) for key in data_keys],
            measurements=self.measurements(row),
            baseImages=self.base_images(base_rows),
        )
        return {"subject": item}

    async def guidelines_page(self, request: Request) -> dict[str, Any]:
        skip, limit = _page(request)
        async with self.pool.acquire() as connection:
            caller = await self.caller(connection, request)
            where, params = self.list_scope("g", caller, self.organization(request, caller))
            total = await connection.fetchval(f"SELECT count(*) FROM shooting_guidelines g WHERE {where}", *params)  # noqa: S608 - our own clause
            page_sql = _page_sql(_GUIDELINE_COLUMNS, where, "g", len(params), order_by="g.name, ")
            rows = await connection.fetch(page_sql, *params, skip, limit)
            ids = [row["id"] for row in rows]
            # Linked rows appear only while the caller may read them (services/visibility.can_read).
            readers = (caller.is_superuser, caller.id, caller.organization_ids)
            shot_types = _grouped(await connection.fetch(_GUIDELINE_SHOT_TYPES_SQL, ids, *readers), "key")
            subjects = _grouped(await connection.fetch(_GUIDELINE_SUBJECTS_SQL, ids, *readers), "key")
            poses = _grouped(await connection.fetch(_GUIDELINE_POSES_SQL, ids, *readers), "key")
            set_ids = list({row["set_design_id"] for row in rows if row["set_design_id"] is not None})
            sets = {row["id"]: row for row in await connection.fetch(_SET_DESIGNS_SQL, set_ids, *readers)}
            set_ids = list(sets)
            set_base = _grouped(await connection.fetch(_SET_BASE_IMAGES_SQL, set_ids), "set_design_id")
            set_references = _grouped(await connection.fetch(_SET_REFERENCES_SQL, set_ids), "set_design_id")
            set_portraits = _grouped(await connection.fetch(_SET_PORTRAITS_SQL, set_ids), "set_design_id")
            rules = _grouped(await connection.fetch(_RULES_SQL, ids, *readers), "guideline_id")
        data = []
        for row in rows:
            set_design = sets.get(row["set_design_id"])
            data.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "allowBackShotsWithoutBackImage": row["allow_back_shots_without_back_image"],
                    "autoStartLookGenerations": row["auto_start_look_generations"],
                    "backgroundPresetId": row["background_preset_id"],
                    "resolutionPresetId": row["resolution_preset_id"],
                    "setDesignId": row["set_design_id"],
                    "ownerId": row["owner_id"],
                    "organizationId": row["organization_id"],
                    "createdAt": row["created_at"],
                    "updatedAt": row["updated_at"],
                    "shotTypes": [_shot_type(shot_type) for shot_type in shot_types.get(row["id"], ())],
                    "subjects": [
                        self.subject_fields(subject) | {"coverImageUrl": self.url(subject["cover_key"])}
                        for subject in subjects.get(row["id"], ())
                    ],
                    "posePresets": [
                        {
                            "id": pose["id"],
                            "name": pose["name"],
                            "prompt": pose["prompt"],
                            "shotTypeId": pose["shot_type_id"],
                            "poseImageUrl": self.url(pose["image_key"]),
                        }
                        for pose in poses.get(row["id"], ())
                    ],
                    "setDesign": None
                    if set_design is None
                    else {
                        "id": set_design["id"],
                        "name": set_design["name"],
                        "description": set_design["description"],
                        "baseImages": [
                            {
                                "id": image["id"],
                                "subjectId": image["subject_id"],
                                "shotTypeId": image["shot_type_id"],
                                "variantIndex": image["variant_index"],
                                "imageUrl": self.url(image["image_key"]),
                            }
                            for image in set_base.get(set_design["id"], ())
                        ],
                        "referenceImages": [
                            {
                                "id": image["id"],
                                "shotTypeId": image["shot_type_id"],
                                "label": image["label"],
                                "imageUrl": self.url(image["image_key"]),
                            }
                            for image in set_references.get(set_design["id"], ())
                        ],
                        "subjectPortraits": [
                            {
                                "id": image["id"],
                                "subjectId": image["subject_id"],
                                "imageUrl": self.url(image["image_key"]),
                            }
                            for image in set_portraits.get(set_design["id"], ())
                        ],
                    },
                    "shotTypeRules": _rule_groups(rules.get(row["id"], ())),
                }
            )
        return {"guidelines": {"count": total, "data": data}}


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset between uses: nothing. These endpoints change no session state (no SET, LISTEN, advisory
    lock or cursor), so asyncpg's default reset query (four statements) would be a round trip for nothing."""


def _page(request: Request) -> tuple[int, int]:
    try:
        skip = int(request.query_params.get("skip", 0))
        limit = int(request.query_params.get("limit", 100))
    except ValueError:
        raise _HttpError(400, "BAD_USER_INPUT", "skip and limit are integers") from None
    if skip < 0 or not 0 < limit <= 1000:
        raise _HttpError(400, "BAD_USER_INPUT", "skip >= 0 and 0 < limit <= 1000")
    return skip, limit


def _grouped(rows: Sequence[asyncpg.Record], key: str) -> dict[Any, list[asyncpg.Record]]:
    grouped: dict[Any, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _shot_type(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "viewAngle": _ENUM_NAME[row["view_angle"]],
        "framing": _ENUM_NAME[row["framing"]],
    }


def _rule_groups(rows: Iterable[asyncpg.Record]) -> list[dict[str, Any]]:
    """Rule groups in order, each with its readable shot types (rows: one per rule and shot type, the shot type
    columns null for a rule with none left)."""
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        group = groups.get(row["rule_id"])
        if group is None:
            group = groups[row["rule_id"]] = {
                "ruleKind": _ENUM_NAME[row["rule_kind"]],
                "ruleValue": row["rule_value"],
                "shotTypes": [],
            }
        if row["id"] is not None:
            group["shotTypes"].append(_shot_type(row))
    return list(groups.values())


# --- SQL ---------------------------------------------------------------------------------------------------------

_CALLER_SQL = """
SELECT u.is_active, u.is_superuser, u.token_version,
       coalesce(array_agg(m.organization_id) FILTER (WHERE m.organization_id IS NOT NULL), '{}') AS organization_ids,
       EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = $2) AS revoked
FROM users u LEFT JOIN organization_memberships m ON m.user_id = u.id
WHERE u.id = $1
GROUP BY u.id
"""

_SUBJECT_COLUMNS = """
s.id, s.name, s.surname, s.slug, s.description, s.age_class, s.gender, s.subject_type, s.body_type,
s.positive_prompt, s.negative_prompt, s.ethnicity, s.public, s.enabled, s.ready, s.lora_status, s.lora_trigger,
s.owner_id, s.organization_id, s.created_at, s.updated_at,
cover.storage_key AS cover_key, portrait.storage_key AS portrait_key,
me.id AS measurements_id, me.height_cm, me.bust_cm, me.waist_cm, me.hips_cm, me.shoe_eu, me.eye_color, me.hair_color
FROM subjects s
LEFT JOIN media_resources cover ON cover.id = s.cover_image_media_id
LEFT JOIN media_resources portrait ON portrait.id = s.portrait_image_media_id
LEFT JOIN subject_measurements me ON me.subject_id = s.id
"""


def _page_sql(select_from: str, where: str, alias: str, parameters: int, *, order_by: str = "") -> str:
    """A page of a list ordered as crud.list_visible orders it (`order_by` first, then newest first); skip and limit
    follow the scope's parameters."""
    return (
        f"SELECT {select_from} WHERE {where} "
        f"ORDER BY {order_by}{alias}.created_at DESC, {alias}.id OFFSET ${parameters + 1} LIMIT ${parameters + 2}"
    )


# services/visibility.object_filter, plus the organization when one is given.
_SUBJECT_SQL = (
    "SELECT "
    + _SUBJECT_COLUMNS
    + """
WHERE s.id = $1 AND s.deleted_at IS NULL
  AND ($2::uuid IS NULL OR s.organization_id = $2::uuid)
  AND ($3::boolean OR s.owner_id = $4::uuid OR s.organization_id = ANY($5::uuid[]) OR s.public)
"""
)

_BASE_IMAGES_SQL = """
SELECT b.subject_id, b.shot_type_id, st.name AS shot_type_name, m.storage_key AS key
FROM subject_base_images b
JOIN shot_types st ON st.id = b.shot_type_id
JOIN media_resources m ON m.id = b.media_id
WHERE b.subject_id = ANY($1::uuid[])
ORDER BY b.subject_id, b.created_at, b.id
"""

_DATA_IMAGES_SQL = """
SELECT m.storage_key AS key
FROM subject_data_images d JOIN media_resources m ON m.id = d.media_id
WHERE d.subject_id = $1
ORDER BY d.position, d.id
"""


# services/visibility.can_read for linked rows: $2 superuser, $3 the caller, $4 their organizations.
def _readable(alias: str, *, public: bool) -> str:
    shared = f" OR {alias}.public" if public else ""
    return (
        f"{alias}.deleted_at IS NULL AND ($2::boolean OR {alias}.owner_id = $3::uuid"
        f" OR {alias}.organization_id = ANY($4::uuid[]){shared})"
    )


_GUIDELINE_COLUMNS = """
g.id, g.name, g.allow_back_shots_without_back_image, g.auto_start_look_generations, g.background_preset_id,
g.resolution_preset_id, g.set_design_id, g.owner_id, g.organization_id, g.created_at, g.updated_at
FROM shooting_guidelines g
"""

_GUIDELINE_SHOT_TYPES_SQL = f"""
SELECT l.guideline_id AS key, st.id, st.name, st.view_angle, st.framing
FROM guideline_shot_types l JOIN shot_types st ON st.id = l.shot_type_id
WHERE l.guideline_id = ANY($1::uuid[]) AND {_readable("st", public=True)}
ORDER BY l.guideline_id, l.position
"""  # noqa: S608 - fixed clauses

_GUIDELINE_SUBJECTS_SQL = f"""
SELECT l.guideline_id AS key, s.id, s.name, s.surname, s.slug, s.age_class, s.gender, m.storage_key AS cover_key
FROM guideline_subjects l JOIN subjects s ON s.id = l.subject_id
LEFT JOIN media_resources m ON m.id = s.cover_image_media_id
WHERE l.guideline_id = ANY($1::uuid[]) AND {_readable("s", public=True)}
ORDER BY l.guideline_id, l.position
"""  # noqa: S608 - fixed clauses

_GUIDELINE_POSES_SQL = f"""
SELECT l.guideline_id AS key, p.id, p.name, p.prompt, p.shot_type_id, m.storage_key AS image_key
FROM guideline_pose_presets l JOIN pose_presets p ON p.id = l.pose_preset_id
LEFT JOIN media_resources m ON m.id = p.pose_image_media_id
WHERE l.guideline_id = ANY($1::uuid[]) AND {_readable("p", public=False)}
ORDER BY l.guideline_id, l.position
"""  # noqa: S608 - fixed clauses

_SET_DESIGNS_SQL = f"""
SELECT d.id, d.name, d.description FROM set_designs d
WHERE d.id = ANY($1::uuid[]) AND {_readable("d", public=False)}
"""  # noqa: S608 - fixed clauses

_SET_BASE_IMAGES_SQL = """
SELECT i.set_design_id, i.id, i.subject_id, i.shot_type_id, i.variant_index, m.storage_key AS image_key
FROM set_base_images i LEFT JOIN media_resources m ON m.id = i.image_media_id
WHERE i.set_design_id = ANY($1::uuid[])
ORDER BY i.created_at, i.id
"""

_SET_REFERENCES_SQL = """
SELECT i.set_design_id, i.id, i.shot_type_id, i.label, m.storage_key AS image_key
FROM set_reference_images i LEFT JOIN media_resources m ON m.id = i.image_media_id
WHERE i.set_design_id = ANY($1::uuid[])
ORDER BY i.position, i.created_at, i.id
"""

_SET_PORTRAITS_SQL = """
SELECT i.set_design_id, i.id, i.subject_id, m.storage_key AS image_key
FROM set_subject_portraits i LEFT JOIN media_resources m ON m.id = i.image_media_id
WHERE i.set_design_id = ANY($1::uuid[])
ORDER BY i.created_at, i.id
"""

# One row per rule and readable shot type, in order; a rule whose shot types are all hidden keeps one row of nulls.
_RULES_SQL = f"""
SELECT r.guideline_id, r.id AS rule_id, r.rule_kind, r.rule_value, st.id, st.name, st.view_angle, st.framing
FROM guideline_shot_type_rules r
LEFT JOIN guideline_shot_type_rule_shot_types l ON l.rule_id = r.id
LEFT JOIN shot_types st ON st.id = l.shot_type_id AND {_readable("st", public=True)}
WHERE r.guideline_id = ANY($1::uuid[])
ORDER BY r.position, r.id, l.position
"""  # noqa: S608 - fixed clauses


# --- the app -----------------------------------------------------------------------------------------------------


_FLOOR_ANSWER = b'{"data":{"__typename":"Query"}}'


def _json(payload: Any, status: int = 200) -> Response:
    # asyncpg's UUID is a uuid.UUID subclass, which orjson leaves to `default`.
    return Response(orjson.dumps(payload, default=str), status_code=status, media_type="application/json")


def create_app() -> Starlette:
    baseline = _Baseline()

    def endpoint(answer: Any) -> Any:
        async def handle(request: Request) -> Response:
            try:
                return _json({"data": await answer(request)})
            except _HttpError as error:
                return _json({"errors": [{"message": error.message, "extensions": {"code": error.code}}]}, error.status)

        return handle

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await baseline.open()
        try:
            yield
        finally:
            await baseline.close()

    async def readyz(request: Request) -> Response:
        async with baseline.pool.acquire() as connection:
            await connection.fetchval("SELECT 1")
        return _json({"status": "ok"})

    async def floor(request: Request) -> Response:
        # What Starlette under this uvicorn command costs with nothing to do: the floor under every request.
        return Response(_FLOOR_ANSWER, media_type="application/json")

    return Starlette(
        routes=[
            Route("/floor", floor),
            Route("/typename", endpoint(baseline.typename)),
            Route("/me", endpoint(baseline.me)),
            Route("/subjects", endpoint(baseline.subjects_page)),
            Route("/subjects/{id}", endpoint(baseline.subject)),
            Route("/guidelines", endpoint(baseline.guidelines_page)),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )


def __getattr__(name: str) -> Any:
    # `uvicorn bench.baseline:app` builds the app on first access (as graph/app.py does), so importing this module
    # needs no settings.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
