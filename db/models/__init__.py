"""All models, imported here so Alembic and the mappers see every table."""

from db.models.catalog import (
    BackgroundPreset,
    BackgroundPresetFraming,
    PosePreset,
    ResolutionPreset,
    SetBaseImage,
    SetDesign,
    SetReferenceImage,
    SetSubjectPortrait,
    ShotType,
)
from db.models.guidelines import (
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    ShootingGuidelines,
)
from db.models.media import MediaResource
from db.models.styles import Style, StyleDataImage
from db.models.subjects import (
    Subject,
    SubjectBaseImage,
    SubjectDataImage,
    SubjectMeasurements,
    SubjectPortfolioImage,
)
from db.models.tasks import SubjectBaseImagesUploadTask
from db.models.users import Organization, OrganizationMembership, RevokedToken, User

__all__ = [
    "BackgroundPreset",
    "BackgroundPresetFraming",
    "GuidelinePosePreset",
    "GuidelineShotType",
    "GuidelineShotTypeRule",
    "GuidelineShotTypeRuleShotType",
    "GuidelineSubject",
    "MediaResource",
    "Organization",
    "OrganizationMembership",
    "PosePreset",
    "ResolutionPreset",
    "RevokedToken",
    "SetBaseImage",
    "SetDesign",
    "SetReferenceImage",
    "SetSubjectPortrait",
    "ShootingGuidelines",
    "ShotType",
    "Style",
    "StyleDataImage",
    "Subject",
    "SubjectBaseImage",
    "SubjectBaseImagesUploadTask",
    "SubjectDataImage",
    "SubjectMeasurements",
    "SubjectPortfolioImage",
    "User",
]
