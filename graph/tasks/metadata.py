"""`metadata.json` at the root of an uploaded ZIP: the new subject's SubjectCreate fields, in snake_case.

It is parsed into the same `SubjectCreate` input a `createSubject` call takes, so the same limits apply. Every
problem is answered as BAD_USER_INPUT on `file`, naming the metadata field (`metadata.json: age_class: ...`).
Unknown keys are ignored (exports often carry ids or slugs). Images are given as a string (an https URL, a
data: URI or the URL of an upload) or an object with `url` or `media_resource_id` (and `alt_text`, `caption`).
"""

from __future__ import annotations

import enum
import re
import uuid
from typing import Any

import orjson

from core.storage import format_size
from db.models.enums import BodyType, EyeColor, Gender, HairColor, SubjectAgeClass, SubjectType
from graph.media.inputs import MediaInput
from graph.request_checks import NUL_MESSAGE, nul_paths
from graph.subjects.inputs import BaseImageCreate, SubjectCreate, SubjectMeasurementsCreate
from services.errors import BadUserInputError
from services.upload_tasks import METADATA_NAME

# Room for every text field and a small data: URI cover; larger images belong in the ZIP or behind a URL.
METADATA_MAX_BYTES = 1024 * 1024
FIELD = "file"

_TEXTS = (
    "surname", "description", "local_model_path", "lora_trigger", "positive_prompt", "negative_prompt", "ethnicity",
)  # fmt: skip
_ENUMS: dict[str, type[enum.Enum]] = {"gender": Gender, "subject_type": SubjectType}
_MEASURES = ("bust_cm", "waist_cm", "hips_cm", "height_cm", "shoe_eu")
_MEASUREMENT_ENUMS: dict[str, type[enum.Enum]] = {"eye_color": EyeColor, "hair_color": HairColor}
_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def problem(message: str) -> BadUserInputError:
    return BadUserInputError({FIELD: f"{METADATA_NAME}: {message}"})


def too_large() -> BadUserInputError:
    return problem(f"larger than {format_size(METADATA_MAX_BYTES)}")


def missing() -> BadUserInputError:
    return BadUserInputError({FIELD: "metadata.json is required when subjectId is not given"})


def parse_metadata(raw: bytes) -> tuple[SubjectCreate, bool]:
    """The SubjectCreate that `metadata.json` describes, and whether it names a cover image. Without one, the
    cover placeholder must be replaced (`with_cover`) before the input is used."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise problem("not valid JSON") from exc
    if not isinstance(data, dict):
        raise problem("must be a JSON object")
    for path in nul_paths(data):
        raise problem(f"{path}: {NUL_MESSAGE}")
    subject_input = _Reader(data).subject_create()
    try:
        subject_input.check()
    except BadUserInputError as exc:
        raise snake_fields(exc) from exc
    return subject_input, data.get("cover_image") is not None


def with_cover(subject_input: SubjectCreate, media_id: uuid.UUID) -> None:
    subject_input.cover_image = MediaInput(media_resource_id=media_id)


def snake_fields(error: BadUserInputError) -> BadUserInputError:
    """A service error about `input.*` paths, retold as a problem of metadata.json."""
    return problem("; ".join(f"{_snake(path)}: {message}" for path, message in error.fields.items()))


def _snake(path: str) -> str:
    parts = path.removeprefix("input.").split(".")
    return ".".join(_CAMEL_HUMP.sub("_", part).lower() for part in parts)


class _Reader:
    """Reads typed values out of the parsed JSON, collecting one message per bad field (by its path)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: dict[str, str] = {}

    def raise_if_any(self) -> None:
        if self.problems:
            raise problem("; ".join(f"{path}: {message}" for path, message in self.problems.items()))

    def subject_create(self) -> SubjectCreate:
        data = self.data
        values: dict[str, Any] = {
            "name": self.text("name", data.get("name"), required=True),
            "age_class": self.choice("age_class", data.get("age_class"), SubjectAgeClass, required=True),
            # A placeholder until the real cover is known; the caller replaces it (see parse_metadata).
            "cover_image": self.image("cover_image", data.get("cover_image"))
            or MediaInput(media_resource_id=uuid.UUID(int=0)),
        }
        for name in _TEXTS:
            if name in data:
                values[name] = self.text(name, data[name])
        for name, choices in _ENUMS.items():
            if data.get(name) is not None:
                values[name] = self.choice(name, data[name], choices)
        if "body_type" in data:
            values["body_type"] = self.choice("body_type", data["body_type"], BodyType)
        if "lora_status" in data:
            values["lora_status"] = self.text("lora_status", data["lora_status"], required=True)
        if "public" in data:
            values["public"] = self.boolean("public", data["public"])
        if "organization_id" in data:
            values["organization_id"] = self.uuid("organization_id", data["organization_id"])
        if "portrait_image" in data:
            values["portrait_image"] = self.image("portrait_image", data["portrait_image"])
        for name in ("data_images", "portfolio_images"):
            if name in data:
                values[name] = self.images(name, data[name])
        if "base_images" in data:
            values["base_images"] = self.base_images("base_images", data["base_images"])
        if "measurements" in data:
            values["measurements"] = self.measurements("measurements", data["measurements"])
        self.raise_if_any()
        return SubjectCreate(**values)

    # --- typed values (each records its problem and answers None) ---------------------------------------------

    def text(self, path: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.problems[path] = "is required"
            return None
        if not isinstance(value, str):
            self.problems[path] = "must be a string"
            return None
        return value

    def boolean(self, path: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.problems[path] = "must be true or false"
            return None
        return value

    def choice(self, path: str, value: Any, choices: type[enum.Enum], *, required: bool = False) -> Any:
        if value is None:
            if required:
                self.problems[path] = "is required"
            return None
        if isinstance(value, str):
            for member in choices:
                # The documented values (`adult`), or the GraphQL names (`ADULT`).
                if value in (member.value, member.name):
                    return member
        self.problems[path] = "must be one of " + ", ".join(str(member.value) for member in choices)
        return None

    def uuid(self, path: str, value: Any) -> uuid.UUID | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        self.problems[path] = "must be a UUID"
        return None

    def image(self, path: str, value: Any) -> MediaInput | None:
        if value is None:
            return None
        if isinstance(value, str):
            return MediaInput(url=value)
        if not isinstance(value, dict):
            self.problems[path] = "must be a URL string or an object with url or media_resource_id"
            return None
        return MediaInput(
            url=self.text(f"{path}.url", value.get("url")),
            media_resource_id=self.uuid(f"{path}.media_resource_id", value.get("media_resource_id")),
            alt_text=self.text(f"{path}.alt_text", value.get("alt_text")),
            caption=self.text(f"{path}.caption", value.get("caption")),
        )

    def listed(self, path: str, value: Any) -> list[Any] | None:
        """A list, or None (null, or not a list: a problem)."""
        if value is None:
            return None
        if not isinstance(value, list):
            self.problems[path] = "must be a list"
            return None
        return value

    def images(self, path: str, value: Any) -> list[MediaInput] | None:
        items = self.listed(path, value)
        if items is None:
            return None
        images = [self.image(f"{path}.{index}", item) for index, item in enumerate(items)]
        for index, image in enumerate(images):
            if image is None:
                self.problems.setdefault(f"{path}.{index}", "must not be null")
        return [image for image in images if image is not None]

    def base_images(self, path: str, value: Any) -> list[BaseImageCreate] | None:
        items = self.listed(path, value)
        if items is None:
            return None
        entries = []
        for index, item in enumerate(items):
            item_path = f"{path}.{index}"
            if not isinstance(item, dict):
                self.problems[item_path] = "must be an object with image_url and shot_type_id"
                continue
            image_url = self.text(f"{item_path}.image_url", item.get("image_url"), required=True)
            shot_type_id = self.uuid(f"{item_path}.shot_type_id", item.get("shot_type_id"))
            if shot_type_id is None:
                self.problems.setdefault(f"{item_path}.shot_type_id", "must be a UUID")
            if image_url is not None and shot_type_id is not None:
                entries.append(BaseImageCreate(image_url=image_url, shot_type_id=shot_type_id))
        return entries

    def measurements(self, path: str, value: Any) -> SubjectMeasurementsCreate | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problems[path] = "must be an object"
            return None
        values: dict[str, Any] = {}
        for name in _MEASURES:
            number = value.get(name)
            if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
                self.problems[f"{path}.{name}"] = "must be a number"
                number = None
            values[name] = number
        for name, choices in _MEASUREMENT_ENUMS.items():
            values[name] = self.choice(f"{path}.{name}", value.get(name), choices)
        return SubjectMeasurementsCreate(**values)
