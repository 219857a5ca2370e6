"""The execution context the schema runs with: graphql-core's, answering objects a level at a time.

graphql-core completes a list depth first, object by object: each object's fields get a `Path`, a
`GraphQLResolveInfo`, a trip through `complete_value`'s type dispatch, and each awaiting field an asyncio Task.
For the nested guidelines page (about 1,650 objects and 8,500 fields, 1,450 of them waiting on dataloaders) that
machinery cost several times the work itself. Here an object, or a list of objects, is completed breadth first:
for all the objects of one selection at once, plain fields are read and coerced by a function written for the
selection (plans.py, answers.py); a resolver is called for every object with one Info the level shares, or once
for the whole level when it has a level form (levels.py); their awaitables run side by side without Tasks
(concurrently.py); and the children of all those objects form the next level. Paths are made only where an Info
needs them (`LevelPaths`).

Only clean answers come from this path. The first time anything goes wrong in it (a resolver raises, a null in a
non-null field, a value a scalar refuses), that value is completed again by graphql-core itself, and so is the
rest of the request: errors, their paths and null propagation are exactly graphql-core's. What the failing levels
had already resolved is handed to graphql-core with it (outcomes.py), so no resolver runs twice. Selections with
shapes the plans do not cover (unions, interfaces, nested lists) are graphql-core's from the start. Each fallback
is logged at debug level and counted (fallbacks.py).

graphql-core's internals that this builds on are gathered, and checked, in core/internals/graphql_core.py.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from functools import partial
from operator import is_not
from typing import Any

from graphql import GraphQLObjectType, GraphQLOutputType
from graphql.pyutils import AwaitableOrValue, Path, Undefined, UndefinedType

from core.internals.graphql_core import (
    FieldDetailsList,
    GroupedFieldSet,
    get_argument_values,
    to_nodes,
    with_other_paths,
)
from graph.execution import fallbacks
from graph.execution.acyclic import AcyclicExecutionContext
from graph.execution.answers import NotClean, answer_builder
from graph.execution.concurrently import Failed, settle_all
from graph.execution.infos import LevelInfoHasNoPath, ResolveInfo
from graph.execution.outcomes import Completed, Outcomes, Resolved
from graph.execution.paths import LevelPaths
from graph.execution.plans import FieldPlan, FieldType, SelectionPlan, Shape, field_type_of, plan_selection

# What a level form may raise: its errors, and reading the path of the Info it shares with its level (infos.py).
LEVEL_FAILURES = (Exception, LevelInfoHasNoPath)


class BreadthFirstExecutionContext(AcyclicExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Schema extensions that hook `resolve` must see every resolver call: then everything is graphql-core's.
        middlewares = self.middleware_manager.middlewares if self.middleware_manager is not None else ()
        self._plain_fields = not middlewares
        if middlewares:
            fallbacks.fell_back(fallbacks.MIDDLEWARE, ", ".join(map(_name_of, middlewares)))
        self._levels = self._plain_fields
        self._outcomes = Outcomes()
        # Keyed like graphql-core's subfield cache: a grouped field set is memoised per selection, so one plan
        # serves every object of it. The set is kept alive beside its plan so that its id is not reused.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, SelectionPlan]] = {}

    def build_response(self, data: dict[str, Any] | None) -> Any:
        # What failed levels had resolved holds their errors, whose frames hold this executor (acyclic.py).
        self._outcomes = Outcomes()
        return super().build_response(data)

    # --- plans -------------------------------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> SelectionPlan:
        key = (parent_type, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = plan_selection(parent_type, grouped_field_set, self.schema)
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _selection(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> SelectionPlan:
        return self._plan(object_type, self.collect_subfields(object_type, details)[0])

    def _batchable(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> bool:
        selection = self._selection(object_type, details)
        if selection.batchable_below is None:
            selection.batchable_below = selection.batchable and all(
                self._batchable(field.type.object_type, field.details)
                for field in selection.fields
                if field.type is not None and field.type.object_type is not None
            )
        return selection.batchable_below

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        if field.args is None:
            first = field.details[0]
            field.args = (
                get_argument_values(
                    field.field_def,
                    first.node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
                if field.field_def.args or first.node.arguments
                else {}
            )
        return field.args

    # --- graphql-core's path, with plain fields read directly ---------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(parent_type, grouped_field_set) if self._plain_fields else None
        if plan is None or not plan.any_plain_leaf:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        rest: GroupedFieldSet = {}
        for field in plan.fields:
            if field.plain_leaf:
                # Anything unusual goes to graphql-core's path below, which reads it again and reports it, located.
                with contextlib.suppress(Exception):
                    _plain_leaves(field, [source_value], [results])
                    continue
            results[field.response_name] = None  # keeps the selection's order; the value comes below
            rest[field.response_name] = field.details
        if not rest:
            return results
        completed = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if isinstance(completed, dict):
            results.update(completed)
            return results

        async def merged() -> dict[str, Any]:
            results.update(await completed)
            return results

        return merged()

    # --- graphql-core's path, given what a failed level had resolved (outcomes.py) --------------------------------

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        outcome = self._outcomes.get(field_details_list, source) if self._outcomes else None
        if outcome is None:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        if isinstance(outcome, Completed):
            return outcome.value
        return self._complete_resolved(parent_type, source, field_details_list, path, position_context, outcome)

    def _complete_resolved(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Path,
        position_context: Any,
        outcome: Resolved,
    ) -> AwaitableOrValue[Any]:
        """graphql-core's `execute_field` from where its resolver has answered, with the recorded answer."""
        field_def = self.schema.get_field(parent_type, details[0].node.name.value)
        assert field_def is not None  # only fields of the schema were resolved
        return_type = field_def.type
        if outcome.error is not None:
            # Reported as raised where the resolver raised it. Raised again here, it would take this frame, which
            # holds the outcome and so the error, into its traceback: a reference cycle (acyclic.py).
            self.handle_field_error(outcome.error, return_type, details, path)
            return None
        info = self.build_resolve_info(field_def, to_nodes(details), parent_type, path)
        try:
            if self.is_awaitable(outcome.value):
                return self.complete_awaitable_value(return_type, details, info, path, outcome.value, position_context)
            completed = self.complete_value(return_type, details, info, path, outcome.value, position_context)
            if self.is_awaitable(completed):
                return self._awaited_or_located(completed, return_type, details, path)
            return completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    async def _awaited_or_located(
        self, completed: Awaitable[Any], return_type: GraphQLOutputType, details: FieldDetailsList, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    # --- a level at a time ---------------------------------------------------------------------------------------

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: ResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        if self._levels and result is not None and not isinstance(result, Exception):
            field_type = field_type_of(return_type)
            if (
                field_type is not None
                and field_type.object_type is not None
                and self._batchable(field_type.object_type, field_details_list)
            ):
                return self._complete_by_level(
                    return_type, field_type, field_details_list, info, path, result, position_context
                )
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    async def _complete_by_level(
        self,
        return_type: GraphQLOutputType,
        field_type: FieldType,
        field_details_list: FieldDetailsList,
        info: ResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        try:
            paths = LevelPaths(1, lambda _index: path)
            return (await self._complete_values(field_type, field_details_list, None, [result], paths))[0]
        except Exception as failure:  # whatever it was, graphql-core's completion below reports it
            self._levels = False
            fallbacks.fell_back(fallbacks.UNCLEAN_LEVEL, f"below {path.as_list()}: {_reason(failure)}")
        completed = super().complete_value(return_type, field_details_list, info, path, result, position_context)
        return await completed if self.is_awaitable(completed) else completed

    async def _complete_values(
        self,
        field_type: FieldType,
        details: FieldDetailsList,
        coerce: Callable[[Any], Any] | None,
        values: list[Any],
        paths: LevelPaths,
    ) -> list[Any]:
        """Each of one field's values (one per parent object, at `paths`) completed as its type says."""
        shape, non_null, item_non_null = field_type.shape, field_type.non_null, field_type.item_non_null
        if shape is Shape.LEAF or shape is Shape.LEAF_LIST:
            assert coerce is not None
            if shape is Shape.LEAF:
                return [_leaf(coerce, value, non_null) for value in values]
            return [
                None
                if _checked_none(value, non_null)
                else [_leaf(coerce, item, item_non_null) for item in _listed(value)]
                for value in values
            ]
        object_type = field_type.object_type
        assert object_type is not None
        completed: list[Any] = [None] * len(values)
        objects: list[Any] = []
        if shape is Shape.OBJECT:
            slots: list[int] = []
            for index, value in enumerate(values):
                if not _checked_none(value, non_null):
                    slots.append(index)
                    objects.append(value)
            answers = await self._objects(object_type, details, objects, paths.subset(slots))
            for index, answer in zip(slots, answers, strict=True):
                completed[index] = answer
            return completed
        # Object lists: the items of every list form one level; each list takes its items' answers back in order.
        lengths: list[int | None] = []
        starts: list[int] = []  # where each list's items begin among `objects`
        for value in values:
            starts.append(len(objects))
            if _checked_none(value, non_null):
                lengths.append(None)
                continue
            items = _listed(value)
            if not all(map(_is_not_none, items)):  # in C: `None in items` would call each object's __eq__
                raise NotClean  # null items are rare enough to leave to graphql-core
            objects.extend(items)
            lengths.append(len(items))
        answers = await self._objects(object_type, details, objects, paths.items(starts, len(objects)))
        start = 0
        for index, length in enumerate(lengths):
            if length is not None:
                completed[index] = answers[start : start + length]
                start += length
        return completed

    async def _objects(
        self, object_type: GraphQLObjectType, details: FieldDetailsList, sources: list[Any], paths: LevelPaths
    ) -> list[dict[str, Any]]:
        """The selection answered for every object in `sources` (none of them null), in order."""
        if not sources:
            return []
        selection = self._selection(object_type, details)
        if selection.build_answers is None:
            selection.build_answers = answer_builder(selection.fields)
        # The plain leaves answered, the other fields None until completed below (keeping the selection's order).
        answers = selection.build_answers(sources)
        type_name = object_type.name
        # Every field that is not a plain leaf: its resolvers are all called now, so that every key this level
        # asks of a loader is queued before anything waits; each field then goes on to its own next level as soon
        # as its values are in, side by side with the others (a resolver awaiting two loads one after the other
        # must not hold back its siblings' next level, or a loader both use would answer in two batches).
        deeper: list[FieldPlan] = []
        resolved: list[list[Any] | Awaitable[Sequence[Any]]] = []  # each deeper field's values, as resolved
        levels: list[Coroutine[Any, Any, list[Any]]] = []
        try:
            for field in selection.fields:
                if field.plain_leaf:
                    continue
                field_paths = paths.child(field.response_name, type_name)
                values: list[Any] | Awaitable[Sequence[Any]]
                awaiting: list[int] = []
                if field.attribute is not None:
                    read, attribute = field.attribute.read, field.attribute.name
                    values = [read(source, attribute) for source in sources]
                else:
                    values, awaiting = self._resolve(field, object_type, sources, field_paths)
                deeper.append(field)
                resolved.append(values)
                levels.append(self._field_level(field, sources, values, awaiting, field_paths))
        except BaseException as error:
            _close(levels)
            for field, field_values in zip(deeper, resolved, strict=True):
                if isinstance(field_values, list):
                    if isinstance(error, Exception):
                        self._outcomes.resolved(field.details, sources, field_values)  # all but coroutines
                    _close(field_values)
                else:
                    _close([field_values])
            raise
        completed_fields = await settle_all(levels) if len(levels) > 1 else [await level for level in levels]
        failures = [completed for completed in completed_fields if isinstance(completed, Failed)]
        if failures:
            # graphql-core answers this level again: it takes each complete field's answers as they are.
            for field, completed in zip(deeper, completed_fields, strict=True):
                if not isinstance(completed, Failed):
                    self._outcomes.completed(field.details, sources, completed)
            raise NotClean from failures[0].error
        for field, completed in zip(deeper, completed_fields, strict=True):
            name = field.response_name
            for answer, value in zip(answers, completed, strict=True):
                answer[name] = value
        return answers

    async def _field_level(
        self,
        field: FieldPlan,
        sources: list[Any],
        resolved: list[Any] | Awaitable[Sequence[Any]],
        awaiting: list[int],
        field_paths: LevelPaths,
    ) -> list[Any]:
        """One field's values for `sources`, once its awaitables (at the `awaiting` indexes) are in, completed.
        `resolved` may also be a level resolver's awaitable answer for all the objects at once. Whatever fails,
        what the field's resolvers answered is recorded before the failure goes up (outcomes.py)."""
        details = field.details
        if isinstance(resolved, list):
            values = resolved
        else:
            try:
                values = _answers_for(len(sources), await resolved)
            except LEVEL_FAILURES as error:
                for source in sources:
                    self._outcomes.failed(details, source, error)
                raise NotClean from error
            awaiting = [index for index, value in enumerate(values) if self.is_awaitable(value)]
        if awaiting:
            outcomes = await settle_all([values[index] for index in awaiting])
            failure: Failed | None = None
            for index, outcome in zip(awaiting, outcomes, strict=True):
                values[index] = outcome
                if failure is None and isinstance(outcome, Failed):
                    failure = outcome
            if failure is not None:
                self._outcomes.resolved(details, sources, values)
                raise NotClean from failure.error
        assert field.type is not None
        try:
            return await self._complete_values(field.type, details, field.coerce, values, field_paths)
        except Exception:
            self._outcomes.resolved(details, sources, values)
            raise

    def _resolve(
        self, field: FieldPlan, object_type: GraphQLObjectType, sources: list[Any], field_paths: LevelPaths
    ) -> tuple[list[Any] | Awaitable[Sequence[Any]], list[int]]:
        """The field's resolver called for each source: the values, and the indexes of those to be awaited. A
        level resolver (graph/execution/levels.py) is called once for all the sources: its answer may be one
        awaitable for all of them. A resolver that raises is recorded with the values before it (outcomes.py)."""
        is_awaitable = self.is_awaitable
        first = self.build_resolve_info(field.field_def, field.nodes, object_type, field_paths.at(0))
        direct = field.direct
        if direct is not None and direct.level is not None:
            try:
                answered = direct.answer_level(first, sources)
                if is_awaitable(answered):
                    return answered, []
                answers = _answers_for(len(sources), answered)
            except LEVEL_FAILURES as error:
                for source in sources:
                    self._outcomes.failed(field.details, source, error)
                raise NotClean from error
            return answers, [index for index, value in enumerate(answers) if is_awaitable(value)]
        calls: Iterator[Any]
        if direct is not None:
            calls = direct.call_each(first, sources, field_paths)
        else:
            resolve, args = field.field_def.resolve or self.field_resolver, self._arguments(field)
            with_path = with_other_paths(first)
            calls = (
                resolve(source, with_path(field_path), **args)
                for source, field_path in zip(sources, field_paths.all(), strict=True)
            )
        values: list[Any] = []
        awaiting: list[int] = []
        try:
            for value in calls:
                if is_awaitable(value):
                    awaiting.append(len(values))
                values.append(value)
        except BaseException as error:
            if isinstance(error, Exception):
                done = len(values)
                self._outcomes.resolved(field.details, sources[:done], values)
                self._outcomes.failed(field.details, sources[done], error)
            _close(values)
            raise
        return values, awaiting


def _answers_for(count: int, answers: Any) -> list[Any]:
    """A level resolver's answers, one per object: anything else is a bug in it, reported for each object."""
    if not isinstance(answers, (list, tuple)) or len(answers) != count:
        raise TypeError(f"a level resolver answered {_described(answers)} for {count} objects")
    return list(answers)


def _described(answers: Any) -> str:
    return f"{len(answers)} values" if isinstance(answers, (list, tuple)) else type(answers).__name__


def _name_of(middleware: Any) -> str:
    return type(middleware).__name__ if not isinstance(middleware, type) else middleware.__name__


def _reason(failure: Exception) -> str:
    """What made a level unclean: the error below NotClean, or what graphql-core will report itself."""
    cause = failure.__cause__ if isinstance(failure, NotClean) else failure
    return repr(cause) if cause is not None else "a value graphql-core completes (a null, or one a scalar refuses)"


_is_not_none = partial(is_not, None)


def _close(awaitables: Iterable[Any]) -> None:
    """Close coroutines that will never run (an error stopped their level first): without it each would warn
    that it was never awaited."""
    for awaitable in awaitables:
        if inspect.iscoroutine(awaitable):
            awaitable.close()


def _plain_leaves(field: FieldPlan, sources: list[Any], answers: list[dict[str, Any]]) -> None:
    """A plain leaf field for every object of a level: the inner loop of a page (~7,000 values), so inlined."""
    attribute, coerce, unchanged = field.attribute, field.coerce, field.unchanged
    assert attribute is not None and coerce is not None and field.type is not None
    read, attribute_name, non_null, name = attribute.read, attribute.name, field.type.non_null, field.response_name
    for answer, source in zip(answers, sources, strict=True):
        value = read(source, attribute_name)
        if value is None:
            if non_null:
                raise NotClean
            answer[name] = None
        elif type(value) is unchanged:
            answer[name] = value
        else:
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise NotClean
            answer[name] = coerced


def _leaf(coerce: Callable[[Any], Any], value: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise NotClean
        return None
    coerced = coerce(value)
    if coerced is None or coerced is Undefined:
        raise NotClean
    return coerced


def _checked_none(value: Any, non_null: bool) -> bool:
    if value is None:
        if non_null:
            raise NotClean
        return True
    return False


def _listed(value: Any) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise NotClean  # other iterables (and errors for non-iterables) are graphql-core's
    return value
