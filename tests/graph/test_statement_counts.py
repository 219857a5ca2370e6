"""The cost of a nested query does not grow with the number of rows: every relation is loaded by a dataloader in
one statement per nesting level, so the same query over few and over many rows runs the same statements (and the
same query always runs the same number: graph/loaders.py's BatchScheduler dispatches level by level).

Rows are seeded straight through the models in bulk (fast and independent of the API under test); the queries
run through GraphQL as a superuser, narrowed to one owner or organization so that other tests' rows never count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.models import ShotType
from graph.loaders import SETTLE_TICKS, Loaders, SessionLoader
from tests.conftest import Account, Accounts, GraphQLClient
from tests.seed_rows import Seed, make_organization
from tests.statements import StatementLog, count_statements

# Every statement a request runs before any field resolves: the caller (user, then memberships), then the root
# list (its count, then its page).
CALLER = 2
ROOT_LIST = 2


async def counted(
    app: Starlette, gql: GraphQLClient, viewer: Account, query: str, variables: dict[str, Any]
) -> tuple[Any, StatementLog]:
    with count_statements(app) as log:
        data = await gql.data(query, variables, as_=viewer)
    return data, log


async def few_and_many(
    app: Starlette,
    gql: GraphQLClient,
    session_factory: async_sessionmaker[AsyncSession],
    viewer: Account,
    seed: Seed,
    make_one: Callable[[], object],
    query: str,
    variables: dict[str, Any],
    *,
    few: int,
    many: int,
    check: Callable[[Any, int], None],
) -> tuple[StatementLog, StatementLog]:
    """Seed `few` rows and run the query, then seed up to `many` and run it again."""
    logs = []
    for total, added in ((few, few), (many, many - few)):
        for _ in range(added):
            make_one()
        await seed.write(session_factory)
        data, log = await counted(app, gql, viewer, query, variables)
        check(data, total)
        logs.append(log)
    return logs[0], logs[1]


def assert_same_and_at_most(few: StatementLog, many: StatementLog, bound: int) -> None:
    assert few.count == many.count, f"few: {' '.join(few.tables())}\nmany: {' '.join(many.tables())}"
    assert many.count <= bound, " ".join(many.tables())


GUIDELINES = """query($owner: UUID!) { guidelines(ownerId: $owner, limit: 100) { count data {
  id
  shotTypes { referenceImage { id } }
  subjects { baseImages { shotType { name } } measurements { heightCm } coverImageMedia { id } }
  posePresets { shotType { name } poseImageMedia { id } }
  setDesign { baseImages { imageMedia { id } } referenceImages { id } subjectPortraits { id } }
  shotTypeRules { shotTypes { id } }
  backgroundPreset { framings { imageMedia { id } } }
  resolutionPreset { width }
} } }"""

# One statement per loader and nesting level, whatever the number of guidelines:
# level 1: shot types, subjects, pose presets, set design, rules, background preset, resolution preset (7);
# level 2: media of shot types, subjects and pose presets (one batch), subjects' base images, measurements, pose
#   presets' and rules' shot types (one batch: a rule's row brings its shot type ids), set base images, reference
#   images, portraits, framings (8);
# level 3: base images' shot types, media of set base images and framings (2).
GUIDELINES_BOUND = CALLER + ROOT_LIST + 7 + 8 + 2


async def test_nested_guidelines_query_costs_the_same_for_10_and_100_guidelines(
    app: Starlette,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 100 guidelines with every nested list at its cap price at 12.9 million (docs/api.md, "Limits and cost"),
    # past the default QUERY_MAX_COST: this deployment allows it, as one serving such pages would.
    monkeypatch.setattr(settings, "query_max_cost", 20_000_000)
    monkeypatch.setattr(settings, "cost_budget_per_minute", 0)
    owner, superuser = await accounts.user(), await accounts.user(superuser=True)
    seed = Seed(owner_id=owner.id)

    def check(data: Any, total: int) -> None:
        listed = data["guidelines"]
        assert listed["count"] == total and len(listed["data"]) == total
        for guideline in listed["data"]:
            assert [len(s["baseImages"]) for s in guideline["subjects"]] == [2, 2, 2]
            assert all(s["measurements"]["heightCm"] == 175.0 and s["coverImageMedia"] for s in guideline["subjects"])
            assert all(b["shotType"]["name"] for s in guideline["subjects"] for b in s["baseImages"])
            assert all(shot["referenceImage"]["id"] for shot in guideline["shotTypes"])
            assert len(guideline["shotTypes"]) == 3
            assert [
                p["shotType"]["name"] is not None and p["poseImageMedia"] is not None for p in guideline["posePresets"]
            ] == [True, True]
            design = guideline["setDesign"]
            assert len(design["baseImages"]) == 3 and all(b["imageMedia"]["id"] for b in design["baseImages"])
            assert len(design["referenceImages"]) == 1 and len(design["subjectPortraits"]) == 1
            assert [len(rule["shotTypes"]) for rule in guideline["shotTypeRules"]] == [2, 2]
            framings = guideline["backgroundPreset"]["framings"]
            assert len(framings) == 2 and all(f["imageMedia"]["id"] for f in framings)
            assert guideline["resolutionPreset"]["width"] == 1920

    few, many = await few_and_many(
        app,
        gql,
        session_factory,
        superuser,
        seed,
        seed.guideline,
        GUIDELINES,
        {"owner": str(owner.id)},
        few=10,
        many=100,
        check=check,
    )
    assert_same_and_at_most(few, many, GUIDELINES_BOUND)
    # Batching does not depend on which batch happens to finish first: the count is the same run after run.
    for _ in range(3):
        _, again = await counted(app, gql, superuser, GUIDELINES, {"owner": str(owner.id)})
        assert again.count == many.count, f"{' '.join(again.tables())}\n{' '.join(many.tables())}"


@dataclass(frozen=True)
class ListCase:
    """A list query over one organization's rows, with the most statements it may run at any size."""

    field: str
    make: Callable[[Seed], Callable[[], object]]
    selection: str
    # Statements per nesting level after the caller and the root list, as the comment on each case explains.
    loaders: int
    check: Callable[[dict[str, Any]], bool]

    def query(self) -> str:
        page = f"{self.field}(organizationId: $org, limit: 100) {{ count data {{ {self.selection} }} }}"
        return f"query($org: UUID!) {{ {page} }}"


LIST_CASES = [
    # Level 1: cover and portrait media (one batch), data images, portfolio images (the measurements, the base
    # images and the data images' URLs come in the page's rows); level 2: the media of data and portfolio images
    # (one batch), the base images' shot types.
    ListCase(
        "subjects",
        lambda seed: seed.full_subject,
        """id coverImageMedia { id } portraitImageUrl dataImagesMedia { id } dataImageUrls portfolioImagesMedia { id }
        baseImages { imageUrl shotTypeLabel shotType { name } } measurements { heightCm }""",
        loaders=3 + 2,
        check=lambda row: (
            len(row["dataImagesMedia"]) == 2
            and len(row["portfolioImagesMedia"]) == 1
            and len(row["baseImages"]) == 2
            and all(image["shotType"]["name"] == image["shotTypeLabel"] for image in row["baseImages"])
            and row["measurements"]["heightCm"] == 175.0
            and row["coverImageMedia"] is not None
        ),
    ),
    # Level 1: cover media, data image links; level 2: the data images' media.
    ListCase(
        "styles",
        lambda seed: seed.style,
        "id coverImageMedia { id } coverImageUrl dataImagesMedia { id } dataImageUrls",
        loaders=2 + 1,
        check=lambda row: len(row["dataImagesMedia"]) == 2 and row["coverImageMedia"] is not None,
    ),
    # Level 1: the reference images' media.
    ListCase(
        "shotTypes",
        lambda seed: seed.shot_type,
        "id referenceImage { id } referenceImageUrl",
        loaders=1,
        check=lambda row: row["referenceImage"] is not None and bool(row["referenceImageUrl"]),
    ),
    # Level 1: framings; level 2: their media.
    ListCase(
        "backgroundPresets",
        lambda seed: seed.background_preset,
        "id coverImageUrl framings { imageMedia { id } imageUrl }",
        loaders=1 + 1,
        check=lambda row: len(row["framings"]) == 2 and bool(row["coverImageUrl"]),
    ),
    # Level 1: shot types, pose images' media.
    ListCase(
        "posePresets",
        lambda seed: seed.pose_preset,
        "id shotType { name } poseImageMedia { id } poseImageUrl",
        loaders=2,
        check=lambda row: row["shotType"] is not None and row["poseImageMedia"] is not None,
    ),
    # Level 1: base images, reference images, portraits; level 2: all their media (one batch).
    ListCase(
        "setDesigns",
        lambda seed: seed.full_set_design,
        "id baseImages { imageMedia { id } } referenceImages { imageMedia { id } } subjectPortraits { imageUrl }",
        loaders=3 + 1,
        check=lambda row: (
            len(row["baseImages"]) == 2 and len(row["referenceImages"]) == 1 and len(row["subjectPortraits"]) == 1
        ),
    ),
    # Level 1: background preset, base images, reference images, portraits; level 2: the subjects of base images
    # and portraits (one batch), the shot types of base and reference images (one batch), the preset's framings.
    ListCase(
        "setDesigns",
        lambda seed: seed.full_set_design,
        """id backgroundPreset { name framings { id } } baseImages { subject { name } shotType { name } }
        referenceImages { shotType { name } } subjectPortraits { subject { name coverImageUrl } }""",
        loaders=4 + 3,
        check=lambda row: (
            row["backgroundPreset"]["name"].startswith("background")
            and len(row["backgroundPreset"]["framings"]) == 2
            and all(image["subject"]["name"] and image["shotType"]["name"] for image in row["baseImages"])
            and row["referenceImages"][0]["shotType"] is not None
            and row["subjectPortraits"][0]["subject"]["coverImageUrl"].startswith("/media/")
        ),
    ),
]


@pytest.mark.parametrize("case", LIST_CASES, ids=[case.field for case in LIST_CASES])
async def test_nested_list_costs_the_same_for_2_and_20_rows(
    case: ListCase,
    app: Starlette,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    owner, superuser = await accounts.user(), await accounts.user(superuser=True)
    seed = Seed(owner_id=owner.id, organization_id=await make_organization(session_factory))

    def check(data: Any, total: int) -> None:
        listed = data[case.field]
        assert listed["count"] == total and len(listed["data"]) == total
        assert all(case.check(row) for row in listed["data"]), listed["data"]

    few, many = await few_and_many(
        app,
        gql,
        session_factory,
        superuser,
        seed,
        case.make(seed),
        case.query(),
        {"org": str(seed.organization_id)},
        few=2,
        many=20,
        check=check,
    )
    assert_same_and_at_most(few, many, CALLER + ROOT_LIST + case.loaders)


# A subject's detail view and the subjects grid (bench/queries.py): the URLs, measurements and base images (with
# their labels) come in the subject's own row, so neither runs a statement after its root read.
SUBJECT_FIELDS = """id name coverImageUrl portraitImageUrl dataImageUrls measurements { heightCm }
  baseImages { shotTypeId shotTypeLabel imageUrl }"""
SUBJECT_BY_ID = f"query($id: UUID!, $org: UUID!) {{ subject(id: $id, organizationId: $org) {{ {SUBJECT_FIELDS} }} }}"
SUBJECTS_PAGE = (
    f"query($org: UUID!) {{ subjects(organizationId: $org, limit: 100) {{ count data {{ {SUBJECT_FIELDS} }} }} }}"
)


def assert_full_subject(subject: dict[str, Any], shot_types: dict[str, str]) -> None:
    """What Seed.full_subject made, as the detail view reads it: each base image with its own shot type's name."""
    assert subject["coverImageUrl"].startswith("/media/") and subject["portraitImageUrl"].startswith("/media/")
    assert len(subject["dataImageUrls"]) == 2 and all(url.startswith("/media/") for url in subject["dataImageUrls"])
    assert subject["measurements"]["heightCm"] == 175.0
    assert len(subject["baseImages"]) == 2
    for image in subject["baseImages"]:
        assert image["shotTypeLabel"] == shot_types[image["shotTypeId"]] and image["imageUrl"].startswith("/media/")


def assert_reads(log: StatementLog, expected: int) -> None:
    """The request read subjects and everything shown of them in `expected` statements, after the caller's."""
    tables = ("subjects", "subject_measurements", "subject_base_images", "subject_data_images", "media_resources")
    reads = {statement for table in tables for statement in log.reading(table)}
    assert len(reads) == expected and log.count <= CALLER + expected, " ".join(log.tables())


async def test_a_subject_and_a_page_of_subjects_bring_their_images_in_their_rows(
    app: Starlette, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, superuser = await accounts.user(), await accounts.user(superuser=True)
    seed = Seed(owner_id=owner.id, organization_id=await make_organization(session_factory))
    subject_ids = [seed.full_subject() for _ in range(3)]
    bare_id = seed.subject([])  # no base, data or portfolio images
    # The shot types' names as seeded (written rows are forgotten): each base image's label is its own one's.
    shot_types = {str(row["id"]): row["name"] for row in seed.rows[ShotType]}
    await seed.write(session_factory)
    org = str(seed.organization_id)

    for subject_id in subject_ids:
        data, log = await counted(app, gql, superuser, SUBJECT_BY_ID, {"id": str(subject_id), "org": org})
        assert_full_subject(data["subject"], shot_types)
        assert_reads(log, 1)
    data, log = await counted(app, gql, superuser, SUBJECT_BY_ID, {"id": str(bare_id), "org": org})
    bare = data["subject"]
    assert (bare["dataImageUrls"], bare["baseImages"], bare["portraitImageUrl"]) == ([], [], None)
    assert_reads(log, 1)

    data, log = await counted(app, gql, superuser, SUBJECTS_PAGE, {"org": org})
    listed = {row["id"]: row for row in data["subjects"]["data"]}
    assert data["subjects"]["count"] == 4 and set(listed) == {str(each) for each in [*subject_ids, bare_id]}
    for subject_id in subject_ids:
        assert_full_subject(listed[str(subject_id)], shot_types)
    assert (listed[str(bare_id)]["dataImageUrls"], listed[str(bare_id)]["baseImages"]) == ([], [])
    assert_reads(log, 1)  # its count and its rows in one statement
    # A page that shows neither leaves them out of its statement: they would only cost the server time.
    plain = "query($org: UUID!) { subjects(organizationId: $org) { data { id name measurements { heightCm } } } }"
    data, log = await counted(app, gql, superuser, plain, {"org": org})
    assert len(data["subjects"]["data"]) == 4
    assert_reads(log, 1)
    assert not log.reading("subject_base_images") and not log.reading("subject_data_images"), log.statements


class TickLoader(SessionLoader[int, int]):
    """A loader whose batch takes `ticks` loop turns instead of a query, and records the keys of each batch."""

    ticks = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.batches: list[list[int]] = []

    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        self.batches.append(list(keys))
        for _ in range(self.ticks):
            await asyncio.sleep(0)
        return list(keys)


def tick_loader(ticks: int) -> type[TickLoader]:
    return type(f"TickLoader{ticks}", (TickLoader,), {"ticks": ticks})


@pytest.mark.parametrize("late_ticks", range(2 * SETTLE_TICKS + 6))
async def test_keys_asked_for_after_any_batch_of_a_level_go_out_together(
    late_ticks: int, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Two parents of one level finish apart (the second at every moment around the scheduler's wait); their
    children's keys still make one batch, so the statement count never depends on which parent was faster."""
    loaders = Loaders(session_factory)
    early, late, child = tick_loader(1), tick_loader(late_ticks), tick_loader(1)

    async def resolve(parent: type[TickLoader], key: int) -> int:
        await loaders.get(parent).load(key)
        for _ in range(3):  # graphql-core completing the parent's value before the child field asks
            await asyncio.sleep(0)
        return await loaders.get(child).load(key)

    assert await asyncio.gather(resolve(early, 1), resolve(late, 2)) == [1, 2]
    assert [sorted(batch) for batch in loaders.get(child).batches] == [[1, 2]]
