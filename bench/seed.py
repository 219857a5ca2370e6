"""A realistic dataset for the read-path benchmark, written with COPY in one transaction.

Everything belongs to one bench superuser, inside one organization that a regular bench user is a member of, so
the same queries run for both callers (`organizationId` = that organization) and answer the same rows. Media rows are
one per use, as uploads make them, but share a handful of real image files written into the storage folder, so
every URL the API answers is served by `/media`.

The data is generated from a fixed seed: two runs with the same sizes store the same names and shapes.
"""

from __future__ import annotations

import io
import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from PIL import Image

from core.images import inspect_image
from core.security import hash_password
from core.storage_local import LocalStorage
from db.models.enums import (
    BackgroundFixStrategy,
    BodyType,
    EyeColor,
    Gender,
    GuidelinesShotTypeRuleKind,
    HairColor,
    OrganizationRole,
    ShotTypeFraming,
    StyleCategory,
    SubjectAgeClass,
    ViewAngle,
)

_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_FIRST_NAMES = ["Ava", "Mila", "Noah", "Liam", "Zoe", "Iris", "Leo", "Nora", "Kai", "Lena", "Omar", "Sara", "Yuki"]
_SURNAMES = ["Rossi", "Berg", "Okafor", "Silva", "Novak", "Kim", "Laurent", "Haddad", "Moreau", "Costa", "Ito"]
_ETHNICITIES = ["East Asian", "Black", "White", "Latina", "South Asian", "Middle Eastern", "Mixed"]
_BRANDS = ["Maison Nord", "Atelier Sud", "Studio Nine", "Kaze", "Lumen", None]
_TAGS = ["linen", "denim", "pastel", "monochrome", "outdoor", "studio", "summer", "winter", "knit", "silk", "street"]
_IMAGE_COLOURS = [(196, 160, 140), (90, 110, 160), (230, 226, 218), (40, 40, 44), (150, 180, 120), (210, 120, 90)]


@dataclass(frozen=True)
class SeedSizes:
    subjects: int = 1000
    base_images_per_subject: int = 8
    data_images_per_subject: int = 3
    styles: int = 200
    data_images_per_style: int = 4
    shot_types: int = 50  # in all, the migration's public defaults included
    guidelines: int = 500
    pose_presets: int = 150
    set_designs: int = 60
    background_presets: int = 20
    resolution_presets: int = 8
    # Per guideline.
    guideline_shot_types: int = 5
    guideline_subjects: int = 6
    guideline_pose_presets: int = 3
    guideline_rules: int = 3
    rule_shot_types: int = 2


@dataclass(frozen=True)
class SeededData:
    superuser_id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    subject_ids: list[uuid.UUID]  # newest first, the order the subjects page shows them
    guideline_ids: list[uuid.UUID]
    rows: dict[str, int]  # table -> rows written


@dataclass
class _Table:
    columns: tuple[str, ...]
    records: list[tuple[Any, ...]] = field(default_factory=list)


class _Rows:
    """Rows per table, in insertion order; `add` checks every row names exactly the table's columns."""

    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}

    def add(self, table: str, **values: Any) -> None:
        entry = self.tables.get(table)
        if entry is None:
            entry = self.tables[table] = _Table(tuple(values))
        elif tuple(values) != entry.columns:
            raise ValueError(f"{table}: columns {tuple(values)} differ from {entry.columns}")
        entry.records.append(tuple(values.values()))


@dataclass(frozen=True)
class _StoredImage:
    storage_key: str
    content_hash: str
    file_size: int
    extension: str
    mime_type: str
    width: int
    height: int
    aspect_ratio: float
    orientation: str
    dominant_color: str
    color_profile: str


async def write_images(storage: LocalStorage, count: int = len(_IMAGE_COLOURS)) -> list[_StoredImage]:
    """A few small real images (JPEG and PNG, portrait and landscape) committed to `storage`, measured by the
    same inspection uploads go through."""
    stored: list[_StoredImage] = []
    for index, colour in enumerate(_IMAGE_COLOURS[:count]):
        size = (96, 128) if index % 3 else (128, 96)
        image_format, extension = ("PNG", "png") if index % 2 else ("JPEG", "jpg")
        image = Image.new("RGB", size, colour)
        # A second colour block so each file has some structure (and a distinct hash).
        image.paste((255 - colour[0], 255 - colour[1], 255 - colour[2]), (0, 0, size[0] // 3, size[1] // 3))
        buffer = io.BytesIO()
        image.save(buffer, format=image_format)
        key = await storage.store_bytes(buffer.getvalue(), extension=extension)
        path: Path = storage.path_for(key)
        info = inspect_image(path, max_pixels=1_000_000)
        stored.append(
            _StoredImage(
                storage_key=key,
                content_hash=path.stem,
                file_size=buffer.getbuffer().nbytes,
                extension=info.extension,
                mime_type=info.mime_type,
                width=info.width,
                height=info.height,
                aspect_ratio=info.aspect_ratio,
                orientation=info.orientation,
                dominant_color=info.dominant_color,
                color_profile=info.color_profile,
            )
        )
    return stored


class _Generator:
    def __init__(
        self, sizes: SeedSizes, images: Sequence[_StoredImage], default_shot_type_ids: Sequence[uuid.UUID]
    ) -> None:
        self.sizes = sizes
        self.rng = random.Random(20251129)  # noqa: S311 - reproducible fake data, not a secret
        self.images = itertools.cycle(images)
        self.rows = _Rows()
        self.clock = itertools.count()
        self.superuser_id = uuid.uuid4()
        self.member_id = uuid.uuid4()
        self.organization_id = uuid.uuid4()
        self.shot_type_ids = list(default_shot_type_ids)
        self.subject_ids: list[uuid.UUID] = []
        self.guideline_ids: list[uuid.UUID] = []

    def now(self) -> datetime:
        """Strictly increasing timestamps, so orderings by created_at are stable and realistic."""
        return _EPOCH + timedelta(seconds=37 * next(self.clock), microseconds=self.rng.randrange(1_000_000))

    def owned(self) -> dict[str, Any]:
        created = self.now()
        return {
            "id": uuid.uuid4(),
            "created_at": created,
            "updated_at": created,
            "owner_id": self.superuser_id,
            "organization_id": self.organization_id,
        }

    def stamped(self) -> dict[str, Any]:
        created = self.now()
        return {"id": uuid.uuid4(), "created_at": created, "updated_at": created}

    def media(self) -> uuid.UUID:
        image = next(self.images)
        media_id = uuid.uuid4()
        self.rows.add(
            "media_resources",
            **self.stamped() | {"id": media_id},
            owner_id=self.superuser_id,
            storage_key=image.storage_key,
            content_hash=image.content_hash,
            file_size=image.file_size,
            extension=image.extension,
            mime_type=image.mime_type,
            resource_type="image",
            width=image.width,
            height=image.height,
            aspect_ratio=image.aspect_ratio,
            orientation=image.orientation,
            dominant_color=image.dominant_color,
            color_profile=image.color_profile,
            protected=False,
        )
        return media_id

    def pick(self, values: Sequence[Any]) -> Any:
        return self.rng.choice(values)

    # --- tables, in dependency order -------------------------------------------------------------------------

    def users(self, member_password_hash: str, admin_password_hash: str) -> None:
        for user_id, email, name, password_hash, superuser in (
            (self.superuser_id, "bench-admin@example.com", "Bench Admin", admin_password_hash, True),
            (self.member_id, "bench-member@example.com", "Bench Member", member_password_hash, False),
        ):
            self.rows.add(
                "users",
                **self.stamped() | {"id": user_id},
                email=email,
                hashed_password=password_hash,
                full_name=name,
                is_active=True,
                is_superuser=superuser,
            )
        self.rows.add("organizations", **self.stamped() | {"id": self.organization_id}, name="Bench Studio")
        for user_id, role in ((self.superuser_id, OrganizationRole.OWNER), (self.member_id, OrganizationRole.MEMBER)):
            self.rows.add(
                "organization_memberships",
                **self.stamped(),
                organization_id=self.organization_id,
                user_id=user_id,
                role=role.value,
            )

    def shot_types(self) -> None:
        for index in range(max(0, self.sizes.shot_types - len(self.shot_type_ids))):
            row = self.owned()
            self.shot_type_ids.append(row["id"])
            view_angle, framing = self.pick(list(ViewAngle)), self.pick(list(ShotTypeFraming))
            self.rows.add(
                "shot_types",
                **row,
                name=f"Bench {view_angle.value} {framing.value} {index + 1:02d}",
                view_angle=view_angle.value,
                framing=framing.value,
                shot_type_prompt_instruction=f"Shoot {framing.value.replace('_', ' ')} from the {view_angle.value}.",
                file_naming_convention=f"{{subject}}_{view_angle.value}_{index + 1:02d}",
                reference_image_media_id=self.media(),
                prompt="soft key light, seamless background, 85mm",
                core_focus=index % 4 == 0,
                margins="8%",
                public=index % 3 == 0,
            )

    def subjects(self) -> None:
        sizes = self.sizes
        for index in range(sizes.subjects):
            row = self.owned()
            self.subject_ids.append(row["id"])
            name, surname = self.pick(_FIRST_NAMES), self.pick(_SURNAMES)
            self.rows.add(
                "subjects",
                **row,
                name=name,
                surname=surname,
                slug=f"{name}-{surname}-{index + 1}".lower(),
                description=f"{name} {surname}: catalogue model, {self.pick(['editorial', 'commercial'])} work.",
                age_class=self.pick([SubjectAgeClass.ADULT] * 6 + list(SubjectAgeClass)).value,
                gender=self.pick(list(Gender)).value,
                subject_type="AI",
                body_type=self.pick(list(BodyType)).value,
                positive_prompt="natural skin texture, relaxed expression",
                negative_prompt="blurry, extra fingers",
                ethnicity=self.pick(_ETHNICITIES),
                public=index % 5 == 0,
                enabled=True,
                ready=True,
                lora_status="ready" if index % 2 else "none",
                lora_trigger=f"sbj{index + 1}" if index % 2 else None,
                local_model_path=f"loras/subjects/{row['id']}.safetensors" if index % 2 else None,
                cover_image_media_id=self.media(),
                portrait_image_media_id=self.media(),
            )
            self.rows.add(
                "subject_measurements",
                **self.stamped(),
                subject_id=row["id"],
                bust_cm=round(self.rng.uniform(78, 104), 1),
                waist_cm=round(self.rng.uniform(58, 86), 1),
                hips_cm=round(self.rng.uniform(84, 110), 1),
                height_cm=round(self.rng.uniform(158, 192), 1),
                shoe_eu=float(self.rng.randrange(36, 46)),
                eye_color=self.pick(list(EyeColor)).value,
                hair_color=self.pick(list(HairColor)).value,
            )
            first = index % len(self.shot_type_ids)
            for offset in range(sizes.base_images_per_subject):
                self.rows.add(
                    "subject_base_images",
                    **self.stamped(),
                    subject_id=row["id"],
                    shot_type_id=self.shot_type_ids[(first + offset) % len(self.shot_type_ids)],
                    media_id=self.media(),
                )
            for position in range(sizes.data_images_per_subject):
                self.rows.add(
                    "subject_data_images",
                    **self.stamped(),
                    subject_id=row["id"],
                    media_id=self.media(),
                    position=position,
                )
        self.subject_ids.reverse()  # newest first

    def styles(self) -> None:
        for index in range(self.sizes.styles):
            row = self.owned()
            name = f"{self.pick(['Coastal', 'Urban', 'Nordic', 'Desert', 'Velvet', 'Studio'])} {index + 1}"
            self.rows.add(
                "styles",
                **row,
                name=name,
                slug=name.lower().replace(" ", "-"),
                description=f"{name}: a look for the season's catalogue.",
                brand=self.pick(_BRANDS),
                tags=self.rng.sample(_TAGS, 3),
                prompt_keywords="natural light, film grain",
                style_category=self.pick(list(StyleCategory)).value,
                public=index % 4 == 0,
                enabled=True,
                archived=False,
                demo=index % 10 == 0,
                default_lora_weight=0.8,
                lora_status="none",
                training_progress=0.0,
                cover_image_media_id=self.media(),
            )
            for position in range(self.sizes.data_images_per_style):
                self.rows.add(
                    "style_data_images", **self.stamped(), style_id=row["id"], media_id=self.media(), position=position
                )

    def presets(self) -> tuple[list[uuid.UUID], list[uuid.UUID], list[uuid.UUID], list[uuid.UUID]]:
        """Background, resolution and pose presets and set designs; answers their ids."""
        backgrounds, resolutions, poses, sets = [], [], [], []
        framings = list(ShotTypeFraming)
        for index in range(self.sizes.background_presets):
            row = self.owned()
            backgrounds.append(row["id"])
            strategy = self.pick(list(BackgroundFixStrategy)).value
            self.rows.add("background_presets", **row, name=f"Backdrop {index + 1}", strategy=strategy)
            for position in range(3):
                self.rows.add(
                    "background_preset_framings",
                    **self.stamped(),
                    preset_id=row["id"],
                    position=position,
                    framing=framings[position].value,
                    image_media_id=self.media(),
                )
        for index in range(self.sizes.resolution_presets):
            row = self.owned()
            resolutions.append(row["id"])
            width, height = self.pick([(1024, 1536), (1536, 1024), (2048, 2048), (832, 1216)])
            self.rows.add("resolution_presets", **row, name=f"Output {index + 1}", width=width, height=height)
        for index in range(self.sizes.pose_presets):
            row = self.owned()
            poses.append(row["id"])
            self.rows.add(
                "pose_presets",
                **row,
                name=f"Pose {index + 1}",
                prompt="weight on the back foot, hands relaxed",
                shot_type_id=self.pick(self.shot_type_ids),
                pose_image_media_id=self.media(),
            )
        for index in range(self.sizes.set_designs):
            row = self.owned()
            sets.append(row["id"])
            self.rows.add(
                "set_designs",
                **row,
                name=f"Set {index + 1}",
                description="seamless paper, two softboxes",
                background_preset_id=self.pick(backgrounds) if backgrounds else None,
            )
            subjects = self.rng.sample(self.subject_ids, 2)
            for variant in range(4):
                self.rows.add(
                    "set_base_images",
                    **self.stamped(),
                    set_design_id=row["id"],
                    subject_id=subjects[variant % 2],
                    shot_type_id=self.pick(self.shot_type_ids),
                    variant_index=variant // 2,
                    image_media_id=self.media(),
                )
            for position in range(3):
                self.rows.add(
                    "set_reference_images",
                    **self.stamped(),
                    set_design_id=row["id"],
                    shot_type_id=self.pick(self.shot_type_ids),
                    label=f"reference {position + 1}",
                    position=position,
                    image_media_id=self.media(),
                )
            for subject_id in subjects:
                self.rows.add(
                    "set_subject_portraits",
                    **self.stamped(),
                    set_design_id=row["id"],
                    subject_id=subject_id,
                    image_media_id=self.media(),
                )
        return backgrounds, resolutions, poses, sets

    def guidelines(
        self, backgrounds: list[uuid.UUID], resolutions: list[uuid.UUID], poses: list[uuid.UUID], sets: list[uuid.UUID]
    ) -> None:
        sizes = self.sizes
        kinds = list(GuidelinesShotTypeRuleKind)
        rule_values: defaultdict[GuidelinesShotTypeRuleKind, list[str]] = defaultdict(lambda: ["default"])
        rule_values.update(
            {
                GuidelinesShotTypeRuleKind.GENDER: [gender.value for gender in Gender],
                GuidelinesShotTypeRuleKind.AGE_CLASS: [age.value for age in SubjectAgeClass],
                GuidelinesShotTypeRuleKind.CATEGORY: ["tops", "bottoms", "dresses", "outerwear"],
                GuidelinesShotTypeRuleKind.PLACEMENT: ["on_model", "flat_lay"],
                GuidelinesShotTypeRuleKind.PRODUCT_TYPE: ["shirt", "trousers", "shoes", "bag"],
            }
        )
        for index in range(sizes.guidelines):
            row = self.owned()
            self.guideline_ids.append(row["id"])
            self.rows.add(
                "shooting_guidelines",
                **row,
                name=f"Guidelines {index + 1}",
                allow_back_shots_without_back_image=index % 3 == 0,
                auto_start_look_generations=index % 4 == 0,
                background_preset_id=self.pick(backgrounds) if backgrounds else None,
                resolution_preset_id=self.pick(resolutions) if resolutions else None,
                set_design_id=self.pick(sets) if sets else None,
            )
            links = (
                ("guideline_shot_types", "shot_type_id", self.shot_type_ids, sizes.guideline_shot_types),
                ("guideline_subjects", "subject_id", self.subject_ids, sizes.guideline_subjects),
                ("guideline_pose_presets", "pose_preset_id", poses, sizes.guideline_pose_presets),
            )
            for table, column, pool, count in links:
                for position, linked_id in enumerate(self.rng.sample(pool, min(count, len(pool)))):
                    self.rows.add(table, guideline_id=row["id"], **{column: linked_id}, position=position)
            for position, kind in enumerate(self.rng.sample(kinds, min(sizes.guideline_rules, len(kinds)))):
                rule = self.stamped()
                self.rows.add(
                    "guideline_shot_type_rules",
                    **rule,
                    guideline_id=row["id"],
                    rule_kind=kind.value,
                    rule_value=self.pick(rule_values[kind]),
                    position=position,
                )
                for rule_position, shot_type_id in enumerate(
                    self.rng.sample(self.shot_type_ids, sizes.rule_shot_types)
                ):
                    self.rows.add(
                        "guideline_shot_type_rule_shot_types",
                        rule_id=rule["id"],
                        shot_type_id=shot_type_id,
                        position=rule_position,
                    )
        self.guideline_ids.reverse()


# Foreign keys decide the order: referenced tables first.
_TABLE_ORDER = (
    "users",
    "organizations",
    "organization_memberships",
    "media_resources",
    "shot_types",
    "subjects",
    "subject_measurements",
    "subject_base_images",
    "subject_data_images",
    "styles",
    "style_data_images",
    "background_presets",
    "background_preset_framings",
    "resolution_presets",
    "pose_presets",
    "set_designs",
    "set_base_images",
    "set_reference_images",
    "set_subject_portraits",
    "shooting_guidelines",
    "guideline_shot_types",
    "guideline_subjects",
    "guideline_pose_presets",
    "guideline_shot_type_rules",
    "guideline_shot_type_rule_shot_types",
)


async def seed(dsn: str, storage: LocalStorage, sizes: SeedSizes | None = None) -> SeededData:
    """Write the dataset into the (migrated, empty) database at `dsn` and its images into `storage`."""
    sizes = sizes or SeedSizes()
    images = await write_images(storage)
    connection = await asyncpg.connect(dsn)
    try:
        default_shot_types = await connection.fetch(
            "SELECT id FROM shot_types WHERE owner_id IS NULL AND deleted_at IS NULL ORDER BY name"
        )
        generator = _Generator(sizes, images, [row["id"] for row in default_shot_types])
        # Nobody logs in with these: the bench signs tokens itself. Real hashes keep the rows like real ones.
        generator.users(hash_password(uuid.uuid4().hex), hash_password(uuid.uuid4().hex))
        generator.shot_types()
        generator.subjects()
        generator.styles()
        generator.guidelines(*generator.presets())
        tables = generator.rows.tables
        unknown = set(tables) - set(_TABLE_ORDER)
        if unknown:
            raise RuntimeError(f"tables missing from the insert order: {sorted(unknown)}")
        async with connection.transaction():
            for name in _TABLE_ORDER:
                table = tables.get(name)
                if table is not None:
                    await connection.copy_records_to_table(name, records=table.records, columns=list(table.columns))
        # Fresh statistics, as a long-lived database has: the planner's choices are part of what is measured.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return SeededData(
        superuser_id=generator.superuser_id,
        member_id=generator.member_id,
        organization_id=generator.organization_id,
        subject_ids=generator.subject_ids,
        guideline_ids=generator.guideline_ids,
        rows={name: len(table.records) for name, table in tables.items()},
    )
