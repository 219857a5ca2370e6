"""The schema: every domain's Query, Mutation and Subscription merged, with the edge's limits and error codes."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.settings import get_settings
from graph.errors import ErrorCodes
from graph.media.mutations import Mutation as MediaMutation
from graph.shot_types.mutations import Mutation as ShotTypeMutation
from graph.shot_types.queries import Query as ShotTypeQuery
from graph.users.mutations import Mutation as UserMutation
from graph.users.queries import Query as UserQuery

Query = merge_types("Query", (UserQuery, ShotTypeQuery))
Mutation = merge_types("Mutation", (UserMutation, MediaMutation, ShotTypeMutation))

_settings = get_settings()


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Strawberry logs every error with its traceback, expected ones included; ErrorCodes logs exactly the
        # unexpected ones (graph/errors.py), so nothing is logged here.
        return


schema = Schema(
    query=Query,
    mutation=Mutation,
    extensions=[
        QueryDepthLimiter(max_depth=_settings.query_max_depth),
        MaxAliasesLimiter(max_alias_count=_settings.query_max_aliases),
        MaxTokensLimiter(max_token_count=_settings.query_max_tokens),
        ErrorCodes(),
    ],
)
