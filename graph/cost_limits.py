"""The edge's use of cost analysis (graph/cost.py; docs/api.md, "Limits and cost").

After validation and before anything runs, an operation is priced. Above QUERY_MAX_COST it is refused as
QUERY_TOO_COMPLEX with its `cost` and the `maxCost`; otherwise its price is reserved from the caller's budget
(services/rate_limit.py), and when that is spent it is refused as RATE_LIMITED with `retryAfter` seconds. Once
answered, the objects its answer holds are counted, the unused part of the reservation goes back, and the answer
carries `extensions.cost` = {requested, actual}. A subscription is priced and charged as one answer when it starts;
its events carry no cost.

Redis unreachable (core/outages.py) while reserving: the operation runs without a budget, and one warning line is
logged for it. The price limit needs no Redis and still refuses every operation above QUERY_MAX_COST, so an outage
lifts only the per-minute budget; refusing instead would make Redis a dependency of every read, where the API keeps
answering what needs only PostgreSQL (a subscription opened while Redis is down still gets its task as it stands,
docs/api.md "Subscriptions"). While settling after the answer, the answer is kept and the refund is lost.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from starlette.requests import HTTPConnection

from core.client_address import UNKNOWN, client_address
from core.outages import describe_outage, is_outage
from core.settings import Settings
from graph.context import Context
from graph.cost import LIMIT_ARGUMENT, answered_objects, operation_cost
from graph.metrics import count_cost
from services.errors import QueryTooComplexError, RateLimitedError

logger = logging.getLogger("graph.cost_limits")

QUERY_TOO_COMPLEX = QueryTooComplexError.code
RATE_LIMITED = RateLimitedError.code


def caller_key(context: Context) -> str:
    """Whose budget an operation spends: the user's when authenticated, else the client address's (forwarded
    headers count only from FORWARDED_ALLOW_IPS, core/client_address.py)."""
    if context.caller is not None:
        return f"user:{context.caller.id}"
    request = context.request
    if not isinstance(request, HTTPConnection):  # the schema run in-process (tests, tools)
        return f"address:{UNKNOWN}"
    return f"address:{client_address(request, context.resources.settings.trusted_proxies)}"


class Prices:
    """Prices by document text, operation name and the values of the variables given to `limit` arguments (a
    client sends the same few documents with different ids): bounded, oldest dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._limit_variables: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self._prices: dict[tuple[Hashable, ...], int] = {}

    def price(
        self,
        text: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        schema: GraphQLSchema,
    ) -> int:
        if text is None:
            return operation_cost(document, operation, variables, schema)
        name = operation.name.value if operation.name else None
        names = self._limit_variables.get((text, name))
        if names is None:
            names = _limit_variable_names(document)
            _remember(self._limit_variables, (text, name), names, self.size)
        key = (text, name, *(repr(variables.get(variable)) for variable in names))
        price = self._prices.get(key)
        if price is None:
            price = operation_cost(document, operation, variables, schema)
            _remember(self._prices, key, price, self.size)
        return price


def _remember(store: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    if len(store) >= size:
        del store[next(iter(store))]
    store[key] = value


def _limit_variable_names(document: DocumentNode) -> tuple[str, ...]:
    """The variables any `limit` argument of the document takes: the only ones a price depends on."""
    names: set[str] = set()

    class Limits(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value == LIMIT_ARGUMENT and isinstance(node.value, VariableNode):
                names.add(node.value.name.value)

    visit(document, Limits())
    return tuple(sorted(names))


class OperationCost:
    """One operation's price, reservation and settlement (this module's docstring), run by the operation pipeline
    (graph/pipeline.py): `admit` once the document passed every other check, `settle` once it was answered."""

    def __init__(self, settings: Settings, prices: Prices) -> None:
        self.settings = settings
        self.prices = prices
        self.requested: int | None = None
        self.reserved: tuple[str, int] | None = None  # (caller key, amount) while a reservation is open
        self.cost: dict[str, int] | None = None

    async def admit(
        self,
        text: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        schema: GraphQLSchema,
        request_context: Context,
    ) -> GraphQLError | None:
        """The operation's refusal (QUERY_TOO_COMPLEX, RATE_LIMITED), or None once its price is reserved."""
        requested = self.prices.price(text, document, operation, variables, schema)
        max_cost = self.settings.query_max_cost
        if requested > max_cost:
            message = f"The operation may cost {requested}, more than the {max_cost} allowed"
            extensions = {"code": QUERY_TOO_COMPLEX, "cost": requested, "maxCost": max_cost}
            return GraphQLError(message, extensions=extensions)
        self.requested = requested
        per_minute = self.settings.cost_budget_per_minute
        if per_minute <= 0:
            return None
        caller = caller_key(request_context)
        try:
            wait_ms = await request_context.resources.cost_budget.reserve(caller, requested, per_minute)
        except Exception as error:
            # No deadline of our own: under a burst (a thousand subscriptions opened at once) a busy event loop
            # would read a late answer as an outage; an unreachable Redis fails at once.
            if not is_outage(error):
                raise
            logger.warning("Cost budget unreachable, operation runs without one: %s", describe_outage(error))
            return None
        if wait_ms is not None:
            retry_after = max(1, math.ceil(wait_ms / 1000))
            message = f"Cost budget of {per_minute} a minute spent; retry in {retry_after} s"
            return GraphQLError(message, extensions={"code": RATE_LIMITED, "retryAfter": retry_after})
        self.reserved = (caller, requested)
        return None

    async def settle(
        self,
        document: DocumentNode | None,
        operation: OperationDefinitionNode | None,
        data: Any,
        schema: GraphQLSchema,
        request_context: Any,
    ) -> None:
        """Counts what the answer holds and gives the unused part of the reservation back. Nothing for an
        operation refused before it was priced, or for a subscription (charged its price, no answer to count)."""
        subscription = operation is not None and operation.operation is OperationType.SUBSCRIPTION
        if self.requested is None or subscription:
            return
        actual = 0
        if document is not None and operation is not None:
            actual = answered_objects(data, document, operation, schema)
        self.cost = {"requested": self.requested, "actual": actual}
        count_cost(self.requested, actual)
        if self.reserved is None:
            return
        (caller, amount), self.reserved = self.reserved, None
        try:
            per_minute = self.settings.cost_budget_per_minute
            await request_context.resources.cost_budget.settle(caller, amount, actual, per_minute)
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning("Cost budget unreachable, unused cost not refunded: %s", describe_outage(error))

    def results(self) -> dict[str, Any]:
        """The answer's `extensions.cost`, once settled."""
        return {"cost": self.cost} if self.cost is not None else {}


def graphql_schema(schema: Any) -> GraphQLSchema:
    """graphql-core's schema behind a Strawberry schema. Strawberry keeps it only privately; tests/graph/
    test_cost.py prices through it, so an upgrade that renames it fails there."""
    inner: GraphQLSchema = schema._schema
    return inner
