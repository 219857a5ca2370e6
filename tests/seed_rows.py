"""Rows written straight through the models in bulk, for tests that need many related rows fast and independent
of the API under test (the statement-count tests, the direct-select equivalence test)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage import content_key
from db.models import (
    BackgroundPreset,
    BackgroundPresetFraming,
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    MediaResource,
    Organization,
    PosePreset,
    ResolutionPreset,
    SetBaseImage,
    SetDesign,
    SetReferenceImage,
    SetSubjectPortrait,
    ShootingGuidelines,
    ShotType,
    Style,
    StyleDataImage,
    Subject,
    SubjectBaseImage,
    SubjectDataImage,
    SubjectMeasurements,
    SubjectPortfolioImage,
)
from db.models.enums import (
    GuidelinesShotTypeRuleKind,
    ShotTypeFraming,
    StyleCategory,
    SubjectAgeClass,
    ViewAngle,
)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


@dataclass
class Seed:
    """Rows to insert, per model, written in dependency order by `write`."""

    owner_id: uuid.UUID
    organization_id: uuid.UUID | None = None
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: Any, **values: Any) -> uuid.UUID:
        values.setdefault("id", new_id())
        if hasattr(model, "owner_id") and model is not MediaResource:
            values.setdefault("owner_id", self.owner_id)
            values.setdefault("organization_id", self.organization_id)
        self.rows.setdefault(model, []).append(values)
        return values["id"]

    def media(self) -> uuid.UUID:
        """A media row with a well-formed key (its file is never read: the queries ask for ids only)."""
        digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        return self.add(
            MediaResource,
            owner_id=self.owner_id,
            storage_key=content_key(digest, "png"),
            content_hash=digest,
            file_size=1,
            extension="png",
            mime_type="image/png",
        )

    def shot_type(self) -> uuid.UUID:
        return self.add(
            ShotType,
            name=f"shot-{uuid.uuid4().hex[:10]}",
            view_angle=ViewAngle.FRONT,
            framing=ShotTypeFraming.FULL_BODY,
            public=False,
            reference_image_media_id=self.media(),
        )

    def subject(self, shot_type_ids: list[uuid.UUID]) -> uuid.UUID:
        slug = f"subject-{uuid.uuid4().hex[:12]}"
        subject_id = self.add(
            Subject, name=slug, slug=slug, age_class=SubjectAgeClass.ADULT, cover_image_media_id=self.media()
        )
        self.add(SubjectMeasurements, subject_id=subject_id, height_cm=175.0)
        for shot_type_id in shot_type_ids:
            self.add(SubjectBaseImage, subject_id=subject_id, shot_type_id=shot_type_id, media_id=self.media())
        return subject_id

    def full_subject(self) -> uuid.UUID:
        """A subject with every kind of image: cover, portrait, 2 data, 1 portfolio, 2 base images."""
        subject_id = self.subject([self.shot_type(), self.shot_type()])
        self.rows[Subject][-1]["portrait_image_media_id"] = self.media()
        for position in range(2):
            self.add(SubjectDataImage, subject_id=subject_id, media_id=self.media(), position=position)
        self.add(SubjectPortfolioImage, subject_id=subject_id, media_id=self.media(), position=0)
        return subject_id

    def style(self) -> uuid.UUID:
        slug = f"style-{uuid.uuid4().hex[:12]}"
        style_id = self.add(
            Style, name=slug, slug=slug, style_category=StyleCategory.CASUAL, cover_image_media_id=self.media()
        )
        for position in range(2):
            self.add(StyleDataImage, style_id=style_id, media_id=self.media(), position=position)
        return style_id

    def pose_preset(self) -> uuid.UUID:
        return self.add(PosePreset, name="pose", shot_type_id=self.shot_type(), pose_image_media_id=self.media())

    def full_set_design(self) -> uuid.UUID:
        subjects = [self.subject([]) for _ in range(2)]
        design_id = self.set_design(subjects, [self.shot_type(), self.shot_type()])
        self.rows[SetDesign][-1]["background_preset_id"] = self.background_preset()
        return design_id

    def background_preset(self) -> uuid.UUID:
        preset_id = self.add(BackgroundPreset, name=f"background-{uuid.uuid4().hex[:6]}")
        for position in range(2):
            self.add(BackgroundPresetFraming, preset_id=preset_id, position=position, image_media_id=self.media())
        return preset_id

    def set_design(self, subject_ids: list[uuid.UUID], shot_type_ids: list[uuid.UUID]) -> uuid.UUID:
        design_id = self.add(SetDesign, name=f"set-{uuid.uuid4().hex[:6]}")
        for subject_id, shot_type_id in zip(subject_ids, shot_type_ids, strict=False):
            self.add(
                SetBaseImage,
                set_design_id=design_id,
                subject_id=subject_id,
                shot_type_id=shot_type_id,
                image_media_id=self.media(),
            )
        self.add(SetReferenceImage, set_design_id=design_id, shot_type_id=shot_type_ids[0], image_media_id=self.media())
        self.add(SetSubjectPortrait, set_design_id=design_id, subject_id=subject_ids[0], image_media_id=self.media())
        return design_id

    def guideline(self) -> uuid.UUID:
        """One guideline with 3 shot types, 3 subjects (2 base images each), 2 pose presets, a set design,
        background and resolution presets and 2 rule groups."""
        shot_types = [self.shot_type() for _ in range(3)]
        # Base images and pose presets share one shot type (a cache hit) and differ in another (a batch).
        subjects = [self.subject(shot_types[1:]) for _ in range(3)]
        poses = [
            self.add(PosePreset, name=f"pose-{index}", shot_type_id=shot_types[index], pose_image_media_id=self.media())
            for index in range(2)
        ]
        guideline_id = self.add(
            ShootingGuidelines,
            name=f"guideline-{uuid.uuid4().hex[:6]}",
            set_design_id=self.set_design(subjects, shot_types),
            background_preset_id=self.background_preset(),
            resolution_preset_id=self.add(ResolutionPreset, name="hd", width=1920, height=1080),
        )
        for link, column, ids in (
            (GuidelineShotType, "shot_type_id", shot_types),
            (GuidelineSubject, "subject_id", subjects),
            (GuidelinePosePreset, "pose_preset_id", poses),
        ):
            for position, object_id in enumerate(ids):
                self.add(link, guideline_id=guideline_id, position=position, **{column: object_id})
        for position, kind in enumerate((GuidelinesShotTypeRuleKind.GENDER, GuidelinesShotTypeRuleKind.CATEGORY)):
            rule_id = self.add(
                GuidelineShotTypeRule, guideline_id=guideline_id, rule_kind=kind, rule_value="any", position=position
            )
            for index, shot_type_id in enumerate(shot_types[position : position + 2]):
                self.add(GuidelineShotTypeRuleShotType, rule_id=rule_id, shot_type_id=shot_type_id, position=index)
        return guideline_id

    async def write(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Bulk inserts, parents before children (the models have no relationships to order them)."""
        order = [
            MediaResource,
            ShotType,
            Subject,
            SubjectMeasurements,
            SubjectBaseImage,
            SubjectDataImage,
            SubjectPortfolioImage,
            Style,
            StyleDataImage,
            BackgroundPreset,
            BackgroundPresetFraming,
            ResolutionPreset,
            PosePreset,
            SetDesign,
            SetBaseImage,
            SetReferenceImage,
            SetSubjectPortrait,
            ShootingGuidelines,
            GuidelineShotType,
            GuidelineSubject,
            GuidelinePosePreset,
            GuidelineShotTypeRule,
            GuidelineShotTypeRuleShotType,
        ]
        assert set(self.rows) <= set(order)
        async with session_factory() as session, session.begin():
            for model in order:
                if self.rows.get(model):
                    await session.execute(insert(model), self.rows[model])
        self.rows.clear()


async def make_organization(session_factory: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with session_factory() as session, session.begin():
        organization = Organization(name="Counting")
        session.add(organization)
        await session.flush()
        return organization.id
