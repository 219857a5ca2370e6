"""How each field of a selection is answered, worked out once per request and selection (not once per object).

A page answer is mostly plain fields: a column of a row, returned as it is and coerced to a scalar or enum (the
nested guidelines page resolves ~8,500 fields, ~7,000 of them plain). A field Strawberry itself marks as basic
(no resolver, no permission classes, no field extensions: `is_default_resolver` of core/internals/strawberry.py)
is answered by reading the attribute, as Strawberry's own default resolver does, without a `GraphQLResolveInfo`,
a `Path` or Strawberry's wrapper.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
)
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types.field import StrawberryField

from core.internals.graphql_core import FieldDetailsList, GroupedFieldSet
from core.internals.strawberry import (
    has_exception_handlers,
    is_default_resolver,
    strawberry_field_of,
    strawberry_schema_of,
)
from graph.execution.infos import Level, ObjectInfoFactory, ResolveInfo, level_info_class, object_info_factory
from graph.execution.levels import LevelResolver, level_resolver_of
from graph.execution.paths import LevelPaths


class Shape(enum.Enum):
    """What a field's value completes to. Shapes outside these (unions, interfaces, lists of lists) are left to
    graphql-core."""

    LEAF = "leaf"
    LEAF_LIST = "leaf list"
    OBJECT = "object"
    OBJECT_LIST = "object list"


@dataclass(frozen=True, slots=True)
class FieldType:
    """A field's type taken apart: `[Item!]!` is shape *_LIST, non_null and item_non_null."""

    shape: Shape
    non_null: bool
    item_non_null: bool
    leaf: GraphQLLeafType | None
    object_type: GraphQLObjectType | None


def field_type_of(output_type: GraphQLOutputType) -> FieldType | None:
    non_null = isinstance(output_type, GraphQLNonNull)
    inner = output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type
    is_list = isinstance(inner, GraphQLList)
    item_non_null = False
    if isinstance(inner, GraphQLList):
        inner = inner.of_type
        item_non_null = isinstance(inner, GraphQLNonNull)
        if isinstance(inner, GraphQLNonNull):
            inner = inner.of_type
    if isinstance(inner, GraphQLLeafType):
        return FieldType(Shape.LEAF_LIST if is_list else Shape.LEAF, non_null, item_non_null, inner, None)
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
        return FieldType(Shape.OBJECT_LIST if is_list else Shape.OBJECT, non_null, item_non_null, None, inner)
    return None


# graphql-core's output coercion of these built-in scalars returns values of this type as they are.
_UNCHANGED: dict[str, type] = {"String": str, "ID": str, "Boolean": bool}


def coercion(leaf_type: GraphQLLeafType) -> Callable[[Any], Any]:
    """The type's output coercion; for Strawberry's enums, each member's name looked up in a table made once
    (Strawberry's own coercion scans the enum's values on every call)."""
    coerce = leaf_type.coerce_output_value
    if not isinstance(leaf_type, CustomGraphQLEnumType):
        return coerce
    members: list[Any] = list(leaf_type.wrapped_cls)
    names = {member: coerce(member) for member in members}

    def coerce_enum(value: Any) -> Any:
        name = names.get(value)
        return name if name is not None else coerce(value)

    return coerce_enum


@dataclass(frozen=True, slots=True)
class Attribute:
    """A basic field: read `name` with Strawberry's default resolver (getattr unless configured otherwise)."""

    name: str
    read: Callable[[Any, str], Any]


def attribute_of(field_def: GraphQLField, node: FieldNode) -> Attribute | None:
    if node.arguments or field_def.args or not is_default_resolver(field_def.resolve):
        return None
    strawberry_field = strawberry_field_of(field_def)
    if strawberry_field is None or not strawberry_field.is_basic_field:
        return None
    return Attribute(strawberry_field.python_name, strawberry_field.default_resolver)


@dataclass(frozen=True, slots=True)
class DirectResolver:
    """A Strawberry resolver without arguments, field extensions or exception handlers, called as the function
    itself: with the source as `self` and Strawberry's `Info`, which is all Strawberry's wrapper does for such a
    field (its argument conversion and extension chain have nothing to do, at ~4 us a call). The objects of one
    level share what their Infos hold but their paths (infos.py)."""

    function: Callable[..., Any]
    field: StrawberryField
    object_info: ObjectInfoFactory
    level_info: type[Any]
    with_self: bool
    info_name: str | None
    level: LevelResolver | None  # the resolver's form for a whole level (levels.py), if it has one

    def call_each(self, info: ResolveInfo, sources: list[Any], paths: LevelPaths) -> Iterator[Any]:
        """The resolver's values (or awaitables) for `sources`, at `paths`, the first of whose resolve info is
        `info`: each call made when the iterator is advanced."""
        function, name = self.function, self.info_name
        if name is None:
            return map(function, sources) if self.with_self else (function() for _ in sources)
        level, make_info = Level(info, self.field, paths), self.object_info
        if self.with_self:
            return (function(source, **{name: make_info(level, index)}) for index, source in enumerate(sources))
        return (function(**{name: make_info(level, index)}) for index in range(len(sources)))

    def answer_level(self, info: ResolveInfo, sources: list[Any]) -> Any:
        """The level resolver's answers for `sources` (a list, or an awaitable of one)."""
        assert self.level is not None
        return self.level(sources, self.level_info(_raw_info=info, _field=self.field))


def direct_resolver(field_def: GraphQLField, node: FieldNode, schema: GraphQLSchema) -> DirectResolver | None:
    strawberry_field = strawberry_field_of(field_def)
    strawberry_schema = strawberry_schema_of(schema)
    if strawberry_field is None or strawberry_schema is None or node.arguments or field_def.args:
        return None
    resolver = strawberry_field.base_resolver
    if (
        resolver is None
        or strawberry_field.extensions
        or strawberry_field.arguments
        or has_exception_handlers(strawberry_schema)
        or resolver.parent_parameter is not None
        or resolver.root_parameter is not None
        or not callable(resolver.wrapped_func)
    ):
        return None
    info_class = strawberry_schema.config.info_class
    return DirectResolver(
        function=resolver.wrapped_func,
        field=strawberry_field,
        object_info=object_info_factory(info_class),
        level_info=level_info_class(info_class),
        with_self=resolver.self_parameter is not None,
        info_name=resolver.info_parameter.name if resolver.info_parameter is not None else None,
        level=level_resolver_of(resolver.wrapped_func),
    )


@dataclass(slots=True)
class FieldPlan:
    response_name: str
    details: FieldDetailsList
    nodes: list[FieldNode]
    field_def: GraphQLField
    type: FieldType | None  # None: a shape graphql-core completes
    attribute: Attribute | None  # None: the field's resolver answers
    direct: DirectResolver | None  # the resolver without Strawberry's wrapper, where that is the same
    coerce: Callable[[Any], Any] | None  # leaf and leaf-list fields
    # The Python type whose values the leaf type answers unchanged (str for String and ID, bool for Boolean):
    # those skip the coercion call.
    unchanged: builtins.type | None
    # The resolver's arguments: the same for every object of the selection, so coerced once (None: not yet).
    args: dict[str, Any] | None = None

    @property
    def plain_leaf(self) -> bool:
        return self.attribute is not None and self.type is not None and self.type.shape is Shape.LEAF


@dataclass(slots=True)
class SelectionPlan:
    fields: list[FieldPlan]
    any_plain_leaf: bool
    # Every field has a shape this package completes: the selection can be answered for many objects at once.
    batchable: bool
    # The same for every selection below it too (worked out on first use: None until then).
    batchable_below: bool | None = None
    # Starts the answers of a level of objects (answers.py; made on first use).
    build_answers: Callable[[list[Any]], list[dict[str, Any]]] | None = None


@dataclass(frozen=True, slots=True)
class _FieldFacts:
    """What a field's plan takes from the schema alone: the same for every request."""

    type: FieldType | None
    attribute: Attribute | None
    direct: DirectResolver | None
    coerce: Callable[[Any], Any] | None
    unchanged: builtins.type | None


# (parent type, field name, whether the node passes arguments) -> facts. Schemas live as long as the process
# (each app and test builds a few), so this stays as small as the schemas' fields.
_facts: dict[tuple[GraphQLObjectType, str, bool], _FieldFacts] = {}


def _field_facts(
    parent_type: GraphQLObjectType, field_def: GraphQLField, node: FieldNode, schema: GraphQLSchema
) -> _FieldFacts:
    key = (parent_type, node.name.value, bool(node.arguments))
    facts = _facts.get(key)
    if facts is None:
        field_type = field_type_of(field_def.type)
        leaf = field_type.leaf if field_type is not None else None
        attribute = attribute_of(field_def, node)
        facts = _facts[key] = _FieldFacts(
            type=field_type,
            attribute=attribute,
            direct=None if attribute is not None else direct_resolver(field_def, node, schema),
            coerce=coercion(leaf) if leaf is not None else None,
            unchanged=_UNCHANGED.get(leaf.name) if leaf is not None else None,
        )
    return facts


def plan_selection(
    parent_type: GraphQLObjectType,
    grouped_field_set: GroupedFieldSet,
    schema: GraphQLSchema,
) -> SelectionPlan:
    fields: list[FieldPlan] = []
    batchable = True
    for response_name, details in grouped_field_set.items():
        node = details[0].node
        field_def = schema.get_field(parent_type, node.name.value)
        if field_def is None:  # unknown fields are skipped, as graphql-core does
            batchable = False
            continue
        facts = _field_facts(parent_type, field_def, node, schema)
        batchable = batchable and facts.type is not None
        nodes = [field_details.node for field_details in details]
        fields.append(
            FieldPlan(
                response_name,
                details,
                nodes,
                field_def,
                facts.type,
                facts.attribute,
                facts.direct,
                facts.coerce,
                facts.unchanged,
            )
        )
    return SelectionPlan(fields, any(plan.plain_leaf for plan in fields), batchable)
