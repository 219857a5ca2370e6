"""`uploadSubjectLora` and `uploadStyleLora` (the spec's admin upload-lora endpoints; superusers only).

The arguments are checked here before a byte is stored; services/lora.py does the rest (entity, state, the
streamed file under the size cap, the job).
"""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from strawberry.file_uploads import Upload

from core.lora import LoraFileError, check_extension
from core.storage import AsyncReadable, iter_chunks
from db.models import Style as StyleRow
from db.models import Subject as SubjectRow
from graph import access
from graph.access import SUPERUSER
from graph.arguments import File, LoraTrigger, StyleId, SubjectId
from graph.context import Info
from graph.styles.inputs import STYLE_TRIGGER_MAX_LENGTH
from graph.styles.types import StyleAdmin
from graph.subjects.types import SubjectAdmin
from graph.validation import InputErrors
from services.caller import Caller
from services.lora import LoraUpload, accept_upload

# The trigger is stored in a 255-character column; styles keep the 128 their documented StyleCreate/StyleUpdate
# allow (graph/styles/inputs.py), so that every stored trigger also passes updateStyle.
SUBJECT_TRIGGER_MAX_LENGTH = 255
# The spec's Body_upload_subject_lora.entity_type has no documented values: this endpoint uploads for a subject,
# so the only value that makes sense is "subject" (or nothing).
SUBJECT_ENTITY_TYPES = ("subject",)

_UPLOAD_NOTE = (
    " Send it as a GraphQL multipart request (with an Apollo-Require-Preflight header): .safetensors, .ckpt,"
    " .pt, .pth or .bin, at most 100 MB (LORA_MAX_BYTES). Answers at once with loraStatus `processing`; a worker"
    " then checks the file (never unpickling it) and sets `ready` with localModelPath, or `failed` with the"
    " reason. Superusers only."
)


def _checked(file: Upload, lora_trigger: str, trigger_max_length: int, errors: InputErrors) -> LoraUpload:
    readable = cast(AsyncReadable, file)  # Strawberry types Upload as bytes; over multipart it is an UploadFile
    extension = ""
    try:
        extension = check_extension(getattr(file, "filename", None) or "")
    except LoraFileError as error:
        errors.add("file", error.message)
    trigger = lora_trigger.strip()
    if not trigger:
        errors.add("loraTrigger", "must not be blank: a LoRA needs its trigger word")
    errors.max_length("loraTrigger", trigger, trigger_max_length)
    errors.raise_if_any()
    return LoraUpload(extension=extension, trigger=trigger, chunks=iter_chunks(readable))


@strawberry.type
class Mutation:
    @access.mutation(
        "Upload LoRA weights for a subject, with their trigger word. entityType, if given, must be `subject`."
        + _UPLOAD_NOTE,
        SUPERUSER,
    )
    async def upload_subject_lora(
        self,
        info: Info,
        caller: Caller,
        subject_id: SubjectId,
        file: File,
        lora_trigger: LoraTrigger,
        entity_type: Annotated[
            str | None, strawberry.argument(description="`subject` or omitted (the documented form field).")
        ] = None,
    ) -> SubjectAdmin:
        errors = InputErrors()
        if entity_type is not None and entity_type.strip().lower() not in SUBJECT_ENTITY_TYPES:
            errors.add("entityType", "must be `subject` or null (styles have uploadStyleLora)")
        upload = _checked(file, lora_trigger, SUBJECT_TRIGGER_MAX_LENGTH, errors)
        row = await accept_upload(info.context.resources, caller, "subject", subject_id, upload)
        return SubjectAdmin.of(cast(SubjectRow, row))

    @access.mutation("Upload LoRA weights for a style, with their trigger word." + _UPLOAD_NOTE, SUPERUSER)
    async def upload_style_lora(
        self, info: Info, caller: Caller, style_id: StyleId, file: File, lora_trigger: LoraTrigger
    ) -> StyleAdmin:
        upload = _checked(file, lora_trigger, STYLE_TRIGGER_MAX_LENGTH, InputErrors())
        row = await accept_upload(info.context.resources, caller, "style", style_id, upload)
        return StyleAdmin.of(cast(StyleRow, row))
