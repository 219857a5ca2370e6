"""The arguments many fields share, each described once.

`GLOSSARY` holds, by Python (snake_case) name, the description of every argument that several fields take with
the same meaning (`organizationId` on 57 fields, `id`, `input`, `skip`, `limit`, ...). Two ways reach it, so that
the text is never written twice:

- a hand-written resolver annotates such an argument with its alias below,
  `organization_id: OrganizationId = None`;
- a field whose signature is built (graph/signatures.argument, for graph/crud.py and graph/lists.py) passes each
  parameter's annotation through `described(name, annotation)`.

An argument that is one field's own (a filter only one list has), or a shared name that means something else on
one field (`organizationId` on assignSubjectOwner moves the subject), is described at that field:
`Annotated[T, strawberry.argument(description=...)]`, which `described` leaves as it is.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args, get_origin

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types.arguments import StrawberryArgumentAnnotation

from graph.validation import MAX_PAGE_SIZE

GLOSSARY: dict[str, str] = {
    "id": "Id of the object to read or act on.",
    "organization_id": (
        "An organization you belong to (superusers: any) to act in: a list shows its objects instead of your "
        "personal ones, an object you name must belong to it (else NOT_FOUND), a new object is created in it."
    ),
    "input": "The new object's fields or, in an update, the fields to change (omitted ones stay as they are).",
    "skip": "How many matching objects to pass over before the page starts (0 or more).",
    "limit": f"The most objects the page holds (1 to {MAX_PAGE_SIZE}).",
    "owner_id": "Keep only the objects this user owns (superusers only; anyone else gets FORBIDDEN).",
    "include_public": "Also list the public objects, whoever owns them, besides those of your scope.",
    "search": (
        "Keep only the objects whose text contains this, ignoring case (`%` and `_` are plain characters); the "
        "list's description says which text is searched."
    ),
    "public": "Keep only public objects (true) or only non-public ones (false); omitted: both.",
    "subject_id": "Id of the subject (one you can see; NOT_FOUND otherwise).",
    "style_id": "Id of the style (one you can see; NOT_FOUND otherwise).",
    "shot_type_id": "Keep only what belongs to this shot type.",
    "task_id": "Id of the upload task, as uploadSubjectBaseImagesZip answered it.",
    "user_id": "Id of the user the operation is about (an unknown id is refused).",
    "new_owner_id": "Id of the user who becomes the owner: an active user, a member of organizationId when given.",
    "lora_trigger": "The word that calls up the LoRA in a prompt; surrounding spaces are dropped.",
    "file": (
        "The file, sent as a part of a GraphQL multipart request (with an Apollo-Require-Preflight header); "
        "never a value in the query or its variables."
    ),
    "body_type": "Keep only subjects of this body type.",
    "age_class": "Keep only subjects of this age class.",
    "only_with_base_images": "Keep only subjects that have at least one base image.",
    "framing": "Keep only shot types of this framing.",
    "view_angle": "Keep only shot types of this view angle.",
    "background_preset_id": "Keep only set designs that use this background preset.",
    "archived": "True: only archived styles; false: only the others; omitted: the others, unless filter.archived says.",
    "demo": "Keep only demo styles (true) or only the others (false); omitted: both.",
    "enabled": "Keep only enabled objects (true) or only disabled ones (false); omitted: both.",
    "style_category": "Keep only styles of this category.",
    "name": "The name to look up, ignoring case.",
    "slug": "The slug to look up (the URL-safe name a style is given when created).",
    # Every list's sort order, filters and keyset pages (API.md, "Lists, as a frontend uses them").
    "order_by": "The order of the list; ties are broken by id, so pages never repeat or skip an object.",
    "filter": "Narrows the list; each given field must hold, omitted fields narrow nothing.",
    "after": (
        "The `pageInfo.endCursor` of the previous page: the page starts after it (used instead of skip; a cursor "
        "that is malformed or made for another order is BAD_USER_INPUT)."
    ),
}


def about(name: str) -> StrawberryArgumentAnnotation:
    """The glossary's description of argument `name`, as `Annotated` metadata for Strawberry."""
    description: StrawberryArgumentAnnotation = strawberry.argument(description=GLOSSARY[name])
    return description


def described(name: str, annotation: Any) -> Any:
    """`annotation`, the type of argument `name`, with the glossary's description; unchanged when it already
    carries a `strawberry.argument` of its own or the glossary has no entry for `name`."""
    if get_origin(annotation) is Annotated and any(
        isinstance(extra, StrawberryArgumentAnnotation) for extra in get_args(annotation)[1:]
    ):
        return annotation
    if name not in GLOSSARY:
        return annotation
    return Annotated[annotation, about(name)]


# The shared arguments as hand-written resolvers declare them, one alias per type they are taken with. (A list's
# arguments need none: graph/lists.Listing builds them through graph/signatures.argument.)
Id = Annotated[uuid.UUID, about("id")]
OrganizationId = Annotated[uuid.UUID | None, about("organization_id")]
SubjectId = Annotated[uuid.UUID, about("subject_id")]
OptionalSubjectId = Annotated[uuid.UUID | None, about("subject_id")]
StyleId = Annotated[uuid.UUID, about("style_id")]
OptionalStyleId = Annotated[uuid.UUID | None, about("style_id")]
ShotTypeId = Annotated[uuid.UUID | None, about("shot_type_id")]
TaskId = Annotated[uuid.UUID, about("task_id")]
UserId = Annotated[uuid.UUID, about("user_id")]
LoraTrigger = Annotated[str, about("lora_trigger")]
File = Annotated[Upload, about("file")]
