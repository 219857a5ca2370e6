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
rest of the request: errors, their paths and null propagation are exactly graphql-core's. Reads have no side
effects and dataloaders cache, so doing it again costs time, not correctness. Selections with shapes the plans do
not cover (unions, interfaces, nested lists) are graphql-core's from the start.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from functools import partial
from operator import is_not
from typing import Any

from graphql import GraphQLObjectType, GraphQLOutputType, GraphQLResolveInfo
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.execution.answers import NotClean, answer_builder
from graph.execution.concurrently import Failed, settle_all
from graph.execution.paths import LevelPaths, new_tuple
from graph.execution.plans import FieldPlan, FieldType, SelectionPlan, Shape, field_type_of, plan_selection


class BreadthFirstExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Schema extensions that hook `resolve` must see every resolver call: then everything is graphql-core's.
        manager = self.middleware_manager
        self._plain_fields = manager is None or not manager.middlewares
        self._levels = self._plain_fields
        # Keyed like graphql-core's subfield cache: a grouped field set is memoised per selection, so one plan
        # serves every object of it. The set is kept alive beside its plan so that its id is not reused.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, SelectionPlan]] = {}

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
        if self.is_awaitable(completed):

            async def merged() -> dict[str, Any]:
                results.update(await completed)  # type: ignore[misc]
                return results

            return merged()
        results.update(completed)  # type: ignore[arg-type]
        return results

    # --- a level at a time ---------------------------------------------------------------------------------------

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
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
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        try:
            paths = LevelPaths(1, lambda _index: path)
            return (await self._complete_values(field_type, field_details_list, None, [result], paths))[0]
        except Exception:  # whatever it was, graphql-core's completion below reports it
            self._levels = False
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
        levels: list[Coroutine[Any, Any, list[Any]]] = []
        unstarted: list[Any] = []  # the resolvers' awaitables, until the levels below take them over
        try:
            for field in selection.fields:
                if field.plain_leaf:
                    continue
                name = field.response_name
                field_paths = paths.child(name, type_name)
                if field.attribute is not None:
                    read, attribute = field.attribute.read, field.attribute.name
                    values, awaiting = [read(source, attribute) for source in sources], list[int]()
                else:
                    values, awaiting = self._resolve(field, object_type, sources, field_paths)
                    if isinstance(values, list):
                        unstarted.extend(values[index] for index in awaiting)
                    else:
                        unstarted.append(values)
                deeper.append(field)
                levels.append(self._field_level(field, values, awaiting, field_paths))
        except BaseException:
            _close(unstarted)
            _close(levels)
            raise
        completed_fields = await settle_all(levels) if len(levels) > 1 else [await level for level in levels]
        for field, completed in zip(deeper, completed_fields, strict=True):
            if isinstance(completed, Failed):
                raise NotClean from completed.error
            name = field.response_name
            for answer, value in zip(answers, completed, strict=True):
                answer[name] = value
        return answers

    async def _field_level(
        self,
        field: FieldPlan,
        values: list[Any] | Awaitable[Sequence[Any]],
        awaiting: list[int],
        field_paths: LevelPaths,
    ) -> list[Any]:
        """One field's values, once its awaitables (at the `awaiting` indexes) are in, completed. `values` may
        also be a level resolver's awaitable answer for all the objects at once."""
        if not isinstance(values, list):
            values = _answers_for(len(field_paths), await values)
            awaiting = [index for index, value in enumerate(values) if self.is_awaitable(value)]
        if awaiting:
            outcomes = await settle_all([values[index] for index in awaiting])
            for index, outcome in zip(awaiting, outcomes, strict=True):
                if isinstance(outcome, Failed):
                    raise NotClean from outcome.error
                values[index] = outcome
        assert field.type is not None
        return await self._complete_values(field.type, field.details, field.coerce, values, field_paths)

    def _resolve(
        self, field: FieldPlan, object_type: GraphQLObjectType, sources: list[Any], field_paths: LevelPaths
    ) -> tuple[list[Any] | Awaitable[Sequence[Any]], list[int]]:
        """The field's resolver called for each source: the values, and the indexes of those to be awaited. A
        level resolver (graph/execution/levels.py) is called once for all the sources: its answer may be one
        awaitable for all of them."""
        is_awaitable = self.is_awaitable
        first = self.build_resolve_info(field.field_def, field.nodes, object_type, field_paths.at(0))
        direct = field.direct
        if direct is not None and direct.level is not None:
            answered = direct.answer_level(first, sources)
            if is_awaitable(answered):
                return answered, []
            values = _answers_for(len(sources), answered)
            return values, [index for index, value in enumerate(values) if is_awaitable(value)]
        calls: Iterator[Any]
        if direct is not None:
            calls = map(direct.for_level(first), sources)  # one Info for the level (plans.DirectResolver)
        else:
            resolve, args = field.field_def.resolve or self.field_resolver, self._arguments(field)
            # Each object's resolve info is the first one's but for its path: made as a tuple, not through the
            # NamedTuple's generated __new__ and 15 arguments each time.
            info_class, at = type(first), first._fields.index("path")
            before, after = first[:at], first[at + 1 :]
            calls = (
                resolve(source, new_tuple(info_class, (*before, field_path, *after)), **args)
                for source, field_path in zip(sources, field_paths.all(), strict=True)
            )
        values: list[Any] = []
        awaiting: list[int] = []
        try:
            for value in calls:
                if is_awaitable(value):
                    awaiting.append(len(values))
                values.append(value)
        except BaseException:
            _close(values[index] for index in awaiting)
            raise
        return values, awaiting


def _answers_for(count: int, answers: Sequence[Any]) -> list[Any]:
    """A level resolver's answers, one per object: anything else is a bug that graphql-core's path reports."""
    if not isinstance(answers, (list, tuple)) or len(answers) != count:
        raise NotClean
    return list(answers)


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
