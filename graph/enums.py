"""GraphQL enums: member names in UPPER_SNAKE_CASE, stored values as documented (db/models/enums.py).

db/models/enums.py stays the one definition of each value set (the database stores `.value`); this module only
gives each enum and each member its GraphQL description. graph/schema.py imports it before building the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

from db.models import enums

E = TypeVar("E", bound=Enum)


def described(enum_class: type[E], description: str, values: Mapping[E, str]) -> type[E]:
    """`enum_class` as a GraphQL enum with `description` on the enum and `values[member]` on each member.

    Strawberry's own way to describe a member, `strawberry.enum_value(...)` as the member's value, would change
    the stored value set; here the descriptions are written into the GraphQL definition instead. That definition
    is changed in place: a domain module may already have made it (Strawberry wraps an enum the first time an
    annotation it resolves names it), and a second definition of the same enum would be a duplicate type. Every
    member needs a description and no other key is allowed, so a member added to db/models/enums.py without one
    fails at import rather than reaching the schema undocumented.
    """
    missing = [member.name for member in enum_class if member not in values]
    unknown = [str(key) for key in values if key not in set(enum_class)]
    if missing or unknown:
        raise ValueError(f"{enum_class.__name__}: no description for {missing}, descriptions of non-members {unknown}")
    if not has_enum_definition(enum_class):
        strawberry.enum(enum_class)
    definition: StrawberryEnumDefinition = enum_class.__strawberry_definition__  # type: ignore[attr-defined]
    definition.description = description
    for value in definition.values:
        value.description = values[enum_class[value.name]]
    return enum_class


OrganizationRole = described(
    enums.OrganizationRole,
    "A member's role in an organization.",
    {
        enums.OrganizationRole.OWNER: (
            "Runs the organization: adds and removes members, changes roles, renames and deletes it, and may delete "
            "any of its objects. An organization always keeps at least one owner."
        ),
        enums.OrganizationRole.MEMBER: (
            "Sees and changes the organization's objects and may leave it; deletes only the objects they own."
        ),
    },
)

ViewAngle = described(
    enums.ViewAngle,
    "The side from which a shot type sees the subject.",
    {
        enums.ViewAngle.FRONT: "From the front, facing the camera.",
        enums.ViewAngle.BACK: "From behind.",
        enums.ViewAngle.SIDE: "In profile, either side.",
        enums.ViewAngle.LEFT: "From the subject's left side.",
        enums.ViewAngle.RIGHT: "From the subject's right side.",
        enums.ViewAngle.THREE_QUARTER: "Turned about 45 degrees, between front and profile.",
        enums.ViewAngle.TOP: "From above.",
        enums.ViewAngle.DETAIL: "No particular side: a close view of one detail.",
    },
)

ShotTypeFraming = described(
    enums.ShotTypeFraming,
    "How much of the subject a shot shows.",
    {
        enums.ShotTypeFraming.FULL_BODY: "Head to feet.",
        enums.ShotTypeFraming.THREE_QUARTER_BODY: "Head to about the knees.",
        enums.ShotTypeFraming.UPPER_BODY: "Head to waist.",
        enums.ShotTypeFraming.LOWER_BODY: "Waist to feet.",
        enums.ShotTypeFraming.CLOSE_UP: "A tight view of the face or of one part of the body.",
        enums.ShotTypeFraming.HEADSHOT: "Head and shoulders, as in a portrait.",
        enums.ShotTypeFraming.DETAIL: "One detail only, such as a fabric, a seam or an accessory.",
    },
)

DefaultShotTypes = described(
    enums.DefaultShotTypes,
    (
        "The default shot types every install carries: public, owned by no one, each named by its stored value "
        "(`front_full_body`, ...). A shot type's `defaultShotType` says which default it stands for."
    ),
    {
        enums.DefaultShotTypes.FRONT_FULL_BODY: "Front view, head to feet (`front_full_body`).",
        enums.DefaultShotTypes.BACK_FULL_BODY: "Back view, head to feet (`back_full_body`).",
        enums.DefaultShotTypes.SIDE_FULL_BODY: "Profile view, head to feet (`side_full_body`).",
        enums.DefaultShotTypes.FRONT_UPPER_BODY: "Front view, head to waist (`front_upper_body`).",
        enums.DefaultShotTypes.BACK_UPPER_BODY: "Back view, head to waist (`back_upper_body`).",
        enums.DefaultShotTypes.SIDE_UPPER_BODY: "Profile view, head to waist (`side_upper_body`).",
        enums.DefaultShotTypes.FRONT_LOWER_BODY: "Front view, waist to feet (`front_lower_body`).",
        enums.DefaultShotTypes.BACK_LOWER_BODY: "Back view, waist to feet (`back_lower_body`).",
        enums.DefaultShotTypes.FRONT_CLOSE_UP: "Front view, a tight close-up (`front_close_up`).",
        enums.DefaultShotTypes.FRONT_HEADSHOT: "Front view, head and shoulders (`front_headshot`).",
        enums.DefaultShotTypes.DETAIL: "A close view of one detail (`detail`).",
    },
)

SubjectAgeClass = described(
    enums.SubjectAgeClass,
    "A subject's age group (the ages are a guide; the API does not check them).",
    {
        enums.SubjectAgeClass.NEWBORN: "A newborn, up to about one month old.",
        enums.SubjectAgeClass.BABY: "A baby, about one month to one year old.",
        enums.SubjectAgeClass.TODDLER: "A toddler, about one to three years old.",
        enums.SubjectAgeClass.CHILD: "A child, about four to twelve years old.",
        enums.SubjectAgeClass.TEEN: "A teenager, about thirteen to nineteen years old.",
        enums.SubjectAgeClass.ADULT: "An adult.",
        enums.SubjectAgeClass.SENIOR: "An older adult, about sixty-five and over.",
    },
)

Gender = described(
    enums.Gender,
    "A subject's gender, as the subject is presented.",
    {
        enums.Gender.MALE: "Presented as male.",
        enums.Gender.FEMALE: "Presented as female; what a new subject gets when none is given.",
        enums.Gender.NON_BINARY: "Presented as neither exclusively male nor female.",
    },
)

SubjectType = described(
    enums.SubjectType,
    "Whether a subject is a generated model or a real person.",
    {
        enums.SubjectType.AI: "A generated (synthetic) model; what a new subject gets when none is given.",
        enums.SubjectType.HUMAN: "A real person.",
    },
)

BodyType = described(
    enums.BodyType,
    "A subject's build.",
    {
        enums.BodyType.PETITE: "Small and short-framed.",
        enums.BodyType.SLIM: "Slender.",
        enums.BodyType.ATHLETIC: "Toned and fit.",
        enums.BodyType.AVERAGE: "Medium build.",
        enums.BodyType.CURVY: "Full bust and hips with a defined waist.",
        enums.BodyType.MUSCULAR: "Visibly muscular.",
        enums.BodyType.PLUS_SIZE: "A larger build that wears plus sizes.",
        enums.BodyType.TALL: "Notably tall.",
    },
)

EyeColor = described(
    enums.EyeColor,
    "A subject's eye colour.",
    {
        enums.EyeColor.BROWN: "Brown eyes.",
        enums.EyeColor.BLUE: "Blue eyes.",
        enums.EyeColor.GREEN: "Green eyes.",
        enums.EyeColor.HAZEL: "Hazel eyes (brown and green).",
        enums.EyeColor.GRAY: "Grey eyes.",
        enums.EyeColor.AMBER: "Amber (golden) eyes.",
        enums.EyeColor.BLACK: "Very dark brown eyes that look black.",
        enums.EyeColor.OTHER: "Any other eye colour, or eyes of two colours.",
    },
)

HairColor = described(
    enums.HairColor,
    "A subject's hair colour.",
    {
        enums.HairColor.BLACK: "Black hair.",
        enums.HairColor.BROWN: "Brown hair.",
        enums.HairColor.BLONDE: "Blonde hair.",
        enums.HairColor.RED: "Red hair.",
        enums.HairColor.AUBURN: "Auburn (reddish brown) hair.",
        enums.HairColor.GRAY: "Grey hair.",
        enums.HairColor.WHITE: "White hair.",
        enums.HairColor.BALD: "No hair.",
        enums.HairColor.OTHER: "Any other hair colour, dyed colours included.",
    },
)

StyleCategory = described(
    enums.StyleCategory,
    "The kind of fashion a style belongs to.",
    {
        enums.StyleCategory.CASUAL: "Everyday clothes.",
        enums.StyleCategory.FORMAL: "Suits, evening and occasion wear.",
        enums.StyleCategory.STREETWEAR: "Urban street fashion.",
        enums.StyleCategory.VINTAGE: "Looks of past decades.",
        enums.StyleCategory.LUXURY: "High-end designer fashion.",
        enums.StyleCategory.SPORTSWEAR: "Athletic and athleisure wear.",
        enums.StyleCategory.BOHEMIAN: "Loose, layered, folk-inspired looks.",
        enums.StyleCategory.MINIMALIST: "Plain cuts and few colours.",
        enums.StyleCategory.EDITORIAL: "Magazine-style fashion imagery.",
        enums.StyleCategory.COMMERCIAL: "Catalogue and advertising imagery.",
        enums.StyleCategory.AVANT_GARDE: "Experimental, conceptual fashion.",
        enums.StyleCategory.OTHER: "None of the above; what a new style gets when none is given.",
    },
)

BackgroundFixStrategy = described(
    enums.BackgroundFixStrategy,
    (
        "How the image pipeline fixes the background of shots made with a background preset. This API stores "
        "the choice; the pipeline that acts on it is another service."
    ),
    {
        enums.BackgroundFixStrategy.DEFAULT: "The pipeline's standard fix; what a new preset gets when none is given.",
        enums.BackgroundFixStrategy.OVS: "The pipeline's OVS fix (named as in the spec's examples).",
        enums.BackgroundFixStrategy.REPLACE: "Replace the shot's background with the preset's image.",
        enums.BackgroundFixStrategy.NONE: "Leave the background as shot.",
    },
)

GuidelinesShotTypeRuleKind = described(
    enums.GuidelinesShotTypeRuleKind,
    "What a guidelines' shot-type rule group matches on; the group's `ruleValue` holds the value it matches.",
    {
        enums.GuidelinesShotTypeRuleKind.PLACEMENT: "Where the product is worn or placed (e.g. top, bottom, feet).",
        enums.GuidelinesShotTypeRuleKind.CATEGORY: "The product's category.",
        enums.GuidelinesShotTypeRuleKind.PRODUCT_TYPE: "The product's type.",
        enums.GuidelinesShotTypeRuleKind.GENDER: "The gender the product is made for.",
        enums.GuidelinesShotTypeRuleKind.AGE_CLASS: "The age group the product is made for.",
    },
)

MediaResourceType = described(
    enums.MediaResourceType,
    "What kind of file a stored media resource is.",
    {
        enums.MediaResourceType.IMAGE: "A still image (JPEG, PNG, WEBP or GIF): every file stored today.",
        enums.MediaResourceType.VIDEO: "A video; reserved, no operation stores one yet.",
    },
)

TaskStatus = described(
    enums.TaskStatus,
    "Where a background task is: PENDING, then PROCESSING, then COMPLETED or FAILED.",
    {
        enums.TaskStatus.PENDING: "Accepted and queued; no worker has started it yet.",
        enums.TaskStatus.PROCESSING: "A worker is running it; its counters and progress change.",
        enums.TaskStatus.COMPLETED: "Finished: its results are final.",
        enums.TaskStatus.FAILED: "Stopped: errorMessage says why; what it had already done is kept.",
    },
)

LoraStatus = described(
    enums.LoraStatus,
    "Where a subject's or a style's LoRA weights are.",
    {
        enums.LoraStatus.NONE: "No LoRA file has been uploaded.",
        enums.LoraStatus.PROCESSING: "An uploaded file is being checked and stored by a worker.",
        enums.LoraStatus.READY: "The checked file is stored; localModelPath names it.",
        enums.LoraStatus.FAILED: "The last upload failed; the reason is in loraError (styles: trainingError).",
    },
)
