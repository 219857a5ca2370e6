"""The canonical read queries: the GraphQL documents the API answers and the baseline paths that answer the same
JSON. A frontend's subject grid, its guidelines page and a subject's detail view ask for these fields."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SUBJECTS_PAGE_SIZE = 100
GUIDELINES_PAGE_SIZE = 50  # a frontend's page
# Beside it, 10 rows show the fixed cost of a request and 500 (every guideline of the organization) the cost per row.
GUIDELINES_PAGE_SIZES = (10, GUIDELINES_PAGE_SIZE, 500)

_MEASUREMENTS = "measurements { heightCm bustCm waistCm hipsCm shoeEu eyeColor hairColor }"
_BASE_IMAGES = "baseImages { shotTypeId shotTypeLabel imageUrl }"

SUBJECTS_PAGE = f"""
query SubjectsPage($organizationId: UUID, $limit: Int!) {{
  subjects(organizationId: $organizationId, limit: $limit) {{
    count
    data {{
      id name surname slug ageClass gender subjectType bodyType public enabled ready loraStatus createdAt updatedAt
      coverImageUrl portraitImageUrl
      {_MEASUREMENTS}
      {_BASE_IMAGES}
    }}
  }}
}}
"""

SUBJECT_BY_ID = f"""
query SubjectById($id: UUID!, $organizationId: UUID) {{
  subject(id: $id, organizationId: $organizationId) {{
    id name surname slug description ageClass gender subjectType bodyType positivePrompt negativePrompt ethnicity
    public enabled ready loraStatus loraTrigger ownerId organizationId createdAt updatedAt
    coverImageUrl portraitImageUrl dataImageUrls
    {_MEASUREMENTS}
    {_BASE_IMAGES}
  }}
}}
"""

_SHOT_TYPE = "id name viewAngle framing"

GUIDELINES_PAGE = f"""
query GuidelinesPage($organizationId: UUID, $limit: Int!) {{
  guidelines(organizationId: $organizationId, limit: $limit) {{
    count
    data {{
      id name allowBackShotsWithoutBackImage autoStartLookGenerations backgroundPresetId resolutionPresetId
      setDesignId ownerId organizationId createdAt updatedAt
      shotTypes {{ {_SHOT_TYPE} }}
      subjects {{ id name surname slug ageClass gender coverImageUrl }}
      posePresets {{ id name prompt shotTypeId poseImageUrl }}
      setDesign {{
        id name description
        baseImages {{ id subjectId shotTypeId variantIndex imageUrl }}
        referenceImages {{ id shotTypeId label imageUrl }}
        subjectPortraits {{ id subjectId imageUrl }}
      }}
      shotTypeRules {{ ruleKind ruleValue shotTypes {{ {_SHOT_TYPE} }} }}
    }}
  }}
}}
"""


@dataclass(frozen=True)
class Request:
    """One request as both servers take it: a GraphQL POST for the API, a GET for the baseline."""

    graphql: dict[str, Any]  # {"query": ..., "variables": ...}
    baseline_path: str


@dataclass(frozen=True)
class Query:
    name: str
    requests: list[Request]  # the driver cycles through these
    # Whether the bench runs it as the regular member too (whose visibility rules in SQL the superuser skips).
    per_caller: bool = True
    guidelines_page_size: int | None = None  # the pages PostGraphile reads too


def typename() -> Query:
    """The smallest GraphQL request: no resolver, no statement; what parsing, validation and the transport cost."""
    return Query("{ __typename }", [Request({"query": "{ __typename }"}, "/typename")], per_caller=False)


def me_id() -> Query:
    """The caller's own id: the authentication step (one statement) and nothing else (superuser only: a member's
    step is the same statement)."""
    return Query("me { id }", [Request({"query": "query Me { me { id } }"}, "/me")], per_caller=False)


def subjects_page(organization_id: uuid.UUID) -> Query:
    variables = {"organizationId": str(organization_id), "limit": SUBJECTS_PAGE_SIZE}
    path = "/subjects?" + urlencode(variables)
    return Query(
        f"subjects page ({SUBJECTS_PAGE_SIZE})", [Request({"query": SUBJECTS_PAGE, "variables": variables}, path)]
    )


def guidelines_page(organization_id: uuid.UUID, size: int) -> Query:
    variables = {"organizationId": str(organization_id), "limit": size}
    path = "/guidelines?" + urlencode(variables)
    return Query(
        f"guidelines page ({size}, nested)",
        [Request({"query": GUIDELINES_PAGE, "variables": variables}, path)],
        # The member's visibility filters show in the frontend's page; at 10 and 500 rows the member's run would
        # repeat its point (and make `make bench` longer).
        per_caller=size == GUIDELINES_PAGE_SIZE,
        guidelines_page_size=size,
    )


def subject_by_id(organization_id: uuid.UUID, subject_ids: list[uuid.UUID]) -> Query:
    """One subject per request, cycling through `subject_ids` (no two neighbours share cached pages)."""
    requests = []
    for subject_id in subject_ids:
        variables = {"id": str(subject_id), "organizationId": str(organization_id)}
        path = f"/subjects/{subject_id}?" + urlencode({"organizationId": str(organization_id)})
        requests.append(Request({"query": SUBJECT_BY_ID, "variables": variables}, path))
    return Query("subject by id", requests)


# PostGraphile 5 (Amber preset, bench/postgraphile/) reading the guidelines page's data in its own naming: the
# primary key is `rowId` (`id` is its global node id), links are connections named after their foreign keys, and
# media are rows (`storageKey`) rather than URLs. Only indexed columns can order a list, so pages come in primary-key
# order rather than by name, and nothing filters by visibility: the answer is not the API's JSON, and the bench
# compares row counts only (bench/README.md).
POSTGRAPHILE_GUIDELINES_PAGE = """
query GuidelinesPage($organizationId: UUID!, $first: Int!) {
  allShootingGuidelines(first: $first, condition: {organizationId: $organizationId, deletedAt: null}) {
    totalCount
    nodes {
      rowId name allowBackShotsWithoutBackImage autoStartLookGenerations backgroundPresetId resolutionPresetId
      setDesignId ownerId organizationId createdAt updatedAt
      guidelineShotTypesByGuidelineId { nodes { shotTypeByShotTypeId { rowId name viewAngle framing } } }
      guidelineSubjectsByGuidelineId {
        nodes {
          subjectBySubjectId { rowId name surname slug ageClass gender mediaResourceByCoverImageMediaId { storageKey } }
        }
      }
      guidelinePosePresetsByGuidelineId {
        nodes {
          posePresetByPosePresetId { rowId name prompt shotTypeId mediaResourceByPoseImageMediaId { storageKey } }
        }
      }
      setDesignBySetDesignId {
        rowId name description
        setBaseImagesBySetDesignId {
          nodes { rowId subjectId shotTypeId variantIndex mediaResourceByImageMediaId { storageKey } }
        }
        setReferenceImagesBySetDesignId { nodes { rowId shotTypeId label mediaResourceByImageMediaId { storageKey } } }
        setSubjectPortraitsBySetDesignId { nodes { rowId subjectId mediaResourceByImageMediaId { storageKey } } }
      }
      guidelineShotTypeRulesByGuidelineId {
        nodes {
          ruleKind ruleValue
          guidelineShotTypeRuleShotTypesByRuleId { nodes { shotTypeByShotTypeId { rowId name viewAngle framing } } }
        }
      }
    }
  }
}
"""


def postgraphile_guidelines_page(organization_id: uuid.UUID, size: int) -> dict[str, Any]:
    """The request body PostGraphile answers the guidelines page of `size` rows with."""
    return {
        "query": POSTGRAPHILE_GUIDELINES_PAGE,
        "variables": {"organizationId": str(organization_id), "first": size},
    }
