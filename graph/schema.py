"""The schema: every domain's Query, Mutation and Subscription merged, with the edge's limits and error codes."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.file_uploads import Upload
from strawberry.schema.types.base_scalars import UUIDDefinition
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

import graph.enums  # noqa: F401 - gives the enums their descriptions before the schema is built
from core.settings import Settings
from graph.background_presets.mutations import Mutation as BackgroundPresetMutation
from graph.background_presets.queries import Query as BackgroundPresetQuery
from graph.cost_limits import Prices
from graph.documents import DOCUMENT_CACHE_SIZE, DocumentStore
from graph.execution import execution_context_class
from graph.guidelines.mutations import Mutation as GuidelinesMutation
from graph.guidelines.queries import Query as GuidelinesQuery
from graph.lora.mutations import Mutation as LoraMutation
from graph.media.mutations import Mutation as MediaMutation
from graph.pipeline import OperationPipeline, PipelineParts, PipelineRunner
from graph.pose_presets.mutations import Mutation as PosePresetMutation
from graph.pose_presets.queries import Query as PosePresetQuery
from graph.resolution_presets.mutations import Mutation as ResolutionPresetMutation
from graph.resolution_presets.queries import Query as ResolutionPresetQuery
from graph.set_designs.mutations import Mutation as SetDesignMutation
from graph.set_designs.queries import Query as SetDesignQuery
from graph.shot_types.mutations import Mutation as ShotTypeMutation
from graph.shot_types.queries import Query as ShotTypeQuery
from graph.styles.mutations import Mutation as StyleMutation
from graph.styles.queries import Query as StyleQuery
from graph.subjects.admin import Mutation as SubjectAdminMutation
from graph.subjects.admin import Query as SubjectAdminQuery
from graph.subjects.mutations import Mutation as SubjectMutation
from graph.subjects.queries import Query as SubjectQuery
from graph.subscriptions.subscription import Subscription as JobSubscription
from graph.tasks.mutations import Mutation as UploadTaskMutation
from graph.tasks.queries import Query as UploadTaskQuery
from graph.traced_operations import operation_tracer
from graph.upload_scalar import FileOnlyUpload
from graph.users.mutations import Mutation as UserMutation
from graph.users.queries import Query as UserQuery


def _root(name: str, description: str, parts: tuple[type, ...]) -> type:
    """One root type made of every domain's part, as strawberry.tools.merge_types makes it, with a description
    (merge_types takes none). Two parts declaring the same field is an error, not a warning: the later one
    would silently hide the other."""
    names = Counter(field.name for part in parts for field in get_object_definition(part, strict=True).fields)
    repeated = sorted(field_name for field_name, count in names.items() if count > 1)
    if repeated:
        raise ValueError(f"{name}: fields declared twice: {', '.join(repeated)}")
    return strawberry.type(type(name, parts, {}), description=description)


Query = _root(
    "Query",
    "Reads: every list and single object, each answering only what the caller may see.",
    (
        UserQuery,
        ShotTypeQuery,
        BackgroundPresetQuery,
        ResolutionPresetQuery,
        PosePresetQuery,
        SetDesignQuery,
        StyleQuery,
        SubjectQuery,
        SubjectAdminQuery,
        GuidelinesQuery,
        UploadTaskQuery,
    ),
)
Mutation = _root(
    "Mutation",
    "Writes: creating, changing, deleting and restoring objects, uploads, and signing in.",
    (
        UserMutation,
        MediaMutation,
        ShotTypeMutation,
        BackgroundPresetMutation,
        ResolutionPresetMutation,
        PosePresetMutation,
        SetDesignMutation,
        StyleMutation,
        SubjectMutation,
        SubjectAdminMutation,
        GuidelinesMutation,
        LoraMutation,
        UploadTaskMutation,
    ),
)

Subscription = _root(
    "Subscription",
    "Live updates over the websocket at /graphql (graphql-transport-ws): each sends the current state, then every "
    "change, then completes.",
    (JobSubscription,),
)

# Strawberry's UUID scalar has no description.
_UUID = dataclasses.replace(
    UUIDDefinition, description="A UUID in its canonical text form, e.g. `6f1c2a4e-8d3b-4f7a-9c2e-1b5d7a9e3f40`."
)


class Schema(strawberry.Schema):
    """Strawberry's schema with the edge's operation pipeline (graph/pipeline.py) in place of schema extensions."""

    # Set by build_schema (or a test's own schema): what every operation's pipeline shares.
    pipeline_parts: PipelineParts

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # Every operation, executed or streamed (websockets), gets its runner here.
        return PipelineRunner(execution_context, OperationPipeline(self.pipeline_parts, execution_context))

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Strawberry logs every error with its traceback, expected ones included; the pipeline's error codes log
        # exactly the unexpected ones (graph/errors.py), so nothing is logged here.
        return


def build_schema(settings: Settings) -> Schema:
    """The schema with this deployment's limits and execution (each app builds its own from its settings)."""
    # The limiters' validation rules, made once: every QueryDepthLimiter/MaxAliasesLimiter instance makes new rule
    # classes. Every other step of an operation at the edge is the pipeline's (graph/pipeline.py).
    limit_rules = (
        *QueryDepthLimiter(max_depth=settings.query_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.query_max_aliases).validation_rules,
    )
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=execution_context_class(settings.graphql_execution),
        scalar_overrides={Upload: FileOnlyUpload, uuid.UUID: _UUID},
    )
    schema.pipeline_parts = PipelineParts(
        settings=settings,
        documents=DocumentStore(max_tokens=settings.query_max_tokens),
        prices=Prices(DOCUMENT_CACHE_SIZE),
        limit_rules=limit_rules,
        # Its span exists only when tracing is on (core/tracing.py).
        tracer=operation_tracer(),
    )
    return schema


# What `strawberry export-schema graph.schema:schema` writes to schema.graphql.
schema = build_schema(Settings())
