"""The canonical read queries: the GraphQL documents the API answers and the baseline paths that answer the same
JSON. A frontend's subject grid, its guidelines page and a subject's detail view ask for these fields."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SUBJECTS_PAGE_SIZE = 100
GUIDELINES_PAGE_SIZE = 50

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


def subjects_page(organization_id: uuid.UUID) -> Query:
    variables = {"organizationId": str(organization_id), "limit": SUBJECTS_PAGE_SIZE}
    path = "/subjects?" + urlencode(variables)
    return Query(
        f"subjects page ({SUBJECTS_PAGE_SIZE})", [Request({"query": SUBJECTS_PAGE, "variables": variables}, path)]
    )


def guidelines_page(organization_id: uuid.UUID) -> Query:
    variables = {"organizationId": str(organization_id), "limit": GUIDELINES_PAGE_SIZE}
    path = "/guidelines?" + urlencode(variables)
    return Query(
        f"guidelines page ({GUIDELINES_PAGE_SIZE}, nested)",
        [Request({"query": GUIDELINES_PAGE, "variables": variables}, path)],
    )


def subject_by_id(organization_id: uuid.UUID, subject_ids: list[uuid.UUID]) -> Query:
    """One subject per request, cycling through `subject_ids` (no two neighbours share cached pages)."""
    requests = []
    for subject_id in subject_ids:
        variables = {"id": str(subject_id), "organizationId": str(organization_id)}
        path = f"/subjects/{subject_id}?" + urlencode({"organizationId": str(organization_id)})
        requests.append(Request({"query": SUBJECT_BY_ID, "variables": variables}, path))
    return Query("subject by id", requests)
