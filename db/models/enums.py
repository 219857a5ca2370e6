"""Every enumeration of the data model, with the values stored in the database.

The spec shows only example values; these are the complete sets we chose (listed in the README too). GraphQL
exposes each member under its UPPER_SNAKE_CASE name and stores `.value`.
"""

from __future__ import annotations

import enum


class OrganizationRole(enum.StrEnum):
    OWNER = "OWNER"
    MEMBER = "MEMBER"


class ViewAngle(enum.StrEnum):
    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    LEFT = "left"
    RIGHT = "right"
    THREE_QUARTER = "three_quarter"
    TOP = "top"
    DETAIL = "detail"


class ShotTypeFraming(enum.StrEnum):
    FULL_BODY = "full_body"
    THREE_QUARTER_BODY = "three_quarter_body"
    UPPER_BODY = "upper_body"
    LOWER_BODY = "lower_body"
    CLOSE_UP = "close_up"
    HEADSHOT = "headshot"
    DETAIL = "detail"


class DefaultShotTypes(enum.StrEnum):
    FRONT_FULL_BODY = "front_full_body"
    BACK_FULL_BODY = "back_full_body"
    SIDE_FULL_BODY = "side_full_body"
    FRONT_UPPER_BODY = "front_upper_body"
    BACK_UPPER_BODY = "back_upper_body"
    SIDE_UPPER_BODY = "side_upper_body"
    FRONT_LOWER_BODY = "front_lower_body"
    BACK_LOWER_BODY = "back_lower_body"
    FRONT_CLOSE_UP = "front_close_up"
    FRONT_HEADSHOT = "front_headshot"
    DETAIL = "detail"


class SubjectAgeClass(enum.StrEnum):
    NEWBORN = "newborn"
    BABY = "baby"
    TODDLER = "toddler"
    CHILD = "child"
    TEEN = "teen"
    ADULT = "adult"
    SENIOR = "senior"


class Gender(enum.StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    NON_BINARY = "NON_BINARY"


class SubjectType(enum.StrEnum):
    AI = "AI"
    HUMAN = "HUMAN"


class BodyType(enum.StrEnum):
    PETITE = "petite"
    SLIM = "slim"
    ATHLETIC = "athletic"
    AVERAGE = "average"
    CURVY = "curvy"
    MUSCULAR = "muscular"
    PLUS_SIZE = "plus_size"
    TALL = "tall"


class EyeColor(enum.StrEnum):
    BROWN = "brown"
    BLUE = "blue"
    GREEN = "green"
    HAZEL = "hazel"
    GRAY = "gray"
    AMBER = "amber"
    BLACK = "black"
    OTHER = "other"


class HairColor(enum.StrEnum):
    BLACK = "black"
    BROWN = "brown"
    BLONDE = "blonde"
    RED = "red"
    AUBURN = "auburn"
    GRAY = "gray"
    WHITE = "white"
    BALD = "bald"
    OTHER = "other"


class StyleCategory(enum.StrEnum):
    CASUAL = "CASUAL"
    FORMAL = "FORMAL"
    STREETWEAR = "STREETWEAR"
    VINTAGE = "VINTAGE"
    LUXURY = "LUXURY"
    SPORTSWEAR = "SPORTSWEAR"
    BOHEMIAN = "BOHEMIAN"
    MINIMALIST = "MINIMALIST"
    EDITORIAL = "EDITORIAL"
    COMMERCIAL = "COMMERCIAL"
    AVANT_GARDE = "AVANT_GARDE"
    OTHER = "OTHER"


class BackgroundFixStrategy(enum.StrEnum):
    DEFAULT = "DEFAULT"
    OVS = "OVS"
    REPLACE = "REPLACE"
    NONE = "NONE"


class GuidelinesShotTypeRuleKind(enum.StrEnum):
    PLACEMENT = "PLACEMENT"
    CATEGORY = "CATEGORY"
    PRODUCT_TYPE = "PRODUCT_TYPE"
    GENDER = "GENDER"
    AGE_CLASS = "AGE_CLASS"


class MediaResourceType(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class TaskStatus(enum.StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class LoraStatus(enum.StrEnum):
    NONE = "none"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
