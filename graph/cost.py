"""What an operation may cost, computed from its validated document before anything runs (docs/api.md, "Limits
and cost"), and what its answer actually held.

The unit is one object in the answer: every field whose type is an object (or a list of them) costs 1 per object
it can answer; scalars and enums cost nothing. A list multiplies its children by the most items it can hold: its
`limit` argument (a variable's value, else the argument's default), the `limit` of the field above it for a list
type's `data`, else the bound in LIST_BOUNDS (the caps the inputs enforce, or a documented estimate), and for
introspection the real number of types, fields, arguments... of this schema, so that introspecting costs in
proportion to the schema. Fragments are expanded where they are spread and every alias counts, so 30 aliases of
one field cost 30 times that field.

Pure functions of the document, the variables and the schema: the edge (graph/cost_limits.py) caches prices,
and the shape an answer is counted by is kept here per document (`answered_objects` reads only the keys that can
hold objects: walking every key of every object cost a 50-row guidelines page ~5 ms, now ~0.8).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

from core.lora import METADATA_MAX_KEYS
from graph.guidelines.inputs import MAX_IDS, MAX_RULE_GROUPS
from graph.set_designs.inputs import MAX_ITEMS as SET_DESIGN_MAX_ITEMS
from graph.styles.inputs import MAX_DATA_IMAGES
from graph.validation import MAX_PAGE_SIZE
from services.subjects import MAX_IMAGES_PER_LIST

# Costs are answered as JSON numbers: past 2**53 a JavaScript client would read them wrong, and no limit is near.
MAX_REPORTED_COST = 2**53 - 1

# A subject has at most one base image per shot type, and shot types are not capped: a studio works with a few
# dozen, so 100 is the documented estimate. A ZIP may add up to ZIP_MAX_ENTRIES (2000 by default) portfolio images.
BASE_IMAGES_BOUND = 100
PORTFOLIO_IMAGES_BOUND = 2000
# A user belongs to few organizations and a background preset has one framing per use: documented estimates.
ORGANIZATIONS_BOUND = 100
FRAMINGS_BOUND = 20
# An organization's members are not capped; a studio's have tens. Priced as a full page, so that members of every
# organization of every user of a page (`users { organizations { members } }`) is priced as the heavy query it is.
ORGANIZATION_MEMBERS_BOUND = MAX_PAGE_SIZE

# The most items each list without a `limit` of its own can hold. A list type's `data` takes the `limit` of the
# field that answered it. tests/graph/test_cost.py fails when a list field of the schema is missing here.
LIST_BOUNDS: Mapping[tuple[str, str], int] = {
    ("ShootingGuidelines", "shotTypes"): MAX_IDS,
    ("ShootingGuidelines", "subjects"): MAX_IDS,
    ("ShootingGuidelines", "posePresets"): MAX_IDS,
    ("ShootingGuidelines", "shotTypeRules"): MAX_RULE_GROUPS,
    ("GuidelinesShotTypeRuleGroup", "shotTypes"): MAX_IDS,
    ("SetDesign", "baseImages"): SET_DESIGN_MAX_ITEMS,
    ("SetDesign", "referenceImages"): SET_DESIGN_MAX_ITEMS,
    ("SetDesign", "subjectPortraits"): SET_DESIGN_MAX_ITEMS,
    ("Style", "dataImagesMedia"): MAX_DATA_IMAGES,
    ("StyleAdmin", "dataImagesMedia"): MAX_DATA_IMAGES,
    ("Subject", "dataImagesMedia"): MAX_IMAGES_PER_LIST,
    ("SubjectAdmin", "dataImagesMedia"): MAX_IMAGES_PER_LIST,
    ("Subject", "portfolioImagesMedia"): PORTFOLIO_IMAGES_BOUND,
    ("SubjectAdmin", "portfolioImagesMedia"): PORTFOLIO_IMAGES_BOUND,
    ("Subject", "baseImages"): BASE_IMAGES_BOUND,
    ("SubjectAdmin", "baseImages"): BASE_IMAGES_BOUND,
    ("BaseImages", "data"): BASE_IMAGES_BOUND,
    ("BackgroundPreset", "framings"): FRAMINGS_BOUND,
    ("LoraInfo", "metadata"): METADATA_MAX_KEYS,
    ("Query", "organizations"): ORGANIZATIONS_BOUND,
    ("User", "organizations"): ORGANIZATIONS_BOUND,
    ("Organization", "members"): ORGANIZATION_MEMBERS_BOUND,
}
# A list type's items: bounded by the `limit` of the field answering the list type.
PAGE_FIELD = "data"
LIMIT_ARGUMENT = "limit"
# A list the tables miss (a field added without a bound) is taken to be a full page, never free.
UNKNOWN_LIST_BOUND = MAX_PAGE_SIZE


def operation_cost(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    schema: GraphQLSchema,
) -> int:
    """The most objects `operation` of `document` (a validated DocumentNode) can answer with these variables."""
    walk = _CostWalk(schema, _fragments(document), _variable_values(operation, variables or {}))
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return min(walk.selection_cost(operation.selection_set, root, None), MAX_REPORTED_COST)


def answered_objects(
    data: Mapping[str, Any] | None, document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema
) -> int:
    """The objects an answer's `data` holds (its root not counted): what the operation actually cost."""
    root = schema.get_root_type(operation.operation)
    if not data or root is None:
        return 0
    return _objects_in(data, _answer_shape(document, operation, schema, root))


# An answer object's shape: each response key whose value is an object (or a list of them), with that object's
# shape. Scalars and enums are not in it: counting reads only the keys that can hold objects.
AnswerShape = tuple[tuple[str, "AnswerShape"], ...]

# Shapes by document, operation and schema, each kept beside them so that their ids stay theirs. A client sends
# the same few documents (graph/documents.py keeps their parsed nodes), so a page's answer is counted without
# walking its document again; the oldest shape is dropped first.
ANSWER_SHAPES_SIZE = 256
_KeptShape = tuple[DocumentNode, OperationDefinitionNode, GraphQLSchema, AnswerShape]
_answer_shapes: dict[tuple[int, int, int], _KeptShape] = {}


def _answer_shape(
    document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema, root: GraphQLNamedType
) -> AnswerShape:
    key = (id(document), id(operation), id(schema))
    kept = _answer_shapes.get(key)
    if kept is not None:
        return kept[3]
    shape = _AnswerWalk(schema, _fragments(document)).shape((operation.selection_set,), root)
    if len(_answer_shapes) >= ANSWER_SHAPES_SIZE:
        del _answer_shapes[next(iter(_answer_shapes))]
    _answer_shapes[key] = (document, operation, schema, shape)
    return shape


def _objects_in(value: Mapping[str, Any], shape: AnswerShape) -> int:
    """The objects under the answer object `value` (itself not counted): a list counts its non-null items, at any
    depth of nesting, and an object counts 1 and what it holds."""
    total = 0
    for key, child in shape:
        item = value.get(key)
        if item is not None:
            total += _objects_of(item, child)
    return total


def _objects_of(value: Any, shape: AnswerShape) -> int:
    if isinstance(value, dict):
        return 1 + _objects_in(value, shape)
    if isinstance(value, list):
        return sum(_objects_of(item, shape) for item in value if item is not None)
    return 0


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _variable_values(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> dict[str, Any]:
    """The variables as the operation sees them: the given value, else the definition's literal default."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    return values


@dataclass
class _CostWalk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    # A fragment spread many times, or a selection under many aliases, is priced once per (node, type, page).
    memo: dict[tuple[int, str, int | None], int] = field(default_factory=dict)

    def selection_cost(self, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None) -> int:
        key = (id(selection_set), parent.name, page)
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        total = 0
        for node, node_parent in _fields(selection_set, parent, self.schema, self.fragments):
            total += self._field_cost(node, node_parent, page)
        self.memo[key] = total
        return total

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        definition = _field_definition(parent, node.name.value, self.schema)
        if definition is None or node.selection_set is None:
            return 0  # __typename, or a scalar or enum: no object
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        limit = self._limit(node, definition)
        lists = _list_depth(definition.type)
        # A field with a `limit` that answers one object (a list type) passes it on to that object's `data`.
        child_page = limit if lists == 0 else None
        children = self.selection_cost(node.selection_set, named, child_page)
        if lists == 0:
            return 1 + children
        if limit is not None:
            bound = limit
        elif node.name.value == PAGE_FIELD and page is not None:
            bound = page
        else:
            bound = _list_bound(parent.name, node.name.value, self.schema)
        multiplier: int = bound**lists  # typeshed: int ** int may be a float (negative exponents); not here
        return multiplier * (1 + children)

    def _limit(self, node: FieldNode, definition: GraphQLField) -> int | None:
        argument = definition.args.get(LIMIT_ARGUMENT)
        if argument is None:
            return None
        value: Any = argument.default_value
        for given in node.arguments or ():
            if given.name.value != LIMIT_ARGUMENT:
                continue
            if isinstance(given.value, VariableNode):
                value = self.variables.get(given.value.name.value, value)
            elif isinstance(given.value, IntValueNode):
                value = int(given.value.value)
        # Out of range is refused by the resolver as BAD_USER_INPUT; priced here as the most it could be.
        if not isinstance(value, int) or isinstance(value, bool):
            return MAX_PAGE_SIZE
        return max(0, min(value, MAX_PAGE_SIZE))


@dataclass
class _AnswerWalk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    # A fragment spread in several places, or an object type reached twice, is shaped once.
    memo: dict[tuple[tuple[int, ...], str], AnswerShape] = field(default_factory=dict)

    def shape(self, selection_sets: tuple[SelectionSetNode, ...], parent: GraphQLNamedType) -> AnswerShape:
        """The shape of an object of `parent` answering `selection_sets` (merged, as the executor merges them)."""
        key = (tuple(id(selection_set) for selection_set in selection_sets), parent.name)
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        shape = tuple(
            (response_key, self.shape(merged, named))
            for response_key, (named, merged) in self._children(selection_sets, parent).items()
        )
        self.memo[key] = shape
        return shape

    def _children(
        self, selection_sets: tuple[SelectionSetNode, ...], parent: GraphQLNamedType
    ) -> dict[str, tuple[GraphQLNamedType, tuple[SelectionSetNode, ...]]]:
        """Each response key with an object type: its type and the selection sets merged under it."""
        children: dict[str, tuple[GraphQLNamedType, tuple[SelectionSetNode, ...]]] = {}
        for selection_set in selection_sets:
            for node, node_parent in _fields(selection_set, parent, self.schema, self.fragments):
                definition = _field_definition(node_parent, node.name.value, self.schema)
                if definition is None or node.selection_set is None:
                    continue
                named = get_named_type(definition.type)
                response_key = node.alias.value if node.alias else node.name.value
                merged = children.get(response_key, (named, ()))[1] + (node.selection_set,)
                children[response_key] = (named, merged)
        return children


def _fields(
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
    """Every field of a selection set with the type it is selected on, fragments expanded in place. Fragments on
    different types of an abstract parent all count: only one applies to each object, so this is an upper bound."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent
        elif isinstance(selection, InlineFragmentNode):
            condition = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            yield from _fields(selection.selection_set, condition or parent, schema, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                condition = schema.get_type(fragment.type_condition.name.value)
                yield from _fields(fragment.selection_set, condition or parent, schema, fragments)


def _field_definition(parent: GraphQLNamedType, name: str, schema: GraphQLSchema) -> GraphQLField | None:
    if name == "__schema" and parent is schema.query_type:
        return SchemaMetaFieldDef
    if name == "__type" and parent is schema.query_type:
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None  # a union selects only __typename and fragments


def _list_depth(type_: GraphQLOutputType) -> int:
    depth = 0
    current: Any = type_
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth


def _list_bound(type_name: str, field_name: str, schema: GraphQLSchema) -> int:
    bound = LIST_BOUNDS.get((type_name, field_name))
    if bound is not None:
        return bound
    return introspection_bounds(schema).get((type_name, field_name), UNKNOWN_LIST_BOUND)


@cache
def introspection_bounds(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """The most items each introspection list can hold in this schema: its number of types and directives, and
    the largest number of fields, arguments, input fields, enum values... that any one type (or field) has."""
    types = list(schema.type_map.values())
    composite = [type_ for type_ in types if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)]
    fields = [definition for type_ in composite for definition in type_.fields.values()]
    abstract = [type_ for type_ in types if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)]
    enum_values = [len(getattr(type_, "values", {})) for type_ in types]
    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): max((len(type_.fields) for type_ in composite), default=0),
        ("__Type", "interfaces"): max((len(type_.interfaces) for type_ in composite), default=0),
        ("__Type", "possibleTypes"): max((len(schema.get_possible_types(type_)) for type_ in abstract), default=0),
        ("__Type", "enumValues"): max(enum_values, default=0),
        ("__Type", "inputFields"): max(
            (len(type_.fields) for type_ in types if isinstance(type_, GraphQLInputObjectType)), default=0
        ),
        ("__Field", "args"): max((len(definition.args) for definition in fields), default=0),
        ("__Directive", "args"): max((len(directive.args) for directive in schema.directives), default=0),
    }
